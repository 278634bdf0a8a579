"""Tests of course_lib.viz.purchase_plots, the figures of chapter 07."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from course_lib.viz.purchase_plots import (  # noqa: E402
    plot_against_truth,
    plot_precision_recall,
    plot_reliability,
    plot_roc,
)


@pytest.fixture()
def data():
    rng = np.random.default_rng(0)
    p_true = rng.uniform(0, 0.6, 500)
    y = (rng.random(500) < p_true).astype(int)
    return y, p_true, np.clip(p_true + rng.normal(0, 0.05, 500), 0, 1)


def test_each_plot_draws_on_the_given_axes_and_returns_it(data):
    y, p_true, p_model = data
    fig, axes = plt.subplots(2, 2)
    curves = {"model": (y, p_model), "truth": (y, p_true)}
    assert plot_roc(curves, axes[0, 0], period="days 1-2") is axes[0, 0]
    assert plot_precision_recall(curves, axes[0, 1]) is axes[0, 1]
    assert plot_reliability({"model": p_model}, y, axes[1, 0]) is axes[1, 0]
    assert plot_against_truth({"model": p_model}, p_true, axes[1, 1], n_groups=10) is axes[1, 1]
    assert axes[0, 0].get_title() == "ROC curve, days 1-2"
    assert len(axes[0, 0].lines) == 3 and len(axes[1, 1].lines[0].get_xdata()) == 10
    base = [t.get_text() for t in axes[0, 1].get_legend().get_texts()][-1]
    assert base == f"random (base rate {y.mean():.2f})"
    plt.close(fig)


def test_default_axes_is_the_current_one(data):
    y, _, p_model = data
    fig, ax = plt.subplots()
    assert plot_reliability({"model": p_model}, y) is ax
    plt.close(fig)
