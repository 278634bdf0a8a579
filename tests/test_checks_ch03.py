"""Mutation tests of the chapter 03 checks: pass correct answers, catch plausible mistakes.

The exercises are variations the lesson leaves open: Adagrad (3.1), Nesterov
momentum (3.2) and AMSGrad (3.3).  Every correct answer (also in float32, or
with the other epsilon placement) passes; every typical wrong one fails with
its hint.
"""

from __future__ import annotations

import numpy as np
import pytest

from course_lib.checks import CheckFailed, _core
from course_lib.checks.ch03 import check_3_1, check_3_2, check_3_3


# ------------------------------------------------------------------ 3.1 Adagrad step
def adagrad_step(x, accumulator, grad, learning_rate, epsilon=1e-7):
    accumulator = accumulator + grad**2
    return x - learning_rate * grad / np.sqrt(accumulator + epsilon), accumulator


def adagrad_float32(x, accumulator, grad, learning_rate, epsilon=1e-7):
    x, accumulator, grad = (np.asarray(a, dtype=np.float32) for a in (x, accumulator, grad))
    accumulator = accumulator + grad * grad
    return x - np.float32(learning_rate) * grad / np.sqrt(
        accumulator + np.float32(epsilon)
    ), accumulator


def adagrad_like_rmsprop(x, accumulator, grad, learning_rate, epsilon=1e-7):
    accumulator = 0.9 * accumulator + 0.1 * grad**2
    return x - learning_rate * grad / np.sqrt(accumulator + epsilon), accumulator


def adagrad_no_square(x, accumulator, grad, learning_rate, epsilon=1e-7):
    accumulator = accumulator + grad
    return x - learning_rate * grad / np.sqrt(np.abs(accumulator) + epsilon), accumulator


def adagrad_old_accumulator(x, accumulator, grad, learning_rate, epsilon=1e-7):
    new = accumulator + grad**2
    return x - learning_rate * grad / np.sqrt(accumulator + epsilon), new


def adagrad_no_sqrt(x, accumulator, grad, learning_rate, epsilon=1e-7):
    accumulator = accumulator + grad**2
    return x - learning_rate * grad / (accumulator + epsilon), accumulator


def adagrad_uphill(x, accumulator, grad, learning_rate, epsilon=1e-7):
    accumulator = accumulator + grad**2
    return x + learning_rate * grad / np.sqrt(accumulator + epsilon), accumulator


def adagrad_in_place(x, accumulator, grad, learning_rate, epsilon=1e-7):
    accumulator += grad**2
    return x - learning_rate * grad / np.sqrt(accumulator + epsilon), accumulator


def test_3_1_passes_correct_answers():
    assert check_3_1(adagrad_step)
    assert check_3_1(adagrad_float32)


def test_3_1_solution_agrees_with_keras_formula():
    # Keras' Adagrad, written out: accumulator += g**2; x -= lr * g / sqrt(accumulator + eps)
    x, acc, g = np.array([1.0, -1.0]), np.full(2, 0.1), np.array([3.0, -0.5])
    new_x, new_acc = adagrad_step(x, acc, g, 0.01)
    np.testing.assert_allclose(new_acc, [9.1, 0.35])
    np.testing.assert_allclose(new_x, x - 0.01 * g / np.sqrt(new_acc + 1e-7))


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (adagrad_like_rmsprop, "that is RMSProp's running average"),
        (adagrad_no_square, r"\*squared\* gradient"),
        (adagrad_old_accumulator, r"square root of the \*new\* one"),
        (adagrad_no_sqrt, "divide by the square root"),
        (adagrad_uphill, "wrong sign"),
        (adagrad_in_place, "changed its input array in place"),
    ],
)
def test_3_1_catches_mistakes(wrong, hint):
    with pytest.raises(CheckFailed, match=hint):
        check_3_1(wrong)


def test_3_1_message_shows_the_difference():
    def slightly_off(x, accumulator, grad, learning_rate, epsilon=1e-7):
        new_x, acc = adagrad_step(x, accumulator, grad, learning_rate, epsilon)
        return new_x * (1 + 1e-4), acc

    with pytest.raises(CheckFailed) as info:
        check_3_1(slightly_off)
    assert "largest difference" in str(info.value) and "wrong new x" in str(info.value)


# ------------------------------------------------------------------ 3.2 Nesterov momentum
def nesterov_step(x, velocity, grad, learning_rate, momentum):
    velocity = momentum * velocity - learning_rate * grad
    return x + momentum * velocity - learning_rate * grad, velocity


def nesterov_float32(x, velocity, grad, learning_rate, momentum):
    x, velocity, grad = (np.asarray(a, dtype=np.float32) for a in (x, velocity, grad))
    mu, lr32 = np.float32(momentum), np.float32(learning_rate)
    velocity = mu * velocity - lr32 * grad
    return x + mu * velocity - lr32 * grad, velocity


def nesterov_plain_momentum(x, velocity, grad, learning_rate, momentum):
    # (using the *old* velocity in the look-ahead, x + momentum * v_old - lr * g, is the same)
    velocity = momentum * velocity - learning_rate * grad
    return x + velocity, velocity


def nesterov_no_gradient_term(x, velocity, grad, learning_rate, momentum):
    velocity = momentum * velocity - learning_rate * grad
    return x + momentum * velocity, velocity


def nesterov_velocity_sign(x, velocity, grad, learning_rate, momentum):
    velocity = momentum * velocity + learning_rate * grad
    return x + momentum * velocity + learning_rate * grad, velocity


def nesterov_in_place(x, velocity, grad, learning_rate, momentum):
    velocity *= momentum
    velocity -= learning_rate * grad
    return x + momentum * velocity - learning_rate * grad, velocity


