"""Tests of course_lib.viz.shop_plots (chapter 05's category figure; Agg backend)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from course_lib import viz  # noqa: E402


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def test_category_sales_draws_three_labelled_panels():
    index = pd.Index(["electronics", "grocery"], name="category")
    by_cat = pd.DataFrame({"purchases": [5, 9], "revenue": [900.0, 40.0]}, index=index)
    items = pd.DataFrame({"category": ["electronics", "grocery"] * 2, "price": [300.0, 4, 250, 3]})
    axes = viz.plot_category_sales(by_cat, items, period="180 days")
    assert [a.get_ylabel() for a in axes] == [
        "purchases (180 days)",
        "revenue (currency units, 180 days)",
        "list price (currency units, log)",
    ]
    assert len(axes[0].patches) == 2 and axes[2].get_yscale() == "log"
