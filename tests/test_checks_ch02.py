"""Mutation tests: each chapter-02 check passes the solution and catches plausible mistakes."""

from __future__ import annotations

import numpy as np
import pytest

from course_lib.checks import CheckFailed, _core
from course_lib.checks.ch02 import check_2_1, check_2_2, check_2_3
from course_lib.foundations.gradcheck import check_gradient


def linreg_mse_gradient(X, y, theta):
    return 2 / len(y) * X.T @ (X @ theta - y)


def ridge_gradient(X, y, theta, alpha):
    penalty = 2 * alpha * np.asarray(theta, dtype=float)
    penalty[0] = 0.0
    return linreg_mse_gradient(X, y, theta) + penalty


def ridge_gradient_concatenate(X, y, theta, alpha):
    """Another spelling: the penalty built with np.concatenate, in float32 inputs' dtype."""
    return 2 * X.T @ (X @ theta - y) / len(y) + np.concatenate([[0.0], 2 * alpha * theta[1:]])


def gd_with_decay(X, y, theta0, learning_rate, n_steps, decay):
    theta = np.array(theta0, dtype=float)
    thetas = [theta]
    for t in range(n_steps):
        rate = learning_rate / (1 + decay * t)
        theta = theta - rate * linreg_mse_gradient(X, y, theta)
        thetas.append(theta)
    return np.array(thetas)


def gd_with_decay_counting_from_1(X, y, theta0, learning_rate, n_steps, decay):
    """Another spelling: steps counted from 1, the schedule shifted to match."""
    theta = np.array(theta0, dtype=float)
    thetas = [theta.copy()]
    for step in range(1, n_steps + 1):
        theta -= learning_rate / (1 + decay * (step - 1)) * linreg_mse_gradient(X, y, theta)
        thetas.append(theta.copy())
    return np.stack(thetas)


def minibatch_gd(X, y, theta0, learning_rate, n_epochs, batch_size, seed):
    rng = np.random.default_rng(seed)
    theta = np.array(theta0, dtype=float)
    thetas = [theta.copy()]
    for _ in range(n_epochs):
        order = rng.permutation(len(y))
        for start in range(0, len(y), batch_size):
            idx = order[start : start + batch_size]
            theta = theta - learning_rate * linreg_mse_gradient(X[idx], y[idx], theta)
            thetas.append(theta.copy())
    return np.array(thetas)


def _decay_mistake(
    X,
    y,
    theta0,
    learning_rate,
    n_steps,
    decay,
    *,
    shift=0,
    compound=False,
    exponential=False,
    sign=-1.0,
    alias=False,
    in_place=False,
):
    theta = theta0 if in_place else np.array(theta0, dtype=float)
    thetas = [theta.copy()]
    rate = learning_rate
    for t in range(n_steps):
        if compound:
            rate = rate / (1 + decay * t)
        elif exponential:
            rate = learning_rate * decay**t
        else:
            rate = learning_rate / (1 + decay * (t + shift))
        step = sign * rate * linreg_mse_gradient(X, y, theta)
        if alias or in_place:
            theta += step
        else:
            theta = theta + step
        thetas.append(theta if alias else theta.copy())
    return np.array(thetas)


def _make_minibatch(shuffle=True, reseed=False, mean=True, only_final=False, drop_last=False):
    def mutant(X, y, theta0, learning_rate, n_epochs, batch_size, seed):
        rng = np.random.default_rng(seed)
        theta = np.array(theta0, dtype=float)
        thetas = [theta.copy()]
        n = len(y)
        for _ in range(n_epochs):
            if reseed:
                rng = np.random.default_rng(seed)
            order = rng.permutation(n) if shuffle else np.arange(n)
            stop = n - n % batch_size if drop_last else n
            for start in range(0, stop, batch_size):
                idx = order[start : start + batch_size]
                r = X[idx] @ theta - y[idx]
                grad = 2 * X[idx].T @ r / (len(idx) if mean else 1)
                theta = theta - learning_rate * grad
                thetas.append(theta.copy())
        return theta if only_final else np.array(thetas)

    return mutant


