"""Tests of course_lib.viz.optim_plots: the explorer's pure logic and the plot helpers."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from course_lib.foundations import SGD, Adam, Momentum  # noqa: E402
from course_lib.foundations.problems import Quadratic, Rosenbrock, minimize  # noqa: E402
from course_lib.viz import (  # noqa: E402
    explorer_paths,
    first_step_below,
    loss_gaps,
    off_plot_from,
    optimizer_explorer,
    plot_adam_step_scale,
    plot_comparison,
    plot_paths,
    plot_runs,
    status_notes,
    summarize_paths,
    tune_learning_rates,
)


def test_explorer_paths_wire_sliders_to_the_right_hyperparameters():
    q = Quadratic(scales=(1.0, 10.0), angle=0.4)
    paths = explorer_paths(
        q, x0=(1.0, -1.0), learning_rate=0.03, beta_1=0.7, beta_2=0.99, n_steps=25
    )
    np.testing.assert_array_equal(
        paths["Adam"], minimize(q.grad, (1.0, -1.0), Adam(0.03, 0.7, 0.99), 25)
    )
    np.testing.assert_array_equal(
        paths["Momentum"], minimize(q.grad, (1.0, -1.0), Momentum(0.03, momentum=0.7), 25)
    )
    assert all(p.shape == (26, 2) for p in paths.values())


def test_explorer_rejects_bad_slider_values():
    with pytest.raises(
        ValueError, match=r"learning_rate=-0.1\): learning_rate must be a positive number"
    ):
        explorer_paths(Quadratic(), learning_rate=-0.1)
    with pytest.raises(
        ValueError, match=r"Adam\(beta_2=1.0\): beta_2 must be a number with 0 <= beta_2 < 1"
    ):
        explorer_paths(Quadratic(), beta_2=1.0)


def test_summarize_paths_flags_divergence_and_convergence():
    r = Rosenbrock()
    paths = explorer_paths(r, x0=(-1.5, 2.0), learning_rate=0.05, n_steps=300)
    summary = summarize_paths(r, paths, n_steps=300)
    assert summary["SGD"]["diverged"] and summary["SGD"]["steps_to_tol"] is None
    assert not summary["Adam"]["diverged"]
    assert summary["Adam"]["final_loss"] < r.value((-1.5, 2.0))


def test_summarize_paths_messages():
    with pytest.raises(ValueError, match="paths must be a non-empty dict"):
        summarize_paths(Quadratic(), {})
    with pytest.raises(
        ValueError, match=r"paths\['x'\] must be of shape \(n_steps \+ 1, 2\), got \(3,\)"
    ):
        summarize_paths(Quadratic(), {"x": np.zeros(3)})


def test_plot_helpers_return_their_axes_with_labels():
    q = Quadratic()
    paths = explorer_paths(q, learning_rate=0.02, n_steps=10)
    fig, (a, b) = plt.subplots(1, 2)
    assert plot_paths(q, paths, ax=a, title="t") is a
    assert plot_runs(q, paths, axes=(a, b)) == (a, b)
    assert "log" in b.get_ylabel() and b.get_xlabel() == "step t"
    assert [t.get_text() for t in a.get_legend().get_texts()][:2] == ["minimum", "SGD"]
    plt.close(fig)


def test_optimizer_explorer_builds_three_sliders():
    widget = optimizer_explorer(Quadratic(), n_steps=5)
    names = [c.description for c in widget.children[:3]]
    assert names == ["learning rate", "β1", "β2"]
    plt.close("all")


def test_plot_loss_curves_ceiling_cuts_diverging_runs_only():
    q = Quadratic(scales=(1.0, 25.0))
    paths = explorer_paths(q, x0=(1.0, 1.0), learning_rate=0.1, n_steps=100)  # SGD diverges
    fig, (left, ax) = plt.subplots(1, 2)
    plot_runs(q, paths, axes=(left, ax), ceiling=1e3)
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert all(np.nanmax(line.get_ydata()) <= 1e3 for line in lines.values())
    sgd = next(label for label in lines if label.startswith("SGD"))
    assert sgd.startswith("SGD (diverged: above 1e3 from step ")
    assert np.isnan(lines[sgd].get_ydata()[-1])  # cut where it blew up
    assert np.isfinite(lines["Adam"].get_ydata()).all()  # untouched
    assert len(lines["Adam"].get_xdata()) == len(paths["Adam"])
    with pytest.raises(ValueError, match=r"\(ceiling=-1\): ceiling must be a positive number"):
        plot_runs(q, paths, axes=(left, ax), ceiling=-1)
    plt.close(fig)


def test_a_run_that_jumps_off_the_scale_and_comes_back_stays_visible():
    # RMSProp at learning_rate 0.79 on Rosenbrock: step 1 jumps to a loss of 3e7, then it comes back
    # below 1e6 but never into the picture. It must not vanish from either panel.
    valley = Rosenbrock()
    paths = explorer_paths(valley, x0=(-1.2, 1.0), learning_rate=0.79, n_steps=300)
    fig, (left, right) = plt.subplots(1, 2)
    plot_runs(valley, paths, axes=(plt.figure().gca(), right), ceiling=1e6)
    labels = [t.get_text() for t in right.get_legend().get_texts()]
    assert "RMSProp (off the scale: above 1e6 at step 1)" in labels
    rms = next(line for line in right.get_lines() if line.get_label().startswith("RMSProp"))
    assert np.isfinite(rms.get_ydata()).sum() == 300  # every step but step 1
    triangles = [line for line in right.get_lines() if line.get_marker() == "^"]
    assert any(np.array_equal(line.get_xdata(), [1]) for line in triangles)
    plot_paths(valley, paths, xlim=(-1.5, 1.5), ylim=(-0.5, 1.5), ax=left)
    labels = [t.get_text() for t in left.get_legend().get_texts()]
    assert "RMSProp (off the plot from step 1)" in labels
    assert "Adam" in labels  # it leaves, but comes back
    notes = status_notes(valley, paths, 300, (-1.5, 1.5), (-0.5, 1.5))
    assert notes["RMSProp"].endswith("off the plot from step 1")
    assert notes["SGD"] == "diverged at step 2" and "plot" not in notes["Adam"]
    plt.close(fig)


def test_off_plot_from():
    path = np.array([[0.0, 0.0], [0.5, 2.0], [0.0, 0.0]])
    assert off_plot_from(path, (-1, 1), (-1, 1)) is None  # it comes back
    assert off_plot_from(path[:2], (-1, 1), (-1, 1)) == 1
    assert off_plot_from(np.array([[5.0, 0.0]]), (-1, 1), (-1, 1)) == 0
    assert off_plot_from(np.array([[0.0, 0.0], [np.nan, 0.0]]), (-1, 1), (-1, 1)) == 1
    with pytest.raises(
        ValueError,
        match=r"off_plot_from\(path=array of shape \(3,\)\): path must be of shape \(k, 2\).*got \(3,\)",
    ):
        off_plot_from(np.zeros(3), (-1, 1), (-1, 1))


def test_loss_gaps_are_the_loss_above_the_minimum():
    valley = Rosenbrock()
    gaps = loss_gaps(valley, {"p": np.array([[1.0, 1.0], [0.0, 0.0]])})
    np.testing.assert_allclose(gaps["p"], [0.0, 1.0])


def test_tune_learning_rates_picks_the_best_stable_rate():
    q = Quadratic(scales=(1.0, 25.0))
    runs, table = tune_learning_rates(
        q, (1.0, 1.0), {"SGD": SGD, "Adam": Adam}, [0.001, 0.07, 0.1], n_steps=200, hold=20
    )
    assert table.loc["SGD", "learning_rate"] == 0.07  # 0.1 > 2 / 25 diverges
    np.testing.assert_array_equal(runs["SGD"], minimize(q.grad, (1.0, 1.0), SGD(0.07), 200))
    assert list(table.columns) == ["learning_rate", "worst of last 20", "final loss"]
    fig = plot_comparison(q, runs, table, xlim=(-2, 2), ylim=(-2, 2), title="bowl")
    assert fig._suptitle.get_text() == "bowl" and len(fig.axes) == 3
    plt.close(fig)


def test_plot_adam_step_scale_and_first_step_below():
    ax = plot_adam_step_scale(50)
    without = ax.get_lines()[0].get_ydata()
    assert np.isclose(without[0], 0.1 / np.sqrt(0.001))
    plt.close("all")
    q = Quadratic()
    path = minimize(q.grad, (1.0, 1.0), SGD(0.05), 200)
    k = first_step_below(q, path, 1e-6)
    assert q.value(path[k]) < 1e-6 <= q.value(path[k - 1])
    assert first_step_below(q, path[:3], 1e-6) is None
