"""Self-checks for chapter 06, the Keras rating predictor.

TensorFlow is imported inside the checks that need it, never at import time; to mypy
Keras models, layers and optimizers are ``Any`` (Keras ships no stubs).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from course_lib.checks._ch06_step import (
    _CLIP_CASES,
    _LR,
    _clipping_hint,
    _global_norm,
    _gradients,
    _is_two_numbers,
    _loss_hint,
    _norm_hint,
    _same_arrays,
    _step_data,
    _tiny_model,
    _train_step_ref,
)
from course_lib.checks._core import (
    Case,
    CheckResult,
    call_student,
    fail,
    passed,
    require_callable,
    run_cases,
    show_value,
)

__all__ = ["check_6_1", "check_6_2", "check_6_3"]


def _user_bias_ref(
    r: np.ndarray, mu: float, item_bias: np.ndarray, user_idx: np.ndarray, n_users: int, reg: float
) -> np.ndarray:
    num = np.bincount(user_idx, r - mu - item_bias, minlength=n_users)
    return num / (reg + np.bincount(user_idx, minlength=n_users))


def check_6_1(user_biases: Callable[..., Any]) -> CheckResult:
    """``user_biases(r, mu, item_bias, user_idx, n_users, reg)``: the closed-form ridge step."""
    r = np.array([5.0, 3.0, 4.0, 2.0, 1.0])
    item_bias = np.array([0.5, -0.5, 0.5, -0.5, 0.0])
    user_idx = np.array([0, 0, 1, 1, 2])
    cases: list[Case] = []
    for reg in (0.5, 2.0):
        args = (r, 3.0, item_bias, user_idx, 4, reg)  # user 3 has no rating: bias 0
        cases.append(
            Case(
                args=args,
                expected=_user_bias_ref(*args),
                note="b_u = sum over u's ratings of (r - mu - b_i), divided by "
                "(reg + number of u's ratings)",
            )
        )
    rng = np.random.default_rng(6)
    u = rng.integers(0, 6, 40)
    args = (rng.integers(1, 6, 40).astype(float), 3.2, rng.normal(0, 0.3, 40), u, 6, 5.0)
    cases.append(Case(args=args, expected=_user_bias_ref(*args)))

    def forgot_reg(got: Any, case: Case) -> bool:
        a = case.args
        with np.errstate(invalid="ignore", divide="ignore"):
            ref = _user_bias_ref(a[0], a[1], a[2], a[3], a[4], 0.0)
        got = np.asarray(got, dtype=float)
        seen = np.bincount(a[3], minlength=a[4]) > 0
        return bool(got.shape == ref.shape and np.allclose(got[seen], ref[seen]))

    def forgot_item_bias(got: Any, case: Case) -> bool:
        a = case.args
        return bool(np.allclose(got, _user_bias_ref(a[0], a[1], np.zeros_like(a[2]), *a[3:])))

    def forgot_minlength(got: Any, case: Case) -> bool:
        return bool(np.ndim(got) == 1 and len(got) < case.args[4])

    return run_cases(
        "6.1",
        user_biases,
        cases,
        hints=[
            (
                forgot_minlength,
                "np.bincount stops at the largest user_idx present: pass "
                "minlength=n_users so that users without ratings get a bias of 0",
            ),
            (forgot_reg, "the regularisation reg is missing from the denominator"),
            (forgot_item_bias, "subtract the item bias of each rating, not only mu"),
        ],
    )


def _followed_by_relu(layer: Any, layers: list[Any], keras: Any) -> bool:
    """True if a Dense layer's output goes through a ReLU: its own activation or the next layer."""
    if getattr(layer.activation, "__name__", "") == "relu":
        return True
    position = layers.index(layer)
    nxt = layers[position + 1] if position + 1 < len(layers) else None
    if isinstance(nxt, keras.layers.ReLU):
        return float(getattr(nxt, "negative_slope", 0.0) or 0.0) == 0.0
    return (
        isinstance(nxt, keras.layers.Activation)
        and getattr(nxt.activation, "__name__", "") == "relu"
    )


_Y_TRUE = np.array([[1.0], [2.0], [3.0], [4.0]], dtype="float32")
_Y_PRED = np.array([[1.5], [2.0], [1.0], [5.0]], dtype="float32")


