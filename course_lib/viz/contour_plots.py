"""A 2-parameter loss surface with optimisation paths on it (chapter 02, reused in 03).

Like every plot helper, each function takes ``ax=None`` (a new figure is made
when it is None) and returns what it drew on.  Loss curves are drawn by the one
:func:`course_lib.viz.plots.plot_loss_curves`.

>>> import matplotlib
>>> matplotlib.use("Agg")
>>> import numpy as np
>>> ax = plot_contour_path(lambda t: float(t @ t), {"GD": np.array([[1.0, 1.0], [0.0, 0.0]])})
>>> ax.get_legend().get_texts()[0].get_text()
'GD'
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from course_lib.core.validation import ArgumentTypeError, argument_error, check_array, check_int
from course_lib.viz.plots import _as_dict, _axes, _item, plot_loss_curves

__all__ = ["loss_grid", "plot_contour_path", "plot_descent"]


def loss_grid(
    loss_fn: Callable[[np.ndarray], float],
    xlim: tuple[float, float],
    ylim: tuple[float, float],
    n: int = 60,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Evaluate ``loss_fn(theta)`` on an ``n x n`` grid of 2-parameter points.

    Returns
    -------
    T0, T1, Z : np.ndarray, each of shape (n, n)
        Mesh of the first and second parameter and the loss there.

    Examples
    --------
    >>> T0, T1, Z = loss_grid(lambda t: float(t @ t), (-1, 1), (-1, 1), n=3)
    >>> Z
    array([[2., 1., 2.],
           [1., 0., 1.],
           [2., 1., 2.]])
    """
    if not callable(loss_fn):
        raise argument_error(
            "loss_grid",
            "loss_fn",
            loss_fn,
            f"a function theta -> float, got {type(loss_fn).__name__}",
            exc=ArgumentTypeError,
        )
    for name, lim in (("xlim", xlim), ("ylim", ylim)):
        try:
            ok = len(lim) == 2 and bool(lim[0] < lim[1])
        except TypeError:
            ok = False
        if not ok:
            raise argument_error(
                "loss_grid", name, lim, "(low, high) with low < high", f"e.g. {name}=(-1.0, 1.0)"
            )
    n = check_int(n, "n", "loss_grid", minimum=2, fix="the grid needs at least 2 points a side")
    t0, t1 = np.linspace(*xlim, n), np.linspace(*ylim, n)
    T0, T1 = np.meshgrid(t0, t1)
    Z = np.array(
        [
            [loss_fn(np.array([a, b])) for a, b in zip(r0, r1, strict=True)]
            for r0, r1 in zip(T0, T1, strict=True)
        ]
    )
    return T0, T1, Z


def _check_paths(paths: Mapping[str, ArrayLike] | ArrayLike | None) -> dict[str, np.ndarray]:
    """``{label: path}``, each path of shape (k, 2)."""
    table = {} if paths is None else _as_dict(paths, "path", "paths", "plot_contour_path")
    for label, p in table.items():
        if p.ndim != 2 or p.shape[1] != 2:
            raise argument_error(
                "plot_contour_path",
                _item(paths, "paths", label),
                p,
                f"of shape (k, 2), one row of 2 parameters per step, got {p.shape}",
            )
    return table


def _window(
    table: Mapping[str, np.ndarray],
    optimum: ArrayLike | None,
    xlim: tuple[float, float] | None,
    ylim: tuple[float, float] | None,
) -> tuple[tuple[float, float], tuple[float, float]]:
    """``(xlim, ylim)``: the given ones, or a window around the paths' finite points.

    >>> _window({"a": np.array([[0.0, 0.0], [1.0, 2.0]])}, None, None, (0.0, 1.0))
    ((-0.5, 1.5), (0.0, 1.0))
    """
    if xlim is not None and ylim is not None:
        return xlim, ylim
    finite = [p[np.all(np.isfinite(p), axis=1)] for p in table.values()]
    stack = finite + (
        [np.atleast_2d(np.asarray(optimum, dtype=float))] if optimum is not None else []
    )
    points = np.vstack(stack) if stack else np.zeros((1, 2))
    lo, hi = points.min(axis=0), points.max(axis=0)
    pad = np.maximum((hi - lo) * 0.15, 0.5)
    return (
        xlim or (float(lo[0] - pad[0]), float(hi[0] + pad[0])),
        ylim or (float(lo[1] - pad[1]), float(hi[1] + pad[1])),
    )


