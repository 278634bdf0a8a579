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
@pytest.mark.parametrize(
    "wrong",
    [
        lambda r, mu, b, u, n, reg: (
            np.bincount(u, r - mu - b, minlength=n) / np.maximum(np.bincount(u, minlength=n), 1)
        ),  # no reg
        lambda r, mu, b, u, n, reg: (
            np.bincount(u, r - mu, minlength=n) / (reg + np.bincount(u, minlength=n))
        ),  # no b_i
        lambda r, mu, b, u, n, reg: (
            np.bincount(u, r - mu - b, minlength=n) / (reg + n)
        ),  # wrong count
    ],
)
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


def _mlp(
    X_train,
    n_items,
    seed=0,
    widths=(64, 32),
    adapt=True,
    learning_rate=1e-3,
    optimizer="Adam",
    loss="mse",
    compile=True,
    relu="argument",
    output_activation=None,
    rows=None,
    width=8,
    use_items=True,
    use_features=True,
    inputs_as="dict",
    after_output=None,
):
    """The 6.2 answer, with switches for the plausible mistakes and the equivalent spellings."""
    import keras

    features = keras.Input(shape=(X_train.shape[1],), name="features")
    item_idx = keras.Input(shape=(), dtype="int32", name="item_idx")
    norm = keras.layers.Normalization()
    norm.adapt(X_train if adapt else X_train[:5] * 0 + 1.0)
    x = norm(features)
    item_vector = keras.layers.Embedding(n_items if rows is None else rows, width)(item_idx)
    parts = ([x] if use_features else []) + ([item_vector] if use_items else [])
    x = keras.layers.Concatenate()(parts) if len(parts) > 1 else parts[0]
    for k, w in enumerate(widths):
        init = keras.initializers.GlorotUniform(seed=seed + k)
        if relu == "argument":
            x = keras.layers.Dense(w, activation="relu", kernel_initializer=init)(x)
        elif relu == "Activation":
            x = keras.layers.Activation("relu")(keras.layers.Dense(w, kernel_initializer=init)(x))
        elif relu == "ReLU":
            x = keras.layers.ReLU()(keras.layers.Dense(w, kernel_initializer=init)(x))
        else:
            x = keras.layers.Dense(w, kernel_initializer=init)(x)
    x = keras.layers.Dense(1, activation=output_activation)(x)
    if after_output is not None:
        x = after_output(x)
    inputs = (
        {"features": features, "item_idx": item_idx}
        if inputs_as == "dict"
        else [features, item_idx]
        if inputs_as == "list"
        else features
    )
    model = keras.Model(inputs, x)
    if compile:
        model.compile(
            optimizer=getattr(keras.optimizers, optimizer)(learning_rate=learning_rate), loss=loss
        )
    return model


def test_6_2_solution_passes():
    assert check_6_2(_mlp)


def _loss(name):
    import keras

    return {"function": keras.losses.mean_squared_error, "object": keras.losses.MeanSquaredError()}[
        name
    ]


def _relu_layer():
    import keras

    return keras.layers.ReLU()


@pytest.mark.parametrize(
    "switches",
    [
        {"loss": "MSE"},
        {"loss": "mean_squared_error"},
        {"loss": "function"},
        {"loss": "object"},
        {"relu": "Activation"},
        {"relu": "ReLU"},
        {"inputs_as": "list"},
    ],
    ids=[
        "MSE",
        "mean_squared_error",
        "loss function",
        "loss object",
        "Activation('relu')",
        "ReLU()",
        "inputs as a list",
    ],
)
def test_6_2_equivalent_spellings_pass(switches):
    if switches.get("loss") in ("function", "object"):
        switches = switches | {"loss": _loss(switches["loss"])}

    def build(X, n_items, seed=0):
        return _mlp(X, n_items, seed, **switches)

    assert check_6_2(build)


