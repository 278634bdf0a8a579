"""Generic plot helpers: a loss against the prediction, loss curves, RMSE per segment.

Introduced in chapters 01-02 and reused afterwards.  Every helper takes
``ax=None`` (a new figure is made when it is None) and returns the ``ax`` it
drew on, so a notebook can add to it or put several on one figure.  The
helpers only draw; they never train anything (that lives in the numpy
modules, which keeps the layers of DESIGN.md pointing down).  A loss surface
with optimisation paths on it is drawn by :mod:`course_lib.viz.contour_plots`.

>>> import matplotlib
>>> matplotlib.use("Agg")
>>> import numpy as np
>>> ax = plot_loss_curves({"learning_rate = 0.01": [4.0, 2.0, 1.0]})
>>> ax.get_xlabel(), ax.get_yscale()
('step', 'log')
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from course_lib.core.validation import argument_error, check_frame, check_number

__all__ = [
    "plot_loss_vs_prediction",
    "plot_loss_curves",
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


def _curve_x(
    histories: Any, xs: Mapping[str, ArrayLike] | None, label: str, values: np.ndarray
) -> np.ndarray:
    """The x values of the loss curve ``label`` (checked against its ``values``)."""
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
    return x


def _divergence_label(label: str, over: np.ndarray, ceiling: float | None) -> str:
    """The legend of a curve: ``label``, plus from which step it is not drawn (``over``).

    >>> _divergence_label("a", np.array([False, True]), None)
    'a (diverged: not finite from step 1)'
    >>> _divergence_label("a", np.array([True, False]), 1e4)
    'a (off the scale: above 1e4 at step 0)'
    """
    if not over.any():
        return label
    first = int(np.flatnonzero(over)[0])
    where = f"above {_short_number(ceiling)}" if ceiling is not None else "not finite"
    if over[-1]:
        return f"{label} (diverged: {where} from step {first})"
    return f"{label} (off the scale: {where} at step {first})"


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
        x = _curve_x(histories, xs, label, values)
        over = ~(values <= ceiling) if ceiling is not None else ~np.isfinite(values)
        shown = np.where(over, np.nan, values if floor is None else np.maximum(values, floor))
        style = dict((styles or {}).get(label, {}))
        (line,) = ax.plot(x, shown, label=_divergence_label(label, over, ceiling), **style)
        if over.any() and ceiling is not None:  # the cut values, as triangles on the ceiling
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
