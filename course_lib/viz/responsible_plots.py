"""The figures of chapter 12 (``notebooks/12_beyond.ipynb``): importance and privacy.

* :func:`plot_permutation_importance` -- two models' permutation importances side by side;
* :func:`plot_dp_error` -- the error of Laplace-noised counts against the privacy budget.

>>> import matplotlib
>>> matplotlib.use("Agg")
>>> import pandas as pd
>>> dp = pd.DataFrame({"cap m": [1, 1, 10, 10], "epsilon": [0.1, 1.0, 0.1, 1.0],
...                    "rel. error vs exact": [0.9, 0.6, 0.5, 0.1]})
>>> ax = plot_dp_error(dp)
>>> len(ax.lines), ax.get_xscale()
(2, 'log')
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

import matplotlib.pyplot as plt
import pandas as pd

__all__ = ["plot_permutation_importance", "plot_dp_error"]


def plot_permutation_importance(
    table: pd.DataFrame,
    models: Sequence[str],
    *,
    used: Collection[str] = (),
    noise_feature: str | None = "noise",
    axes: Any = None,
) -> Any:
    """One horizontal bar chart of importances per column of ``models`` in ``table``.

    ``table`` is indexed by feature, one column of importances per model (as from
    :func:`course_lib.responsible.permutation_importance`); features are ordered by
    the last model's importance. Features in ``used`` (the ones the generator uses)
    are blue, the others grey; the ``noise_feature``'s importance is a dotted line.
    Returns the Axes.
    """
    if axes is None:
        _, axes = plt.subplots(1, len(models), figsize=(11, 3.8), sharey=True, squeeze=False)
        axes = axes[0]
    order = table.sort_values(models[-1]).index
    colours = ["tab:blue" if c in used else "tab:grey" for c in order]
    for ax, model in zip(axes, models, strict=True):
        ax.barh(order, table.loc[order, model], color=colours)
        if noise_feature is not None:
            value = table.loc[noise_feature, model]
            ax.axvline(value, color="black", linestyle=":", label="noise feature")
        ax.set_xlabel("increase of test RMSE when shuffled (stars)")
        ax.set_title(f"{model} model")
    if noise_feature is not None:
        axes[0].legend(loc="lower right")
    axes[0].set_ylabel("feature (blue: used by the generator)")
    axes[0].figure.tight_layout()
    return axes


def plot_dp_error(dp: pd.DataFrame, *, ax: Any = None) -> Any:
    """Mean relative error of noised counts against epsilon, one line per cap ``m``.

    ``dp`` has columns ``"cap m"``, ``"epsilon"`` and ``"rel. error vs exact"``
    (one row per pair). Epsilon is on a log axis, ticked at its values. Returns the Axes.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 3.8))
    for cap, part in dp.groupby("cap m", sort=True):
        part = part.sort_values("epsilon")
        ax.plot(part["epsilon"], part["rel. error vs exact"], marker="o", label=f"cap m = {cap}")
    epsilons = sorted(dp["epsilon"].unique())
    ax.set_xscale("log")
    ax.set_xticks(epsilons, [str(e) for e in epsilons])
    ax.minorticks_off()
    ax.set_xlabel("privacy budget epsilon (log scale; smaller = more private)")
    ax.set_ylabel("mean relative error of the counts")
    ax.set_title("Laplace mechanism on per-category purchase counts")
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5))
    ax.figure.tight_layout()
    return ax
