"""Pictures of optimizers at work: their paths, their loss gaps, and the learning-rate/beta explorer.

Explained in chapter 03 (``notebooks/03_momentum_rmsprop_adam.ipynb``).  The
plot helpers take ``ax=None`` and return the ``ax`` they drew on; loss curves
are drawn by the one :func:`course_lib.viz.plots.plot_loss_curves`.  The
widget is a thin shell around :func:`explorer_paths` and
:func:`summarize_paths`, which are pure functions (and tested).  Chapter 03's
tuned comparisons are in :mod:`course_lib.viz.optim_comparisons`.

>>> from course_lib.foundations.problems import Quadratic
>>> paths = explorer_paths(Quadratic(), x0=(-2.0, 1.0), learning_rate=0.05, n_steps=30)
>>> sorted(paths)
['Adam', 'Momentum', 'RMSProp', 'SGD']
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from course_lib.core.validation import ArgumentTypeError, argument_error, check_array
from course_lib.foundations.adaptive import Adam, RMSProp
from course_lib.foundations.optimizers import SGD, Momentum
from course_lib.foundations.problems import minimize
from course_lib.viz.plots import plot_loss_curves

__all__ = [
    "explorer_paths",
    "summarize_paths",
    "off_plot_from",
    "status_notes",
    "plot_contours",
    "plot_paths",
    "loss_gaps",
    "LOSS_STYLES",
    "plot_runs",
    "optimizer_explorer",
]

_STYLE = {
    "SGD": ("tab:gray", "o"),
    "Momentum": ("tab:blue", "s"),
    "RMSProp": ("tab:green", "^"),
    "Adam": ("tab:red", "D"),
}
# SGD and Momentum take the same first step (the velocity starts at 0): dash SGD and draw it
# on top, so that it stays visible where the two overlap.
_LINESTYLE = {"SGD": (0, (4, 2))}
_ON_TOP = {"SGD": 3}


def off_plot_from(
    path: ArrayLike, xlim: tuple[float, float], ylim: tuple[float, float]
) -> int | None:
    """The step from which ``path`` stays outside the window ``xlim`` x ``ylim`` to its end.

    ``None`` when the path ends inside the window (a path that leaves and comes
    back is visible, so it needs no note).  A point that is not finite counts
    as outside.  A plot shows nothing of the path from that step on, so a
    legend should say so.

    Examples
    --------
    >>> off_plot_from(np.array([[0.0, 0.0], [0.5, 0.5], [3.0, 0.0]]), (-1, 1), (-1, 1))
    2
    >>> off_plot_from(np.array([[0.0, 0.0], [3.0, 0.0], [0.5, 0.5]]), (-1, 1), (-1, 1)) is None
    True
    """
    path = check_array(path, "path", "off_plot_from", allow_nan=True)
    if path.ndim != 2 or path.shape[1] != 2:
        raise argument_error(
            "off_plot_from",
            "path",
            path,
            f"of shape (k, 2), one point per step, got {path.shape}",
            "pass a trajectory from minimize",
        )
    with np.errstate(invalid="ignore"):
        inside = (
            (path[:, 0] >= xlim[0])
            & (path[:, 0] <= xlim[1])
            & (path[:, 1] >= ylim[0])
            & (path[:, 1] <= ylim[1])
        )
    if inside[-1]:
        return None
    shown = np.flatnonzero(inside)
    return int(shown[-1]) + 1 if shown.size else 0


def status_notes(
    problem: Any,
    paths: Mapping[str, np.ndarray],
    n_steps: int,
    xlim: tuple[float, float],
    ylim: tuple[float, float],
) -> dict[str, str]:
    """One short note per method for a title: final loss, divergence, leaving the picture.

    A run that ``minimize`` stopped (fewer than ``n_steps + 1`` points, or a
    non-finite loss) "diverged at step k"; a run that ends outside the plot
    window is still named, with the step at which it left, so that a method
    missing from the picture is never silently missing.

    Examples
    --------
    >>> from course_lib.foundations.problems import Rosenbrock
    >>> v = Rosenbrock()
    >>> paths = explorer_paths(v, x0=(-1.2, 1.0), learning_rate=1.0, n_steps=300)
    >>> notes = status_notes(v, paths, 300, (-1.5, 1.5), (-0.5, 1.5))
    >>> notes["SGD"], notes["RMSProp"]
    ('diverged at step 2', '33, off the plot from step 1')
    """
    summary = summarize_paths(problem, paths, n_steps=n_steps)
    notes = {}
    for name, path in paths.items():
        path = np.asarray(path, dtype=float)
        if summary[name]["diverged"]:
            notes[name] = f"diverged at step {len(path) - 1}"
            continue
        note = f"{summary[name]['final_loss']:.2g}"
        gone = off_plot_from(path, xlim, ylim)
        if gone is not None:
            note += f", off the plot from step {gone}"
        notes[name] = note
    return notes


def explorer_paths(
    problem: Any,
    x0: ArrayLike = (-1.5, 2.0),
    learning_rate: float = 0.01,
    beta_1: float = 0.9,
    beta_2: float = 0.999,
    n_steps: int = 100,
) -> dict[str, np.ndarray]:
    """Trajectories of SGD, Momentum, RMSProp and Adam from ``x0`` on ``problem``.

    One ``learning_rate`` for all four; ``beta_1`` is Momentum's ``momentum``
    and Adam's ``beta_1``; ``beta_2`` is RMSProp's ``rho`` and Adam's
    ``beta_2``, so each slider of the explorer moves the matching part of
    every method.

    Examples
    --------
    >>> from course_lib.foundations.problems import Rosenbrock
    >>> paths = explorer_paths(Rosenbrock(), learning_rate=0.001, n_steps=10)
    >>> {name: path.shape for name, path in paths.items()}["Adam"]
    (11, 2)
    """
    adam = Adam(learning_rate, beta_1, beta_2)  # validates the three sliders first
    optimizers = {
        "SGD": SGD(learning_rate),
        "Momentum": Momentum(learning_rate, beta_1),
        "RMSProp": RMSProp(learning_rate, rho=beta_2),
        "Adam": adam,
    }
    return {name: minimize(problem.grad, x0, opt, n_steps) for name, opt in optimizers.items()}


def summarize_paths(
    problem: Any, paths: Mapping[str, np.ndarray], n_steps: int | None = None, tol: float = 1e-3
) -> dict[str, dict[str, Any]]:
    """Per method: final loss, first step with loss < ``tol``, and whether it diverged.

    A path diverged when it is shorter than ``n_steps + 1`` (``minimize``
    stopped it) or ends at a non-finite loss.

    Examples
    --------
    >>> from course_lib.foundations.problems import Quadratic
    >>> q = Quadratic(scales=(1.0, 25.0))
    >>> paths = explorer_paths(q, x0=(1.0, 1.0), learning_rate=0.1, n_steps=100)
    >>> summary = summarize_paths(q, paths, n_steps=100)
    >>> summary["SGD"]["diverged"], summary["Adam"]["diverged"]
    (True, False)
    >>> summary["Momentum"]["steps_to_tol"]
    65
    """
    if not isinstance(paths, Mapping) or not paths:
        raise argument_error(
            "summarize_paths",
            "paths",
            paths,
            "a non-empty dict name -> trajectory",
            "pass what explorer_paths returned",
            exc=ValueError if isinstance(paths, Mapping) else ArgumentTypeError,
        )
    out = {}
    for name, path in paths.items():
        path = np.asarray(path, dtype=float)
        if path.ndim != 2 or path.shape[1] != 2 or len(path) == 0:
            raise argument_error(
                "summarize_paths",
                f"paths[{name!r}]",
                path,
                f"of shape (n_steps + 1, 2), got {path.shape}",
                "pass a 2-D trajectory from minimize",
            )
        with np.errstate(over="ignore", invalid="ignore"):
            losses = np.array([problem.value(x) for x in path])
        final = float(losses[-1])
        diverged = (n_steps is not None and len(path) < n_steps + 1) or not np.isfinite(final)
        below = np.flatnonzero(losses < tol)
        out[name] = {
            "final_loss": final,
            "diverged": bool(diverged),
            "steps_to_tol": int(below[0]) if below.size and not diverged else None,
        }
    return out


def plot_contours(
    problem: Any,
    xlim: tuple[float, float] = (-2.0, 2.0),
    ylim: tuple[float, float] = (-1.0, 3.0),
    ax: Any = None,
    n_levels: int = 25,
) -> Any:
    """Log-spaced contour lines of ``problem.value`` and a star at its minimum.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from course_lib.foundations.problems import Rosenbrock
    >>> plot_contours(Rosenbrock(), xlim=(-1.5, 1.5), ylim=(-0.5, 1.5)).get_ylabel()
    'parameter $x_2$ (unitless)'
    """
    import matplotlib.pyplot as plt
    from matplotlib.colors import LogNorm

    if ax is None:
        _, ax = plt.subplots()
    xs, ys = np.linspace(*xlim, 200), np.linspace(*ylim, 200)
    grid = np.stack(np.meshgrid(xs, ys))
    z = problem.value(grid) + 1e-3
    levels = np.logspace(np.log10(z.min()), np.log10(z.max()), n_levels)
    ax.contour(xs, ys, z, levels=levels, norm=LogNorm(), cmap="Greys", linewidths=0.7)
    ax.plot(
        *problem.minimum,
        marker="*",
        color="gold",
        markersize=16,
        markeredgecolor="k",
        linestyle="none",
        label="minimum",
    )
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_xlabel("parameter $x_1$ (unitless)")
    ax.set_ylabel("parameter $x_2$ (unitless)")
    return ax


def plot_paths(
    problem: Any,
    paths: Mapping[str, np.ndarray],
    xlim: tuple[float, float] = (-2.0, 2.0),
    ylim: tuple[float, float] = (-1.0, 3.0),
    ax: Any = None,
    title: str | None = None,
) -> Any:
    """Contours of ``problem`` with each optimizer's path drawn on top.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from course_lib.foundations.problems import Quadratic
    >>> q = Quadratic()
    >>> ax = plot_paths(q, explorer_paths(q, learning_rate=0.02, n_steps=20))
    >>> ax.get_xlabel()
    'parameter $x_1$ (unitless)'
    """
    ax = plot_contours(problem, xlim, ylim, ax=ax)
    for name, path in paths.items():
        color, marker = _STYLE.get(name, (None, "."))
        gone = off_plot_from(path, xlim, ylim)
        label = name if gone is None else f"{name} (off the plot from step {gone})"
        ax.plot(
            path[:, 0],
            path[:, 1],
            color=color,
            marker=marker,
            markersize=3,
            markevery=max(1, len(path) // 15),
            linewidth=1.3,
            label=label,
            linestyle=_LINESTYLE.get(name, "-"),
            zorder=_ON_TOP.get(name, 2),
        )
    ax.plot(*np.asarray(next(iter(paths.values())))[0], "ko", label="start")
    ax.legend(loc="best", fontsize=8)
    if title:
        ax.set_title(title)
    return ax


def loss_gaps(problem: Any, paths: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """``f(x_t) - f(x*)`` along each path: the loss above the minimum, per step.

    Examples
    --------
    >>> from course_lib.foundations.problems import Quadratic
    >>> loss_gaps(Quadratic(scales=(1.0, 25.0)), {"A": np.array([[1.0, 1.0], [0.0, 0.0]])})
    {'A': array([13.,  0.])}
    """
    best = problem.value(problem.minimum)
    with np.errstate(over="ignore", invalid="ignore"):
        return {
            name: np.array([problem.value(x) for x in np.asarray(path, dtype=float)]) - best
            for name, path in paths.items()
        }


#: Matplotlib style of each optimizer's loss curve (the colours of :func:`plot_paths`).
LOSS_STYLES = {
    name: {"color": color, "linestyle": _LINESTYLE.get(name, "-"), "zorder": _ON_TOP.get(name, 2)}
    for name, (color, _) in _STYLE.items()
}


def plot_runs(
    problem: Any,
    paths: Mapping[str, np.ndarray],
    axes: Any = None,
    *,
    xlim: tuple[float, float] = (-2.0, 2.0),
    ylim: tuple[float, float] = (-1.0, 3.0),
    title: str | None = None,
    ceiling: float | None = None,
    loss_title: str = "loss gap per step",
) -> tuple[Any, Any]:
    """Two panels: the paths on the contours, and the loss gap per step (log scale).

    The loss panel is :func:`course_lib.viz.plots.plot_loss_curves` of
    :func:`loss_gaps`, in the optimizers' colours; ``ceiling`` (e.g. ``1e4``)
    cuts diverging runs there (triangles) so that they do not squash the others.

    Returns
    -------
    (ax_paths, ax_loss)

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from course_lib.foundations.problems import Quadratic
    >>> q = Quadratic()
    >>> paths = explorer_paths(q, x0=(1.0, 1.0), learning_rate=0.1, n_steps=100)  # SGD diverges
    >>> left, right = plot_runs(q, paths, ceiling=1e4)
    >>> bool(max(np.nanmax(line.get_ydata()) for line in right.get_lines()) <= 1e4)
    True
    >>> [t.get_text() for t in right.get_legend().get_texts()][0]
    'SGD (diverged: above 1e4 from step 9)'
    """
    if axes is None:
        import matplotlib.pyplot as plt

        _, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    left, right = axes
    plot_paths(problem, paths, xlim, ylim, ax=left, title=title)
    plot_loss_curves(
        loss_gaps(problem, paths),
        ax=right,
        ceiling=ceiling,
        floor=1e-16,
        styles=LOSS_STYLES,
        xlabel="step t",
        ylabel="loss gap $f(x_t) - f(x^*)$ (log scale)",
        title=loss_title,
    )
    return left, right


def optimizer_explorer(
    problem: Any,
    x0: ArrayLike = (-1.5, 2.0),
    n_steps: int = 100,
    xlim: tuple[float, float] = (-2.0, 2.0),
    ylim: tuple[float, float] = (-1.0, 3.0),
) -> Any:
    """An ipywidgets explorer: sliders for learning_rate, beta_1, beta_2 redraw the four paths.

    Returns the widget (display it as the last expression of a cell).  In a
    static copy of the notebook the sliders do nothing; the lesson shows a
    fixed plot next to it.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from course_lib.foundations.problems import Rosenbrock
    >>> import contextlib, io
    >>> with contextlib.redirect_stdout(io.StringIO()):   # the first draw, outside Jupyter
    ...     widget = optimizer_explorer(Rosenbrock(), n_steps=10)
    >>> [child.description for child in widget.children[:3]]
    ['learning rate', 'β1', 'β2']
    """
    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    def draw(learning_rate: float, beta_1: float, beta_2: float) -> None:
        paths = explorer_paths(problem, x0, learning_rate, beta_1, beta_2, n_steps)
        left, _ = plot_runs(
            problem,
            paths,
            xlim=xlim,
            ylim=ylim,
            ceiling=1e6,
            title=f"learning_rate={learning_rate:.3g}, β1={beta_1:.3f}, β2={beta_2:.4f}",
            loss_title="loss gap per step (▲: above 1e6, off the scale)",
        )
        notes = "; ".join(
            f"{name}: {note}"
            for name, note in status_notes(problem, paths, n_steps, xlim, ylim).items()
        )
        left.figure.suptitle(f"final loss after {n_steps} steps: {notes}", fontsize=9)
        plt.show()

    return widgets.interactive(
        draw,
        learning_rate=widgets.FloatLogSlider(
            value=0.01,
            base=10,
            min=-4,
            max=0,
            step=0.1,
            description="learning rate",
            style={"description_width": "initial"},
        ),
        beta_1=widgets.FloatSlider(value=0.9, min=0.0, max=0.99, step=0.01, description="β1"),
        beta_2=widgets.FloatSlider(
            value=0.999, min=0.9, max=0.9999, step=0.0001, readout_format=".4f", description="β2"
        ),
    )