def _draw_contours(
    ax: Any,
    loss_fn: Callable[[np.ndarray], float],
    xlim: tuple[float, float],
    ylim: tuple[float, float],
    n: int,
    levels: int,
) -> None:
    """Contours of ``loss_fn`` over the window, spaced logarithmically."""
    T0, T1, Z = loss_grid(loss_fn, xlim, ylim, n=n)
    zmin = max(float(np.min(Z)), 1e-6)
    zmax = max(float(np.max(Z)), zmin * 10)
    ax.contour(
        T0,
        T1,
        np.maximum(Z, zmin),
        levels=np.geomspace(zmin, zmax, levels),
        cmap="viridis",
        linewidths=0.8,
    )


def _number_steps(
    ax: Any,
    points: np.ndarray,
    xlim: tuple[float, float],
    ylim: tuple[float, float],
    color: Any,
) -> None:
    """Write its step number next to each of ``points`` inside the window."""
    for step, (a, b) in enumerate(points):
        if xlim[0] <= a <= xlim[1] and ylim[0] <= b <= ylim[1]:
            ax.annotate(
                str(step),
                (a, b),
                xytext=(4, 2),
                textcoords="offset points",
                fontsize=7,
                color=color,
            )


def plot_contour_path(
    loss_fn: Callable[[np.ndarray], float],
    paths: Mapping[str, ArrayLike] | ArrayLike | None = None,
    ax: Any = None,
    *,
    xlim: tuple[float, float] | None = None,
    ylim: tuple[float, float] | None = None,
    n: int = 60,
    levels: int = 25,
    optimum: ArrayLike | None = None,
    param_names: tuple[str, str] = ("θ₀", "θ₁"),
    title: str | None = None,
    colors: str | Mapping[str, str] | None = None,
    number_steps: int = 0,
) -> Any:
    """Contour plot of a 2-parameter loss with optimisation paths drawn on top.

    Parameters
    ----------
    loss_fn : callable
        ``loss_fn(theta) -> float`` with ``theta`` of shape (2,).
    paths : dict[str, array_like] or array_like, optional
        ``{label: thetas}``, each of shape (k, 2): the parameters after each step.
    xlim, ylim : (float, float), optional
        Plot window; by default it encloses the (finite part of the) paths.
    levels : int
        Number of contour levels, spaced logarithmically (losses span decades).
    optimum : array_like of shape (2,), optional
        Marked with a star.
    colors : str or dict[str, str], optional
        One matplotlib colour for every path, or ``{label: colour}`` (e.g. to
        match the colours of a loss-curve panel); default: the colour cycle.
    number_steps : int
        Write the step number next to the first ``number_steps`` points of
        each path, so that a path that zig-zags back over itself can be read.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> path = np.array([[1.0, 1.0], [0.5, 0.4], [0.1, 0.1]])
    >>> ax = plot_contour_path(lambda t: float(t @ t), {"GD": path}, optimum=[0, 0])
    >>> ax.get_xlabel(), ax.get_ylabel()
    ('θ₀', 'θ₁')
    >>> ax = plot_contour_path(lambda t: float(t @ t), {"GD": path}, colors="tab:red",
    ...                        number_steps=2)
    >>> [t.get_text() for t in ax.texts], ax.get_lines()[0].get_color()
    (['0', '1'], 'tab:red')
    """
    number_steps = check_int(
        number_steps,
        "number_steps",
        "plot_contour_path",
        minimum=0,
        fix="it is how many points of each path to number",
    )
    table = _check_paths(paths)
    xlim, ylim = _window(table, optimum, xlim, ylim)
    ax = _axes(ax)
    _draw_contours(ax, loss_fn, xlim, ylim, n, levels)
    for label, p in table.items():
        color = colors.get(label) if isinstance(colors, Mapping) else colors
        (line,) = ax.plot(
            p[:, 0], p[:, 1], marker="o", markersize=2.5, linewidth=1.2, label=label, color=color
        )
        _number_steps(ax, p[:number_steps], xlim, ylim, line.get_color())
    if optimum is not None:
        ax.plot(
            *np.asarray(optimum, dtype=float),
            marker="*",
            markersize=14,
            color="black",
            linestyle="none",
            label="minimum",
        )
    ax.set_xlim(xlim)
    ax.set_ylim(ylim)
    ax.set_xlabel(param_names[0])
    ax.set_ylabel(param_names[1])
    if title:
        ax.set_title(title)
    if table or optimum is not None:
        ax.legend(loc="best")
    return ax