MUTANTS = {
    check_2_1: {
        "penalises the intercept": (
            lambda X, y, t, a: linreg_mse_gradient(X, y, t) + 2 * a * t,
            "intercept theta[0] is penalised",
        ),
        "penalty without its 2": (
            lambda X, y, t, a: ridge_gradient(X, y, t, a / 2),
            "missing its factor 2",
        ),
        "alpha unused": (lambda X, y, t, a: linreg_mse_gradient(X, y, t), "alpha is not used"),
        "penalty subtracted": (
            lambda X, y, t, a: ridge_gradient(X, y, t, -a),
            "penalty's gradient has the wrong sign",
        ),
        "penalty divided by n": (
            lambda X, y, t, a: ridge_gradient(X, y, t, a / len(y)),
            "not a mean over the rows",
        ),
        "MSE part without its 2": (
            lambda X, y, t, a: ridge_gradient(X, y, t, a) - linreg_mse_gradient(X, y, t) / 2,
            "half the right answer",
        ),
        "MSE part with flipped sign": (
            lambda X, y, t, a: ridge_gradient(X, y, t, a) - 2 * linreg_mse_gradient(X, y, t),
            "X @ theta - y",
        ),
        "forgot X.T": (lambda X, y, t, a: 2 / len(y) * np.sum(X @ t - y), "one partial derivative"),
    },
    check_2_2: {
        "decay ignored": (
            lambda X, y, t, lr, n, d: gd_with_decay(X, y, t, lr, n, 0.0),
            "never decays",
        ),
        "t starts at 1": (
            lambda X, y, t, lr, n, d: _decay_mistake(X, y, t, lr, n, d, shift=1),
            "off by one",
        ),
        "learning rate overwritten": (
            lambda X, y, t, lr, n, d: _decay_mistake(X, y, t, lr, n, d, compound=True),
            "divisions pile up",
        ),
        "exponential decay": (
            lambda X, y, t, lr, n, d: _decay_mistake(X, y, t, lr, n, d, exponential=True),
            "exponential decay",
        ),
        "uphill": (lambda X, y, t, lr, n, d: _decay_mistake(X, y, t, lr, n, d, sign=1.0), "uphill"),
        "returns only the final theta": (
            lambda X, y, t, lr, n, d: gd_with_decay(X, y, t, lr, n, d)[-1],
            "every theta",
        ),
        "forgets the start": (
            lambda X, y, t, lr, n, d: gd_with_decay(X, y, t, lr, n, d)[1:],
            "start included",
        ),
        "appends one array changed in place": (
            lambda X, y, t, lr, n, d: _decay_mistake(X, y, t, lr, n, d, alias=True),
            "every row is the same",
        ),
        "changes theta0 in place": (
            lambda X, y, t, lr, n, d: _decay_mistake(X, y, t, lr, n, d, in_place=True),
            "changed its input array",
        ),
    },
    check_2_3: {
        "no shuffle": (_make_minibatch(shuffle=False), "never shuffled"),
        "re-seeded each epoch": (_make_minibatch(reseed=True), "same order"),
        "sum over the batch": (_make_minibatch(mean=False), "average the gradient"),
        "returns only the final theta": (_make_minibatch(only_final=True), "every theta"),
        "drops the last partial batch": (_make_minibatch(drop_last=True), "every theta"),
    },
}


@pytest.mark.parametrize(
    "check, solution",
    [
        (check_2_1, ridge_gradient),
        (check_2_1, ridge_gradient_concatenate),
        (
            check_2_1,
            lambda X, y, t, a: ridge_gradient(
                X.astype(np.float32), y.astype(np.float32), t.astype(np.float32), a
            ),
        ),
        (check_2_2, gd_with_decay),
        (check_2_2, gd_with_decay_counting_from_1),
        (check_2_3, minibatch_gd),
    ],
)
def test_solution_passes(check, solution, capsys):
    assert check(solution)
    assert "passed" in capsys.readouterr().out


@pytest.mark.parametrize("check", list(MUTANTS))
def test_mutants_are_caught_with_a_useful_hint(check):
    assert len(MUTANTS[check]) >= 2
    for name, (mutant, hint) in MUTANTS[check].items():
        with pytest.raises(CheckFailed) as info:
            check(mutant)
        assert hint in str(info.value), f"{name}: {info.value}"


@pytest.mark.parametrize("check", [check_2_1, check_2_2, check_2_3])
def test_untouched_stub_prints_not_started(check, capsys, monkeypatch):
    def stub(*args):
        raise NotImplementedError("Exercise: not done")

    result = check(stub)  # Run All goes on: one line, a falsy result
    assert not result and "not started yet" in capsys.readouterr().out
    monkeypatch.setattr(_core, "GRADING", True)  # the grader sees the exercise as not attempted
    with pytest.raises(NotImplementedError):
        check(stub)


