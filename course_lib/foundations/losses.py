"""Loss functions and their gradients, in plain numpy, with numerically stable forms.

Explained in chapter 01 (``notebooks/01_loss_functions.ipynb``).  Every loss
returns the **mean over the batch** (Keras's default ``"sum_over_batch_size"``
reduction), and every ``*_gradient`` is the gradient of that mean with
respect to ``y_pred`` (or to the logits when ``from_logits=True``), so the
``1/n`` factor is already in it.  Argument order is ``(y_true, y_pred)``, as
in Keras.

=====================  ====================================  =========================
loss                   use                                   gradient w.r.t. y_pred
=====================  ====================================  =========================
``mse``                ratings (regression)                  ``2 (y_pred - y_true) / n``
``mae`` (``metrics.mae``)  ratings, robust to outliers            ``sign(y_pred - y_true) / n``
``binary_crossentropy``  purchase / no purchase (sigmoid)    ``(sigmoid(z) - y) / n`` (logits)
``categorical_crossentropy``  one category of k (softmax)    ``(softmax(z) - y) / n`` (logits)
=====================  ====================================  =========================

The stable helpers (:func:`log_sigmoid`, :func:`logsumexp`,
:func:`log_softmax`, and ``sigmoid`` / ``softmax`` from
:mod:`course_lib.foundations.activations`) never overflow: they rewrite the formula so that ``exp``
only ever sees numbers <= 0.

>>> import numpy as np
>>> y_true = np.array([4.0, 2.0, 5.0])
>>> y_pred = np.array([3.5, 2.0, 4.0])
>>> round(mse(y_true, y_pred), 4), mae_gradient(y_true, y_pred).round(4).tolist()
(0.4167, [-0.3333, 0.0, -0.3333])
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from course_lib.core.validation import argument_error, check_array, check_number
from course_lib.foundations.activations import sigmoid, softmax

__all__ = [
    "EPSILON",
    "mse",
    "mse_gradient",
    "mae_gradient",
    "log_sigmoid",
    "logsumexp",
    "log_softmax",
    "binary_crossentropy",
    "binary_crossentropy_gradient",
    "categorical_crossentropy",
    "categorical_crossentropy_gradient",
]

EPSILON = 1e-7
"""Keras's ``keras.config.epsilon()``: probabilities are clipped to [EPSILON, 1 - EPSILON]."""


# --------------------------------------------------------------------------- validation
def _check_same_shape(a: np.ndarray, b: np.ndarray, names: tuple[str, str], func: str) -> None:
    """Raise a ValueError when two arrays that must align have different shapes.

    Parameters
    ----------
    a, b : np.ndarray
        The two arrays (already checked with ``check_array``).
    names : tuple of two str
        Their argument names, e.g. ``("y_true", "y_pred")``.
    func : str
        The function that received them, for the message.

    Examples
    --------
    >>> _check_same_shape(np.zeros(3), np.zeros((3, 1)), ("y_true", "y_pred"), "mse")
    Traceback (most recent call last):
    ...
    ValueError: mse(y_pred=array of shape (3, 1)): y_pred must be the same shape as y_true (3,); ...
    """
    if a.shape != b.shape:
        hint = (
            "a (n,) vs (n, 1) mismatch would silently broadcast to (n, n): "
            "use .ravel() or .reshape(-1, 1) on one of them"
            if a.size == b.size
            else "they must hold one value per sample"
        )
        raise argument_error(func, names[1], b, f"the same shape as {names[0]} {a.shape}", hint)


def _pair(y_true: ArrayLike, y_pred: ArrayLike, func: str) -> tuple[np.ndarray, np.ndarray]:
    t = check_array(y_true, "y_true", func)
    p = check_array(y_pred, "y_pred", func)
    _check_same_shape(t, p, ("y_true", "y_pred"), func)
    return t, p


def _check_probabilities(y: np.ndarray, name: str, func: str, hint: str) -> None:
    if np.any(y < 0) or np.any(y > 1):
        raise argument_error(
            func, name, y, f"in [0, 1], got values from {y.min():g} to {y.max():g}", hint
        )


