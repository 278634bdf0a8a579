r"""Elastic Weight Consolidation: the penalty, its gradient and the diagonal Fisher estimate.

Explained in chapter 09 (``notebooks/09_incremental_updates.ipynb``, where the
lesson writes the penalty :math:`\frac{\lambda}{2}\sum_k F_k (w_k - w^*_k)^2`
in one line and checks it against :func:`ewc_penalty`); used by
:class:`course_lib.continual.strategies.EWC`.

:func:`ewc_penalty` and :func:`ewc_gradient` are NumPy; :func:`fisher_diagonal`
and :func:`ewc_regularizer` import TensorFlow / Keras only when called.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from course_lib.core.validation import (
    argument_error,
    as_generator,
    check_array,
    check_frame,
    check_int,
    check_number,
)

__all__ = ["ewc_penalty", "ewc_gradient", "fisher_diagonal", "ewc_regularizer"]


def _as_arrays(
    weights: Sequence[ArrayLike],
    anchor: Sequence[ArrayLike],
    fisher: Sequence[ArrayLike],
    where: str,
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """The three lists as float arrays, array by array, after checking that they match."""
    fix = "pass one array per weight array, in the order of model.get_weights()"
    for name, value in (("anchor", anchor), ("fisher", fisher)):
        if len(value) != len(weights):
            raise argument_error(
                where,
                name,
                value,
                f"a list of as many arrays as weights ({len(weights)}), got {len(value)}",
                fix,
            )
    out = []
    for k, (w, a, f) in enumerate(zip(weights, anchor, fisher, strict=False)):
        w = check_array(w, f"weights[{k}]", where, allow_empty=True)
        a = check_array(a, f"anchor[{k}]", where, allow_empty=True)
        f = check_array(f, f"fisher[{k}]", where, allow_empty=True)
        for name, x in ((f"anchor[{k}]", a), (f"fisher[{k}]", f)):
            if x.shape != w.shape:
                raise argument_error(
                    where, name, x, f"of the shape of weights[{k}] {w.shape}, got {x.shape}", fix
                )
        out.append((w, a, f))
    return out


def ewc_penalty(
    weights: Sequence[ArrayLike],
    anchor: Sequence[ArrayLike],
    fisher: Sequence[ArrayLike],
    lam: float,
) -> float:
    r"""The EWC penalty :math:`\frac{\lambda}{2}\sum_k F_k (w_k - w^*_k)^2`.

    ``weights``, ``anchor`` (the weights after the previous update, :math:`w^*`)
    and ``fisher`` (the diagonal Fisher estimate :math:`F`) are lists of arrays
    of matching shapes, as returned by ``model.get_weights()``.

    >>> w, a, f = [np.array([1.0, 2.0])], [np.array([0.0, 2.0])], [np.array([3.0, 5.0])]
    >>> ewc_penalty(w, a, f, lam=2.0)
    3.0
    """
    lam = check_number(lam, "lam", "ewc_penalty", low=0)
    arrays = _as_arrays(weights, anchor, fisher, "ewc_penalty")
    return float(0.5 * lam * sum(np.sum(f * (w - a) ** 2) for w, a, f in arrays))


def ewc_gradient(
    weights: Sequence[ArrayLike],
    anchor: Sequence[ArrayLike],
    fisher: Sequence[ArrayLike],
    lam: float,
) -> list[np.ndarray]:
    r"""Gradient of :func:`ewc_penalty` with respect to the weights: :math:`\lambda F (w - w^*)`.

    >>> w, a, f = [np.array([1.0, 2.0])], [np.array([0.0, 2.0])], [np.array([3.0, 5.0])]
    >>> ewc_gradient(w, a, f, lam=2.0)[0].tolist()
    [6.0, 0.0]
    """
    lam = check_number(lam, "lam", "ewc_gradient", low=0)
    return [lam * f * (w - a) for w, a, f in _as_arrays(weights, anchor, fisher, "ewc_gradient")]


def fisher_diagonal(
    model: Any,
    df: pd.DataFrame,
    *,
    n_samples: int = 512,
    chunk: int = 128,
    seed: int | np.random.Generator = 0,
) -> list[np.ndarray]:
    r"""Diagonal empirical Fisher of a Keras rating model on (a sample of) ``df``.

    :math:`F_k = \frac{1}{n}\sum_i \big(\partial \ell_i / \partial w_k\big)^2` with
    :math:`\ell_i = (y_i - \hat y_i)^2`, the per-example squared error, over at
    most ``n_samples`` rows.  A weight the old data's predictions depend on
    strongly gets a large :math:`F_k`; a weight they ignore (the embedding row
    of a user absent from the sample) gets 0 and stays free to move.  One array
    per ``model.trainable_variables``; ``model`` is a
    :class:`~course_lib.models.RatingModel` (anything with ``trainable_variables``,
    ``keras_model`` and ``inputs(df)``).
    """
    import tensorflow as tf

    check_frame(df, "df", "fisher_diagonal", columns=("user_id", "item_id", "rating"))
    n_samples = check_int(n_samples, "n_samples", "fisher_diagonal", minimum=1)
    chunk = check_int(chunk, "chunk", "fisher_diagonal", minimum=1)
    rng = as_generator(seed, "fisher_diagonal")
    if len(df) == 0:
        raise argument_error(
            "fisher_diagonal",
            "df",
            df,
            "a non-empty DataFrame",
            "pass the data of the period whose knowledge EWC should protect",
        )
    if len(df) > n_samples:
        df = df.iloc[np.sort(rng.choice(len(df), size=n_samples, replace=False))]
    variables = model.trainable_variables
    total = [np.zeros(v.shape, dtype=np.float64) for v in variables]
    inputs, y = model.inputs(df), df["rating"].to_numpy(dtype="float32")
    for start in range(0, len(df), chunk):
        part = {k: tf.constant(v[start : start + chunk]) for k, v in inputs.items()}
        target = tf.constant(y[start : start + chunk])
        with tf.GradientTape() as tape:
            pred = tf.reshape(model.keras_model(part, training=False), [-1])
            losses = tf.square(target - pred)
        jac = tape.jacobian(losses, variables, experimental_use_pfor=True)
        for k, j in enumerate(jac):
            if j is not None:
                total[k] += np.sum(np.square(tf.convert_to_tensor(j).numpy()), axis=0)
    return [t / len(df) for t in total]


def ewc_regularizer(anchor: Any, fisher: Any, lam: float) -> Callable[[Any], Any]:
    r"""A Keras regularizer ``w -> lam/2 * sum(F * (w - anchor)^2)`` for one variable.

    ``anchor`` and ``fisher`` are (non-trainable) ``keras.Variable`` objects of
    the variable's shape, so :class:`~course_lib.continual.strategies.EWC` can
    move them after each update without rebuilding the training function.  It
    computes, in Keras ops, the term of :func:`ewc_penalty` that belongs to one
    weight array.
    """
    import keras

    lam = check_number(lam, "lam", "ewc_regularizer", low=0)

    class EWCRegularizer(keras.regularizers.Regularizer):
        def __call__(self, w: Any) -> Any:
            ops = keras.ops
            return 0.5 * lam * ops.sum(fisher * ops.square(w - anchor))

        def get_config(self) -> dict[str, float]:
            return {"lam": lam}

    return EWCRegularizer()
