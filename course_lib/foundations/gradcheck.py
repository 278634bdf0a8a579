"""Gradient checking: compare a hand-written gradient with finite differences.

First used in chapter 01 (``notebooks/01_loss_functions.ipynb``, which says
what it computes), explained in detail in chapter 02
(``notebooks/02_gradient_descent.ipynb``), and used in chapters 03-04 and in
the tests of every hand-written gradient.

The central difference :math:`\\frac{f(x + h e_i) - f(x - h e_i)}{2h}` has an
error of order :math:`h^2`; with ``h = 1e-6`` in float64 a correct gradient
typically agrees to a relative error below ``1e-7``, a wrong one (a missing
factor 2, a wrong sign) is off by order 1.

>>> import numpy as np
>>> f = lambda x: float(np.sum(x ** 2))
>>> result = check_gradient(f, lambda x: 2 * x, np.array([1.0, -2.0, 3.0]))
>>> result.passed, result.relative_error < 1e-8
(True, True)
>>> check_gradient(f, lambda x: x, np.array([1.0, -2.0, 3.0])).passed   # factor 2 missing
False
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from course_lib.core.validation import ArgumentTypeError, argument_error, check_array, check_number

__all__ = ["numerical_gradient", "relative_error", "check_gradient", "GradientCheck"]


def _as_point(x: ArrayLike, func: str) -> np.ndarray:
    fix = "differentiate at a finite point, e.g. np.array([0.5, -1.0])"
    arr = check_array(x, "x", func, allow_nan=True).copy()  # a copy: we perturb it
    if not np.all(np.isfinite(arr)):
        raise argument_error(
            func, "x", arr, f"finite, found {int(np.sum(~np.isfinite(arr)))} NaN or inf", fix
        )
    return arr


def _check_callable(f: object, name: str, func: str, what: str) -> None:
    if not callable(f):
        raise argument_error(
            func, name, f, f"a function {what}, got {type(f).__name__}", exc=ArgumentTypeError
        )


def numerical_gradient(
    f: Callable[[np.ndarray], float], x: ArrayLike, eps: float = 1e-6
) -> np.ndarray:
    """Central-difference gradient of a scalar function ``f`` at ``x``.

    Parameters
    ----------
    f : callable
        ``f(x) -> float``; called ``2 * x.size`` times on perturbed copies of ``x``.
    x : array_like
        The point (any shape); it is not modified.
    eps : float
        Step ``h`` (positive).  ~1e-6 balances truncation and rounding error in float64.

    Returns
    -------
    np.ndarray, same shape as ``x``

    Examples
    --------
    >>> numerical_gradient(lambda t: float(t[0] ** 2 + 3 * t[1]), [2.0, 0.0]).round(6)
    array([4., 3.])
    """
    _check_callable(f, "f", "numerical_gradient", "x -> float")
    eps = check_number(
        eps,
        "eps",
        "numerical_gradient",
        low=0,
        low_inclusive=False,
        fix="use a small positive number such as 1e-6",
    )
    x = _as_point(x, "numerical_gradient")
    grad = np.zeros_like(x)
    flat, gflat = x.reshape(-1), grad.reshape(-1)  # views into x and grad
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        f_plus = float(f(x))
        flat[i] = old - eps
        f_minus = float(f(x))
        flat[i] = old
        gflat[i] = (f_plus - f_minus) / (2.0 * eps)
    return grad


def relative_error(a: ArrayLike, b: ArrayLike, floor: float = 1e-12) -> float:
    """``||a - b|| / max(||a|| + ||b||, floor)``: scale-free distance of two gradients.

    Parameters
    ----------
    a, b : array_like of the same shape
        The two gradients.
    floor : float
        Smallest denominator, so that two zero gradients give 0, not NaN.

    Returns
    -------
    float

    Examples
    --------
    >>> relative_error([1.0, 2.0], [1.0, 2.0])
    0.0
    >>> round(relative_error([2.0, 4.0], [1.0, 2.0]), 4)     # off by a factor 2
    0.3333
    """
    a = check_array(a, "a", "relative_error", allow_empty=True, allow_nan=True)
    b = check_array(b, "b", "relative_error", allow_empty=True, allow_nan=True)
    if a.shape != b.shape:
        raise argument_error(
            "relative_error",
            "b",
            b,
            f"the same shape as a {a.shape}, got {b.shape}",
            "a gradient must have the shape of the parameters",
        )
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), floor))


@dataclass
class GradientCheck:
    """Result of :func:`check_gradient` (truthy when it passed)."""

    analytic: np.ndarray
    numerical: np.ndarray
    relative_error: float
    tol: float

    @property
    def passed(self) -> bool:
        """True when the relative error is at most ``tol``."""
        return bool(self.relative_error <= self.tol)

    def __bool__(self) -> bool:
        return self.passed

    def __repr__(self) -> str:
        verdict = "passed" if self.passed else "FAILED"
        return (
            f"GradientCheck({verdict}: relative error {self.relative_error:.2e} "
            f"vs tol {self.tol:g})"
        )


def check_gradient(
    f: Callable[[np.ndarray], float],
    grad: Callable[[np.ndarray], np.ndarray],
    x: ArrayLike,
    *,
    eps: float = 1e-6,
    tol: float = 1e-6,
) -> GradientCheck:
    """Compare ``grad(x)`` with :func:`numerical_gradient` of ``f`` at ``x``.

    Parameters
    ----------
    f : callable
        ``f(x) -> float``, the loss.
    grad : callable
        ``grad(x) -> array`` of ``x``'s shape, the hand-written gradient.
    x : array_like
        Where to check (use a random, non-special point: at 0 many bugs vanish).
    eps, tol : float
        Finite-difference step and the largest relative error that passes.

    Returns
    -------
    GradientCheck
        ``.passed``, ``.relative_error``, ``.analytic``, ``.numerical``.

    Examples
    --------
    >>> check_gradient(lambda t: float(np.sum(np.sin(t))), np.cos, np.array([0.3, 1.2]))
    GradientCheck(passed: relative error ... vs tol 1e-06)
    """
    x = _as_point(x, "check_gradient")
    _check_callable(f, "f", "check_gradient", "x -> float")
    _check_callable(grad, "grad", "check_gradient", "x -> gradient array")
    tol = check_number(
        tol, "tol", "check_gradient", low=0, low_inclusive=False, fix="use e.g. 1e-6"
    )
    analytic = np.asarray(grad(x.copy()), dtype=float)
    if analytic.shape != x.shape:
        raise argument_error(
            "check_gradient",
            "grad",
            grad,
            f"a function whose grad(x) has the shape of x {x.shape}, got {analytic.shape}",
            "a gradient has one entry per parameter",
        )
    numeric = numerical_gradient(f, x, eps=eps)
    return GradientCheck(analytic, numeric, relative_error(analytic, numeric), float(tol))