def _is_mse(loss: Any, keras: Any) -> bool:
    """True if the compiled loss computes the mean squared error, however it is spelled."""
    try:
        fn = keras.losses.get(loss) if isinstance(loss, str) else loss
        value = float(np.mean(keras.ops.convert_to_numpy(fn(_Y_TRUE, _Y_PRED))))
    except Exception:  # noqa: BLE001 - a loss we cannot evaluate is reported as "not the MSE"
        return False
    return bool(np.isclose(value, np.mean((_Y_TRUE - _Y_PRED) ** 2), rtol=1e-5))


_N_ITEMS = 7


def _predict(
    exercise: str, model: Any, features: np.ndarray, items: np.ndarray, call: str
) -> np.ndarray:
    """The model's predictions for a batch, as a flat NumPy array; a crash is explained."""
    import keras

    try:
        out = model({"features": features, "item_idx": items}, training=False)
        return np.asarray(keras.ops.convert_to_numpy(out), dtype=float).ravel()
    except Exception as exc:  # noqa: BLE001 - the student's model could not run: explain
        fail(
            exercise,
            call,
            f"a model that fails on item rows 0..{_N_ITEMS - 1} ({type(exc).__name__})",
            hint=f"the embedding needs one row per item: keras.layers.Embedding(n_items, 8) "
            f"with n_items={_N_ITEMS} here, on an input of shape () and dtype int32",
        )
        raise  # not reached: fail() raises


def check_6_2(build_mlp: Callable[..., Any]) -> CheckResult:
    """``build_mlp(X_train, n_items, seed)``: the demographics MLP that also sees the item.

    Two inputs, ``"features"`` (normalised by a ``Normalization`` layer adapted on
    ``X_train``) and ``"item_idx"`` (an 8-wide ``Embedding`` with one row per
    item), concatenated, then 64 -> 32 -> 1 and compiled with Adam(1e-3) and the
    MSE.  What is judged is what the model computes, not how it is spelled:
    ``Dense(64, activation="relu")`` and ``Dense(64)`` followed by ``ReLU()`` or
    ``Activation("relu")`` are the same network, inputs given as a dict or a
    list, and ``loss="mse"``, ``"MSE"``, ``keras.losses.mean_squared_error``
    and ``keras.losses.MeanSquaredError()`` the same loss.
    """
    require_callable("6.2", build_mlp, "build_mlp")
    import keras

    X = np.random.default_rng(0).normal([40.0, 50.0, 2.0], [12.0, 20.0, 1.0], size=(300, 3))
    call = f"build_mlp(X_train, n_items={_N_ITEMS}, seed=0)"
    model = call_student("6.2", build_mlp, X.astype("float32"), _N_ITEMS, seed=0, call=call)
    _check_mlp_inputs_outputs(model, call, keras)
    _check_mlp_dense_layers(model, call, keras)
    _check_mlp_lookup_layers(model, X, call, keras)
    _check_mlp_sees_item_and_user(model, X, call)
    _check_mlp_compiled(model, call, keras)
    return passed("6.2", getattr(build_mlp, "__name__", "build_mlp"), 1)


def _check_mlp_inputs_outputs(model: Any, call: str, keras: Any) -> None:
    """6.2: a keras.Model with the inputs "features" and "item_idx", and one number out."""
    if not isinstance(model, keras.Model):
        fail(
            "6.2",
            call,
            f"a {type(model).__name__}, not a keras.Model",
            hint="return the model itself: keras.Model(inputs, outputs)",
        )
    names = sorted(getattr(t, "name", "?") for t in model.inputs)
    if names != ["features", "item_idx"]:
        fail(
            "6.2",
            call,
            f"a model with the inputs {names}",
            expected=["features", "item_idx"],
            got=names,
            hint="two inputs: keras.Input(shape=(n_features,), name='features') and "
            "keras.Input(shape=(), dtype='int32', name='item_idx')",
        )
    if model.output_shape != (None, 1):
        fail(
            "6.2",
            call,
            f"a model whose output shape is {model.output_shape}",
            expected=(None, 1),
            got=model.output_shape,
            hint="end with keras.layers.Dense(1) and no activation (a rating is a number)",
        )


