"""Tests of course_lib.foundations.gradcheck."""

from __future__ import annotations

import numpy as np
import pytest

from course_lib.foundations.gradcheck import (
    GradientCheck,
    check_gradient,
    numerical_gradient,
    relative_error,
)


def test_numerical_gradient_of_a_quadratic_form():
    rng = np.random.default_rng(1)
    A = rng.normal(size=(3, 3))
    x = rng.normal(size=3)
    got = numerical_gradient(lambda v: float(v @ A @ v), x)
    np.testing.assert_allclose(got, (A + A.T) @ x, rtol=1e-7, atol=1e-9)


def test_numerical_gradient_keeps_shape_and_does_not_mutate():
    x = np.arange(6, dtype=float).reshape(2, 3)
    before = x.copy()
    g = numerical_gradient(lambda v: float(np.sum(v**3)), x)
    assert g.shape == (2, 3)
    np.testing.assert_array_equal(x, before)
    np.testing.assert_allclose(g, 3 * before**2, rtol=1e-6, atol=1e-6)


def test_check_gradient_catches_plausible_bugs():
    f = lambda v: float(np.mean(v**2))  # noqa: E731
    x = np.array([0.5, -1.5, 2.0])
    assert check_gradient(f, lambda v: 2 * v / v.size, x).passed
    for wrong in (lambda v: v / v.size, lambda v: -2 * v / v.size, lambda v: 2 * v):
        result = check_gradient(f, wrong, x)
        assert not result and result.relative_error > 0.1
    assert "FAILED" in repr(check_gradient(f, lambda v: v, x))


def test_relative_error_is_symmetric_and_zero_safe():
    assert relative_error([0.0], [0.0]) == 0.0
    assert relative_error([1.0, 0.0], [0.0, 1.0]) == pytest.approx(
        relative_error([0.0, 1.0], [1.0, 0.0])
    )


def test_bad_inputs_are_explained():
    with pytest.raises(
        ValueError, match=r"numerical_gradient\(eps=-1e-06\): eps must be a positive number"
    ):
        numerical_gradient(np.sum, [1.0], eps=-1e-6)
    with pytest.raises(ValueError, match="x must be non-empty"):
        numerical_gradient(np.sum, [])
    with pytest.raises(ValueError, match="x must be finite, found 1 NaN or inf"):
        check_gradient(np.sum, np.ones_like, [np.nan])
    with pytest.raises(TypeError, match="f must be a function"):
        numerical_gradient(3.0, [1.0])
    with pytest.raises(
        ValueError,
        match=r"grad must be a function whose grad\(x\) has the shape of x \(3,\), got \(5,\)",
    ):
        check_gradient(lambda v: float(np.sum(v)), lambda v: np.ones(5), np.ones(3))
    with pytest.raises(
        ValueError,
        match=r"relative_error\(b=array of shape \(3,\)\): b must be the same shape as a \(2,\)",
    ):
        relative_error(np.ones(2), np.ones(3))
    with pytest.raises(ValueError, match="tol must be a positive number"):
        check_gradient(np.sum, np.ones_like, [1.0], tol=0)
    assert isinstance(check_gradient(np.sum, np.ones_like, [1.0]), GradientCheck)
