"""Tests of course_lib.foundations.losses: values, stability, finite-difference gradients, Keras agreement."""

from __future__ import annotations

import numpy as np
import pytest

from course_lib.evaluation.metrics import mae
from course_lib.foundations import losses as L
from course_lib.foundations.activations import sigmoid, softmax
from course_lib.foundations.gradcheck import check_gradient


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def _onehot(rng, n, k):
    return np.eye(k)[rng.integers(0, k, size=n)]


# ----------------------------------------------------------------- values
def test_mse_and_mae_values():
    assert L.mse([1.0, 2.0], [1.0, 4.0]) == pytest.approx(2.0)
    assert mae([1.0, 2.0], [1.0, 4.0]) == pytest.approx(1.0)
    assert L.mse([[1.0], [2.0]], [[1.0], [4.0]]) == pytest.approx(2.0)


def test_bce_logits_equals_probabilities_in_the_safe_range(rng):
    z = rng.normal(size=50)
    y = rng.integers(0, 2, size=50).astype(float)
    assert L.binary_crossentropy(y, z, from_logits=True) == pytest.approx(
        L.binary_crossentropy(y, sigmoid(z)), rel=1e-9
    )


def test_cce_logits_equals_probabilities_in_the_safe_range(rng):
    z = rng.normal(size=(20, 4))
    y = _onehot(rng, 20, 4)
    assert L.categorical_crossentropy(y, z, from_logits=True) == pytest.approx(
        L.categorical_crossentropy(y, softmax(z)), rel=1e-9
    )


def test_stable_forms_stay_finite_on_extreme_logits():
    z = np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0])
    assert np.all(np.isfinite(L.log_sigmoid(z)))
    assert L.log_sigmoid(z)[0] == pytest.approx(-1000.0)
    assert np.all(np.isfinite(sigmoid(z)))
    with np.errstate(over="ignore", divide="ignore"):
        naive = np.log(1.0 / (1.0 + np.exp(-z)))
    assert np.isinf(naive[0])  # the reason the stable form exists
    big = np.array([[1000.0, 999.0, -1000.0]])
    assert np.all(np.isfinite(L.log_softmax(big)))
    assert softmax(big).sum() == pytest.approx(1.0)
    assert float(L.logsumexp(big)[0]) == pytest.approx(1000.0 + np.log1p(np.exp(-1.0)))
    assert L.binary_crossentropy([1.0], [-1000.0], from_logits=True) == pytest.approx(1000.0)
    assert L.categorical_crossentropy([[0, 1, 0]], big, from_logits=True) == pytest.approx(
        1.0 + np.log1p(np.exp(-1.0))
    )


def test_logsumexp_keepdims_and_axis(rng):
    z = rng.normal(size=(3, 4))
    np.testing.assert_allclose(L.logsumexp(z, axis=0), np.log(np.exp(z).sum(axis=0)))
    assert L.logsumexp(z, keepdims=True).shape == (3, 1)


# ----------------------------------------------------------------- gradients
@pytest.mark.parametrize("loss, grad", [(L.mse, L.mse_gradient), (mae, L.mae_gradient)])
def test_regression_gradients_match_finite_differences(rng, loss, grad):
    y = rng.normal(size=(6, 2))
    p = y + rng.normal(size=(6, 2))  # away from the MAE kink
    assert check_gradient(lambda q: loss(y, q), lambda q: grad(y, q), p)


@pytest.mark.parametrize("from_logits", [True, False])
def test_bce_gradient_matches_finite_differences(rng, from_logits):
    y = rng.integers(0, 2, size=8).astype(float)
    p = rng.normal(size=8) if from_logits else rng.uniform(0.05, 0.95, size=8)
    assert check_gradient(
        lambda q: L.binary_crossentropy(y, q, from_logits=from_logits),
        lambda q: L.binary_crossentropy_gradient(y, q, from_logits=from_logits),
        p,
    )


@pytest.mark.parametrize("from_logits", [True, False])
def test_cce_gradient_matches_finite_differences(rng, from_logits):
    y = _onehot(rng, 5, 3)
    p = rng.normal(size=(5, 3)) if from_logits else rng.uniform(0.1, 1.0, size=(5, 3))
    assert check_gradient(
        lambda q: L.categorical_crossentropy(y, q, from_logits=from_logits),
        lambda q: L.categorical_crossentropy_gradient(y, q, from_logits=from_logits),
        p,
    )


def test_soft_labels_gradient_from_logits(rng):
    y = rng.dirichlet(np.ones(3), size=4) * 0.5  # rows sum to 0.5
    z = rng.normal(size=(4, 3))
    assert check_gradient(
        lambda q: L.categorical_crossentropy(y, q, from_logits=True),
        lambda q: L.categorical_crossentropy_gradient(y, q, from_logits=True),
        z,
    )


def test_bce_probability_gradient_is_zero_where_clipped():
    g = L.binary_crossentropy_gradient([1.0, 0.0], [0.0, 1.0])
    np.testing.assert_array_equal(g, [0.0, 0.0])


def test_bce_probability_gradient_at_the_clipping_bound_like_keras():
    # tf.clip_by_value passes the gradient at the bounds (Keras: -1e7 at p = 1e-7, y = 1),
    # and only strictly outside them is the gradient 0.
    eps = L.EPSILON
    g = L.binary_crossentropy_gradient([1.0, 0.0, 1.0, 0.0], [eps, 1 - eps, eps / 10, 1 - eps / 10])
    np.testing.assert_allclose(g[:2], np.array([-1 / eps, 1 / eps]) / 4, rtol=1e-6)
    np.testing.assert_array_equal(g[2:], [0.0, 0.0])