def _check_mlp_dense_layers(model: Any, call: str, keras: Any) -> None:
    """6.2: Dense 64 -> 32 -> 1, ReLU on the hidden layers, nothing squashing the output."""
    layers = list(model.layers)
    dense = [layer for layer in layers if isinstance(layer, keras.layers.Dense)]
    widths = [layer.units for layer in dense]
    if widths != [64, 32, 1]:
        fail("6.2", call, f"Dense layers of widths {widths}", expected=[64, 32, 1], got=widths)
    if not all(_followed_by_relu(layer, layers, keras) for layer in dense[:2]):
        fail(
            "6.2",
            call,
            "hidden layers without ReLU",
            hint="activation='relu' on the 64 and 32 layers (or a ReLU() layer after each)",
        )
    last = dense[-1]
    after_last = layers[layers.index(last) + 1 :]
    squashing = getattr(last.activation, "__name__", "linear")
    if squashing == "linear" and after_last:
        nxt = after_last[0]
        squashing = (
            getattr(nxt.activation, "__name__", "?")
            if isinstance(nxt, keras.layers.Activation)
            else type(nxt).__name__
        )
    if squashing != "linear":
        squeeze = (
            "a sigmoid can only output values between 0 and 1"
            if squashing == "sigmoid"
            else f"{squashing} limits the range of the output"
        )
        fail(
            "6.2",
            call,
            f"a model whose output layer has activation {squashing!r}",
            hint=f"a rating of 1-5 stars is a number, not a probability: {squeeze}; "
            "use keras.layers.Dense(1) with no activation",
        )


def _check_mlp_lookup_layers(model: Any, X: np.ndarray, call: str, keras: Any) -> None:
    """6.2: a Normalization adapted on X_train, and one (n_items, 8) item Embedding."""
    layers = list(model.layers)
    norms = [layer for layer in layers if isinstance(layer, keras.layers.Normalization)]
    if not norms:
        fail(
            "6.2",
            call,
            "a model in which no keras.layers.Normalization layer reaches the output",
            hint="the features must reach the output through a Normalization layer adapted on "
            "X_train, inside the model so that the statistics are saved with it",
        )
    mean = np.asarray(norms[0].mean).ravel()
    if not np.allclose(mean, X.mean(axis=0), rtol=1e-3):
        fail(
            "6.2",
            call,
            "a Normalization layer whose mean is not the mean of X_train",
            expected=X.mean(axis=0),
            got=mean,
            hint="call norm.adapt(X_train) before using it",
        )
    tables = [layer for layer in layers if isinstance(layer, keras.layers.Embedding)]
    dims = [(layer.input_dim, layer.output_dim) for layer in tables]
    if not dims:
        fail(
            "6.2",
            call,
            "a model in which no Embedding layer reaches the output",
            hint="look up the item's row with keras.layers.Embedding(n_items, 8)(item_idx) and "
            "concatenate it with the normalised features; without it every item gets "
            "the same rating",
        )
    if dims != [(_N_ITEMS, 8)]:
        fail(
            "6.2",
            call,
            f"Embedding layers of (rows, width) {dims}",
            expected=[(_N_ITEMS, 8)],
            got=dims,
            hint="one item table with one row per item and 8 numbers per row: "
            "keras.layers.Embedding(n_items, 8)",
        )


def _check_mlp_sees_item_and_user(model: Any, X: np.ndarray, call: str) -> None:
    """6.2: the prediction changes with the item, and with the customer's features."""
    one_user = np.repeat(X[:1], _N_ITEMS, axis=0).astype("float32")
    by_item = _predict("6.2", model, one_user, np.arange(_N_ITEMS, dtype="int32"), call)
    if np.ptp(by_item) < 1e-7:
        fail(
            "6.2",
            call,
            "a model that gives every item the same rating",
            hint="the item embedding must reach the output: concatenate it with the "
            "normalised features, keras.layers.Concatenate()([x, item_vector])",
        )
    by_user = _predict(
        "6.2", model, X[:_N_ITEMS].astype("float32"), np.zeros(_N_ITEMS, dtype="int32"), call
    )
    if np.ptp(by_user) < 1e-7:
        fail(
            "6.2",
            call,
            "a model that gives every customer the same rating for one item",
            hint="the normalised features must reach the output too: concatenate them "
            "with the item embedding",
        )


