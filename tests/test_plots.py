"""Tests of course_lib.viz.plots and .contour_plots (drawing only; Agg backend)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from course_lib import viz as plots  # noqa: E402  (the layer: loss and contour plots)


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def quad(t):
    return float(t @ t)


def test_helpers_return_the_given_ax():
    _, ax = plt.subplots()
    assert plots.plot_loss_vs_prediction([1, 2], {"a": [1, 0]}, ax=ax) is ax
    _, ax = plt.subplots()
    assert plots.plot_loss_curves([3.0, 2.0], ax=ax) is ax
    _, ax = plt.subplots()
    assert plots.plot_contour_path(quad, np.zeros((2, 2)), ax=ax) is ax


def test_loss_curves_mark_divergence_and_accept_xs():
    ax = plots.plot_loss_curves({"a": [1.0, np.nan, np.inf]}, xs={"a": [0, 0.5, 1.0]}, logy=False)
    line = ax.get_lines()[0]
    np.testing.assert_allclose(line.get_xdata(), [0, 0.5, 1.0])
    assert np.isnan(line.get_ydata()[1:]).all()  # not drawn as a line ...
    assert ax.get_legend().get_texts()[0].get_text() == "a (diverged: not finite from step 1)"


def test_loss_curves_ceiling_floor_and_styles():
    ax = plots.plot_loss_curves(
        {"a": [1.0, 1e9, 0.0], "b": [2.0, 1.0, 0.5]},
        ceiling=1e6,
        floor=1e-16,
        styles={"b": {"color": "tab:red"}},
    )
    a, marks, b = ax.get_lines()
    assert a.get_ydata()[2] == 1e-16 and np.isnan(a.get_ydata()[1])
    np.testing.assert_allclose(marks.get_ydata(), [1e6])  # ... but as a triangle on the ceiling
    assert b.get_color() == "tab:red"
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert texts == ["a (off the scale: above 1e6 at step 1)", "b"]
    with pytest.raises(
        ValueError, match=r"plot_loss_curves\(ceiling=-1\): ceiling must be a positive"
    ):
        plots.plot_loss_curves({"a": [1.0]}, ceiling=-1)


def test_contour_path_window_encloses_finite_points():
    path = np.array([[0.0, 0.0], [3.0, -2.0], [np.nan, np.nan]])
    ax = plots.plot_contour_path(quad, {"p": path}, optimum=[1, 1])
    lo, hi = ax.get_xlim()
    assert lo < 0 and hi > 3


def test_loss_grid_values():
    T0, T1, Z = plots.loss_grid(lambda t: t[0] - t[1], (0, 1), (0, 2), n=2)
    np.testing.assert_allclose(Z, [[0, 1], [-2, -1]])


def test_plot_descent_draws_two_panels():
    ax1, ax2 = plots.plot_descent(quad, [[1, 1], [0.1, 0.1]], [2.0, 0.02], summary="run")
    assert ax1.figure is ax2.figure
    assert ax1.figure._suptitle.get_text() == "run"


def test_bad_inputs_are_explained():
    with pytest.raises(
        ValueError,
        match=r"plot_loss_vs_prediction\(curves\['a'\]=array of shape \(2,\)\): curves\['a'\] must be the same shape as predictions \(3,\)",
    ):
        plots.plot_loss_vs_prediction([1, 2, 3], {"a": [1, 2]})
    with pytest.raises(
        ValueError, match=r"plot_loss_curves\(histories=\{\}\): histories must be a non-empty dict"
    ):
        plots.plot_loss_curves({})
    with pytest.raises(ValueError, match="must be a non-empty 1-D"):
        plots.plot_loss_curves({"a": []})
    with pytest.raises(
        ValueError, match=r"xs\['a'\] must be the same shape as histories\['a'\] \(2,\), got \(1,\)"
    ):
        plots.plot_loss_curves({"a": [1, 2]}, xs={"a": [0]})
    with pytest.raises(ValueError, match=r"paths\['p'\] must be of shape \(k, 2\)"):
        plots.plot_contour_path(quad, {"p": np.zeros((3, 3))})
    with pytest.raises(
        ValueError, match=r"loss_grid\(xlim=\(1, 0\)\): xlim must be \(low, high\) with low < high"
    ):
        plots.loss_grid(quad, (1, 0), (0, 1))
    with pytest.raises(ValueError, match=r"loss_grid\(n=1\): n must be an int >= 2"):
        plots.loss_grid(quad, (0, 1), (0, 1), n=1)
    with pytest.raises(TypeError, match="loss_fn must be a function"):
        plots.loss_grid(3, (0, 1), (0, 1))
    with pytest.raises(
        ValueError, match=r"losses must be one value per row of thetas \(3, 2\), got shape \(1,\)"
    ):
        plots.plot_descent(quad, np.zeros((3, 2)), [1.0])
