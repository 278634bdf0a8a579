"""Tests of course_lib.viz.rating_plots (chapter 06's learning curves; Agg backend)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from course_lib import viz  # noqa: E402


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def test_learning_curves_with_and_without_baseline():
    history = {"rmse": [1.0, 0.9, 0.8], "val_rmse": [1.1, 1.0, 1.05]}
    ax = viz.plot_learning_curves(history, baseline=1.02)
    assert len(ax.lines) == 3 and list(ax.lines[0].get_xdata()) == [1, 2, 3]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("epoch", "RMSE (stars)")
    _, own = plt.subplots()
    assert viz.plot_learning_curves(history, ax=own) is own and len(own.lines) == 2
