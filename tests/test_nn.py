"""Tests of course_lib.foundations.nn: finite-difference checks of every gradient, Keras agreement, errors."""

from __future__ import annotations

import numpy as np
import pytest

from course_lib.foundations import (
    SGD,
    Adam,
    activate,
    activation_derivative,
    backward,
    forward,
    init_params,
    keras_weights,
    loss,
    params_from_keras,
    train,
)
from course_lib.foundations.activations import sigmoid
from course_lib.foundations.gradcheck import check_gradient, numerical_gradient


def _data(n=7, d=4, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = (rng.random(n) < 0.5).astype(float)
    return X, y


@pytest.mark.parametrize("act", ["sigmoid", "relu", "tanh"])
@pytest.mark.parametrize("loss_name", ["binary_crossentropy", "mse"])
@pytest.mark.parametrize("key", ["W1", "b1", "W2", "b2"])
def test_every_gradient_matches_finite_differences(act, loss_name, key):
    X, y = _data()
    params = init_params(4, 5, seed=1)
    params = {k: v + 0.1 * np.random.default_rng(2).normal(size=v.shape) for k, v in params.items()}
    grads = backward(params, forward(params, X, act), y, act, loss_name)

    def f(value):
        return loss({**params, key: value}, X, y, act, loss_name)

    result = check_gradient(f, lambda value: grads[key], params[key], tol=1e-6)
    assert result.passed, (act, loss_name, key, result)


def test_activation_derivatives_match_finite_differences():
    z = np.array([-3.0, -0.7, 0.4, 2.5])
    for act in ("sigmoid", "relu", "tanh"):
        num = np.array(
            [numerical_gradient(lambda t: float(activate(t, act)[0]), [zi])[0] for zi in z]
        )
        np.testing.assert_allclose(activation_derivative(z, act), num, rtol=1e-6, atol=1e-9)


def test_sigmoid_is_stable_and_symmetric():
    z = np.array([-1000.0, -3.0, 0.0, 3.0, 1000.0])
    s = sigmoid(z)
    assert np.all(np.isfinite(s))
    np.testing.assert_allclose(s + sigmoid(-z), 1.0)


def test_y_shapes_n_and_n1_give_the_same_gradients():
    X, y = _data()
    p = init_params(4, 3, seed=0)
    cache = forward(p, X)
    a, b = backward(p, cache, y), backward(p, cache, y.reshape(-1, 1))
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])


def test_backward_does_not_mutate_and_train_returns_new_params():
    X, y = _data()
    p = init_params(4, 3, seed=0)
    before = {k: v.copy() for k, v in p.items()}
    trained, losses = train(p, X, y, Adam(learning_rate=0.05), 20, hidden_activation="tanh")
    for k in p:
        np.testing.assert_array_equal(p[k], before[k])
    assert len(losses) == 20 and losses[-1] < losses[0]
    assert not np.array_equal(trained["W1"], p["W1"])


def test_init_params_is_deterministic_and_glorot():
    a, b = init_params(10, 20, seed=3), init_params(10, 20, seed=3)
    np.testing.assert_array_equal(a["W1"], b["W1"])
    assert np.abs(a["W1"]).max() <= np.sqrt(6 / 30) and not a["b1"].any()
    c = init_params(10, 20, seed=np.random.default_rng(3))
    np.testing.assert_array_equal(a["W1"], c["W1"])


def test_keras_weight_roundtrip():
    p = init_params(3, 4, seed=0)
    back = params_from_keras(keras_weights(p))
    np.testing.assert_allclose(back["W2"], p["W2"], rtol=1e-6)


