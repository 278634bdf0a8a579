"""The figure of chapter 11 (``notebooks/11_preference_tracking.ipynb``): bandits' regret.

>>> import matplotlib
>>> matplotlib.use("Agg")
>>> import numpy as np
>>> runs = {"random": [np.full(100, 0.5)], "UCB1": [np.full(100, 0.1)]}
>>> ax = plot_cumulative_regret(runs, steps_per_day=10)
>>> len(ax.lines), ax.get_xlabel()
(2, 'day')
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np

__all__ = ["BANDIT_COLOURS", "plot_cumulative_regret"]

#: One colour per bandit policy of chapter 11.
BANDIT_COLOURS: dict[str, str] = {
    "random": "black",
    "eps-greedy, 1/n": "tab:brown",
    "eps-greedy": "tab:orange",
    "softmax": "tab:blue",
    "UCB1": "tab:green",
    "Thompson": "tab:purple",
}


def plot_cumulative_regret(
    runs: Mapping[str, Sequence[np.ndarray]],
    *,
    steps_per_day: int,
    drift: tuple[float, float] | None = None,
    drift_label: str = "drift",
    colours: Mapping[str, str] | None = None,
    ylim: tuple[float, float] | None = None,
    title: str | None = None,
    ax: Any = None,
) -> Any:
    """Mean cumulative regret of each policy over its runs, against the day.

    ``runs`` maps a policy's name to its per-step regret arrays (one per seed, as
    returned by :func:`course_lib.recsys.run_bandit`). ``"random"`` is dotted and its
    final regret is in its label. ``drift=(start, stop)`` shades a drift period (days).
    Returns the Axes.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 3.6))
    palette = colours or BANDIT_COLOURS
    for name, policy_runs in runs.items():
        mean_cum = np.mean([np.cumsum(r) for r in policy_runs], axis=0)
        days = np.arange(len(mean_cum)) / steps_per_day
        random = name == "random"
        label = f"random ({mean_cum[-1]:.0f} at day {len(mean_cum) / steps_per_day:.0f})"
        ax.plot(
            days,
            mean_cum,
            color=palette.get(name),
            ls=":" if random else "-",
            label=label if random else name,
        )
    if drift is not None:
        ax.axvspan(*drift, color="0.9", zorder=0, label=drift_label)
    ax.set(xlabel="day", ylabel="cumulative regret (lost purchases)")
    if ylim is not None:
        ax.set_ylim(ylim)
    if title is not None:
        ax.set_title(title)
    ax.legend(fontsize=8, loc="upper left")
    return ax
