"""Tests of course_lib.viz.stream_plots (chapter 09's strategy comparisons; Agg backend)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from course_lib import viz  # noqa: E402


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


from types import SimpleNamespace  # noqa: E402


def results():
    out = {}
    for k, name in enumerate(["static", "fine-tune", "EWC"]):
        per_batch = pd.DataFrame(
            {
                "first_day": [0, 7, 14, 21],
                "rmse_vs_truth": [0.5, 0.6, 0.55, 0.5 + k / 10],
                "n_examples": [0, 100, 100, 100],
                "seconds": [0.0, 0.1, 0.1, 0.2],
            }
        )
        out[name] = SimpleNamespace(per_batch=per_batch, R=np.full((4, 4), 0.5 + k / 10))
    return out


def test_prequential_error_draws_one_line_per_strategy():
    events = pd.DataFrame({"day": [10], "kind": ["abrupt"], "category": ["toys"]})
    ax = viz.plot_prequential_error(results(), drift_events=events)
    labels = [line.get_label() for line in ax.lines]
    assert labels[:3] == ["static", "fine-tune", "EWC"]
    assert ax.get_xlabel() == "day (middle of the week)"
    assert ax.lines[0].get_color() == viz.STRATEGY_COLOURS["static"]


def test_season_memory_and_update_cost():
    _, ax = plt.subplots()
    out = viz.plot_season_memory(results(), [1, 2], [0, 7, 14, 21], season_end=14, ax=ax)
    assert out is ax and len(ax.lines) == 4  # three strategies and the end of the season
    assert list(ax.lines[0].get_xdata()) == [21, 28]  # from the last season batch on
    assert "ended on day 14" in ax.get_xlabel()
    axes = viz.plot_update_cost(results())
    assert [a.get_ylabel() for a in axes] == [
        "examples processed (rows x epochs)",
        "seconds per update",
    ]
    assert axes[0].lines[2].get_linestyle() == "--"  # EWC dashed
