"""Mutation tests of the chapter 03 checks: pass the solution, catch plausible mistakes."""

from __future__ import annotations

import numpy as np
import pytest

from course_lib.checks import CheckFailed, _core
from course_lib.checks.ch03 import check_3_1, check_3_2, check_3_3
from course_lib.foundations.optim import Adam


# ------------------------------------------------------------------ 3.1 momentum step
def momentum_step(x, velocity, grad, learning_rate, momentum):
    velocity = momentum * velocity - learning_rate * grad
    return x + velocity, velocity


def momentum_wrong_sign(x, velocity, grad, learning_rate, momentum):
    velocity = momentum * velocity + learning_rate * grad
    return x + velocity, velocity


def momentum_old_velocity(x, velocity, grad, learning_rate, momentum):
    new_velocity = momentum * velocity - learning_rate * grad
    return x + velocity, new_velocity


def momentum_no_decay(x, velocity, grad, learning_rate, momentum):
    velocity = velocity - learning_rate * grad
    return x + velocity, velocity


def momentum_in_place(x, velocity, grad, learning_rate, momentum):
    velocity *= momentum
    velocity -= learning_rate * grad
    return x + velocity, velocity


def test_3_1_passes_solution():
    assert check_3_1(momentum_step)


@pytest.mark.parametrize("wrong, hint", [
    (momentum_wrong_sign, "wrong sign"),
    (momentum_old_velocity, "then move x by the \\*new\\* velocity"),
    (momentum_no_decay, "multiplied by `momentum`"),
    (momentum_in_place, "changed its input array in place"),
])
def test_3_1_catches_mistakes(wrong, hint):
    with pytest.raises(CheckFailed, match=hint):
        check_3_1(wrong)


