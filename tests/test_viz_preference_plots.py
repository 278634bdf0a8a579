"""Tests of course_lib.viz.preference_plots (chapter 11's regret curves; Agg backend)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from course_lib import viz  # noqa: E402


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def test_cumulative_regret_draws_the_mean_of_the_runs():
    runs = {"random": [np.full(100, 0.5), np.full(100, 0.3)], "UCB1": [np.full(100, 0.1)]}
    ax = viz.plot_cumulative_regret(
        runs, steps_per_day=10, drift=(2, 5), drift_label="drift", ylim=(0, 50), title="t"
    )
    random, ucb = ax.lines
    assert random.get_label() == "random (40 at day 10)" and random.get_linestyle() == ":"
    assert ucb.get_ydata()[-1] == pytest.approx(10.0)
    assert ax.get_ylim() == (0, 50) and ax.get_title() == "t"
    assert ax.get_ylabel() == "cumulative regret (lost purchases)"
