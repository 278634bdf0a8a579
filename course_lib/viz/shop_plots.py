"""The figure of chapter 05 (``notebooks/05_shop_data.ipynb``): what each category sells.

>>> import matplotlib
>>> matplotlib.use("Agg")
>>> import pandas as pd
>>> by_cat = pd.DataFrame({"purchases": [5, 9], "revenue": [900.0, 40.0]},
...                       index=pd.Index(["electronics", "grocery"], name="category"))
>>> items = pd.DataFrame({"category": ["electronics", "grocery"], "price": [300.0, 4.0]})
>>> axes = plot_category_sales(by_cat, items)
>>> [ax.get_ylabel() for ax in axes][0]
'purchases'
"""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

__all__ = ["plot_category_sales"]


def plot_category_sales(
    by_category: pd.DataFrame,
    items: pd.DataFrame,
    *,
    period: str | None = None,
    axes: Any = None,
) -> Any:
    """Purchases, revenue and list prices per category, in the order of ``by_category``.

    ``by_category`` is indexed by category with columns ``purchases`` and
    ``revenue``; ``items`` has ``category`` and ``price`` (``shop.items``).
    ``period`` (e.g. ``"180 days"``) goes into the labels. Returns the three Axes.
    """
    if axes is None:
        _, axes = plt.subplots(1, 3, figsize=(14, 3.5))
    when = f" ({period})" if period else ""
    order = by_category.index
    xlabel = "category (ordered by revenue)"
    sns.barplot(x=order, y=by_category["purchases"], ax=axes[0])
    axes[0].set(xlabel=xlabel, ylabel=f"purchases{when}")
    sns.barplot(x=order, y=by_category["revenue"], ax=axes[1])
    axes[1].set(xlabel=xlabel, ylabel=f"revenue (currency units{', ' + period if period else ''})")
    sns.boxplot(data=items, x="category", y="price", order=order, ax=axes[2])
    axes[2].set(yscale="log", xlabel=xlabel, ylabel="list price (currency units, log)")
    for ax in axes:
        ax.tick_params(axis="x", rotation=45)
    axes[0].figure.tight_layout()
    return axes
