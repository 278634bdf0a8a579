"""The figures of chapter 08 (``notebooks/08_drift_detection.ipynb``): a detector at work.

:func:`plot_detector` draws the monitored error streams on top and a detector's
statistic below with its threshold and alarms, the recorded drift events on both.
(The delay / false-alarm curve of a threshold sweep is
:func:`course_lib.viz.dials.plot_page_hinkley_tradeoff`, behind the chapter's dial.)

>>> import matplotlib
>>> matplotlib.use("Agg")
>>> import pandas as pd
>>> days = pd.RangeIndex(10, 20)
>>> errors = {"all": pd.Series(range(10), index=days, dtype=float)}
>>> stat = pd.Series([0.0] * 8 + [2.5, 0.0], index=days)
>>> axes = plot_detector(errors, stat, threshold=2.0, alarms=[18])
>>> len(axes), len(axes[1].lines)         # statistic, threshold, one alarm
(2, 3)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from course_lib.viz.timeline import draw_drift_events

__all__ = ["plot_detector"]


def plot_detector(
    errors: Mapping[str, pd.Series],
    statistic: pd.Series,
    *,
    threshold: float,
    alarms: Sequence[int],
    drift_events: pd.DataFrame | None = None,
    statistic_label: str = "Page-Hinkley statistic",
    axes: Any = None,
) -> np.ndarray:
    """Error streams (top) and a detector's statistic with threshold and alarms (bottom).

    Parameters
    ----------
    errors : mapping of label -> Series indexed by day
        The monitored streams, e.g. ``{"fashion": fashion_mae, "all categories": daily_mae}``.
    statistic : Series indexed by day
        The detector's statistic (for Page-Hinkley, :func:`course_lib.continual.statistic_trace`).
    threshold : float
        Drawn as a dotted line.
    alarms : sequence of int
        Days of the alarms, drawn as vertical bars.
    drift_events : DataFrame, optional
        ``shop.drift_events``, marked on both panels.
    axes : two matplotlib Axes, optional
        Default: a new figure with two panels sharing the day axis.

    Returns
    -------
    numpy.ndarray of the two Axes.
    """
    import matplotlib.pyplot as plt

    if axes is None:
        axes = plt.subplots(2, 1, figsize=(10, 5), sharex=True)[1]
    for label, series in errors.items():
        axes[0].plot(series.index, series.to_numpy(), lw=0.8, label=label)
    axes[0].set(ylabel="daily MAE (stars)")
    axes[0].legend(fontsize=8, loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=2, frameon=False)
    axes[1].plot(statistic.index, statistic.to_numpy(), color="tab:blue", label=statistic_label)
    axes[1].axhline(threshold, color="k", ls=":", lw=1, label=f"threshold = {threshold:g}")
    for day in alarms:
        axes[1].axvline(day, color="tab:blue", lw=2, alpha=0.4)
    top = max(1.5 * threshold, float(np.nanmax(statistic.to_numpy())) * 1.05)
    axes[1].set(xlabel="day", ylabel="statistic (stars)", ylim=(0, top))
    axes[1].legend(fontsize=8, loc="upper left")
    if drift_events is not None:
        for ax in axes:
            draw_drift_events(drift_events, ax=ax, labels=ax is axes[0])
    return np.asarray(axes)
