"""Tests of course_lib.foundations.linreg: the worked example, gradients, GD variants, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from course_lib.foundations import linreg
from course_lib.foundations.gradcheck import check_gradient

X_EXAMPLE = linreg.design_matrix([1, 2, 3, 4, 5])
Y_EXAMPLE = np.array([2.0, 4.0, 6.0, 8.0, 10.0])


def _synthetic(n=200, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    return linreg.design_matrix(x), 3.5 + 0.7 * x + rng.normal(scale=0.3, size=n)


def test_seed_example_first_steps_and_convergence():
    np.testing.assert_allclose(
        linreg.mse_gradient_wrt_theta(X_EXAMPLE, Y_EXAMPLE, [0, 0]), [-12.0, -44.0]
    )
    np.testing.assert_allclose(
        linreg.gradient_descent_step(X_EXAMPLE, Y_EXAMPLE, [0, 0], 0.01), [0.12, 0.44]
    )
    run = linreg.gradient_descent(X_EXAMPLE, Y_EXAMPLE, [0, 0], learning_rate=0.01, n_steps=5000)
    np.testing.assert_allclose(run.theta, [0.0, 2.0], atol=1e-5)
    assert run.thetas.shape == (5001, 2) and run.losses.shape == (5001,)
    assert np.all(np.diff(run.losses) <= 1e-12)  # full-batch GD at a safe rate


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_gradient_matches_finite_differences(seed):
    X, y = _synthetic(30, seed)
    theta = np.random.default_rng(seed).normal(size=2)
    assert check_gradient(
        lambda t: linreg.mse_loss(X, y, t), lambda t: linreg.mse_gradient_wrt_theta(X, y, t), theta
    )


def test_gradient_multi_feature_matches_finite_differences():
    rng = np.random.default_rng(3)
    X = linreg.design_matrix(rng.normal(size=(20, 3)))
    y = rng.normal(size=20)
    assert check_gradient(
        lambda t: linreg.mse_loss(X, y, t),
        lambda t: linreg.mse_gradient_wrt_theta(X, y, t),
        rng.normal(size=4),
    )


def test_divergence_is_recorded_not_raised():
    run = linreg.gradient_descent(X_EXAMPLE, Y_EXAMPLE, [0, 0], learning_rate=0.5, n_steps=2000)
    assert run.diverged
    assert np.isinf(run.losses[-1]) and np.isnan(run.thetas[-1]).all()
    assert "DIVERGED" in linreg.run_summary(run)


def test_minibatch_and_sgd_are_deterministic_and_converge():
    X, y = _synthetic()
    best = linreg.least_squares(X, y)
    a = linreg.gradient_descent(X, y, [0, 0], 0.05, 400, batch_size=16, seed=5)
    b = linreg.gradient_descent(X, y, [0, 0], 0.05, 400, batch_size=16, seed=5)
    np.testing.assert_array_equal(a.thetas, b.thetas)
    c = linreg.gradient_descent(X, y, [0, 0], 0.05, 400, batch_size=16, seed=6)
    assert not np.array_equal(a.thetas, c.thetas)
    np.testing.assert_allclose(a.theta, best, atol=0.05)
    sgd = linreg.gradient_descent(
        X, y, [0, 0], 0.01, 2000, batch_size=1, seed=np.random.default_rng(0)
    )
    np.testing.assert_allclose(sgd.theta, best, atol=0.1)
    np.testing.assert_allclose(a.epochs[:3], [0, 16 / 200, 32 / 200])


def test_each_epoch_uses_every_sample_once():
    # With learning_rate tiny, one epoch of mini-batch updates sums to ~ one full-batch step (same data)
    X, y = _synthetic(40)
    learning_rate = 1e-6
    mini = linreg.gradient_descent(X, y, [0, 0], learning_rate, 4, batch_size=10, seed=0)
    full = linreg.gradient_descent(X, y, [0, 0], learning_rate, 1)
    np.testing.assert_allclose((mini.theta - [0, 0]) / 4, full.theta, rtol=1e-4)


def test_full_batch_size_equals_none():
    X, y = _synthetic(50)
    a = linreg.gradient_descent(X, y, [0, 0], 0.1, 10, batch_size=50)
    b = linreg.gradient_descent(X, y, [0, 0], 0.1, 10)
    np.testing.assert_array_equal(a.thetas, b.thetas)
    assert a.batch_size is None


def test_inputs_not_mutated_and_zero_steps():
    theta0 = np.array([1.0, 1.0])
    run = linreg.gradient_descent(X_EXAMPLE, Y_EXAMPLE, theta0, 0.01, 0)
    np.testing.assert_array_equal(theta0, [1.0, 1.0])
    assert run.thetas.shape == (1, 2)
    assert linreg.run_summary(run, optimum=[0, 2]).endswith("distance to the minimum 1.41")


def test_predict_and_least_squares():
    np.testing.assert_allclose(linreg.predict(X_EXAMPLE, [0, 2]), Y_EXAMPLE)
    np.testing.assert_allclose(linreg.least_squares(X_EXAMPLE, Y_EXAMPLE), [0, 2], atol=1e-10)


@pytest.mark.parametrize("learning_rate", [-0.01, 0.0, float("nan"), float("inf"), "0.01", True])
def test_bad_learning_rate(learning_rate):
    with pytest.raises(ValueError, match="learning_rate must be a positive number"):
        linreg.gradient_descent(X_EXAMPLE, Y_EXAMPLE, [0, 0], learning_rate, 10)
    with pytest.raises(ValueError, match="learning_rate must be a positive number"):
        linreg.gradient_descent_step(X_EXAMPLE, Y_EXAMPLE, [0, 0], learning_rate)


def test_bad_shapes_and_values():
    with pytest.raises(
        ValueError,
        match=r"mse_loss\(y=array of shape \(4,\)\): y must be of shape \(5,\) to match X",
    ):
        linreg.mse_loss(X_EXAMPLE, Y_EXAMPLE[:4], [0, 0])
    with pytest.raises(
        ValueError,
        match=r"y must be of shape \(5,\) to match X \(5, 2\), got \(5, 1\); .* y.ravel\(\)",
    ):
        linreg.mse_gradient_wrt_theta(X_EXAMPLE, Y_EXAMPLE[:, None], [0, 0])
    with pytest.raises(
        ValueError,
        match=r"theta must be of shape \(2,\), one weight per column of X \(5, 2\), got \(3,\)",
    ):
        linreg.predict(X_EXAMPLE, [0, 0, 0])
    with pytest.raises(
        ValueError,
        match=r"X must be 2-dimensional, got shape \(3,\); X is \(n_samples, n_features\)",
    ):
        linreg.mse_loss([1, 2, 3], [1, 2, 3], [0])
    with pytest.raises(ValueError, match="X must be non-empty"):
        linreg.mse_loss(np.empty((0, 2)), [], [0, 0])
    with pytest.raises(ValueError, match="y must be numbers without NaN, found 1 NaN"):
        linreg.gradient_descent(X_EXAMPLE, [2, 4, np.nan, 8, 10], [0, 0], 0.01, 5)
    with pytest.raises(ValueError, match="theta0 must be numbers without NaN, found 1 NaN"):
        linreg.gradient_descent(X_EXAMPLE, Y_EXAMPLE, [np.nan, 0], 0.01, 5)
    with pytest.raises(
        ValueError, match=r"gradient_descent\(n_steps=2.5\): n_steps must be an int >= 0"
    ):
        linreg.gradient_descent(X_EXAMPLE, Y_EXAMPLE, [0, 0], 0.01, 2.5)
    with pytest.raises(
        ValueError,
        match=r"batch_size must be an int with 1 <= batch_size <= 5; pass None for full batch",
    ):
        linreg.gradient_descent(X_EXAMPLE, Y_EXAMPLE, [0, 0], 0.01, 5, batch_size=6)
    with pytest.raises(ValueError, match="x must be non-empty"):
        linreg.design_matrix([])
    with pytest.raises(TypeError, match=r"run_summary\(run=\[1, 2\]\): run must be a GDRun"):
        linreg.run_summary([1, 2])