# ------------------------------------------------- hints added in the review pass
def _minibatch_mistake(divide_by_batch_size=False, alias=False):
    def minibatch(X, y, theta0, learning_rate, n_epochs, batch_size, seed):
        rng = np.random.default_rng(seed)
        theta = np.array(theta0, dtype=float)
        thetas = [theta if alias else theta.copy()]
        for _ in range(n_epochs):
            order = rng.permutation(len(y))
            for start in range(0, len(y), batch_size):
                idx = order[start : start + batch_size]
                divisor = batch_size if divide_by_batch_size else len(idx)
                step = learning_rate * 2 * X[idx].T @ (X[idx] @ theta - y[idx]) / divisor
                if alias:
                    theta -= step
                else:
                    theta = theta - step
                thetas.append(theta)
        return np.array(thetas)

    return minibatch


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (_minibatch_mistake(divide_by_batch_size=True), r"not over batch_size"),
        (_minibatch_mistake(alias=True), r"every row is the same"),
    ],
    ids=["divides by batch_size", "appends one array changed in place"],
)
def test_review_hints_2_3(wrong, hint):
    with pytest.raises(CheckFailed, match=hint):
        check_2_3(wrong)


# ------------------------------------------- 2.3: ways of drawing the order and the batches
def _minibatch_order(kind):
    """The recipe, except for how each epoch's order or batches are made."""

    def minibatch(X, y, theta0, learning_rate, n_epochs, batch_size, seed):
        rng = np.random.default_rng(seed)
        theta = np.array(theta0, dtype=float)
        thetas = [theta.copy()]
        n = len(y)
        kept = np.arange(n)
        if kind == "shuffle once":
            rng.shuffle(kept)
        for _ in range(n_epochs):
            if kind == "fresh arange, rng.shuffle":
                order = np.arange(n)
                rng.shuffle(order)
            elif kind == "one array shuffled in place every epoch":
                rng.shuffle(kept)
                order = kept
            elif kind == "shuffle once":
                order = kept
            else:
                order = rng.permutation(n)
            if kind == "np.array_split into ceil(n / b) batches":
                batches = np.array_split(order, int(np.ceil(n / batch_size)))
            elif kind == "np.array_split at multiples of b":
                batches = np.array_split(order, range(batch_size, n, batch_size))
            else:
                batches = [order[i : i + batch_size] for i in range(0, n, batch_size)]
            for idx in batches:
                theta = theta - learning_rate * linreg_mse_gradient(X[idx], y[idx], theta)
                thetas.append(theta.copy())
        return np.array(thetas)

    return minibatch


@pytest.mark.parametrize(
    "kind",
    [
        "fresh arange, rng.shuffle",
        "one array shuffled in place every epoch",
        "np.array_split at multiples of b",
    ],
)
def test_2_3_accepts_equivalent_ways_of_shuffling_and_batching(kind, capsys):
    assert check_2_3(_minibatch_order(kind))
    assert "passed" in capsys.readouterr().out


@pytest.mark.parametrize(
    "kind, hint",
    [
        ("shuffle once", r"every epoch uses the same order \(shuffled once before the epoch loop"),
        (
            "np.array_split into ceil(n / b) batches",
            r"np.array_split cuts the order into batches "
            r"of nearly equal size",
        ),
    ],
)
def test_2_3_names_wrong_ways_of_shuffling_and_batching(kind, hint):
    with pytest.raises(CheckFailed, match=hint) as info:
        check_2_3(_minibatch_order(kind))
    assert "expected:" in str(info.value) and "got:" in str(info.value)


# ------------------------------------------------ 2.1 and 2.2: the references themselves
def test_2_1_reference_is_the_gradient_of_the_ridge_loss():
    """The check's expected answer agrees with finite differences of the loss it describes."""
    from course_lib.checks.ch02 import _problems, _ridge_ref

    X, y, theta = _problems(5, n=9, d=3)
    alpha = 0.7

    def ridge_loss(t):
        return float(np.mean((X @ t - y) ** 2) + alpha * np.sum(t[1:] ** 2))

    assert check_gradient(ridge_loss, lambda t: _ridge_ref(X, y, t, alpha), theta).passed


def test_2_2_reference_follows_the_inverse_time_schedule():
    """Step t uses learning_rate / (1 + decay t), the first step (t = 0) the full rate."""
    from course_lib.checks.ch02 import _X_EXAMPLE, _Y_EXAMPLE, _decay_ref

    path = _decay_ref(_X_EXAMPLE, _Y_EXAMPLE, np.zeros(2), 0.01, 3, 0.5)
    theta = np.zeros(2)
    for t in range(3):
        theta = theta - 0.01 / (1 + 0.5 * t) * linreg_mse_gradient(_X_EXAMPLE, _Y_EXAMPLE, theta)
        assert np.allclose(path[t + 1], theta)
    assert np.allclose(path[1], [0.12, 0.44])


def test_2_2_accepts_float32(capsys):
    def float32_decay(X, y, theta0, learning_rate, n_steps, decay):
        return gd_with_decay(
            X.astype(np.float32),
            y.astype(np.float32),
            np.asarray(theta0, dtype=np.float32),
            learning_rate,
            n_steps,
            decay,
        )

    assert check_2_2(float32_decay)
    assert "passed" in capsys.readouterr().out
