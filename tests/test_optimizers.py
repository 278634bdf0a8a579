"""Tests of course_lib.foundations.optimizers and .problems: update rules, no mutation, validation, Keras agreement."""

from __future__ import annotations

import numpy as np
import pytest

from course_lib.foundations import SGD, Adam, Momentum, RMSProp, adam_step_scale
from course_lib.foundations.gradcheck import numerical_gradient
from course_lib.foundations.problems import Quadratic, Rosenbrock, minimize

ALL = [
    SGD(learning_rate=0.1),
    Momentum(learning_rate=0.1),
    RMSProp(learning_rate=0.1),
    Adam(learning_rate=0.1),
]


# ---------------------------------------------------------------- update rules by hand
def test_sgd_rule():
    x = SGD(learning_rate=0.5).step(np.array([1.0, 2.0]), np.array([2.0, -2.0]))
    np.testing.assert_allclose(x, [0.0, 3.0])


def test_momentum_rule_matches_hand_loop():
    learning_rate, mu = 0.1, 0.8
    opt = Momentum(learning_rate=learning_rate, momentum=mu)
    rng = np.random.default_rng(0)
    x = x_ref = rng.normal(size=3)
    v = np.zeros(3)
    for _ in range(5):
        g = rng.normal(size=3)
        v = mu * v - learning_rate * g
        x_ref = x_ref + v
        x = opt.step(x, g)
    np.testing.assert_allclose(x, x_ref, rtol=1e-14)


def test_rmsprop_rule_matches_hand_loop():
    learning_rate, rho, eps = 0.01, 0.9, 1e-7
    opt = RMSProp(learning_rate=learning_rate, rho=rho, epsilon=eps)
    rng = np.random.default_rng(1)
    x = x_ref = rng.normal(size=4)
    s = np.zeros(4)
    for _ in range(5):
        g = rng.normal(size=4)
        s = rho * s + (1 - rho) * g**2
        x_ref = x_ref - learning_rate * g / np.sqrt(s + eps)
        x = opt.step(x, g)
    np.testing.assert_allclose(x, x_ref, rtol=1e-13)


def test_adam_equals_paper_form_with_rescaled_epsilon():
    learning_rate, b1, b2, eps = 0.01, 0.9, 0.999, 1e-7
    opt = Adam(learning_rate, b1, b2, eps)
    rng = np.random.default_rng(2)
    x = x_ref = rng.normal(size=5)
    m = v = np.zeros(5)
    for t in range(1, 8):
        g = rng.normal(size=5)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g**2
        m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
        x_ref = x_ref - learning_rate * m_hat / (np.sqrt(v_hat) + eps / np.sqrt(1 - b2**t))
        x = opt.step(x, g)
    np.testing.assert_allclose(x, x_ref, rtol=1e-13)


def test_adam_without_bias_correction_first_step_is_316_lr():
    x = Adam(learning_rate=0.01, bias_correction=False).step(np.array([0.0]), np.array([5.0]))
    np.testing.assert_allclose(-x / 0.01, [0.1 / np.sqrt(0.001)], rtol=1e-5)


def test_adam_step_scale_matches_optimizer():
    opt = Adam(learning_rate=1.0, epsilon=0.0, bias_correction=False)
    x, steps = np.array([0.0]), []
    for _ in range(20):
        new = opt.step(x, np.array([2.0]))
        steps.append(float(x[0] - new[0]))
        x = new
    np.testing.assert_allclose(
        steps, adam_step_scale(np.arange(1, 21), bias_correction=False), rtol=1e-12
    )


def test_float32_mode_returns_float32():
    x = Adam(dtype="float32").step(np.ones(2), np.ones(2))
    assert x.dtype == np.float32


# ---------------------------------------------------------------- contract
@pytest.mark.parametrize("opt", ALL, ids=lambda o: type(o).__name__)
def test_step_never_mutates_and_keeps_structure(opt):
    opt.reset()
    params = {"w": np.array([1.0, 2.0]), "b": np.array([0.5])}
    grads = {"w": np.array([0.1, -0.2]), "b": np.array([1.0])}
    before = {k: v.copy() for k, v in params.items()}
    g_before = {k: v.copy() for k, v in grads.items()}
    new = opt.step(params, grads)
    assert set(new) == {"w", "b"} and new is not params
    for k in params:
        np.testing.assert_array_equal(params[k], before[k])
        np.testing.assert_array_equal(grads[k], g_before[k])
        assert new[k] is not params[k]
    assert set(params) == {"w", "b"}