# ---------------------------------------------------------------- bad input
def test_error_messages():
    X, y = _data()
    p = init_params(4, 3, seed=0)
    with pytest.raises(
        ValueError,
        match=r"forward\(X=array of shape \(2, 5\)\): X must be of shape \(n, 4\).* got 5 columns",
    ):
        forward(p, np.ones((2, 5)))
    with pytest.raises(
        ValueError, match=r"X must be 2-dimensional, got shape \(4,\); .* X.reshape\(1, -1\)"
    ):
        forward(p, np.ones(4))
    with pytest.raises(ValueError, match=r"X must be non-empty"):
        forward(p, np.ones((0, 4)))
    with pytest.raises(ValueError, match="X must be numbers without NaN"):
        forward(p, np.array([[1.0, np.nan, 0.0, 0.0]]))
    with pytest.raises(
        ValueError,
        match=r"loss\(y=array of shape \(3,\)\): y must be of the shape "
        r"\(7, 1\) that the network predicts, got \(3,\)",
    ):
        loss(p, X, y[:3])
    with pytest.raises(ValueError, match="y must be numbers without NaN"):
        loss(p, X, np.full(7, np.nan))
    with pytest.raises(
        ValueError,
        match=r"forward\(hidden_activation='softmax'\): hidden_activation must be one of 'sigmoid', 'relu', 'tanh'",
    ):
        forward(p, X, "softmax")
    with pytest.raises(
        ValueError, match=r"loss\(loss='hinge'\): loss must be one of 'binary_crossentropy', 'mse'"
    ):
        loss(p, X, y, loss="hinge")
    with pytest.raises(
        ValueError,
        match=r"params must be a dict with keys \['W1', 'b1', 'W2', "
        r"'b2'\]",
    ):
        forward({"W": np.ones((4, 1))}, X)
    with pytest.raises(
        ValueError, match=r"params must be arrays of consistent shapes W1 \(d, h\), .*'b1': \(9,\)"
    ):
        forward({**p, "b1": np.zeros(9)}, X)
    with pytest.raises(ValueError, match=r"params\['W2'\] must be numbers without NaN"):
        forward({**p, "W2": np.full((3, 1), np.nan)}, X)
    with pytest.raises(
        ValueError, match=r"cache must be a dict holding X, Z1, H and Y, it lacks \['H'\]"
    ):
        backward(p, {"X": X, "Z1": X, "Y": X}, y)
    with pytest.raises(
        ValueError, match=r"init_params\(n_hidden=-2\): n_hidden must be an int >= 1"
    ):
        init_params(4, -2)
    with pytest.raises(ValueError, match="seed must be a non-negative int"):
        init_params(4, 2, seed=-1)
    with pytest.raises(ValueError, match="weights must be 4 arrays"):
        params_from_keras([np.ones(2)])


def test_train_messages_including_negative_learning_rate():
    X, y = _data()
    p = init_params(4, 3, seed=0)
    with pytest.raises(
        ValueError, match=r"SGD\(learning_rate=-0.1\): learning_rate must be a positive number"
    ):
        train(p, X, y, SGD(learning_rate=-0.1), 5)
    with pytest.raises(
        TypeError,
        match=r"train\(optimizer=0.1\): optimizer must be a course_lib.foundations optimizer",
    ):
        train(p, X, y, 0.1, 5)
    with pytest.raises(ValueError, match=r"train\(n_epochs=2.5\): n_epochs must be an int >= 0"):
        train(p, X, y, SGD(), 2.5)


# ---------------------------------------------------------------- Keras agreement
@pytest.mark.slow
def test_loss_curve_matches_keras():
    keras = pytest.importorskip("keras")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 10))
    y = (X[:, 0] - X[:, 1] + 0.5 * rng.normal(size=64) > 0).astype(float)
    p = init_params(10, 8, seed=0)
    _, ours = train(p, X, y, SGD(learning_rate=0.5), 30, hidden_activation="sigmoid")
    model = keras.Sequential(
        [
            keras.Input((10,)),
            keras.layers.Dense(8, activation="sigmoid"),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.set_weights(keras_weights(p))
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.5), loss="binary_crossentropy")
    history = model.fit(
        X.astype("float32"), y.astype("float32"), batch_size=64, epochs=30, shuffle=False, verbose=0
    )
    np.testing.assert_allclose(history.history["loss"], ours, rtol=1e-4, atol=1e-5)
