"""Tests of course_lib.viz.responsible_plots (chapter 12's figures; Agg backend)."""

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


def test_permutation_importance_orders_and_colours_features():
    table = pd.DataFrame(
        {"linear": [0.3, 0.0, 0.01], "network": [0.4, 0.01, 0.0]},
        index=["price", "noise", "region"],
    )
    axes = viz.plot_permutation_importance(table, ["linear", "network"], used=["price"])
    labels = [t.get_text() for t in axes[0].get_yticklabels()]
    assert labels == ["region", "noise", "price"]  # by the network's importance
    assert [a.get_title() for a in axes] == ["linear model", "network model"]
    assert len(axes[1].lines) == 1  # the noise feature's line


def test_dp_error_draws_one_line_per_cap_on_a_log_axis():
    dp = pd.DataFrame(
        {
            "cap m": [10, 10, 1, 1],
            "epsilon": [1.0, 0.1, 1.0, 0.1],
            "rel. error vs exact": [0.1, 0.5, 0.6, 0.9],
        }
    )
    ax = viz.plot_dp_error(dp)
    assert [line.get_label() for line in ax.lines] == ["cap m = 1", "cap m = 10"]
    assert list(ax.lines[0].get_xdata()) == [0.1, 1.0]
    assert ax.get_xscale() == "log" and [t.get_text() for t in ax.get_xticklabels()] == [
        "0.1",
        "1.0",
    ]