# ------------------------------------------------------------------ 3.2 Adam step
def adam_step(x, m, v, grad, t, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    m = beta_1 * m + (1 - beta_1) * grad
    v = beta_2 * v + (1 - beta_2) * grad ** 2
    m_hat = m / (1 - beta_1 ** t)
    v_hat = v / (1 - beta_2 ** t)
    return x - learning_rate * m_hat / (np.sqrt(v_hat) + epsilon), m, v


def adam_step_keras_form(x, m, v, grad, t, learning_rate=0.001, beta_1=0.9, beta_2=0.999,
                         epsilon=1e-7):
    m = m + (grad - m) * (1 - beta_1)
    v = v + (grad ** 2 - v) * (1 - beta_2)
    alpha = learning_rate * np.sqrt(1 - beta_2 ** t) / (1 - beta_1 ** t)
    return x - alpha * m / (np.sqrt(v) + epsilon), m, v


def _mutant(**change):
    def wrong(x, m, v, grad, t, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
        t = change.get("t", lambda t: t)(t)
        new_m = beta_1 * m + (1 - beta_1) * grad
        if change.get("swap"):
            new_m = (1 - beta_1) * m + beta_1 * grad
        g2 = grad if change.get("no_square") else grad ** 2
        new_v = beta_2 * v + (1 - beta_2) * g2
        if change.get("no_correction"):
            m_hat, v_hat = new_m, new_v
        else:
            m_hat, v_hat = new_m / (1 - beta_1 ** t), new_v / (1 - beta_2 ** t)
        sign = -1 if change.get("wrong_sign") else 1
        return x - sign * learning_rate * m_hat / (np.sqrt(np.abs(v_hat)) + epsilon), new_m, new_v
    return wrong


def test_3_2_passes_solution_in_both_epsilon_placements():
    assert check_3_2(adam_step)
    assert check_3_2(adam_step_keras_form)


def test_3_2_solution_agrees_with_course_lib():
    x, g = np.array([1.0, -2.0]), np.array([0.5, -3.0])
    ours = adam_step(x, np.zeros(2), np.zeros(2), g, 1, learning_rate=0.01)[0]
    np.testing.assert_allclose(ours, Adam(learning_rate=0.01).step(x, g), rtol=1e-6)


@pytest.mark.parametrize("wrong, hint", [
    (_mutant(no_correction=True), "bias correction is missing"),
    (_mutant(t=lambda t: t + 1), "off by one in t"),
    (_mutant(t=lambda t: max(t - 1, 1)), "values that differ|off by one"),
    (_mutant(swap=True), "are swapped"),
    (_mutant(no_square=True), "squared"),
    (_mutant(wrong_sign=True), "wrong new x"),
])
def test_3_2_catches_mistakes(wrong, hint):
    with pytest.raises(CheckFailed, match=hint):
        check_3_2(wrong)


def test_3_2_wrong_return_shape_is_explained():
    with pytest.raises(CheckFailed, match=r"a tuple of 3 arrays \(new x, new m, new v\)"):
        check_3_2(lambda x, m, v, grad, t, **kw: adam_step(x, m, v, grad, t, **kw)[0])


# ------------------------------------------------------------------ 3.3 the loop
def _loop(step, start_t=1, keep_start=True, increment=True):
    def adam_minimize(grad, x0, n_steps, learning_rate=0.001, beta_1=0.9, beta_2=0.999,
                      epsilon=1e-7):
        x = np.asarray(x0, dtype=float)
        m, v = np.zeros_like(x), np.zeros_like(x)
        path = [x] if keep_start else []
        t = start_t
        for _ in range(n_steps):
            with np.errstate(divide="ignore", invalid="ignore"):
                x, m, v = step(x, m, v, grad(x), t, learning_rate, beta_1, beta_2, epsilon)
            path.append(x)
            t += 1 if increment else 0
        return np.array(path)
    return adam_minimize


def test_3_3_passes_solution():
    assert check_3_3(_loop(adam_step))


@pytest.mark.parametrize("wrong, hint", [
    (_loop(adam_step, keep_start=False), "must start with x0"),
    (_loop(adam_step, start_t=0), "does t start at 0"),
    (_loop(adam_step, increment=False), "t never changes"),
    (_loop(_mutant(no_correction=True)), "bias correction is missing"),
    (_loop(adam_step, start_t=2), "off by one in t"),
])
def test_3_3_catches_mistakes(wrong, hint):
    with pytest.raises(CheckFailed, match=hint):
        check_3_3(wrong)


@pytest.mark.parametrize("check", [check_3_1, check_3_2, check_3_3])
def test_untouched_stub_prints_not_started(check, capsys, monkeypatch):
    def stub(*args, **kwargs):
        raise NotImplementedError("Exercise: not done")

    result = check(stub)            # Run All goes on: one line, a falsy result
    assert not result and "not started yet" in capsys.readouterr().out
    monkeypatch.setattr(_core, "GRADING", True)   # the grader sees the exercise as not attempted
    with pytest.raises(NotImplementedError):
        check(stub)


# ------------------------------------------------- hints added in the review pass
def momentum_other_convention(x, velocity, grad, learning_rate, momentum):
    new_v = momentum * velocity + grad
    return x - learning_rate * new_v, new_v


def adam_minimize_fresh_averages(grad, x0, n_steps, learning_rate=0.001, beta_1=0.9,
                                 beta_2=0.999, epsilon=1e-7):
    x, path = np.asarray(x0, float), [np.asarray(x0, float)]
    for t in range(1, n_steps + 1):
        x, _, _ = adam_step(x, np.zeros_like(x), np.zeros_like(x), grad(x), t, learning_rate,
                            beta_1, beta_2, epsilon)
        path.append(x)
    return np.array(path)


def test_review_hints_ch03():
    with pytest.raises(CheckFailed, match="other textbook convention"):
        check_3_1(momentum_other_convention)
    with pytest.raises(CheckFailed, match="m and v start from zero at every step"):
        check_3_3(adam_minimize_fresh_averages)


# ------------------------------------------------- float32 answers, epsilon placements
def momentum_step_float32(x, velocity, grad, learning_rate, momentum):
    x, velocity, grad = (np.asarray(a, dtype=np.float32) for a in (x, velocity, grad))
    velocity = np.float32(momentum) * velocity - np.float32(learning_rate) * grad
    return x + velocity, velocity


def test_3_1_accepts_an_answer_computed_in_float32():
    assert check_3_1(momentum_step_float32)


def test_3_1_message_shows_the_difference():
    def slightly_off(x, velocity, grad, learning_rate, momentum):   # a 1e-4 relative error
        velocity = (momentum * velocity - learning_rate * grad) * (1 + 1e-4)
        return x + velocity, velocity

    with pytest.raises(CheckFailed) as info:
        check_3_1(slightly_off)
    lines = str(info.value).splitlines()
    expected = next(line for line in lines if "expected new" in line).split(":", 1)[1].strip()
    got = next(line for line in lines if "got new" in line).split(":", 1)[1].strip()
    assert expected != got, str(info.value)
    assert "largest difference" in str(info.value)


def test_3_2_accepts_an_answer_computed_in_float32():
    def adam_step_float32(x, m, v, grad, t, learning_rate=0.001, beta_1=0.9, beta_2=0.999,
                          epsilon=1e-7):
        x, m, v, grad = (np.asarray(a, dtype=np.float32) for a in (x, m, v, grad))
        return adam_step_keras_form(x, m, v, grad, t, np.float32(learning_rate),
                                    np.float32(beta_1), np.float32(beta_2), np.float32(epsilon))
    assert check_3_2(adam_step_float32)


def test_3_3_accepts_both_epsilon_placements_and_the_library():
    from course_lib.foundations.optim import minimize

    assert check_3_3(_loop(adam_step))
    assert check_3_3(_loop(adam_step_keras_form))

    def library(grad, x0, n_steps, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
        return minimize(grad, x0, Adam(learning_rate, beta_1, beta_2, epsilon), n_steps)

    assert check_3_3(library)


def _keras_form_mutant(t_offset=0, correction=True):
    def step(x, m, v, grad, t, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
        t = t + t_offset
        m = m + (grad - m) * (1 - beta_1)
        v = v + (grad ** 2 - v) * (1 - beta_2)
        alpha = learning_rate * np.sqrt(1 - beta_2 ** t) / (1 - beta_1 ** t) if correction \
            else learning_rate
        return x - alpha * m / (np.sqrt(v) + epsilon), m, v
    return step


@pytest.mark.parametrize("wrong, hint", [
    (_loop(_keras_form_mutant(), increment=False), "t never changes"),
    (_loop(_keras_form_mutant(correction=False)), "bias correction is missing"),
    (_loop(_keras_form_mutant(), start_t=2), "off by one in t"),
    (_loop(_keras_form_mutant(), keep_start=False), "must start with x0"),
])
def test_3_3_hints_work_for_the_keras_epsilon_placement(wrong, hint):
    with pytest.raises(CheckFailed, match=hint):
        check_3_3(wrong)


def test_3_3_message_names_the_first_wrong_row():
    def drifting(grad, x0, n_steps, **hyper):
        path = _loop(adam_step)(grad, x0, n_steps, **hyper)
        return path + 1e-3 * np.arange(len(path))[:, None]   # wrong from step 1 on

    with pytest.raises(CheckFailed, match=r"leaves the expected one at row 1 \(step t = 1\)"):
        check_3_3(drifting)