@pytest.mark.parametrize("opt", ALL, ids=lambda o: type(o).__name__)
def test_reset_makes_runs_repeatable(opt):
    q = Quadratic()
    a = minimize(q.grad, [1.0, 1.0], opt, n_steps=10)
    b = minimize(q.grad, [1.0, 1.0], opt, n_steps=10)
    np.testing.assert_array_equal(a, b)
    assert opt.iterations == 10
    assert opt.reset().iterations == 0


@pytest.mark.parametrize("opt", ALL, ids=lambda o: type(o).__name__)
def test_all_optimizers_reduce_the_quadratic(opt):
    q = Quadratic(scales=(1.0, 10.0))
    path = minimize(q.grad, [1.0, 1.0], opt, n_steps=200)
    assert q.value(path[-1]) < 0.05 * q.value(path[0])


# ---------------------------------------------------------------- problems: gradients
@pytest.mark.parametrize(
    "problem",
    [Quadratic(), Quadratic((2.0, 30.0), angle=0.6), Rosenbrock(), Rosenbrock(a=0.5, b=10.0)],
    ids=repr,
)
@pytest.mark.parametrize("point", [[0.3, -0.7], [-1.2, 1.0], [1.5, 2.0]])
def test_problem_gradients_match_finite_differences(problem, point):
    num = numerical_gradient(problem.value, np.array(point))
    np.testing.assert_allclose(problem.grad(point), num, rtol=1e-6, atol=1e-6)


def test_problem_values_on_grids_and_minima():
    q, r = Quadratic(angle=0.3), Rosenbrock()
    grid = np.stack(np.meshgrid(np.linspace(-1, 1, 4), np.linspace(-1, 1, 3)))
    assert q.value(grid).shape == (3, 4) and r.value(grid).shape == (3, 4)
    assert q.value(q.minimum) == 0 and r.value(r.minimum) == 0
    np.testing.assert_allclose(r.grad(r.minimum), 0, atol=1e-12)


def test_minimize_stops_on_divergence():
    q = Quadratic(scales=(1.0, 25.0))
    path = minimize(q.grad, [1.0, 1.0], SGD(learning_rate=0.2), n_steps=500)
    assert len(path) < 501 and np.abs(path[-1]).max() > 1e6


# ---------------------------------------------------------------- bad input
def test_negative_learning_rate_message():
    for cls in (SGD, Momentum, RMSProp, Adam):
        with pytest.raises(
            ValueError,
            match=r"\(learning_rate=-0.1\): learning_rate must be a positive number \(> 0\)",
        ):
            cls(learning_rate=-0.1)
    with pytest.raises(
        TypeError,
        match=r"SGD\(learning_rate='0.1'\): learning_rate must be a positive number \(> 0\), got str",
    ):
        SGD(learning_rate="0.1")