@pytest.mark.parametrize(
    "switches, match",
    [
        ({"widths": (32, 64)}, "widths"),
        ({"adapt": False}, "adapt"),
        ({"learning_rate": 1e-2}, "learning rate"),
        ({"loss": "mae"}, "loss='mse'"),
        ({"relu": None}, "without ReLU"),
        ({"output_activation": "sigmoid"}, "between 0 and 1"),
        ({"compile": False}, "uncompiled"),
        ({"after_output": "ReLU"}, "no activation"),
        ({"optimizer": "SGD"}, "Adam"),
        ({"use_items": False}, "same rating"),
        ({"use_features": False}, "features must reach"),
        ({"rows": 6}, "one row per item"),
        ({"width": 4}, "8 numbers per row"),
        ({"use_items": False, "inputs_as": "features only"}, "two inputs"),
    ],
    ids=[
        "widths",
        "not adapted",
        "learning rate",
        "mae",
        "no relu",
        "sigmoid output",
        "uncompiled",
        "ReLU() after the output",
        "SGD",
        "item not used",
        "features not used",
        "table too small",
        "width 4",
        "the lesson's one-input model",
    ],
)
def test_6_2_mistakes_fail(switches, match):
    if switches.get("after_output") == "ReLU":
        switches = switches | {"after_output": _relu_layer()}

    def build(X, n_items, seed=0):
        return _mlp(X, n_items, seed, **switches)

    with pytest.raises(CheckFailed, match=match):
        check_6_2(build)


def train_step(model, optimizer, x, y, clip_norm):
    import tensorflow as tf

    y = tf.reshape(tf.cast(y, "float32"), (-1, 1))
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.square(y - model(x, training=True)))
    grads = tape.gradient(loss, model.trainable_variables)
    clipped, norm = tf.clip_by_global_norm(grads, clip_norm)
    optimizer.apply_gradients(zip(clipped, model.trainable_variables, strict=True))
    return float(loss), float(norm)


def _step(
    model,
    optimizer,
    x,
    y,
    clip_norm,
    *,
    target="reshape",
    loss="mean",
    clip="global",
    norm="before",
    apply="apply_gradients",
    loss_when="before",
    returns="floats",
):
    """The 6.3 answer, with switches for the equivalent spellings and the plausible mistakes."""
    import keras
    import tensorflow as tf

    y_used = y if target == "as given" else keras.ops.reshape(y, (-1, 1))
    with tf.GradientTape() as tape:
        y_pred = model(x, training=True)
        if loss == "keras loss":
            value = keras.losses.MeanSquaredError()(y, y_pred)  # squeezes (16,) vs (16, 1)
        elif loss == "sum":
            value = tf.reduce_sum(tf.square(y_used - y_pred))
        else:
            value = keras.ops.mean(keras.ops.square(y_used - y_pred))
    grads = tape.gradient(value, model.trainable_variables)
    global_norm = tf.linalg.global_norm(grads)
    if clip == "global":
        new, _ = tf.clip_by_global_norm(grads, clip_norm)
    elif clip == "by hand":
        scale = keras.ops.minimum(
            1.0, clip_norm / keras.ops.sqrt(sum(keras.ops.sum(g * g) for g in grads))
        )
        new = [g * scale for g in grads]
    elif clip == "per tensor":
        new = [tf.clip_by_norm(g, clip_norm) for g in grads]
    elif clip == "by value":
        new = [tf.clip_by_value(g, -clip_norm, clip_norm) for g in grads]
    elif clip == "always rescale":
        new = [g * clip_norm / global_norm for g in grads]
    else:
        new = grads
    if apply == "apply_gradients":
        optimizer.apply_gradients(zip(new, model.trainable_variables, strict=True))
    elif apply == "apply":
        optimizer.apply(new, model.trainable_variables)
    reported = {
        "before": global_norm,
        "after": tf.linalg.global_norm(new),
        "squared": global_norm**2,
        "sum of norms": sum(tf.norm(g) for g in grads),
    }[norm]
    if loss_when == "after":
        value = keras.ops.mean(keras.ops.square(keras.ops.reshape(y, (-1, 1)) - model(x)))
    if returns == "tensors":
        return value, reported
    if returns == "numpy list":
        return [keras.ops.convert_to_numpy(value), keras.ops.convert_to_numpy(reported)]
    if returns == "loss only":
        return float(value)
    return float(value), float(reported)


