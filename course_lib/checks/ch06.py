"""Self-checks for chapter 06, the Keras rating predictor.

TensorFlow is imported inside the checks that need it, never at import time.
"""

from __future__ import annotations

import numpy as np

from course_lib.checks._core import (
    Case, call_student, fail, passed, require_callable, run_cases,
)

__all__ = ["check_6_1", "check_6_2", "check_6_3"]


def _user_bias_reference(r, mu, item_bias, user_idx, n_users, reg):
    num = np.bincount(user_idx, r - mu - item_bias, minlength=n_users)
    return num / (reg + np.bincount(user_idx, minlength=n_users))


def check_6_1(user_biases):
    """``user_biases(r, mu, item_bias, user_idx, n_users, reg)``: the closed-form ridge step."""
    r = np.array([5.0, 3.0, 4.0, 2.0, 1.0])
    item_bias = np.array([0.5, -0.5, 0.5, -0.5, 0.0])
    user_idx = np.array([0, 0, 1, 1, 2])
    cases = []
    for reg in (0.5, 2.0):
        args = (r, 3.0, item_bias, user_idx, 4, reg)   # user 3 has no rating: bias 0
        cases.append(Case(args=args, expected=_user_bias_reference(*args),
                          note="b_u = sum over u's ratings of (r - mu - b_i), divided by "
                               "(reg + number of u's ratings)"))
    rng = np.random.default_rng(6)
    u = rng.integers(0, 6, 40)
    args = (rng.integers(1, 6, 40).astype(float), 3.2, rng.normal(0, 0.3, 40), u, 6, 5.0)
    cases.append(Case(args=args, expected=_user_bias_reference(*args)))

    def forgot_reg(got, case):
        a = case.args
        with np.errstate(invalid="ignore", divide="ignore"):
            ref = _user_bias_reference(*a[:5], 0.0)
        got = np.asarray(got, dtype=float)
        seen = np.bincount(a[3], minlength=a[4]) > 0
        return got.shape == ref.shape and np.allclose(got[seen], ref[seen])

    def forgot_item_bias(got, case):
        a = case.args
        return np.allclose(got, _user_bias_reference(a[0], a[1], np.zeros_like(a[2]), *a[3:]))

    def forgot_minlength(got, case):
        return np.ndim(got) == 1 and len(got) < case.args[4]

    return run_cases("6.1", user_biases, cases, hints=[
        (forgot_minlength, "np.bincount stops at the largest user_idx present: pass "
                           "minlength=n_users so that users without ratings get a bias of 0"),
        (forgot_reg, "the regularisation reg is missing from the denominator"),
        (forgot_item_bias, "subtract the item bias of each rating, not only mu"),
    ])


def _followed_by_relu(layer, layers, keras) -> bool:
    """True if a Dense layer's output goes through a ReLU: its own activation or the next layer."""
    if getattr(layer.activation, "__name__", "") == "relu":
        return True
    position = layers.index(layer)
    nxt = layers[position + 1] if position + 1 < len(layers) else None
    if isinstance(nxt, keras.layers.ReLU):
        return float(getattr(nxt, "negative_slope", 0.0) or 0.0) == 0.0
    return (isinstance(nxt, keras.layers.Activation)
            and getattr(nxt.activation, "__name__", "") == "relu")


_Y_TRUE = np.array([[1.0], [2.0], [3.0], [4.0]], dtype="float32")
_Y_PRED = np.array([[1.5], [2.0], [1.0], [5.0]], dtype="float32")


def _is_mse(loss, keras) -> bool:
    """True if the compiled loss computes the mean squared error, however it is spelled."""
    try:
        fn = keras.losses.get(loss) if isinstance(loss, str) else loss
        value = float(np.mean(keras.ops.convert_to_numpy(fn(_Y_TRUE, _Y_PRED))))
    except Exception:  # noqa: BLE001 - a loss we cannot evaluate is reported as "not the MSE"
        return False
    return bool(np.isclose(value, np.mean((_Y_TRUE - _Y_PRED) ** 2), rtol=1e-5))


