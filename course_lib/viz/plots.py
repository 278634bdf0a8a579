"""Generic plot helpers: a loss against the prediction, loss curves, a loss surface with paths.

Introduced in chapters 01-02 and reused afterwards.  Every helper takes
``ax=None`` (a new figure is made when it is None) and returns the ``ax`` it
drew on, so a notebook can add to it or put several on one figure.  The
helpers only draw; they never train anything (that lives in the numpy
modules, which keeps the layers of DESIGN.md pointing down).

>>> import matplotlib
>>> matplotlib.use("Agg")
>>> import numpy as np
>>> ax = plot_loss_curves({"learning_rate = 0.01": [4.0, 2.0, 1.0]})
>>> ax.get_xlabel(), ax.get_yscale()
('step', 'log')
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from course_lib.core.validation import (
    ArgumentTypeError,
    argument_error,
    check_array,
    check_frame,
    check_int,
    check_number,
)

__all__ = [
    "plot_loss_vs_prediction",
    "plot_loss_curves",
    "loss_grid",
    "plot_contour_path",
    "plot_descent",
    "plot_segment_rmse",
]


def _axes(ax: Any) -> Any:
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots()
    return ax


def _as_dict(curves: Any, default_label: str, name: str, where: str) -> dict[str, np.ndarray]:
    """``{label: values}`` as float arrays; one array becomes ``{default_label: array}``."""
    if isinstance(curves, Mapping):
        if not curves:
            raise argument_error(
                where, name, curves, "a non-empty dict {label: values}", "pass at least one curve"
            )
        return {str(k): np.asarray(v, dtype=float) for k, v in curves.items()}
    return {default_label: np.asarray(curves, dtype=float)}


def _item(curves: Any, name: str, label: str) -> str:
    """How an error names one curve: ``curves['a']``, or ``curves`` if it was one array."""
    return f"{name}[{label!r}]" if isinstance(curves, Mapping) else name


def plot_loss_vs_prediction(
    predictions: ArrayLike,
    curves: Mapping[str, ArrayLike] | ArrayLike,
    ax: Any = None,
    *,
    target: float | None = None,
    xlabel: str = "prediction",
    ylabel: str = "loss",
    title: str | None = None,
) -> Any:
    """Plot one or more losses against the prediction, for a fixed target.

    Parameters
    ----------
    predictions : array_like, shape (m,)
        The x axis (e.g. predicted rating, or predicted probability).
    curves : dict[str, array_like] or array_like
        ``{label: loss values}``, each of shape (m,).
    target : float, optional
        Drawn as a dotted vertical line (where the loss is minimal).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> p = np.linspace(1, 5, 9)
    >>> ax = plot_loss_vs_prediction(p, {"MSE": (p - 4) ** 2}, target=4.0)
    >>> len(ax.get_lines())
    2
    """
    x = np.asarray(predictions, dtype=float)
    table = _as_dict(curves, "loss", "curves", "plot_loss_vs_prediction")
    for label, values in table.items():
        if values.shape != x.shape:
            raise argument_error(
                "plot_loss_vs_prediction",
                _item(curves, "curves", label),
                values,
                f"the same shape as predictions {x.shape}, got {values.shape}",
                "give one loss value per prediction",
            )
    ax = _axes(ax)
    for label, values in table.items():
        ax.plot(x, values, label=label)
    if target is not None:
        ax.axvline(float(target), color="grey", linestyle=":", label=f"target = {target:g}")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.legend()
    return ax


def _short_number(value: float) -> str:
    """``1e6`` for 1e6, ``1e4`` for 1e4, ``2.5e3`` for 2500 (for legends and titles).

    >>> _short_number(1e6), _short_number(2500.0), _short_number(10.0)
    ('1e6', '2.5e3', '10')
    """
    if 0.01 <= abs(value) < 1000:
        return f"{value:g}"
    mantissa, exponent = (
        f"{value:.2g}".split("e") if "e" in f"{value:.2g}" else (f"{value:.2g}", "0")
    )
    return f"{mantissa}e{int(exponent)}"


def plot_loss_curves(
    histories: Mapping[str, ArrayLike] | ArrayLike,
    ax: Any = None,
    *,
    xs: Mapping[str, ArrayLike] | None = None,
    logy: bool = True,
    xlabel: str = "step",
    ylabel: str = "loss",
    title: str | None = None,
    ceiling: float | None = None,
    floor: float | None = None,
    styles: Mapping[str, Mapping[str, Any]] | None = None,
) -> Any:
    """Plot loss against step for one or several runs; diverging runs stay visible.

    The one loss-curve helper of the course (chapters 02, 03 and later).
    Values that are not finite, or above ``ceiling``, are not drawn as a line
    (one diverging run would squash the others into a flat line); when a
    ``ceiling`` is given they appear as triangles on it.  The legend says
    from which step: "diverged" when the run ends up there, "off the scale"
    when it comes back, so no run silently disappears.

    Parameters
    ----------
    histories : dict[str, array_like] or array_like
        ``{label: losses}`` (one value per step, step 0 first).
    ax : matplotlib Axes, optional
        Where to draw; a new figure by default.
    xs : dict[str, array_like], optional
        x values per label (e.g. epochs instead of steps); default ``0, 1, 2, ...``.
    logy : bool
        Log-scaled y axis (losses span orders of magnitude).
    xlabel, ylabel, title : str
        Axis labels and title.
    ceiling : float, optional
        Largest loss drawn as a line (> 0), e.g. ``1e4``.
    floor : float, optional
        Smaller values are drawn at ``floor`` (e.g. ``1e-16``, so that a loss
        of exactly 0 still shows on a log scale).
    styles : dict[str, dict], optional
        Matplotlib keyword arguments per label (``{"SGD": {"color": "gray"}}``).

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> ax = plot_loss_curves({"ok": [1.0, 0.5], "bad": [1.0, np.inf]})
    >>> [t.get_text() for t in ax.get_legend().get_texts()]
    ['ok', 'bad (diverged: not finite from step 1)']
    >>> ax = plot_loss_curves({"spike": [1.0, 1e6, 0.1]}, ceiling=1e4)
    >>> ax.get_legend().get_texts()[0].get_text()
    'spike (off the scale: above 1e4 at step 1)'
    """
    if ceiling is not None:
        ceiling = check_number(
            ceiling,
            "ceiling",
            "plot_loss_curves",
            low=0,
            low_inclusive=False,
            fix="e.g. ceiling=1e4 cuts curves of diverging runs, or pass None",
        )
    table = _as_dict(histories, "loss", "histories", "plot_loss_curves")
    ax = _axes(ax)
    for label, values in table.items():
        name = _item(histories, "histories", label)
        if values.ndim != 1 or values.size == 0:
            raise argument_error(
                "plot_loss_curves",
                name,
                values,
                f"a non-empty 1-D sequence of losses, got shape {values.shape}",
                "pass one loss per step, step 0 first",
            )
        x = np.arange(values.size) if not xs or label not in xs else np.asarray(xs[label])
        if x.shape != values.shape:
            raise argument_error(
                "plot_loss_curves",
                f"xs[{label!r}]",
                x,
                f"the same shape as {name} {values.shape}, got {x.shape}",
                "give one x per loss value",
            )
        over = ~(values <= ceiling) if ceiling is not None else ~np.isfinite(values)
        text = label
        if over.any():
            first = int(np.flatnonzero(over)[0])
            where = f"above {_short_number(ceiling)}" if ceiling is not None else "not finite"
            text = (
                f"{label} (diverged: {where} from step {first})"
                if over[-1]
                else f"{label} (off the scale: {where} at step {first})"
            )
        shown = np.where(over, np.nan, values if floor is None else np.maximum(values, floor))
        (line,) = ax.plot(x, shown, label=text, **dict((styles or {}).get(label, {})))
        if over.any() and ceiling is not None:
            ax.plot(
                x[over],
                np.full(int(over.sum()), ceiling),
                linestyle="none",
                marker="^",
                markersize=6,
                color=line.get_color(),
                clip_on=False,
            )
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.legend(loc="best", fontsize=8 if len(table) > 3 else None)
    return ax


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
    table = {} if paths is None else _as_dict(paths, "path", "paths", "plot_contour_path")
    for label, p in table.items():
        if p.ndim != 2 or p.shape[1] != 2:
            raise argument_error(
                "plot_contour_path",
                _item(paths, "paths", label),
                p,
                f"of shape (k, 2), one row of 2 parameters per step, got {p.shape}",
            )
    finite = [p[np.all(np.isfinite(p), axis=1)] for p in table.values()]
    stack = finite + (
        [np.atleast_2d(np.asarray(optimum, dtype=float))] if optimum is not None else []
    )
    points = np.vstack(stack) if stack else np.zeros((1, 2))
    if xlim is None or ylim is None:
        lo, hi = points.min(axis=0), points.max(axis=0)
        pad = np.maximum((hi - lo) * 0.15, 0.5)
        xlim = xlim or (lo[0] - pad[0], hi[0] + pad[0])
        ylim = ylim or (lo[1] - pad[1], hi[1] + pad[1])
    T0, T1, Z = loss_grid(loss_fn, xlim, ylim, n=n)
    ax = _axes(ax)
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
    for label, p in table.items():
        color = colors.get(label) if isinstance(colors, Mapping) else colors
        (line,) = ax.plot(
            p[:, 0], p[:, 1], marker="o", markersize=2.5, linewidth=1.2, label=label, color=color
        )
        for step, (a, b) in enumerate(p[:number_steps]):
            if xlim[0] <= a <= xlim[1] and ylim[0] <= b <= ylim[1]:
                ax.annotate(
                    str(step),
                    (a, b),
                    xytext=(4, 2),
                    textcoords="offset points",
                    fontsize=7,
                    color=line.get_color(),
                )
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


def plot_segment_rmse(
    segment_log: Any,
    ax: Any = None,
    *,
    highlight: Sequence[str] = (),
    overall: ArrayLike | None = None,
    drift_events: Any = None,
) -> Any:
    """Live RMSE per segment and batch, from :attr:`UpdatePipeline.segment_log` (chapter 10).

    One thin grey line per segment, the ``highlight`` segments in colour with a
    cross where the monitor raised an alarm, and, if given, the ``overall``
    live RMSE per batch (a Series or array aligned with the batches) as a
    thick black line: a drift confined to one segment shows in its own line
    and hardly in the overall one.

    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> log = pd.DataFrame({"batch": [0, 0, 1, 1], "first_day": [0, 0, 7, 7],
    ...                     "segment": ["a", "b", "a", "b"], "n": 10,
    ...                     "live_rmse": [1.0, 1.1, 1.4, 1.0], "level": float("nan"),
    ...                     "alarm": [False, False, True, False]})
    >>> ax = plot_segment_rmse(log, highlight=["a"], overall=[1.05, 1.2])
    >>> ax.get_ylabel(), len(ax.get_lines())
    ('live RMSE on the batch (stars)', 3)
    """
    check_frame(
        segment_log,
        "segment_log",
        "plot_segment_rmse",
        columns=("first_day", "segment", "live_rmse", "alarm"),
        fix="pass pipeline.segment_log (UpdatePipeline(..., segment_by='category'))",
    )
    ax = _axes(ax)
    table = segment_log.pivot(index="first_day", columns="segment", values="live_rmse")
    for seg in table.columns:
        if seg not in highlight:
            ax.plot(table.index, table[seg], "-", color="0.75", lw=0.8)
    if overall is not None:
        ax.plot(
            table.index,
            np.asarray(overall, dtype=float),
            "-",
            color="black",
            lw=2.5,
            label="all segments",
        )
    for seg in highlight:
        rows = segment_log[segment_log["segment"] == seg]
        (line,) = ax.plot(rows["first_day"], rows["live_rmse"], "o-", ms=3, lw=1.8, label=seg)
        alarms = rows[rows["alarm"].astype(bool)]
        ax.scatter(
            alarms["first_day"],
            alarms["live_rmse"],
            marker="X",
            s=80,
            color=line.get_color(),
            zorder=3,
        )
    if drift_events is not None:
        from course_lib.viz.timeline import draw_drift_events

        draw_drift_events(drift_events, ax=ax)
    ax.set(xlabel="day (first day of the batch)", ylabel="live RMSE on the batch (stars)")
    ax.legend(fontsize=8)
    return ax
