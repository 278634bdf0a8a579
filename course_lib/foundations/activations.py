"""Activation functions: ``sigmoid`` and ``softmax`` (numerically stable), and the hidden ones.

Explained in chapter 01 (``notebooks/01_loss_functions.ipynb``), used by the
losses (chapter 01), the numpy network (chapter 04) and the bandits'
softmax exploration (chapter 11).  This module is their ONE definition:
everything else imports them from here.

Both rewrite the textbook formula so that ``exp`` only ever sees numbers
<= 0, so they never overflow:

* ``sigmoid(z) = 1 / (1 + exp(-z))`` uses ``exp(z) / (1 + exp(z))`` for ``z < 0``;
* ``softmax(z) = exp(z) / sum(exp(z))`` subtracts the maximum first
  (``softmax(z) == softmax(z - max(z))`` exactly).

:func:`activate` and :func:`activation_derivative` are the hidden activations of
chapter 04's network (``course_lib.foundations.nn``): sigmoid, relu and tanh.

>>> import numpy as np
>>> sigmoid(np.array([-1000.0, 0.0, 1000.0]))
array([0. , 0.5, 1. ])
>>> softmax(np.array([1000.0, 1001.0])).round(4)      # the naive formula gives [nan, nan]
array([0.2689, 0.7311])
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from course_lib.core.validation import check_array, check_choice, check_int, check_number

__all__ = ["sigmoid", "softmax", "ACTIVATIONS", "activate", "activation_derivative"]

#: The hidden activations of chapter 04's network (:func:`activate`).
ACTIVATIONS = ("sigmoid", "relu", "tanh")


def sigmoid(z: ArrayLike) -> np.ndarray:
    r"""Logistic function :math:`\sigma(z) = 1/(1+e^{-z})`, computed without overflow.

    For ``z < 0`` it uses the equivalent :math:`e^{z}/(1+e^{z})`, so ``exp``
    never sees a large positive number.

    Parameters
    ----------
    z : array_like
        Scores (logits), any shape; no NaN.

    Returns
    -------
    np.ndarray
        Probabilities in [0, 1], of the shape of ``z``.

    Examples
    --------
    >>> sigmoid(np.array([-1000.0, 0.0, 1000.0]))
    array([0. , 0.5, 1. ])
    >>> round(float(sigmoid(2.0) + sigmoid(-2.0)), 12)     # sigma(-z) = 1 - sigma(z)
    1.0
    >>> sigmoid([float("nan")])
    Traceback (most recent call last):
    ...
    ValueError: sigmoid(z=array of shape (1,)): z must be numbers without NaN, found 1 NaN of 1; drop or impute missing values first.
    """
    z = check_array(z, "z", "sigmoid")
    e = np.exp(-np.abs(z))  # in (0, 1]: never overflows
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def softmax(z: ArrayLike, axis: int = -1, *, temperature: float = 1.0) -> np.ndarray:
    r"""Softmax :math:`e^{z_j/T}/\sum_k e^{z_k/T}` along ``axis``, shifted so it never overflows.

    A small temperature ``T`` sharpens the distribution towards the argmax, a
    large one flattens it towards uniform.

    Parameters
    ----------
    z : array_like, at least 1-D
        Scores (logits); no NaN.
    axis : int, default -1
        The axis that sums to one.
    temperature : float, default 1.0
        ``T``, > 0.

    Returns
    -------
    np.ndarray
        Probabilities of the shape of ``z``, summing to 1 along ``axis``.

    Examples
    --------
    >>> softmax(np.array([[1000.0, 1000.0, 0.0]]))
    array([[0.5, 0.5, 0. ]])
    >>> softmax([1.0, 2.0], temperature=100.0).round(3)
    array([0.498, 0.502])
    >>> softmax([1.0, 2.0], temperature=0)
    Traceback (most recent call last):
    ...
    ValueError: softmax(temperature=0): temperature must be a positive number (> 0); use e.g. temperature=1.0.
    """
    t = check_number(
        temperature,
        "temperature",
        "softmax",
        low=0,
        low_inclusive=False,
        fix="use e.g. temperature=1.0",
    )
    z = check_array(z, "z", "softmax", min_ndim=1)
    axis = check_int(axis, "axis", "softmax", minimum=-z.ndim, maximum=z.ndim - 1)
    with np.errstate(over="ignore"):  # -1e308 - 1e308 = -inf, whose exp is 0: fine
        z = z / t if t != 1.0 else z
        z = z - np.max(z, axis=axis, keepdims=True)
    e = np.exp(z)
    return e / np.sum(e, axis=axis, keepdims=True)


def _check_activation(name: str, where: str, arg: str = "hidden_activation") -> str:
    return check_choice(name, arg, where, ACTIVATIONS)


def activate(z: ArrayLike, name: str = "relu") -> np.ndarray:
    """Apply the hidden activation ``name`` to the pre-activations ``z``.

    Parameters
    ----------
    z : array_like
        Pre-activations, any shape.
    name : {"sigmoid", "relu", "tanh"}
        The activation.

    Returns
    -------
    np.ndarray
        ``phi(z)``, of the shape of ``z``.

    >>> print(activate(np.array([-1.0, 2.0]), "relu"))
    [0. 2.]
    """
    _check_activation(name, "activate", "name")
    z = check_array(z, "z", "activate", allow_empty=True)
    if name == "sigmoid":
        return sigmoid(z)
    if name == "relu":
        return np.maximum(z, 0.0)
    return np.tanh(z)


def activation_derivative(z: ArrayLike, name: str = "relu") -> np.ndarray:
    """``phi'(z)``, the derivative of the activation, evaluated at the *pre-activation* ``z``.

    For the sigmoid ``phi'(z) = s (1 - s)`` with ``s = sigmoid(z)``: at most
    0.25, and close to 0 once ``|z|`` is larger than about 5 (the unit is
    saturated), which is where vanishing gradients come from.  (relu's
    derivative at exactly 0 is taken as 0, as TensorFlow does.)

    Parameters
    ----------
    z : array_like
        Pre-activations, any shape.
    name : {"sigmoid", "relu", "tanh"}
        The activation.

    Returns
    -------
    np.ndarray
        ``phi'(z)``, of the shape of ``z``.

    >>> print(np.round(activation_derivative(np.array([0.0, 5.0]), "sigmoid"), 4))
    [0.25   0.0066]
    """
    _check_activation(name, "activation_derivative", "name")
    z = check_array(z, "z", "activation_derivative", allow_empty=True)
    if name == "sigmoid":
        s = sigmoid(z)
        return s * (1.0 - s)
    if name == "relu":
        return (z > 0).astype(float)
    return 1.0 - np.tanh(z) ** 2