def check_6_2(build_mlp):
    """``build_mlp(X_train, seed)``: Normalization adapted on X_train -> 64 -> 32 -> 1, compiled.

    What is judged is what the model computes, not how it is spelled:
    ``Dense(64, activation="relu")`` and ``Dense(64)`` followed by ``ReLU()`` or
    ``Activation("relu")`` are the same network, and ``loss="mse"``, ``"MSE"``,
    ``keras.losses.mean_squared_error`` and ``keras.losses.MeanSquaredError()``
    the same loss.
    """
    require_callable("6.2", build_mlp, "build_mlp")
    import keras

    X = np.random.default_rng(0).normal([40.0, 50.0, 2.0], [12.0, 20.0, 1.0], size=(300, 3))
    call = "build_mlp(X_train, seed=0)"
    model = call_student("6.2", build_mlp, X.astype("float32"), seed=0, call=call)
    if not isinstance(model, keras.Model):
        fail("6.2", call, f"a {type(model).__name__}, not a keras.Model",
             hint="return the model itself (keras.Model(inputs, outputs) or keras.Sequential)")
    if model.output_shape != (None, 1):
        fail("6.2", call, f"a model whose output shape is {model.output_shape}",
             expected=(None, 1), got=model.output_shape,
             hint="end with keras.layers.Dense(1) and no activation (a rating is a number)")
    layers = list(model.layers)
    dense = [layer for layer in layers if isinstance(layer, keras.layers.Dense)]
    widths = [layer.units for layer in dense]
    if widths != [64, 32, 1]:
        fail("6.2", call, f"Dense layers of widths {widths}", expected=[64, 32, 1], got=widths)
    if not all(_followed_by_relu(layer, layers, keras) for layer in dense[:2]):
        fail("6.2", call, "hidden layers without ReLU",
             hint="activation='relu' on the 64 and 32 layers (or a ReLU() layer after each)")
    last = dense[-1]
    after_last = layers[layers.index(last) + 1:]
    squashing = getattr(last.activation, "__name__", "linear")
    if squashing == "linear" and after_last:
        nxt = after_last[0]
        squashing = (getattr(nxt.activation, "__name__", "?")
                     if isinstance(nxt, keras.layers.Activation) else type(nxt).__name__)
    if squashing != "linear":
        squeeze = ("a sigmoid can only output values between 0 and 1"
                   if squashing == "sigmoid" else f"{squashing} limits the range of the output")
        fail("6.2", call, f"a model whose output layer has activation {squashing!r}",
             hint=f"a rating of 1-5 stars is a number, not a probability: {squeeze}; "
                  "use keras.layers.Dense(1) with no activation")
    norms = [layer for layer in layers if isinstance(layer, keras.layers.Normalization)]
    if not norms:
        fail("6.2", call, "a model without a keras.layers.Normalization layer",
             hint="normalise inside the model so the statistics are saved with it")
    mean = np.asarray(norms[0].mean).ravel()
    if not np.allclose(mean, X.mean(axis=0), rtol=1e-3):
        fail("6.2", call, "a Normalization layer whose mean is not the mean of X_train",
             expected=X.mean(axis=0), got=mean, hint="call norm.adapt(X_train) before using it")
    optimizer, loss = getattr(model, "optimizer", None), getattr(model, "loss", None)
    if optimizer is None or loss is None:
        fail("6.2", call, "an uncompiled model", hint="call model.compile(optimizer=keras."
             "optimizers.Adam(learning_rate=1e-3), loss='mse') before returning the model")
    if not _is_mse(loss, keras):
        fail("6.2", call, f"a model compiled with loss {loss!r}",
             hint="a rating predictor minimises the mean squared error: loss='mse'")
    if not isinstance(optimizer, keras.optimizers.Adam):
        fail("6.2", call, f"a {type(optimizer).__name__} optimizer",
             hint="keras.optimizers.Adam(learning_rate=1e-3)")
    lr = float(optimizer.learning_rate.numpy())
    if not np.isclose(lr, 1e-3):
        fail("6.2", call, f"an optimizer with learning rate {lr}", expected=1e-3, got=lr)
    return passed("6.2", getattr(build_mlp, "__name__", "build_mlp"), 1)


def check_6_3(train_step):
    """``train_step(model, optimizer, x, y) -> float``: one GradientTape step, mean MSE."""
    require_callable("6.3", train_step, "train_step")
    import keras
    import tensorflow as tf

    rng = np.random.default_rng(3)
    X = rng.normal(size=(16, 3)).astype("float32")
    y = rng.normal(3.0, 1.0, size=16).astype("float32")       # shape (16,) on purpose

    def make():
        inputs = keras.Input(shape=(3,))
        h = keras.layers.Dense(4, activation="relu",
                               kernel_initializer=keras.initializers.GlorotUniform(seed=1))(inputs)
        out = keras.layers.Dense(1, kernel_initializer=keras.initializers.GlorotUniform(seed=2),
                                 bias_initializer=keras.initializers.Constant(3.0))(h)
        return keras.Model(inputs, out)

    ref_model, model = make(), make()
    ref_opt = keras.optimizers.SGD(learning_rate=0.1)
    with tf.GradientTape() as tape:
        ref_loss = tf.reduce_mean(tf.square(y.reshape(-1, 1) - ref_model(X, training=True)))
    grads = tape.gradient(ref_loss, ref_model.trainable_variables)
    ref_opt.apply_gradients(zip(grads, ref_model.trainable_variables))

    call = "train_step(model, SGD(learning_rate=0.1), X of shape (16, 3), y of shape (16,))"
    got = call_student("6.3", train_step, model, keras.optimizers.SGD(learning_rate=0.1), X, y,
                       call=call)
    try:
        got_loss = float(got)
    except (TypeError, ValueError):
        fail("6.3", call, f"{type(got).__name__}, not the loss as a number",
             hint="return float(loss)")
    if not np.isclose(got_loss, float(ref_loss), rtol=1e-4):
        hint = ""
        with_bug = float(tf.reduce_mean(tf.square(y - make()(X))))   # (16,16)
        if np.isclose(got_loss, with_bug, rtol=1e-3):
            hint = ("y has shape (16,) and the prediction (16, 1): y - y_pred broadcast to "
                    "(16, 16); reshape y to (-1, 1)")
        elif np.isclose(got_loss, 16 * float(ref_loss), rtol=1e-4):
            hint = "you summed the squared errors; the MSE is their mean"
        elif np.isclose(got_loss, float(tf.reduce_mean(tf.square(y.reshape(-1, 1) - ref_model(X)))),
                        rtol=1e-4):
            hint = ("that is the loss *after* the step: return the loss computed inside the "
                    "tape, before optimizer.apply_gradients")
        fail("6.3", call, "a loss that is not the mean squared error before the step",
             expected=float(ref_loss), got=got_loss, hint=hint)
    diff = max(float(np.max(np.abs(a - b)))
               for a, b in zip(model.get_weights(), ref_model.get_weights()))
    if diff > 1e-5:
        unchanged = all(np.allclose(a, b) for a, b in zip(model.get_weights(), make().get_weights()))
        fail("6.3", call, "weights that differ from one correct gradient step",
             hint="call optimizer.apply_gradients(zip(grads, model.trainable_variables))"
             if unchanged else "differentiate the mean loss (a scalar) with tape.gradient, "
             "with y reshaped to (batch, 1)")
    return passed("6.3", "train_step", 1)
