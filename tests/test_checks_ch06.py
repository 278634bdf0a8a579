"""Mutation tests for the chapter 06 checks: solutions pass, plausible mistakes fail."""

from __future__ import annotations

import numpy as np
import pytest

from course_lib.checks import CheckFailed, check_6_1, check_6_2, check_6_3


def user_biases(r, mu, item_bias, user_idx, n_users, reg):
    num = np.bincount(user_idx, r - mu - item_bias, minlength=n_users)
    return num / (reg + np.bincount(user_idx, minlength=n_users))


def test_6_1_solution_passes():
    assert check_6_1(user_biases)


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
@pytest.mark.parametrize("wrong", [
    lambda r, mu, b, u, n, reg: np.bincount(u, r - mu - b, minlength=n)
    / np.maximum(np.bincount(u, minlength=n), 1),                                   # no reg
    lambda r, mu, b, u, n, reg: np.bincount(u, r - mu, minlength=n)
    / (reg + np.bincount(u, minlength=n)),                                          # no b_i
    lambda r, mu, b, u, n, reg: np.bincount(u, r - mu - b, minlength=n) / (reg + n),  # wrong count
])
def test_6_1_mistakes_fail(wrong):
    with pytest.raises(CheckFailed):
        check_6_1(wrong)


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
def test_6_1_hint_for_missing_reg():
    def no_reg(r, mu, b, u, n, reg):
        return user_biases(r, mu, b, u, n, 0.0)
    with pytest.raises(CheckFailed, match="regularisation"):
        check_6_1(no_reg)


def test_6_1_hint_for_missing_minlength():
    def no_minlength(r, mu, b, u, n, reg):
        return np.bincount(u, r - mu - b) / (reg + np.bincount(u))
    with pytest.raises(CheckFailed, match="minlength=n_users"):
        check_6_1(no_minlength)


def _mlp(X_train, seed=0, widths=(64, 32), adapt=True, lr=1e-3, loss="mse", compile=True,
         relu="argument", output_activation=None, sequential=False):
    """The 6.2 answer, with switches for the plausible mistakes and the equivalent spellings."""
    import keras
    norm = keras.layers.Normalization()
    if adapt:
        norm.adapt(X_train)
    else:
        norm.adapt(X_train[:5] * 0 + 1.0)
    layers = [norm]
    for w in widths:
        if relu == "argument":
            layers.append(keras.layers.Dense(w, activation="relu"))
        elif relu == "Activation":
            layers += [keras.layers.Dense(w), keras.layers.Activation("relu")]
        elif relu == "ReLU":
            layers += [keras.layers.Dense(w), keras.layers.ReLU()]
        else:
            layers.append(keras.layers.Dense(w))
    layers.append(keras.layers.Dense(1, activation=output_activation))
    if sequential:
        model = keras.Sequential([keras.Input(shape=(X_train.shape[1],)), *layers])
    else:
        inputs = keras.Input(shape=(X_train.shape[1],))
        x = inputs
        for layer in layers:
            x = layer(x)
        model = keras.Model(inputs, x)
    if compile:
        model.compile(optimizer=keras.optimizers.Adam(learning_rate=lr), loss=loss)
    return model


def _with_output_relu(X_train):
    import keras
    model = _mlp(X_train, compile=False, sequential=True)
    model = keras.Sequential([keras.Input(shape=(X_train.shape[1],)), *model.layers,
                              keras.layers.ReLU()])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3), loss="mse")
    return model


def _with_optimizer(X_train, name):
    import keras
    model = _mlp(X_train, compile=False)
    model.compile(optimizer=getattr(keras.optimizers, name)(learning_rate=1e-3), loss="mse")
    return model


def test_6_2_solution_passes():
    assert check_6_2(_mlp)


def _loss(name):
    import keras
    return {"function": keras.losses.mean_squared_error,
            "object": keras.losses.MeanSquaredError()}[name]


