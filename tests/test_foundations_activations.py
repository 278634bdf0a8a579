"""Tests of course_lib.foundations.activations: the one sigmoid and the one softmax."""

from __future__ import annotations

import math

import numpy as np
import pytest

from course_lib.foundations import activations
from course_lib.foundations.activations import sigmoid, softmax
from course_lib.foundations.gradcheck import numerical_gradient


def test_sigmoid_values_symmetry_and_stability():
    z = np.array([-1000.0, -3.0, 0.0, 3.0, 1000.0])
    s = sigmoid(z)
    assert np.all(np.isfinite(s))
    np.testing.assert_allclose(s, [0.0, 1 / (1 + math.e**3), 0.5, 1 / (1 + math.e**-3), 1.0])
    np.testing.assert_allclose(s + sigmoid(-z), 1.0)
    assert sigmoid(0.5).shape == ()  # a scalar in, a 0-d array out


def test_sigmoid_derivative_is_s_times_one_minus_s():
    z = np.array([-2.0, 0.3, 4.0])
    num = np.array([numerical_gradient(lambda t: float(sigmoid(t)[0]), [zi])[0] for zi in z])
    np.testing.assert_allclose(sigmoid(z) * (1 - sigmoid(z)), num, rtol=1e-6)


def test_softmax_is_stable_on_huge_logits():
    np.testing.assert_allclose(softmax(np.array([1e308, 1e308, -1e308])), [0.5, 0.5, 0.0])
    np.testing.assert_allclose(
        softmax(np.array([-1000.0, -1001.0])), [1 / (1 + math.exp(-1)), 1 - 1 / (1 + math.exp(-1))]
    )


def test_softmax_temperature_and_axis():
    z = np.array([[1.0, 2.0], [3.0, 3.0]])
    p = softmax(z, axis=1, temperature=0.5)
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    np.testing.assert_allclose(p[0], np.exp([2.0, 4.0]) / np.exp([2.0, 4.0]).sum())
    np.testing.assert_allclose(softmax(z, axis=0).sum(axis=0), 1.0)
    np.testing.assert_allclose(softmax(np.log([0.2, 0.8])), [0.2, 0.8])
    np.testing.assert_allclose(softmax([0.0, 1.0], temperature=1e6), 0.5, atol=1e-6)
    # the log of a softmax is the logits minus their logsumexp
    from course_lib.foundations.losses import log_softmax

    np.testing.assert_allclose(np.log(softmax(z)), log_softmax(z))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (
            {"z": [1.0], "temperature": 0.0},
            r"softmax\(temperature=0.0\): temperature must be a positive",
        ),
        ({"z": [1.0], "temperature": "hot"}, "temperature must be a positive number"),
        ({"z": []}, r"softmax\(z=.*\): z must be non-empty"),
        ({"z": [np.nan, 1.0]}, "z must be numbers without NaN, found 1 NaN"),
        ({"z": 3.0}, "z must be at least 1-dimensional"),
        (
            {"z": [1.0, 2.0], "axis": 1},
            r"softmax\(axis=1\): axis must be an int with -1 <= axis <= 0",
        ),
    ],
)
def test_softmax_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        softmax(**kwargs)


def test_sigmoid_bad_input():
    with pytest.raises(ValueError, match=r"sigmoid\(z=.*\): z must be numbers without NaN"):
        sigmoid([np.nan])
    with pytest.raises(TypeError, match="z must be numbers"):
        sigmoid("abc")


def test_one_definition_shared_by_losses_and_nn():
    from course_lib.foundations import losses, nn

    assert losses.sigmoid is activations.sigmoid and nn.sigmoid is activations.sigmoid
    assert losses.softmax is activations.softmax
    assert set(activations.__all__) == {
        "sigmoid",
        "softmax",
        "ACTIVATIONS",
        "activate",
        "activation_derivative",
    }
    assert nn.activate is activations.activate  # the network uses the one definition