def _check_mlp_compiled(model: Any, call: str, keras: Any) -> None:
    """6.2: compiled with the MSE (however spelled) and Adam(learning_rate=1e-3)."""
    optimizer, loss = getattr(model, "optimizer", None), getattr(model, "loss", None)
    if optimizer is None or loss is None:
        fail(
            "6.2",
            call,
            "an uncompiled model",
            hint="call model.compile(optimizer=keras."
            "optimizers.Adam(learning_rate=1e-3), loss='mse') before returning the model",
        )
    if not _is_mse(loss, keras):
        fail(
            "6.2",
            call,
            f"a model compiled with loss {loss!r}",
            hint="a rating predictor minimises the mean squared error: loss='mse'",
        )
    if not isinstance(optimizer, keras.optimizers.Adam):
        fail(
            "6.2",
            call,
            f"a {type(optimizer).__name__} optimizer",
            hint="keras.optimizers.Adam(learning_rate=1e-3)",
        )
    lr = float(optimizer.learning_rate.numpy())
    if not np.isclose(lr, 1e-3):
        fail("6.2", call, f"an optimizer with learning rate {lr}", expected=1e-3, got=lr)


def check_6_3(train_step: Callable[..., Any]) -> CheckResult:
    """``train_step(model, optimizer, x, y, clip_norm) -> (loss, norm)``: one clipped step.

    The step computes the mean squared error (``y`` arrives with shape
    ``(batch,)``), its gradient, rescales the whole gradient by
    ``min(1, clip_norm / global_norm)`` and applies it.  It returns the loss and
    the global norm, both from *before* the step and the clipping.  Judged on
    what it does, not how it is spelled: ``tf.clip_by_global_norm``,
    ``tf.linalg.global_norm`` or the norm written out, ``tf`` or ``keras.ops``,
    ``keras.losses.MeanSquaredError()``, ``optimizer.apply`` or
    ``apply_gradients`` all pass.  The optimizer is plain SGD, so the weight
    change divided by the learning rate is exactly the gradient that was applied.
    """
    require_callable("6.3", train_step, "train_step")
    X, y = _step_data()
    _, raw = _gradients(_tiny_model(), X, y)
    for clip_norm in _CLIP_CASES:
        _check_step_case(train_step, X, y, raw, clip_norm)
    return passed("6.3", getattr(train_step, "__name__", "train_step"), len(_CLIP_CASES))


def _check_step_case(
    train_step: Callable[..., Any],
    X: np.ndarray,
    y: np.ndarray,
    raw: list[np.ndarray],
    clip_norm: float,
) -> None:
    """6.3 with one ``clip_norm``: the loss and norm returned, then the step applied."""
    import keras

    ref_model, model = _tiny_model(), _tiny_model()
    before = [w.copy() for w in model.get_weights()]
    ref_loss, ref_norm = _train_step_ref(
        ref_model, keras.optimizers.SGD(learning_rate=_LR), X, y, clip_norm
    )
    call = (
        f"train_step(model, SGD(learning_rate={_LR}), X of shape (16, 3), "
        f"y of shape (16,), clip_norm={clip_norm})"
    )
    got = call_student(
        "6.3",
        train_step,
        model,
        keras.optimizers.SGD(learning_rate=_LR),
        X.copy(),
        y.copy(),
        clip_norm,
        call=call,
    )
    got_loss, got_norm = _loss_and_norm(got, call)
    if not np.isclose(got_loss, ref_loss, rtol=1e-4):
        fail(
            "6.3",
            call,
            "a loss that is not the mean squared error before the step",
            expected=ref_loss,
            got=got_loss,
            hint=_loss_hint(got_loss, ref_loss, ref_model, X, y),
        )
    if not np.isclose(got_norm, ref_norm, rtol=1e-4):
        fail(
            "6.3",
            call,
            "a gradient norm that is not the global norm before clipping",
            expected=ref_norm,
            got=got_norm,
            hint=_norm_hint(got_norm, ref_norm, clip_norm, raw),
        )
    expected = [(a - b) / _LR for a, b in zip(before, ref_model.get_weights(), strict=True)]
    applied = [(a - b) / _LR for a, b in zip(before, model.get_weights(), strict=False)]
    if not _same_arrays(applied, expected):
        fail(
            "6.3",
            call,
            "weights that differ from one clipped gradient step",
            hint=_clipping_hint(applied, raw, _global_norm(raw), clip_norm),
        )


def _loss_and_norm(got: Any, call: str) -> tuple[float, float]:
    """6.3: what ``train_step`` returned, as two floats, or a failure."""
    if not _is_two_numbers(got):
        fail(
            "6.3",
            call,
            show_value(got),
            hint="return two numbers: the loss and the global norm of the gradient, both "
            "from before the step (return float(loss), float(norm))",
        )
    return float(np.asarray(got[0])), float(np.asarray(got[1]))
