"""The figures of chapter 09 (``notebooks/09_incremental_updates.ipynb``): strategies compared.

Each function takes the results of :func:`course_lib.evaluation.prequential`, one per
strategy (``{name: PrequentialResult}``), and draws one comparison:

* :func:`plot_prequential_error` -- the week-by-week error against the truth;
* :func:`plot_season_memory` -- the error on held-out season weeks after the season;
* :func:`plot_update_cost` -- the work and the wall-clock time of every update.

>>> import matplotlib
>>> matplotlib.use("Agg")
>>> import pandas as pd
>>> from types import SimpleNamespace
>>> per_batch = pd.DataFrame({"first_day": [0, 7], "rmse_vs_truth": [0.5, 0.6]})
>>> ax = plot_prequential_error({"fine-tune": SimpleNamespace(per_batch=per_batch)})
>>> len(ax.lines), ax.get_ylabel()
(1, 'RMSE vs true expected rating (stars)')
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from course_lib.viz.timeline import draw_drift_events

__all__ = ["STRATEGY_COLOURS", "plot_prequential_error", "plot_season_memory", "plot_update_cost"]

#: One colour per strategy name of chapter 09, the same in every figure.
STRATEGY_COLOURS: dict[str, str] = {
    "static": "tab:gray",
    "fine-tune": "tab:orange",
    "replay": "tab:green",
    "EWC": "tab:purple",
    "sliding window": "tab:brown",
    "full retrain": "tab:blue",
}


def _colour(name: str, colours: Mapping[str, str] | None) -> str | None:
    return (colours or STRATEGY_COLOURS).get(name)


def plot_prequential_error(
    results: Mapping[str, Any],
    *,
    drift_events: pd.DataFrame | None = None,
    colours: Mapping[str, str] | None = None,
    ax: Any = None,
) -> Any:
    """The prequential error against the truth of every strategy, batch by batch.

    ``results`` maps a strategy's name to its ``PrequentialResult`` (weekly batches:
    a point is drawn at the middle of its week). ``drift_events`` (``shop.drift_events``)
    are marked. Returns the Axes.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 3.5))
    for name, res in results.items():
        days = res.per_batch["first_day"] + 3
        colour = _colour(name, colours)
        ax.plot(days, res.per_batch["rmse_vs_truth"], "o-", color=colour, label=name, ms=3)
    if drift_events is not None:
        draw_drift_events(drift_events, ax=ax)
    ax.set(
        xlabel="day (middle of the week)",
        ylabel="RMSE vs true expected rating (stars)",
        title="Prequential error, week by week",
    )
    ax.legend(ncol=3, fontsize=8)
    return ax


def plot_season_memory(
    results: Mapping[str, Any],
    season: Sequence[int],
    first_day: Sequence[int],
    *,
    season_end: int,
    colours: Mapping[str, str] | None = None,
    ax: Any = None,
) -> Any:
    """Each strategy's mean error on the held-out ``season`` batches after the season.

    ``R[i, j]`` of a result (the error on held-out batch ``j`` after update ``i``) is
    averaged over ``season``, from the last season batch on; ``first_day[i]`` is the
    first day of batch ``i`` (the update is drawn at the end of its week). The end of
    the season (``season_end``) is a dashed line. Returns the Axes.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 3.5))
    last = season[-1]
    for name, res in results.items():
        curve = res.R[last:, list(season)].mean(axis=1)
        days = np.asarray(first_day[last:]) + 7
        ax.plot(days, curve, "o-", color=_colour(name, colours), label=name)
    ax.axvline(season_end, color="tab:red", lw=1, ls="--")
    ax.set(
        xlabel=f"day of the update (the season ended on day {season_end}, dashed)",
        ylabel="RMSE on held-out season weeks (stars)",
        title="Does the model still know the season?",
    )
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return ax


def plot_update_cost(
    results: Mapping[str, Any],
    *,
    colours: Mapping[str, str] | None = None,
    dashed: Sequence[str] = ("EWC",),
    axes: Any = None,
) -> Any:
    """Examples processed (left) and seconds (right) of every update, per strategy.

    ``dashed`` strategies are drawn dashed (EWC does fine-tune's work: on top of it).
    Returns the two Axes.
    """
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(10, 3.5))
    for name, res in results.items():
        style = {
            "color": _colour(name, colours),
            "label": name,
            "marker": "o",
            "ms": 3,
            "ls": "--" if name in dashed else "-",
        }
        axes[0].plot(res.per_batch["first_day"], res.per_batch["n_examples"], **style)
        axes[1].plot(res.per_batch["first_day"], res.per_batch["seconds"], **style)
    axes[0].set(
        xlabel="first day of the batch",
        ylabel="examples processed (rows x epochs)",
        title="Work per update",
    )
    axes[1].set(
        xlabel="first day of the batch",
        ylabel="seconds per update",
        title="Wall-clock time per update",
    )
    axes[0].legend(fontsize=8)
    axes[0].figure.tight_layout()
    return axes
