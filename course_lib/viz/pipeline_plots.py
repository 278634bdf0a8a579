"""The figures of chapter 10 (``notebooks/10_incremental_pipeline.ipynb``): the update loop at work.

* :func:`plot_pipeline` -- the live error per batch, with the gate's decisions and
  rollbacks, against a never-updated model;
* :func:`plot_live_by_segment` -- the live error per segment (e.g. item category)
  with the monitor's alarms, and all segments together.

Both take the logs of :class:`~course_lib.continual.pipeline.UpdatePipeline`
(``pipeline.log``, ``pipeline.segment_log``), take ``ax=None`` and return the ``ax``
they drew on.  Batches whose error is off the chosen scale are drawn at its top edge
and labelled with their value.

>>> import matplotlib
>>> matplotlib.use("Agg")
>>> log = pd.DataFrame({"first_day": [0, 7, 14], "live_rmse": [1.0, 2.1, 0.95],
...                     "accepted": [True, False, True], "rolled_back": False})
>>> ax = plot_pipeline(log, static_rmse=[1.0, 2.0, 1.1])
>>> ax.get_ylabel(), [t.get_text() for t in ax.texts]
('RMSE on the batch (stars)', ['off scale: live 2.10, initial 2.00'])
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from course_lib.viz.plots import plot_segment_rmse
from course_lib.viz.timeline import draw_drift_events

__all__ = ["plot_pipeline", "plot_live_by_segment"]


def _axes(ax: Any) -> Any:
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(10, 4))
    return ax


def plot_pipeline(
    log: pd.DataFrame,
    static_rmse: ArrayLike | None = None,
    drift_events: pd.DataFrame | None = None,
    ax: Any = None,
    *,
    top: float = 1.4,
    bottom: float = 0.85,
) -> Any:
    """Live RMSE per batch (x = first day of the batch) with the gate's decisions.

    Parameters
    ----------
    log : DataFrame
        ``pipeline.log``: ``first_day``, ``live_rmse``, ``accepted``, ``rolled_back``.
    static_rmse : array-like, optional
        The error of a never-updated model on the same batches (a dashed grey line).
    drift_events : DataFrame, optional
        The world's drift events (``shop.drift_events``), marked on the x axis.
    ax : matplotlib Axes, optional
    top, bottom : float
        The y range; a batch above ``top`` is drawn at the top edge and labelled.
    """
    ax = _axes(ax)
    x = log["first_day"].to_numpy()
    live = log["live_rmse"].to_numpy(dtype=float)
    ax.plot(x, live, "-", color="tab:blue", lw=1.5, label="live model (pipeline)")
    static = None if static_rmse is None else np.asarray(static_rmse, dtype=float)
    if static is not None:
        ax.plot(x, static, "--", color="tab:gray", lw=1, label="initial model, never updated")
    shown = np.minimum(live, top - 0.03)  # off-scale markers at the top
    acc = log["accepted"].to_numpy(bool)
    ax.scatter(
        x[acc], shown[acc], marker="o", color="tab:green", zorder=3, label="candidate accepted"
    )
    ax.scatter(
        x[~acc],
        shown[~acc],
        marker="X",
        s=90,
        color="tab:red",
        zorder=3,
        label="candidate rejected",
    )
    rolled = log["rolled_back"].to_numpy(bool)
    if rolled.any():
        ax.scatter(
            x[rolled],
            shown[rolled],
            marker="v",
            s=110,
            color="tab:orange",
            zorder=4,
            label="rolled back",
        )
    if drift_events is not None:
        draw_drift_events(drift_events, ax=ax)
    for k in np.flatnonzero(live > top):
        text = f"off scale: live {live[k]:.2f}"
        text += f", initial {static[k]:.2f}" if static is not None else ""
        ax.annotate(
            text, (x[k] - 1.5, top - 0.08), ha="right", va="center", fontsize=8, color="tab:blue"
        )
    ax.set_ylim(bottom, top)
    ax.set(xlabel="day (first day of the weekly batch)", ylabel="RMSE on the batch (stars)")
    ax.legend(loc="lower left", fontsize=8, ncol=1)
    return ax


def plot_live_by_segment(
    log: pd.DataFrame,
    segment_log: pd.DataFrame,
    *,
    highlight: Sequence[str] = (),
    drift_events: pd.DataFrame | None = None,
    notes: Mapping[int, str] | None = None,
    batch_name: str = "batch",
    segment_name: str = "segments",
    top: float = 1.6,
    bottom: float = 0.8,
    ax: Any = None,
) -> Any:
    """Live RMSE per segment (grey; ``highlight`` in colour, with alarms) and overall (black).

    ``log`` and ``segment_log`` are ``pipeline.log`` and ``pipeline.segment_log``.  A
    batch whose overall error is above ``top`` is labelled at the top edge as
    ``f"{batch_name} {batch}"``, with ``notes[batch]`` (e.g. ``{9: "flipped stars"}``);
    ``segment_name`` names the segments in the labels (e.g. ``"categories"``).
    """
    ax = _axes(ax)
    plot_segment_rmse(segment_log, highlight=list(highlight), drift_events=drift_events, ax=ax)
    ax.plot(
        log["first_day"],
        log["live_rmse"],
        "-",
        color="black",
        lw=2.5,
        label=f"all {segment_name} together",
    )
    colours = {line.get_label(): line.get_color() for line in ax.get_lines()}
    for seg in highlight:
        ax.scatter([], [], marker="X", s=80, color=colours.get(seg), label=f"segment alarm ({seg})")
    for row in log[log["live_rmse"] > top].itertuples():
        note = f" ({notes[row.batch]})" if notes and row.batch in notes else ""
        ax.annotate(
            f"{batch_name} {row.batch}{note} off scale: all {segment_name} {row.live_rmse:.2f}",
            (row.first_day - 1.5, top - 0.1),
            ha="right",
            va="center",
            fontsize=8,
            bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none"},
        )
    ax.set_ylim(bottom, top)
    ax.legend(fontsize=8, loc="lower left")
    return ax