def _check_epsilon(epsilon: float, func: str) -> float:
    return check_number(
        epsilon, "epsilon", func, low=0, high=0.5, high_inclusive=False, fix="use Keras' 1e-7"
    )


# --------------------------------------------------------------------------- regression
def mse(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    r"""Mean squared error :math:`\frac{1}{n}\sum_i (\hat y_i - y_i)^2`.

    Parameters
    ----------
    y_true, y_pred : array_like of the same shape
        Observed and predicted values (e.g. star ratings).

    Returns
    -------
    float

    Examples
    --------
    >>> round(mse([4.0, 2.0], [3.0, 2.0]), 4)
    0.5
    """
    t, p = _pair(y_true, y_pred, "mse")
    return float(np.mean((p - t) ** 2))


def mse_gradient(y_true: ArrayLike, y_pred: ArrayLike) -> np.ndarray:
    r"""Gradient of :func:`mse` with respect to ``y_pred``: :math:`\frac{2}{n}(\hat y - y)`.

    Examples
    --------
    >>> mse_gradient([4.0, 2.0], [3.0, 2.0])
    array([-1.,  0.])
    """
    t, p = _pair(y_true, y_pred, "mse_gradient")
    return 2.0 * (p - t) / t.size


def mae_gradient(y_true: ArrayLike, y_pred: ArrayLike) -> np.ndarray:
    r"""(Sub)gradient of the MAE: :math:`\operatorname{sign}(\hat y - y)/n`.

    The mean absolute error itself is a metric too, so it has one home:
    :func:`course_lib.evaluation.metrics.mae` (chapter 01 uses it from there).

    At ``y_pred == y_true`` the absolute value has a kink; we return 0 there,
    which is what ``np.sign`` (and TensorFlow) do.

    Examples
    --------
    >>> mae_gradient([4.0, 2.0], [3.0, 2.5])
    array([-0.5,  0.5])
    """
    t, p = _pair(y_true, y_pred, "mae_gradient")
    return np.sign(p - t) / t.size


# --------------------------------------------------------------------------- stable helpers
def log_sigmoid(z: ArrayLike) -> np.ndarray:
    r"""Stable :math:`\log\sigma(z) = -\log(1+e^{-z}) = \min(z, 0) - \log(1+e^{-|z|})`.

    The naive ``np.log(sigmoid(z))`` returns ``-inf`` for ``z < -745`` because
    ``sigmoid(z)`` underflows to 0; this form stays finite (it is ~ ``z``).

    Examples
    --------
    >>> log_sigmoid(np.array([-1000.0, 0.0, 1000.0])).round(4).tolist()
    [-1000.0, -0.6931, -0.0]
    """
    z = check_array(z, "z", "log_sigmoid")
    return np.minimum(z, 0.0) - np.log1p(np.exp(-np.abs(z)))


def logsumexp(z: ArrayLike, axis: int = -1, keepdims: bool = False) -> np.ndarray:
    r"""Stable :math:`\log\sum_j e^{z_j} = m + \log\sum_j e^{z_j - m}` with :math:`m=\max_j z_j`.

    Examples
    --------
    >>> float(logsumexp(np.array([1000.0, 1000.0])))      # naive: log(inf) = inf
    1000.6931...
    """
    z = check_array(z, "z", "logsumexp", min_ndim=1)
    m = np.max(z, axis=axis, keepdims=True)
    out = m + np.log(np.sum(np.exp(z - m), axis=axis, keepdims=True))
    return out if keepdims else np.squeeze(out, axis=axis)


def log_softmax(z: ArrayLike, axis: int = -1) -> np.ndarray:
    r"""Stable :math:`\log\operatorname{softmax}(z)_j = z_j - \operatorname{logsumexp}(z)`.

    Examples
    --------
    >>> log_softmax(np.array([1000.0, 0.0]))
    array([    0., -1000.])
    """
    z = check_array(z, "z", "log_softmax", min_ndim=1)
    return z - logsumexp(z, axis=axis, keepdims=True)


# --------------------------------------------------------------------------- binary CE
def _binary_inputs(
    y_true: ArrayLike, y_pred: ArrayLike, func: str, from_logits: bool
) -> tuple[np.ndarray, np.ndarray]:
    t, p = _pair(y_true, y_pred, func)
    _check_probabilities(t, "y_true", func, "labels are 0 (no purchase) or 1 (purchase)")
    if not from_logits:
        _check_probabilities(
            p, "y_pred", func, "if these are raw scores (logits), pass from_logits=True"
        )
    return t, p


def binary_crossentropy(
    y_true: ArrayLike, y_pred: ArrayLike, *, from_logits: bool = False, epsilon: float = EPSILON
) -> float:
    r"""Binary cross-entropy, averaged over all elements (``keras.losses.BinaryCrossentropy``).

    .. math:: L = -\frac{1}{n}\sum_i \big[y_i \log p_i + (1-y_i)\log(1-p_i)\big]

    Parameters
    ----------
    y_true : array_like
        Labels in [0, 1] (1 = purchased).
    y_pred : array_like, same shape
        Probabilities ``p`` (clipped to ``[epsilon, 1 - epsilon]`` like Keras), or
        logits ``z`` if ``from_logits=True``.  From logits the loss is computed
        exactly, without clipping, as
        :math:`\max(z,0) - z y + \log(1 + e^{-|z|})`.
    epsilon : float
        Clipping constant for probabilities (Keras: 1e-7).

    Examples
    --------
    >>> round(binary_crossentropy([1.0, 0.0], [0.9, 0.2]), 4)
    0.1643
    >>> round(binary_crossentropy([1.0], [-800.0], from_logits=True), 1)   # naive: inf
    800.0
    """
    t, p = _binary_inputs(y_true, y_pred, "binary_crossentropy", from_logits)
    epsilon = _check_epsilon(epsilon, "binary_crossentropy")
    if from_logits:
        per = np.maximum(p, 0.0) - p * t + np.log1p(np.exp(-np.abs(p)))
    else:
        q = np.clip(p, epsilon, 1.0 - epsilon)
        per = -(t * np.log(q) + (1.0 - t) * np.log(1.0 - q))
    return float(np.mean(per))


def binary_crossentropy_gradient(
    y_true: ArrayLike, y_pred: ArrayLike, *, from_logits: bool = False, epsilon: float = EPSILON
) -> np.ndarray:
    r"""Gradient of :func:`binary_crossentropy` with respect to ``y_pred``.

    From logits it is the famous :math:`(\sigma(z) - y)/n`.  From
    probabilities it is :math:`\frac{p - y}{p(1-p)}/n` inside the clipping
    range ``[epsilon, 1 - epsilon]``, bounds included (``tf.clip_by_value``,
    which Keras uses, passes the gradient at the bounds); strictly outside it
    the clipped loss is flat and the gradient is 0.

    Examples
    --------
    >>> binary_crossentropy_gradient([1.0, 0.0], [0.0, 0.0], from_logits=True)
    array([-0.25,  0.25])
    >>> binary_crossentropy_gradient([1.0, 1.0], [1e-7, 1e-8])   # at the bound / below it
    array([-5000000.,        0.])
    """
    t, p = _binary_inputs(y_true, y_pred, "binary_crossentropy_gradient", from_logits)
    epsilon = _check_epsilon(epsilon, "binary_crossentropy_gradient")
    n = t.size
    if from_logits:
        return (sigmoid(p) - t) / n
    inside = (p >= epsilon) & (p <= 1.0 - epsilon)  # bounds included, like Keras
    q = np.clip(p, epsilon, 1.0 - epsilon)
    return np.where(inside, (q - t) / (q * (1.0 - q)), 0.0) / n


# --------------------------------------------------------------------------- categorical CE
def _categorical_inputs(
    y_true: ArrayLike, y_pred: ArrayLike, func: str, from_logits: bool
) -> tuple[np.ndarray, np.ndarray]:
    t = check_array(y_true, "y_true", func, min_ndim=1)
    p = check_array(y_pred, "y_pred", func, min_ndim=1)
    _check_same_shape(t, p, ("y_true", "y_pred"), func)
    _check_probabilities(
        t, "y_true", func, "pass one-hot rows (use np.eye(k)[labels] for integer labels)"
    )
    if not from_logits:
        if np.any(p < 0):
            raise argument_error(
                func,
                "y_pred",
                p,
                f"probabilities (>= 0) when from_logits=False, got values down to {p.min():g}",
                "if these are raw scores, pass from_logits=True",
            )
    return t, p


def categorical_crossentropy(
    y_true: ArrayLike, y_pred: ArrayLike, *, from_logits: bool = False, epsilon: float = EPSILON
) -> float:
    r"""Categorical cross-entropy over the last axis, averaged over samples.

    .. math:: L = -\frac{1}{n}\sum_i \sum_j y_{ij} \log p_{ij}

    Parameters
    ----------
    y_true : array_like, shape (n, k) (or (k,) for one sample)
        One-hot (or probability) rows: which category was chosen.
    y_pred : array_like, same shape
        Probabilities (each row is renormalised to sum 1 and clipped to
        ``[epsilon, 1 - epsilon]``, exactly as Keras does), or logits if
        ``from_logits=True``, in which case
        :math:`\log p = z - \operatorname{logsumexp}(z)` is used (no overflow,
        no clipping).

    Examples
    --------
    >>> round(categorical_crossentropy([[0, 1, 0]], [[0.2, 0.7, 0.1]]), 4)
    0.3567
    >>> round(categorical_crossentropy([[0, 1]], [[1000.0, 0.0]], from_logits=True), 1)
    1000.0
    """
    t, p = _categorical_inputs(y_true, y_pred, "categorical_crossentropy", from_logits)
    epsilon = _check_epsilon(epsilon, "categorical_crossentropy")
    if from_logits:
        log_p = log_softmax(p, axis=-1)
    else:
        q = p / np.sum(p, axis=-1, keepdims=True)
        log_p = np.log(np.clip(q, epsilon, 1.0 - epsilon))
    per = -np.sum(t * log_p, axis=-1)
    return float(np.mean(per))


def categorical_crossentropy_gradient(
    y_true: ArrayLike, y_pred: ArrayLike, *, from_logits: bool = False, epsilon: float = EPSILON
) -> np.ndarray:
    r"""Gradient of :func:`categorical_crossentropy` with respect to ``y_pred``.

    From logits: :math:`(\operatorname{softmax}(z) - y)/n` when each row of
    ``y_true`` sums to 1 (in general :math:`(\operatorname{softmax}(z)\sum_j
    y_j - y)/n`).  From probabilities, through the renormalisation
    :math:`q = p / S`: :math:`\big(-y_j/p_j + \sum_k y_k / S\big)/n`
    (inside the clipping range).

    Examples
    --------
    >>> categorical_crossentropy_gradient([[0, 1]], [[0.0, 0.0]], from_logits=True)
    array([[ 0.5, -0.5]])
    """
    t, p = _categorical_inputs(y_true, y_pred, "categorical_crossentropy_gradient", from_logits)
    epsilon = _check_epsilon(epsilon, "categorical_crossentropy_gradient")
    n = p.shape[0] if p.ndim > 1 else 1
    row_sum_t = np.sum(t, axis=-1, keepdims=True)
    if from_logits:
        return (softmax(p, axis=-1) * row_sum_t - t) / n
    s = np.sum(p, axis=-1, keepdims=True)
    q = p / s
    if np.any((q <= epsilon) | (q >= 1.0 - epsilon)):
        raise argument_error(
            "categorical_crossentropy_gradient",
            "y_pred",
            p,
            f"probabilities inside ({epsilon:g}, 1 - {epsilon:g}) once normalised "
            "(outside, the clipped loss is flat)",
            "compute the gradient from logits (from_logits=True) instead",
        )
    return (-t / p + row_sum_t / s) / n
