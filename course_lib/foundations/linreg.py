"""Linear regression trained by hand-written gradient descent (numpy only).

Explained in chapter 02 (``notebooks/02_gradient_descent.ipynb``), which
starts from the worked example of the source articles: ``x = [1, 2, 3, 4, 5]``,
``y = [2, 4, 6, 8, 10]``, ``theta = [0, 0]``, ``learning_rate = 0.01``, with
the model ``y_pred = theta[0] + theta[1] * x``.

The loss is the mean squared error and its gradient keeps the factor 2 that
the source articles drop:

.. math:: L(\\theta) = \\frac1n\\lVert X\\theta - y\\rVert^2,\\qquad
          \\nabla L(\\theta) = \\frac2n X^\\top (X\\theta - y).

>>> X = design_matrix([1, 2, 3, 4, 5])
>>> y = np.array([2.0, 4.0, 6.0, 8.0, 10.0])
>>> mse_gradient_wrt_theta(X, y, np.zeros(2))
array([-12., -44.])
>>> run = gradient_descent(X, y, np.zeros(2), learning_rate=0.01, n_steps=5000)
>>> run.theta.round(4)
array([0., 2.])
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from course_lib.core.validation import (
    ArgumentTypeError,
    argument_error,
    as_generator,
    check_array,
    check_int,
)
from course_lib.foundations._checks import check_learning_rate
from course_lib.foundations.losses import mse, mse_gradient

__all__ = [
    "design_matrix",
    "predict",
    "mse_loss",
    "mse_gradient_wrt_theta",
    "gradient_descent_step",
    "gradient_descent",
    "GDRun",
    "least_squares",
    "run_summary",
]


# --------------------------------------------------------------------------- validation
def _check_X(X: ArrayLike, func: str) -> np.ndarray:
    return check_array(
        X,
        "X",
        func,
        ndim=2,
        fix="X is (n_samples, n_features): build it with design_matrix(x), "
        "which also adds the intercept column",
    )


def _check_Xy(X: ArrayLike, y: ArrayLike, func: str) -> tuple[np.ndarray, np.ndarray]:
    X = _check_X(X, func)
    y = check_array(y, "y", func)
    if y.ndim != 1 or y.shape[0] != X.shape[0]:
        raise argument_error(
            func,
            "y",
            y,
            f"of shape ({X.shape[0]},) to match X {X.shape}, got {y.shape}",
            "one target per row of X (use y.ravel() for a column)",
        )
    return X, y


def _check_theta(theta: ArrayLike, X: np.ndarray, func: str, name: str = "theta") -> np.ndarray:
    theta = check_array(theta, name, func, fix="start from finite weights, e.g. zeros")
    if theta.shape != (X.shape[1],):
        raise argument_error(
            func,
            name,
            theta,
            f"of shape ({X.shape[1]},), one weight per column of X {X.shape}, got {theta.shape}",
            f"start from e.g. np.zeros({X.shape[1]})",
        )
    if not np.all(np.isfinite(theta)):
        raise argument_error(
            func,
            name,
            theta,
            f"finite, found {int(np.sum(~np.isfinite(theta)))} inf",
            "start from finite weights, e.g. zeros",
        )
    return theta


# --------------------------------------------------------------------------- model
def design_matrix(x: ArrayLike) -> np.ndarray:
    """Prepend a column of ones (the intercept) to the feature(s) ``x``.

    Parameters
    ----------
    x : array_like, shape (n,) or (n, d)

    Returns
    -------
    np.ndarray, shape (n, d + 1); column 0 is all ones, so ``theta[0]`` is the intercept.

    Examples
    --------
    >>> design_matrix([1, 2, 3])
    array([[1., 1.],
           [1., 2.],
           [1., 3.]])
    """
    x = check_array(x, "x", "design_matrix", min_ndim=1)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2:
        raise argument_error(
            "design_matrix",
            "x",
            x,
            f"1-D or 2-D, got shape {x.shape}",
            "pass one feature (n,) or a table (n, d)",
        )
    return np.hstack([np.ones((x.shape[0], 1)), x])


def predict(X: ArrayLike, theta: ArrayLike) -> np.ndarray:
    """Linear prediction ``X @ theta``.

    Parameters
    ----------
    X : array_like, shape (n, d)
    theta : array_like, shape (d,)

    Returns
    -------
    np.ndarray, shape (n,)

    Examples
    --------
    >>> predict(design_matrix([1, 2]), [0.5, 2.0])
    array([2.5, 4.5])
    """
    X = _check_X(X, "predict")
    return X @ _check_theta(theta, X, "predict")


def mse_loss(X: ArrayLike, y: ArrayLike, theta: ArrayLike) -> float:
    """Mean squared error of the linear model ``X @ theta`` against ``y``.

    Parameters
    ----------
    X : array_like, shape (n, d)
    y : array_like, shape (n,)
    theta : array_like, shape (d,)

    Returns
    -------
    float

    Examples
    --------
    >>> round(mse_loss(design_matrix([1, 2, 3, 4, 5]), [2, 4, 6, 8, 10], [0, 0]), 2)
    44.0
    """
    X, y = _check_Xy(X, y, "mse_loss")
    return mse(y, X @ _check_theta(theta, X, "mse_loss"))


def mse_gradient_wrt_theta(X: ArrayLike, y: ArrayLike, theta: ArrayLike) -> np.ndarray:
    """Gradient of :func:`mse_loss` with respect to ``theta``: ``2/n X.T (X theta - y)``.

    It is computed from ``course_lib.foundations.losses.mse_gradient``, the
    gradient with respect to the *prediction*, by the chain rule:
    ``X.T @ mse_gradient(y, X @ theta)``.

    Parameters
    ----------
    X : array_like, shape (n, d)
    y : array_like, shape (n,)
    theta : array_like, shape (d,)

    Returns
    -------
    np.ndarray, shape (d,)

    Examples
    --------
    >>> mse_gradient_wrt_theta(design_matrix([1, 2, 3, 4, 5]), [2, 4, 6, 8, 10], [0, 2])
    array([0., 0.])
    """
    X, y = _check_Xy(X, y, "mse_gradient_wrt_theta")
    theta = _check_theta(theta, X, "mse_gradient_wrt_theta")
    return X.T @ mse_gradient(y, X @ theta)  # chain rule: dL/dtheta = X.T @ dL/dy_pred


def gradient_descent_step(
    X: ArrayLike, y: ArrayLike, theta: ArrayLike, learning_rate: float
) -> np.ndarray:
    """One gradient-descent update ``theta - learning_rate * grad`` (a new array).

    Parameters
    ----------
    X : array_like, shape (n, d)
    y : array_like, shape (n,)
    theta : array_like, shape (d,)
    learning_rate : float
        Step size, > 0.

    Returns
    -------
    np.ndarray, shape (d,)

    Examples
    --------
    >>> gradient_descent_step(design_matrix([1, 2, 3, 4, 5]), [2, 4, 6, 8, 10], [0, 0], 0.01)
    array([0.12, 0.44])
    """
    learning_rate = check_learning_rate(learning_rate, "gradient_descent_step")
    X, y = _check_Xy(X, y, "gradient_descent_step")
    theta = _check_theta(theta, X, "gradient_descent_step")
    return theta - learning_rate * mse_gradient_wrt_theta(X, y, theta)


def least_squares(X: ArrayLike, y: ArrayLike) -> np.ndarray:
    """The exact minimiser of the MSE (``np.linalg.lstsq``), the target GD should reach.

    Parameters
    ----------
    X : array_like, shape (n, d)
    y : array_like, shape (n,)

    Returns
    -------
    np.ndarray, shape (d,)

    Examples
    --------
    >>> least_squares(design_matrix([1, 2, 3, 4, 5]), [2, 4, 6, 8, 10]).round(6)
    array([0., 2.])
    """
    X, y = _check_Xy(X, y, "least_squares")
    return np.linalg.lstsq(X, y, rcond=None)[0]


# --------------------------------------------------------------------------- the loop
@dataclass(frozen=True)
class GDRun:
    """The trajectory of one gradient-descent run.

    Attributes
    ----------
    thetas : np.ndarray, shape (n_steps + 1, n_features)
        ``thetas[0]`` is the start, ``thetas[k]`` the weights after update ``k``.
    losses : np.ndarray, shape (n_steps + 1,)
        Full-data MSE at each ``thetas[k]`` (inf once the run has diverged).
    learning_rate : float
    batch_size : int or None
        None means full batch.
    n_samples : int
    """

    thetas: np.ndarray
    losses: np.ndarray
    learning_rate: float
    batch_size: int | None
    n_samples: int

    @property
    def theta(self) -> np.ndarray:
        """The final weights."""
        return self.thetas[-1]

    @property
    def diverged(self) -> bool:
        """True if the loss became non-finite or ended above where it started."""
        return bool(not np.all(np.isfinite(self.losses)) or self.losses[-1] > self.losses[0])

    @property
    def epochs(self) -> np.ndarray:
        """Passes over the data after each update (x axis for comparing batch sizes)."""
        per_step = (self.batch_size or self.n_samples) / self.n_samples
        return np.arange(self.losses.size) * per_step


def _batches(
    n: int, batch_size: int | None, rng: np.random.Generator
) -> Iterator[np.ndarray | slice]:
    """Row indices of each update: all rows, or shuffled mini-batches epoch after epoch."""
    while True:
        if batch_size is None:
            yield slice(None)
            continue
        order = rng.permutation(n)  # a new epoch
        for i in range(0, n, batch_size):
            yield order[i : i + batch_size]


def gradient_descent(
    X: ArrayLike,
    y: ArrayLike,
    theta0: ArrayLike,
    learning_rate: float,
    n_steps: int,
    batch_size: int | None = None,
    seed: int | np.random.Generator = 0,
) -> GDRun:
    """Run ``n_steps`` updates of (full-batch, mini-batch or stochastic) gradient descent.

    Parameters
    ----------
    X : array_like, shape (n, d)
        Design matrix (see :func:`design_matrix`).
    y : array_like, shape (n,)
    theta0 : array_like, shape (d,)
        Starting weights (not modified).
    learning_rate : float
        Step size, positive (Keras's name for it).
    n_steps : int
        Number of parameter updates (not epochs).
    batch_size : int, optional
        ``None``: every update uses all n samples (batch GD).  ``b``: each epoch
        the samples are shuffled with ``rng.permutation(n)`` and cut into
        consecutive batches of ``b`` (the last one may be smaller); ``1`` is
        stochastic gradient descent.
    seed : int or np.random.Generator
        Source of the shuffling (unused for full batch).

    Returns
    -------
    GDRun
        ``thetas`` and full-data ``losses`` after every update.  If the weights
        overflow, the remaining rows are NaN, the losses inf, and
        ``run.diverged`` is True.

    Examples
    --------
    >>> X, y = design_matrix([1, 2, 3, 4, 5]), np.array([2.0, 4, 6, 8, 10])
    >>> run = gradient_descent(X, y, [0, 0], learning_rate=0.01, n_steps=2)
    >>> run.thetas.round(4)
    array([[0.    , 0.    ],
           [0.12  , 0.44  ],
           [0.2112, 0.776 ]])
    >>> gradient_descent(X, y, [0, 0], learning_rate=0.1, n_steps=50).diverged
    True
    >>> mini = gradient_descent(X, y, [0, 0], learning_rate=0.01, n_steps=3, batch_size=2, seed=1)
    >>> mini.theta.round(3)
    array([0.291, 1.105])
    """
    func = "gradient_descent"
    learning_rate = check_learning_rate(learning_rate, func)
    X, y = _check_Xy(X, y, func)
    theta = _check_theta(theta0, X, func, name="theta0").copy()
    n_steps = check_int(
        n_steps, "n_steps", func, minimum=0, fix="it counts parameter updates, not epochs"
    )
    n = X.shape[0]
    if batch_size is not None:
        batch_size = check_int(
            batch_size, "batch_size", func, minimum=1, maximum=n, fix="pass None for full batch"
        )
    if batch_size == n:
        batch_size = None  # the same algorithm
    batches = _batches(n, batch_size, as_generator(seed, func))

    thetas = np.full((n_steps + 1, X.shape[1]), np.nan)
    losses = np.full(n_steps + 1, np.inf)
    thetas[0] = theta
    losses[0] = np.mean((X @ theta - y) ** 2)
    with np.errstate(over="ignore", invalid="ignore"):
        for step in range(1, n_steps + 1):
            idx = next(batches)
            Xb, yb = X[idx], y[idx]
            grad = 2.0 / Xb.shape[0] * (Xb.T @ (Xb @ theta - yb))
            theta = theta - learning_rate * grad
            loss = float(np.mean((X @ theta - y) ** 2))
            if not (np.all(np.isfinite(theta)) and math.isfinite(loss)):
                break  # diverged: rest stays nan/inf
            thetas[step] = theta
            losses[step] = loss
    return GDRun(thetas, losses, learning_rate, batch_size, n)


def run_summary(run: GDRun, optimum: ArrayLike | None = None) -> str:
    """One line describing a run, for the chapter-02 explorer and for printing.

    Parameters
    ----------
    run : GDRun
        What :func:`gradient_descent` returned.
    optimum : array_like, optional
        The exact minimiser; if given, the distance to it is added.

    Returns
    -------
    str

    Examples
    --------
    >>> X, y = design_matrix([1, 2, 3, 4, 5]), np.array([2.0, 4, 6, 8, 10])
    >>> run_summary(gradient_descent(X, y, [0, 0], 0.01, 100))
    'learning_rate=0.01, full batch, 100 steps: loss 44 -> 0.0245, theta = [0.3667, 1.8984]'
    >>> run_summary(gradient_descent(X, y, [0, 0], 0.1, 100))
    'learning_rate=0.1, full batch, 100 steps: DIVERGED (loss 44 -> 5.56e+28)'
    """
    if not isinstance(run, GDRun):
        raise argument_error(
            "run_summary",
            "run",
            run,
            f"a GDRun, got {type(run).__name__}",
            "pass the GDRun returned by gradient_descent",
            exc=ArgumentTypeError,
        )
    batch = "full batch" if run.batch_size is None else f"batch_size={run.batch_size}"
    head = f"learning_rate={run.learning_rate:g}, {batch}, {run.losses.size - 1} steps"
    final = run.losses[-1]
    if run.diverged:
        return f"{head}: DIVERGED (loss {run.losses[0]:.3g} -> {final:.3g})"
    theta = ", ".join(f"{t:.4f}" for t in run.theta)
    text = f"{head}: loss {run.losses[0]:.3g} -> {final:.3g}, theta = [{theta}]"
    if optimum is not None:
        dist = float(np.linalg.norm(run.theta - np.asarray(optimum, dtype=float)))
        text += f", distance to the minimum {dist:.3g}"
    return text