def test_bce_probability_gradient_at_the_bound_agrees_with_keras():
    tf = pytest.importorskip("tensorflow")
    keras = pytest.importorskip("keras")
    p = np.float32(L.EPSILON)  # float32(1e-7), a hair above 1e-7
    for bound in (p, np.float32(1e-8)):
        v = tf.Variable([bound], dtype=tf.float32)
        with tf.GradientTape() as tape:
            loss = keras.losses.BinaryCrossentropy()(tf.constant([1.0]), v)
        expected = float(tape.gradient(loss, v).numpy()[0])
        ours = float(L.binary_crossentropy_gradient([1.0], [float(bound)])[0])
        assert ours == pytest.approx(expected, rel=1e-5, abs=1e-6)


def test_cce_probability_gradient_refuses_clipped_region():
    with pytest.raises(ValueError, match="from_logits=True"):
        L.categorical_crossentropy_gradient([[1, 0]], [[1.0, 0.0]])


# ----------------------------------------------------------------- bad input
ALL_PAIR_FUNCS = [
    L.mse,
    L.mse_gradient,
    L.mae_gradient,
    L.binary_crossentropy,
    L.binary_crossentropy_gradient,
]


@pytest.mark.parametrize("func", ALL_PAIR_FUNCS)
def test_shape_mismatch_is_explained(func):
    with pytest.raises(
        ValueError, match=r"y_pred must be the same shape as y_true \(3,\); a \(n,\) vs \(n, 1\)"
    ):
        func(np.zeros(3), np.zeros((3, 1)))


@pytest.mark.parametrize("func", ALL_PAIR_FUNCS + [L.categorical_crossentropy])
def test_empty_and_nan_inputs_are_explained(func):
    with pytest.raises(ValueError, match=r"y_true must be non-empty"):
        func([], [])
    with pytest.raises(ValueError, match="y_pred must be numbers without NaN, found 1 NaN"):
        func([[0.0, 1.0]], [[0.5, np.nan]])


def test_non_numeric_input_is_explained():
    with pytest.raises(TypeError, match="y_true must be numbers"):
        L.mse(["a", "b"], [1.0, 2.0])


def test_probabilities_out_of_range_suggest_from_logits():
    with pytest.raises(ValueError, match="pass from_logits=True"):
        L.binary_crossentropy([1.0, 0.0], [2.5, -1.0])
    with pytest.raises(ValueError, match="pass from_logits=True"):
        L.categorical_crossentropy([[1.0, 0.0]], [[2.5, -1.0]])
    with pytest.raises(
        ValueError, match=r"y_true must be in \[0, 1\], got values from 2 to 2; labels are 0"
    ):
        L.binary_crossentropy([2.0], [0.5])
    with pytest.raises(ValueError, match="one-hot"):
        L.categorical_crossentropy([[3.0, 0.0]], [[0.5, 0.5]])


def test_stable_helpers_validate():
    with pytest.raises(ValueError, match=r"sigmoid\(z=.*\): z must be numbers without NaN"):
        sigmoid([np.nan])
    with pytest.raises(ValueError, match="z must be at least 1-dimensional"):
        L.logsumexp(3.0)
    with pytest.raises(ValueError, match=r"softmax\(z=.*\): z must be non-empty"):
        softmax([])
    with pytest.raises(ValueError, match="temperature must be a positive number"):
        softmax([1.0, 2.0], temperature=-1.0)
    with pytest.raises(ValueError, match="epsilon must be a number"):
        L.binary_crossentropy([1.0], [0.5], epsilon=0.7)


# ----------------------------------------------------------------- Keras agreement
def test_all_losses_agree_with_keras():
    keras = pytest.importorskip("keras")
    rng = np.random.default_rng(7)
    f32 = np.float32
    y = rng.uniform(1, 5, size=(32, 1)).astype(f32)
    p = rng.uniform(1, 5, size=(32, 1)).astype(f32)
    assert abs(L.mse(y, p) - float(keras.losses.MeanSquaredError()(y, p))) < 1e-6
    assert abs(mae(y, p) - float(keras.losses.MeanAbsoluteError()(y, p))) < 1e-6
    yb = rng.integers(0, 2, size=(32, 1)).astype(float)
    z = rng.normal(scale=3, size=(32, 1)).astype(f32)
    assert (
        abs(
            L.binary_crossentropy(yb, z, from_logits=True)
            - float(keras.losses.BinaryCrossentropy(from_logits=True)(yb, z))
        )
        < 1e-6
    )
    pb = rng.uniform(0, 1, size=(32, 1)).astype(f32)
    assert (
        abs(L.binary_crossentropy(yb, pb) - float(keras.losses.BinaryCrossentropy()(yb, pb))) < 1e-6
    )
    yc = _onehot(rng, 32, 5)
    zc = rng.normal(scale=3, size=(32, 5)).astype(f32)
    assert (
        abs(
            L.categorical_crossentropy(yc, zc, from_logits=True)
            - float(keras.losses.CategoricalCrossentropy(from_logits=True)(yc, zc))
        )
        < 1e-6
    )
    pc = rng.uniform(0, 1, size=(32, 5)).astype(f32)
    assert (
        abs(
            L.categorical_crossentropy(yc, pc)
            - float(keras.losses.CategoricalCrossentropy()(yc, pc))
        )
        < 1e-6
    )
