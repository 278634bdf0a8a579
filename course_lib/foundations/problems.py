"""The two test landscapes of chapter 03 and the loop that runs an optimizer on them.

Explained in chapter 03 (``notebooks/03_momentum_rmsprop_adam.ipynb``):
:class:`Quadratic` is an ill-conditioned, tilted bowl, :class:`Rosenbrock`
a curved narrow valley, and :func:`minimize` runs any optimizer of
:mod:`course_lib.foundations.optimizers` from a starting point and returns the
whole trajectory.

>>> import numpy as np
>>> from course_lib.foundations.adaptive import Adam
>>> path = minimize(Rosenbrock().grad, [-1.2, 1.0], Adam(learning_rate=0.05), n_steps=2000)
>>> path.shape, bool(np.linalg.norm(path[-1] - [1.0, 1.0]) < 0.01)
((2001, 2), True)
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike

from course_lib.core.validation import (
    ArgumentTypeError,
    argument_error,
    check_array,
    check_int,
    check_number,
)
from course_lib.foundations.optimizers import Optimizer, _finite_array

__all__ = ["minimize", "Quadratic", "Rosenbrock"]


def minimize(
    grad: Callable[[np.ndarray], np.ndarray],
    x0: ArrayLike,
    optimizer: Optimizer,
    n_steps: int = 100,
    *,
    max_abs: float = 1e6,
) -> np.ndarray:
    """Run ``optimizer`` from ``x0`` for ``n_steps`` steps; return the trajectory.

    The optimizer is ``reset()`` first, so two calls give the same result.

    Parameters
    ----------
    grad : callable
        ``grad(x)`` returns the gradient at ``x`` (same shape as ``x``).
    x0 : array_like
        Starting point (not modified).
    optimizer : Optimizer
        E.g. ``Adam(learning_rate=0.1)``.
    n_steps : int
        Number of updates.
    max_abs : float
        Divergence guard: the run stops early once a coordinate exceeds
        ``max_abs`` in absolute value or the gradient is not finite, so the
        trajectory then has fewer than ``n_steps + 1`` rows.

    Returns
    -------
    ndarray of shape (n_rows, *x0.shape)
        ``x0`` followed by the iterate after each step.

    Examples
    --------
    >>> from course_lib.foundations.optimizers import SGD
    >>> problem = Quadratic(scales=(1.0, 10.0))
    >>> path = minimize(problem.grad, [1.0, 1.0], SGD(learning_rate=0.05), n_steps=50)
    >>> path.shape
    (51, 2)
    >>> print(np.round(path[-1], 4))           # the flat direction is still far from 0
    [0.0769 0.    ]
    >>> len(minimize(problem.grad, [1.0, 1.0], SGD(learning_rate=0.5), n_steps=50)) < 51
    True
    """
    if not callable(grad):
        raise argument_error(
            "minimize",
            "grad",
            grad,
            f"a function x -> gradient, got {type(grad).__name__}",
            "pass e.g. problem.grad",
            exc=ArgumentTypeError,
        )
    if not isinstance(optimizer, Optimizer):
        raise argument_error(
            "minimize",
            "optimizer",
            optimizer,
            f"a course_lib.foundations optimizer, got {type(optimizer).__name__}",
            "pass e.g. Adam(learning_rate=0.1)",
            exc=ArgumentTypeError,
        )
    n_steps = check_int(n_steps, "n_steps", "minimize", minimum=0)
    max_abs = check_number(
        max_abs,
        "max_abs",
        "minimize",
        low=0,
        low_inclusive=False,
        fix="use a large positive number such as 1e6",
    )
    x = _finite_array(x0, "x0", "minimize", optimizer.dtype).copy()
    optimizer.reset()
    path = [x]
    for _ in range(n_steps):
        g = np.asarray(grad(x), dtype=float)
        if g.shape != x.shape:
            raise argument_error(
                "minimize",
                "grad",
                grad,
                f"a function whose grad(x) has the shape of x {x.shape}, got {g.shape}",
                "return one partial derivative per coordinate of x",
            )
        if not np.all(np.isfinite(g)):
            break
        x = optimizer.step(x, g)
        path.append(x)
        if np.max(np.abs(x)) > max_abs:
            break
    return np.array(path)


class Quadratic:
    """An ill-conditioned quadratic bowl ``f(x) = 0.5 * x^T A x`` in 2-D.

    ``A = R diag(scales) R^T`` where ``R`` rotates by ``angle`` radians, so the
    curvatures along the bowl's axes are ``scales`` and the condition number
    is ``max(scales) / min(scales)``.  The minimum is at the origin.

    Parameters
    ----------
    scales : pair of float
        The two curvatures, > 0.
    angle : float
        Rotation of the bowl's axes, in radians.

    Examples
    --------
    >>> q = Quadratic(scales=(1.0, 25.0))
    >>> q.value([1.0, 1.0]), q.grad([1.0, 1.0]).tolist(), q.condition_number
    (13.0, [1.0, 25.0], 25.0)
    """

    def __init__(self, scales: ArrayLike = (1.0, 25.0), angle: float = 0.0) -> None:
        scales = check_array(scales, "scales", "Quadratic", ndim=1)
        if scales.shape != (2,) or not np.all(np.isfinite(scales)) or np.any(scales <= 0):
            raise argument_error(
                "Quadratic",
                "scales",
                scales.tolist(),
                "two positive curvatures",
                "pass e.g. (1.0, 25.0)",
            )
        angle = check_number(angle, "angle", "Quadratic", fix="give an angle in radians")
        c, s = math.cos(angle), math.sin(angle)
        rot = np.array([[c, -s], [s, c]])
        self.scales, self.angle = scales, angle
        self.A = rot @ np.diag(scales) @ rot.T
        self.minimum = np.zeros(2)
        self.condition_number = float(scales.max() / scales.min())

    def value(self, x: ArrayLike) -> float | np.ndarray:
        """``f(x)``; ``x`` of shape (2,) or a grid of shape (2, ...).

        Returns a float for one point, an array of the grid's shape otherwise.
        """
        x = np.asarray(x, dtype=float)
        out = 0.5 * np.einsum("i...,ij,j...->...", x, self.A, x)
        return float(out) if out.ndim == 0 else out

    def grad(self, x: ArrayLike) -> np.ndarray:
        """``A x`` for ``x`` of shape (2,); returns an array of shape (2,)."""
        return self.A @ np.asarray(x, dtype=float)

    def __repr__(self) -> str:
        return f"Quadratic(scales={tuple(self.scales.tolist())}, angle={self.angle:g})"


class Rosenbrock:
    """The Rosenbrock "banana": ``f(x, y) = (a - x)**2 + b * (y - x**2)**2``.

    A curved, narrow valley; the minimum is at ``(a, a**2)``.

    Parameters
    ----------
    a : float
        Position of the minimum (usually 1).
    b : float
        Steepness of the valley's walls, > 0 (usually 100).

    Examples
    --------
    >>> r = Rosenbrock()
    >>> r.value([1.0, 1.0]), r.grad([0.0, 0.0]).tolist()
    (0.0, [-2.0, 0.0])
    """

    def __init__(self, a: float = 1.0, b: float = 100.0) -> None:
        self.a = check_number(a, "a", "Rosenbrock", fix="the usual value is 1")
        self.b = check_number(
            b, "b", "Rosenbrock", low=0, low_inclusive=False, fix="the usual value is 100"
        )
        self.minimum = np.array([self.a, self.a**2])

    def value(self, x: ArrayLike) -> float | np.ndarray:
        """``f(x)``; ``x`` of shape (2,) or a grid of shape (2, ...).

        Returns a float for one point, an array of the grid's shape otherwise.
        """
        x = np.asarray(x, dtype=float)
        out = (self.a - x[0]) ** 2 + self.b * (x[1] - x[0] ** 2) ** 2
        return float(out) if np.ndim(out) == 0 else out

    def grad(self, x: ArrayLike) -> np.ndarray:
        """The gradient at ``x`` of shape (2,); returns an array of shape (2,)."""
        x0, x1 = np.asarray(x, dtype=float)
        return np.array(
            [-2 * (self.a - x0) - 4 * self.b * x0 * (x1 - x0**2), 2 * self.b * (x1 - x0**2)]
        )

    def __repr__(self) -> str:
        return f"Rosenbrock(a={self.a:g}, b={self.b:g})"
