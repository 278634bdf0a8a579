"""Chapter 03's comparisons: each optimizer at its best learning rate, and Adam's step size.

Explained in chapter 03 (``notebooks/03_momentum_rmsprop_adam.ipynb``); the
paths and loss gaps are drawn with :mod:`course_lib.viz.optim_plots`.

>>> from course_lib.foundations.problems import Quadratic
>>> first_step_below(Quadratic(), np.array([[1.0, 1.0], [0.0, 0.0]]))
1
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

from course_lib.foundations.adaptive import adam_step_scale
from course_lib.foundations.problems import minimize
from course_lib.viz.optim_plots import LOSS_STYLES, loss_gaps, plot_paths
from course_lib.viz.plots import plot_loss_curves

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["tune_learning_rates", "plot_comparison", "plot_adam_step_scale", "first_step_below"]


def tune_learning_rates(
    problem: Any,
    x0: ArrayLike,
    makers: Mapping[str, Callable[..., Any]],
    learning_rates: ArrayLike,
    n_steps: int,
    hold: int = 50,
) -> tuple[dict[str, np.ndarray], pd.DataFrame]:
    """Each optimizer with its best learning rate from a grid: its run and a summary table.

    A run is scored by its *worst* loss over the last ``hold`` steps (so that
    a run touching a low value between two spikes does not win by luck); a
    run that ``minimize`` stopped (divergence) scores ``inf``.

    Parameters
    ----------
    problem : Quadratic or Rosenbrock
        Anything with ``grad``, ``value`` and ``minimum``.
    x0 : array_like of shape (2,)
        The start.
    makers : dict of str -> callable
        ``{"Adam": Adam, ...}``: called as ``make(learning_rate=...)``.
    learning_rates : array_like
        The grid, e.g. ``np.logspace(-4, 0, 9)``.
    n_steps, hold : int
        Length of each run, and how many final steps are scored.

    Returns
    -------
    (dict of str -> np.ndarray, pd.DataFrame)
        The best run per optimizer, and a table indexed by optimizer with its
        ``learning_rate``, ``worst of last {hold}`` loss and ``final loss``.

    Examples
    --------
    >>> from course_lib.foundations.optimizers import SGD
    >>> from course_lib.foundations.problems import Quadratic
    >>> runs, table = tune_learning_rates(Quadratic(), (1.0, 1.0), {"SGD": SGD},
    ...                                   [0.01, 0.05, 0.1], n_steps=100, hold=10)
    >>> float(table.loc["SGD", "learning_rate"]), runs["SGD"].shape
    (0.05, (101, 2))
    """
    import pandas as pd

    rates = np.asarray(learning_rates, dtype=float)
    runs, rows = {}, []
    for name, make in makers.items():
        paths = [
            minimize(problem.grad, x0, make(learning_rate=float(rate)), n_steps) for rate in rates
        ]
        scores = [
            problem.value(p[-hold:].T).max() if len(p) == n_steps + 1 else np.inf for p in paths
        ]  # shorter path: minimize stopped a divergence
        best = int(np.argmin(scores))
        runs[name] = paths[best]
        rows.append(
            {
                "optimizer": name,
                "learning_rate": float(rates[best]),
                f"worst of last {hold}": scores[best],
                "final loss": problem.value(paths[best][-1]),
            }
        )
    return runs, pd.DataFrame(rows).set_index("optimizer")


def plot_comparison(
    problem: Any,
    runs: Mapping[str, np.ndarray],
    table: pd.DataFrame,
    *,
    xlim: tuple[float, float],
    ylim: tuple[float, float],
    title: str,
) -> Any:
    """One path panel per optimizer (drawn together they hide one another) and one loss panel.

    ``runs`` and ``table`` are what :func:`tune_learning_rates` returned.
    Returns the figure.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from course_lib.foundations import SGD, Adam
    >>> from course_lib.foundations.problems import Quadratic
    >>> q = Quadratic()
    >>> runs, table = tune_learning_rates(q, (1.0, 1.0), {"SGD": SGD, "Adam": Adam}, [0.01, 0.1],
    ...                                   n_steps=20, hold=5)
    >>> fig = plot_comparison(q, runs, table, xlim=(-2, 2), ylim=(-2, 2), title="bowl")
    >>> sorted(ax.get_title() for ax in fig.axes)
    ['Adam, learning rate = 0.1', 'SGD, learning rate = 0.01', 'loss per step']
    """
    import matplotlib.pyplot as plt

    names = list(runs)
    grid: Any = [names[i : i + 2] + ["loss"] for i in range(0, len(names), 2)]
    grid = [row if len(row) == 3 else row[:1] + ["."] + row[1:] for row in grid]
    fig, axes = plt.subplot_mosaic(
        grid, figsize=(14, 4 * len(grid)), layout="constrained", width_ratios=(1, 1, 1.3)
    )
    for name in names:
        plot_paths(
            problem,
            {name: runs[name]},
            xlim,
            ylim,
            ax=axes[name],
            title=f"{name}, learning rate = {table.loc[name, 'learning_rate']:.3g}",
        )
    plot_loss_curves(
        loss_gaps(problem, runs),
        ax=axes["loss"],
        floor=1e-16,
        styles=LOSS_STYLES,
        xlabel="step t",
        ylabel="loss gap $f(x_t) - f(x^*)$ (log scale)",
        title="loss per step",
    )
    fig.suptitle(title, fontweight="bold")
    return fig


def plot_adam_step_scale(
    n_steps: int = 3000, beta_1: float = 0.9, beta_2: float = 0.999, ax: Any = None
) -> Any:
    """Adam's step for a constant gradient, with and without bias correction (log x axis).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> ax = plot_adam_step_scale(100)
    >>> [line.get_label() for line in ax.get_lines()][1]
    'with bias correction (Adam, Keras)'
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots()
    t = np.arange(1, n_steps + 1)
    ax.semilogx(
        t,
        adam_step_scale(t, beta_1, beta_2, bias_correction=False),
        label="without bias correction (as in the source articles)",
    )
    ax.semilogx(t, adam_step_scale(t, beta_1, beta_2), label="with bias correction (Adam, Keras)")
    ax.set_xlabel("step t (log scale)")
    ax.set_ylabel("step size / learning rate")
    ax.set_title("Adam's step for a constant gradient")
    ax.set_ylim(0, 8.5)  # room above the peak for the legend
    ax.legend(loc="upper right")
    return ax


def first_step_below(problem: Any, path: ArrayLike, tol: float = 1e-6) -> int | None:
    """The first step at which the loss of ``path`` is below ``tol``; None if it never is.

    Examples
    --------
    >>> from course_lib.foundations.problems import Quadratic
    >>> first_step_below(Quadratic(), np.array([[1.0, 1.0], [0.1, 0.0], [0.0, 0.0]]), 0.01)
    1
    """
    below = np.nonzero(problem.value(np.asarray(path, dtype=float).T) < tol)[0]
    return int(below[0]) if below.size else None