def test_3_2_passes_correct_answers():
    assert check_3_2(nesterov_step)
    assert check_3_2(nesterov_float32)


def test_3_2_solution_is_keras_nesterov():
    keras = pytest.importorskip("keras")
    rng = np.random.default_rng(0)
    w0 = rng.normal(size=3).astype(np.float32)
    variable = keras.Variable(w0)
    opt = keras.optimizers.SGD(learning_rate=0.1, momentum=0.9, nesterov=True)
    x, v = w0.astype(float), np.zeros(3)
    for _ in range(5):
        g = (2 * variable.numpy()).astype(np.float32)
        opt.apply_gradients([(keras.ops.convert_to_tensor(g), variable)])
        x, v = nesterov_step(x, v, 2 * x, 0.1, 0.9)
    np.testing.assert_allclose(x, variable.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (nesterov_plain_momentum, "that is plain \\(heavy-ball\\) momentum"),
        (nesterov_no_gradient_term, "the gradient step is missing"),
        (nesterov_velocity_sign, "the velocity has the wrong sign"),
        (nesterov_in_place, "changed its input array in place"),
    ],
)
def test_3_2_catches_mistakes(wrong, hint):
    with pytest.raises(CheckFailed, match=hint):
        check_3_2(wrong)


def test_3_2_wrong_return_shape_is_explained():
    with pytest.raises(CheckFailed, match=r"a tuple of 2 arrays \(new x, new velocity\)"):
        check_3_2(lambda x, v, g, lr_, mu: nesterov_step(x, v, g, lr_, mu)[0])


# ------------------------------------------------------------------ 3.3 AMSGrad loop
def _amsgrad(
    keep_start=True,
    start_t=1,
    increment=True,
    use_max=True,
    keras_epsilon=True,
    feed_back=False,
    corrected_max=False,
    correction=True,
):
    def amsgrad_minimize(
        grad, x0, n_steps, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7
    ):
        x = np.asarray(x0, dtype=float)
        m, v, v_max = np.zeros_like(x), np.zeros_like(x), np.zeros_like(x)
        path = [x] if keep_start else []
        t = start_t
        for _ in range(n_steps):
            g = grad(x)
            m = beta_1 * m + (1 - beta_1) * g
            v = beta_2 * v + (1 - beta_2) * g**2
            with np.errstate(divide="ignore", invalid="ignore"):
                c1 = 1 - beta_1**t if correction else 1.0
                c2 = 1 - beta_2**t if correction else 1.0
                if corrected_max:
                    v_max = np.maximum(v_max, v / c2)
                    root = np.sqrt(v_max * c2)
                else:
                    v_max = np.maximum(v_max, v) if use_max else v
                    root = np.sqrt(v_max)
                if feed_back:
                    v = v_max
                if keras_epsilon:
                    x = x - learning_rate * np.sqrt(c2) / c1 * m / (root + epsilon)
                else:
                    x = x - learning_rate * (m / c1) / (root / np.sqrt(c2) + epsilon)
            path.append(x)
            t += 1 if increment else 0
        return np.array(path)

    return amsgrad_minimize


def test_3_3_passes_both_epsilon_placements():
    assert check_3_3(_amsgrad())
    assert check_3_3(_amsgrad(keras_epsilon=False))


def test_3_3_solution_is_keras_amsgrad():
    keras = pytest.importorskip("keras")
    scales = np.array([1.0, 20.0])
    variable = keras.Variable(np.array([1.0, -1.0], dtype=np.float32))
    opt = keras.optimizers.Adam(learning_rate=0.1, beta_2=0.9, amsgrad=True)
    for _ in range(40):
        g = (scales * variable.numpy()).astype(np.float32)
        opt.apply_gradients([(keras.ops.convert_to_tensor(g), variable)])
    ours = _amsgrad()(
        lambda x: scales * x, np.array([1.0, -1.0]), 40, learning_rate=0.1, beta_2=0.9
    )
    np.testing.assert_allclose(ours[-1], variable.numpy(), rtol=1e-3, atol=1e-5)


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (_amsgrad(keep_start=False), "must start with x0"),
        (_amsgrad(start_t=0), "does t start at 0"),
        (_amsgrad(use_max=False), "that is plain Adam"),
        (_amsgrad(use_max=False, keras_epsilon=False), "that is plain Adam"),
        (_amsgrad(feed_back=True), "keep v itself the plain running average"),
        (_amsgrad(corrected_max=True), "before the bias correction"),
        (_amsgrad(increment=False), "t never changes"),
        (_amsgrad(correction=False), "bias correction is missing"),
        (_amsgrad(start_t=2), "off by one in t"),
    ],
)
def test_3_3_catches_mistakes(wrong, hint):
    with pytest.raises(CheckFailed, match=hint):
        check_3_3(wrong)


def test_3_3_message_names_the_first_wrong_row():
    def drifting(grad, x0, n_steps, **hyper):
        path = _amsgrad()(grad, x0, n_steps, **hyper)
        return path + 1e-3 * np.arange(len(path))[:, None]  # wrong from step 1 on

    with pytest.raises(CheckFailed, match=r"leaves the expected one at row 1 \(step t = 1\)"):
        check_3_3(drifting)


# ------------------------------------------------------------------ not started
@pytest.mark.parametrize("check", [check_3_1, check_3_2, check_3_3])
def test_untouched_stub_prints_not_started(check, capsys, monkeypatch):
    def stub(*args, **kwargs):
        raise NotImplementedError("Exercise: not done")

    result = check(stub)  # Run All goes on: one line, a falsy result
    assert not result and "not started yet" in capsys.readouterr().out
    monkeypatch.setattr(_core, "GRADING", True)  # the grader sees the exercise as not attempted
    with pytest.raises(NotImplementedError):
        check(stub)