@pytest.mark.parametrize(
    "kwargs, pattern",
    [
        ({"beta_1": 1.0}, r"Adam\(beta_1=1.0\): beta_1 must be a number with 0 <= beta_1 < 1"),
        ({"beta_2": -0.1}, r"beta_2 must be a number with 0 <= beta_2 < 1"),
        ({"epsilon": -1e-7}, r"Adam\(epsilon=-1e-07\): epsilon must be a number >= 0"),
        ({"beta_1": float("nan")}, r"Adam\(beta_1=nan\): beta_1 must be a number"),
        (
            {"dtype": "float16"},
            r"Adam\(dtype='float16'\): dtype must be one of 'float64', 'float32'",
        ),
    ],
)
def test_adam_hyperparameter_messages(kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        Adam(**kwargs)


def test_other_hyperparameter_messages():
    with pytest.raises(
        ValueError,
        match=r"Momentum\(momentum=1.5\): momentum must be a number with 0 <= momentum < 1",
    ):
        Momentum(momentum=1.5)
    with pytest.raises(
        ValueError, match=r"RMSProp\(rho=1.0\): rho must be a number with 0 <= rho < 1"
    ):
        RMSProp(rho=1.0)
    with pytest.raises(TypeError, match="bias_correction must be True or False"):
        Adam(bias_correction="no")


def test_shape_mismatch_message():
    with pytest.raises(
        ValueError,
        match=r"grads must be the same shape as params \(2,\), "
        r"got \(3,\)",
    ):
        Adam().step(np.ones(2), np.ones(3))
    with pytest.raises(
        ValueError,
        match=r"step\(grads\['w'\]=array of shape \(2, 1\)\): grads\['w'\] must be the same shape as params\['w'\] \(2,\)",
    ):
        SGD().step({"w": np.ones(2)}, {"w": np.ones((2, 1))})


def test_empty_nan_and_key_messages():
    with pytest.raises(
        ValueError, match=r"step\(params=array of shape \(0,\)\): params must be non-empty"
    ):
        SGD().step(np.array([]), np.array([]))
    with pytest.raises(
        ValueError,
        match=r"grads must be finite numbers, found 1 NaN or inf of 2; .* lower learning_rate",
    ):
        Adam().step(np.ones(2), np.array([1.0, np.nan]))
    with pytest.raises(ValueError, match=r"params\['w'\] must be finite numbers"):
        Adam().step({"w": np.array([np.nan])}, {"w": np.ones(1)})
    with pytest.raises(
        ValueError, match=r"grads must be a dict with the keys of params \['w'\], it has \['v'\]"
    ):
        Adam().step({"w": np.ones(1)}, {"v": np.ones(1)})
    with pytest.raises(
        TypeError, match="grads must be a dict like params, with the keys \\['w'\\], got ndarray"
    ):
        Adam().step({"w": np.ones(1)}, np.ones(1))
    with pytest.raises(TypeError, match="grads must be an array like params, got a dict"):
        Adam().step(np.ones(1), {"w": np.ones(1)})
    with pytest.raises(ValueError, match="params must be a non-empty dict"):
        Adam().step({}, {})
    with pytest.raises(TypeError, match=r"grads must be numbers \(an array or a list of floats\)"):
        Adam().step(np.ones(1), ["a"])


def test_changing_shape_needs_reset():
    opt = Adam()
    opt.step(np.ones(2), np.ones(2))
    with pytest.raises(
        ValueError,
        match=r"params must be of the shape \(2,\) used in the earlier steps; call reset\(\)",
    ):
        opt.step(np.ones(3), np.ones(3))
    opt.reset().step(np.ones(3), np.ones(3))


def test_minimize_and_problem_messages():
    q = Quadratic()
    with pytest.raises(TypeError, match=r"minimize\(grad=None\): grad must be a function"):
        minimize(None, [1.0, 1.0], SGD())
    with pytest.raises(TypeError, match="optimizer must be a course_lib.foundations optimizer"):
        minimize(q.grad, [1.0, 1.0], "adam")
    with pytest.raises(ValueError, match=r"minimize\(n_steps=-1\): n_steps must be an int >= 0"):
        minimize(q.grad, [1.0, 1.0], SGD(), n_steps=-1)
    with pytest.raises(
        ValueError,
        match=r"grad must be a function whose grad\(x\) has the shape of x \(2,\), got \(3,\)",
    ):
        minimize(lambda x: np.ones(3), [1.0, 1.0], SGD(), n_steps=1)
    with pytest.raises(ValueError, match="x0 must be non-empty"):
        minimize(q.grad, [], SGD())
    with pytest.raises(ValueError, match="scales must be two positive curvatures"):
        Quadratic(scales=(1.0, -2.0))
    with pytest.raises(ValueError, match=r"Rosenbrock\(b=0.0\): b must be a positive number"):
        Rosenbrock(b=0.0)
    with pytest.raises(
        ValueError,
        match=r"adam_step_scale\(t=array of shape \(2,\)\): t must be whole step numbers >= 1",
    ):
        adam_step_scale([0, 1])


# ---------------------------------------------------------------- Keras agreement
@pytest.mark.slow
def test_adam_matches_keras_step_for_step():
    keras = pytest.importorskip("keras")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    y = X @ np.array([1.5, -2.0, 0.5])

    def grad(w):
        return 2 * X.T @ (X @ w - y) / len(y)

    x0 = rng.normal(size=3)
    hyper = dict(learning_rate=0.05, beta_1=0.9, beta_2=0.999, epsilon=1e-7)
    var = keras.Variable(x0.astype("float32"))
    kopt = keras.optimizers.Adam(**hyper)
    ours = {d: Adam(**hyper, dtype=d) for d in ("float64", "float32")}
    xs = {d: x0.copy() for d in ours}
    worst = {d: 0.0 for d in ours}
    for _ in range(100):
        g = grad(np.asarray(var.numpy(), dtype=float)).astype("float32")
        kopt.apply_gradients([(keras.ops.convert_to_tensor(g), var)])
        for d, opt in ours.items():
            xs[d] = opt.step(xs[d], grad(np.asarray(xs[d], dtype=float)).astype("float32"))
            worst[d] = max(worst[d], float(np.abs(np.asarray(xs[d], float) - var.numpy()).max()))
    assert worst["float64"] <= 5e-5
    assert worst["float32"] <= 1e-6
    assert worst["float32"] < worst["float64"] / 5