def test_6_3_solution_passes():
    assert check_6_3(train_step)


@pytest.mark.parametrize(
    "switches",
    [
        {},
        {"clip": "by hand"},
        {"loss": "keras loss"},
        {"apply": "apply"},
        {"returns": "tensors"},
        {"returns": "numpy list"},
    ],
    ids=[
        "keras.ops + clip_by_global_norm",
        "clipping written out",
        "keras MeanSquaredError",
        "optimizer.apply",
        "tensors returned",
        "NumPy list returned",
    ],
)
def test_6_3_equivalent_spellings_pass(switches):
    def step(model, optimizer, x, y, clip_norm):
        return _step(model, optimizer, x, y, clip_norm, **switches)

    assert check_6_3(step)


@pytest.mark.parametrize(
    "switches, match",
    [
        ({"clip": "none"}, "unclipped gradient"),
        ({"clip": "per tensor"}, "clipped on its own"),
        ({"clip": "by value"}, "clip_by_value"),
        ({"clip": "always rescale"}, "only shrinks"),
        ({"apply": "none"}, "did not change"),
        ({"norm": "after"}, "norm after clipping"),
        ({"norm": "squared"}, "squared norm"),
        ({"norm": "sum of norms"}, "sum of the per-tensor norms"),
        ({"loss_when": "after"}, r"loss \*after\* the step"),
        ({"target": "as given"}, "broadcast"),
        ({"loss": "sum"}, "summed"),
        ({"returns": "loss only"}, "two numbers"),
    ],
    ids=[
        "no clipping",
        "clip_by_norm per tensor",
        "clip_by_value",
        "always rescaled",
        "no update",
        "norm after clipping",
        "squared norm",
        "sum of norms",
        "loss after the step",
        "(16,) against (16, 1)",
        "summed loss",
        "loss only",
    ],
)
def test_6_3_mistakes_fail_with_hints(switches, match):
    def step(model, optimizer, x, y, clip_norm):
        return _step(model, optimizer, x, y, clip_norm, **switches)

    with pytest.raises(CheckFailed, match=match):
        check_6_3(step)


def test_6_3_reference_matches_clip_by_global_norm():
    """The private reference agrees with TensorFlow's own clipping, clipped or not."""
    import keras

    from course_lib.checks._ch06_step import _step_data, _tiny_model, _train_step_ref

    X, y = _step_data()
    for clip_norm in (1.0, 10.0):
        ref, tf_model = _tiny_model(), _tiny_model()
        ref_out = _train_step_ref(ref, keras.optimizers.SGD(learning_rate=0.1), X, y, clip_norm)
        tf_out = train_step(tf_model, keras.optimizers.SGD(learning_rate=0.1), X, y, clip_norm)
        assert np.allclose(ref_out, tf_out, rtol=1e-6)
        for a, b in zip(ref.get_weights(), tf_model.get_weights(), strict=True):
            assert np.allclose(a, b, atol=1e-6)
    assert ref_out[1] > 1.0, "the first case clips: the norm is larger than 1.0"


def test_untouched_stub_passes_through():
    """The raw check lets the stub's error through; the exported one prints 'not started'."""

    def stub(*args, **kwargs):
        raise NotImplementedError("Exercise 6.2: ...")

    for check in (check_6_1, check_6_2, check_6_3):
        with pytest.raises(NotImplementedError):
            check.__wrapped_check__(stub)
        assert not check(stub)