@pytest.mark.parametrize("right", [
    lambda X, seed=0: _mlp(X, loss="MSE"),
    lambda X, seed=0: _mlp(X, loss="mean_squared_error"),
    lambda X, seed=0: _mlp(X, loss=_loss("function")),
    lambda X, seed=0: _mlp(X, loss=_loss("object")),
    lambda X, seed=0: _mlp(X, relu="Activation"),
    lambda X, seed=0: _mlp(X, relu="ReLU"),
    lambda X, seed=0: _mlp(X, sequential=True),
    lambda X, seed=0: _mlp(X, sequential=True, relu="ReLU"),
], ids=["MSE", "mean_squared_error", "loss function", "loss object", "Activation('relu')",
        "ReLU()", "Sequential", "Sequential + ReLU()"])
def test_6_2_equivalent_spellings_pass(right):
    assert check_6_2(right)


@pytest.mark.parametrize("wrong, match", [
    (lambda X, seed=0: _mlp(X, widths=(32, 64)), "widths"),
    (lambda X, seed=0: _mlp(X, adapt=False), "adapt"),
    (lambda X, seed=0: _mlp(X, lr=1e-2), "learning rate"),
    (lambda X, seed=0: _mlp(X, loss="mae"), "loss='mse'"),
    (lambda X, seed=0: _mlp(X, relu=None), "without ReLU"),
    (lambda X, seed=0: _mlp(X, output_activation="sigmoid"), "between 0 and 1"),
    (lambda X, seed=0: _mlp(X, compile=False), "uncompiled"),
    (lambda X, seed=0: _mlp(X, compile=False, sequential=True), "uncompiled"),
    (lambda X, seed=0: _with_output_relu(X), "no activation"),
    (lambda X, seed=0: _with_optimizer(X, "SGD"), "Adam"),
], ids=["widths", "not adapted", "lr", "mae", "no relu", "sigmoid output", "uncompiled",
        "uncompiled Sequential", "ReLU() after the output", "SGD"])
def test_6_2_mistakes_fail(wrong, match):
    with pytest.raises(CheckFailed, match=match):
        check_6_2(wrong)


def train_step(model, optimizer, x, y):
    import tensorflow as tf
    y = tf.reshape(tf.cast(y, "float32"), (-1, 1))
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.square(y - model(x, training=True)))
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    return float(loss)


def test_6_3_solution_passes():
    assert check_6_3(train_step)


def _broadcast_bug(model, optimizer, x, y):
    import tensorflow as tf
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.square(y - model(x, training=True)))   # (16, 16)
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    return float(loss)


def _sum_loss(model, optimizer, x, y):
    import tensorflow as tf
    y = tf.reshape(y, (-1, 1))
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(tf.square(y - model(x, training=True)))
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    return float(loss)


def _no_update(model, optimizer, x, y):
    import tensorflow as tf
    y = tf.reshape(y, (-1, 1))
    return float(tf.reduce_mean(tf.square(y - model(x))))


def _loss_after_step(model, optimizer, x, y):
    import tensorflow as tf
    y = tf.reshape(y, (-1, 1))
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.square(y - model(x, training=True)))
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    return float(tf.reduce_mean(tf.square(y - model(x))))


def test_6_3_mistakes_fail_with_hints():
    with pytest.raises(CheckFailed, match="after"):
        check_6_3(_loss_after_step)
    with pytest.raises(CheckFailed, match="broadcast"):
        check_6_3(_broadcast_bug)
    with pytest.raises(CheckFailed, match="summed"):
        check_6_3(_sum_loss)
    with pytest.raises(CheckFailed, match="apply_gradients"):
        check_6_3(_no_update)


def test_untouched_stub_passes_through():
    """The raw check lets the stub's error through; the exported one prints 'not started'."""
    def stub(*args, **kwargs):
        raise NotImplementedError("Exercise 6.2: ...")
    for check in (check_6_1, check_6_2, check_6_3):
        with pytest.raises(NotImplementedError):
            check.__wrapped_check__(stub)
        assert not check(stub)