def plot_descent(
    loss_fn: Callable[[np.ndarray], float],
    thetas: ArrayLike,
    losses: ArrayLike,
    axes: Any = None,
    *,
    optimum: ArrayLike | None = None,
    label: str = "path",
    summary: str | None = None,
    xlim: tuple[float, float] | None = None,
    ylim: tuple[float, float] | None = None,
    param_names: tuple[str, str] = ("θ₀", "θ₁"),
) -> tuple[Any, Any]:
    """Draw one optimisation run: its path on the loss contours and its loss curve.

    This is the drawing half of the chapter-02 explorer (the other half is
    ``course_lib.foundations.linreg.gradient_descent``); it is a plain function so it can
    be tested and reused outside the widget.

    Parameters
    ----------
    loss_fn : callable
        ``loss_fn(theta) -> float`` for 2 parameters.
    thetas : array_like, shape (k, 2)
    losses : array_like, shape (k,)
    axes : pair of matplotlib Axes, optional
        Where to draw (contour, loss curve); a new 1x2 figure by default.
    summary : str, optional
        Shown as the figure's title (e.g. ``linreg.run_summary(run)``).

    Returns
    -------
    (ax_contour, ax_loss)

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> path = np.array([[1.0, 1.0], [0.5, 0.5], [0.2, 0.2]])
    >>> ax1, ax2 = plot_descent(lambda t: float(t @ t), path, [2.0, 0.5, 0.08])
    >>> ax2.get_ylabel()
    'loss (MSE)'
    """
    thetas = check_array(
        thetas,
        "thetas",
        "plot_descent",
        ndim=2,
        allow_nan=True,
        fix="pass run.thetas, one row of 2 parameters per step",
    )
    losses = check_array(
        losses,
        "losses",
        "plot_descent",
        ndim=1,
        allow_nan=True,
        fix="pass run.losses, one value per step",
    )
    if thetas.shape[0] != losses.shape[0]:
        raise argument_error(
            "plot_descent",
            "losses",
            losses,
            f"one value per row of thetas {thetas.shape}, got shape {losses.shape}",
            "pass the thetas and losses of the same run",
        )
    if axes is None:
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    ax_contour, ax_loss = axes
    plot_contour_path(
        loss_fn,
        {label: thetas},
        ax=ax_contour,
        optimum=optimum,
        xlim=xlim,
        ylim=ylim,
        param_names=param_names,
        title="path on the loss surface",
    )
    plot_loss_curves({label: losses}, ax=ax_loss, ylabel="loss (MSE)", title="loss per step")
    if summary:
        ax_contour.figure.suptitle(summary, fontsize=10)
    return ax_contour, ax_loss
