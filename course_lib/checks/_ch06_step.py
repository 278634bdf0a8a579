"""The fixed network, data and reference of exercise 6.3 (one clipped gradient step), and the
hints that name a wrong step from what it returned or applied.

Private to :mod:`course_lib.checks.ch06`; TensorFlow is imported inside the functions.
"""

from __future__ import annotations

from typing import Any

import numpy as np

_CLIP_CASES = (1.0, 10.0)  # the gradient's global norm is 3.29: clipping bites, then not at all
_LR = 0.1


def _tiny_model() -> Any:
    """The fixed 3 -> 4 ReLU -> 1 network of exercise 6.3, the same weights at every call."""
    import keras

    inputs = keras.Input(shape=(3,))
    h = keras.layers.Dense(
        4, activation="relu", kernel_initializer=keras.initializers.GlorotUniform(seed=1)
    )(inputs)
    out = keras.layers.Dense(
        1,
        kernel_initializer=keras.initializers.GlorotUniform(seed=2),
        bias_initializer=keras.initializers.Constant(3.0),
    )(h)
    return keras.Model(inputs, out)


def _step_data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    X = rng.normal(size=(16, 3)).astype("float32")
    y = rng.normal(3.0, 1.0, size=16).astype("float32")  # shape (16,) on purpose
    return X, y


def _gradients(
    model: Any, x: np.ndarray, y: np.ndarray, *, broadcast: bool = False
) -> tuple[float, list[np.ndarray]]:
    """The mean squared error of ``model`` on ``(x, y)`` and its gradient, as NumPy arrays."""
    import keras
    import tensorflow as tf

    target = y if broadcast else keras.ops.reshape(y, (-1, 1))
    with tf.GradientTape() as tape:
        loss = keras.ops.mean(keras.ops.square(target - model(x, training=True)))
    grads = tape.gradient(loss, model.trainable_variables)
    return float(loss), [keras.ops.convert_to_numpy(g) for g in grads]


def _global_norm(grads: list[np.ndarray]) -> float:
    return float(np.sqrt(sum(float(np.sum(np.square(g, dtype=np.float64))) for g in grads)))


def _train_step_ref(
    model: Any, optimizer: Any, x: np.ndarray, y: np.ndarray, clip_norm: float
) -> tuple[float, float]:
    """One clipped step, the reference: Keras ops, ``GradientTape``, one scale for all tensors."""
    import keras
    import tensorflow as tf

    target = keras.ops.reshape(keras.ops.cast(y, "float32"), (-1, 1))
    with tf.GradientTape() as tape:
        loss = keras.ops.mean(keras.ops.square(target - model(x, training=True)))
    grads = tape.gradient(loss, model.trainable_variables)
    norm = keras.ops.sqrt(sum(keras.ops.sum(keras.ops.square(g)) for g in grads))
    scale = keras.ops.minimum(1.0, clip_norm / norm)
    optimizer.apply_gradients(
        zip([g * scale for g in grads], model.trainable_variables, strict=True)
    )
    return float(loss), float(norm)


def _is_two_numbers(got: Any) -> bool:
    """True if ``got`` is a pair of numbers (floats, NumPy or tensor scalars)."""
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        return False
    try:
        float(np.asarray(got[0])), float(np.asarray(got[1]))
    except (TypeError, ValueError):
        return False
    return True


def _loss_hint(
    got_loss: float, ref_loss: float, ref_model: Any, X: np.ndarray, y: np.ndarray
) -> str:
    """Name the mistake behind a wrong loss (``ref_model`` has taken the reference step)."""
    broadcast_loss, _ = _gradients(_tiny_model(), X, y, broadcast=True)
    after, _ = _gradients(ref_model, X, y)
    if np.isclose(got_loss, broadcast_loss, rtol=1e-3):
        return (
            "y has shape (16,) and the prediction (16, 1): y - y_pred broadcast to "
            "(16, 16); reshape y to (-1, 1)"
        )
    if np.isclose(got_loss, 16 * ref_loss, rtol=1e-4):
        return "you summed the squared errors; the MSE is their mean"
    if np.isclose(got_loss, after, rtol=1e-4):
        return (
            "that is the loss *after* the step: return the loss computed inside the "
            "tape, before the optimizer changes the weights"
        )
    return ""


def _norm_hint(got_norm: float, ref_norm: float, clip_norm: float, raw: list[np.ndarray]) -> str:
    """Name the mistake behind a wrong global norm (``raw`` is the unclipped gradient)."""
    if np.isclose(got_norm, min(ref_norm, clip_norm), rtol=1e-4):
        return (
            "that is the norm after clipping: return the norm of the gradient as "
            "tape.gradient gave it (what you would log to see how often clipping bites)"
        )
    if np.isclose(got_norm, ref_norm**2, rtol=1e-4):
        return "that is the squared norm: take its square root"
    if np.isclose(got_norm, sum(float(np.linalg.norm(g)) for g in raw), rtol=1e-4):
        return (
            "that is the sum of the per-tensor norms; the global norm is the norm of "
            "all gradient entries together: sqrt of the sum of the squared norms"
        )
    return "the global norm is sqrt(sum over all tensors of the sum of their squares)"


def _same_arrays(a: list[np.ndarray], b: list[np.ndarray], atol: float = 1e-4) -> bool:
    return len(a) == len(b) and all(
        x.shape == y.shape and np.allclose(x, y, rtol=1e-3, atol=atol)
        for x, y in zip(a, b, strict=True)
    )


def _clipping_hint(
    applied: list[np.ndarray], raw: list[np.ndarray], raw_norm: float, clip_norm: float
) -> str:
    """Name the mistake behind a wrong step from the gradient it applied (weight change / lr)."""
    if all(np.allclose(g, 0.0, atol=1e-7) for g in applied):
        return (
            "the weights did not change: apply the clipped gradient with "
            "optimizer.apply_gradients(zip(clipped, model.trainable_variables))"
        )
    if _same_arrays(applied, raw):
        return (
            "that is the unclipped gradient: rescale it by min(1, clip_norm / norm) "
            "(tf.clip_by_global_norm(grads, clip_norm)) and apply the result"
        )
    per_tensor = [g * min(1.0, clip_norm / float(np.linalg.norm(g))) for g in raw]
    if _same_arrays(applied, per_tensor):
        return (
            "each tensor was clipped on its own (tf.clip_by_norm), which changes the gradient's "
            "direction; clip by the *global* norm, one scale for all tensors: "
            "tf.clip_by_global_norm(grads, clip_norm)"
        )
    if _same_arrays(applied, [np.clip(g, -clip_norm, clip_norm) for g in raw]):
        return (
            "tf.clip_by_value clips each entry and changes the gradient's direction; "
            "clip by the global norm: tf.clip_by_global_norm(grads, clip_norm)"
        )
    if _same_arrays(applied, [g * (clip_norm / raw_norm) for g in raw]):
        return (
            "the gradient was rescaled to norm clip_norm although it was shorter: clipping "
            "only shrinks, the scale is min(1, clip_norm / norm)"
        )
    return (
        "apply exactly the clipped gradient of the mean squared error, with y reshaped to "
        "(batch, 1), once"
    )
