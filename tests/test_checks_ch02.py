"""Mutation tests: each chapter-02 check passes the solution and catches plausible mistakes."""

from __future__ import annotations

import numpy as np
import pytest

from course_lib.checks import CheckFailed, _core
from course_lib.checks.ch02 import check_2_1, check_2_2, check_2_3


def linreg_mse_gradient(X, y, theta):
    return 2 / len(y) * X.T @ (X @ theta - y)


def gd_step(X, y, theta, learning_rate):
    return theta - learning_rate * linreg_mse_gradient(X, y, theta)


def minibatch_gd(X, y, theta0, learning_rate, n_epochs, batch_size, seed):
    rng = np.random.default_rng(seed)
    theta = np.array(theta0, dtype=float)
    thetas = [theta.copy()]
    for _ in range(n_epochs):
        order = rng.permutation(len(y))
        for start in range(0, len(y), batch_size):
            idx = order[start:start + batch_size]
            theta = theta - learning_rate * linreg_mse_gradient(X[idx], y[idx], theta)
            thetas.append(theta.copy())
    return np.array(thetas)


def _in_place_step(X, y, theta, learning_rate):
    theta -= learning_rate * linreg_mse_gradient(X, y, theta)
    return theta


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
                idx = order[start:start + batch_size]
                r = X[idx] @ theta - y[idx]
                grad = 2 * X[idx].T @ r / (len(idx) if mean else 1)
                theta = theta - learning_rate * grad
                thetas.append(theta.copy())
        return theta if only_final else np.array(thetas)
    return mutant


MUTANTS = {
    check_2_1: {
        "missing factor 2": (lambda X, y, t: 1 / len(y) * X.T @ (X @ t - y), "factor 2"),
        "wrong sign": (lambda X, y, t: 2 / len(y) * X.T @ (y - X @ t), "sign"),
        "sum instead of mean": (lambda X, y, t: 2 * X.T @ (X @ t - y), "n times too large"),
        "forgot X.T": (lambda X, y, t: 2 / len(y) * np.sum(X @ t - y), "one partial derivative"),
    },
    check_2_2: {
        "uphill": (lambda X, y, t, lr: t + lr * linreg_mse_gradient(X, y, t), "uphill"),
        "missing factor 2": (lambda X, y, t, lr: t - lr * linreg_mse_gradient(X, y, t) / 2,
                             "factor 2"),
        "ignores the learning rate": (lambda X, y, t, lr: t - linreg_mse_gradient(X, y, t),
                                      "learning rate is not used"),
        "returns the update": (lambda X, y, t, lr: -lr * linreg_mse_gradient(X, y, t),
                               "only the update"),
        "mutates theta in place": (_in_place_step, "changed its input array"),
    },
    check_2_3: {
        "no shuffle": (_make_minibatch(shuffle=False), "never shuffled"),
        "re-seeded each epoch": (_make_minibatch(reseed=True), "same order"),
        "sum over the batch": (_make_minibatch(mean=False), "average the gradient"),
        "returns only the final theta": (_make_minibatch(only_final=True), "every theta"),
        "drops the last partial batch": (_make_minibatch(drop_last=True), "every theta"),
    },
}


@pytest.mark.parametrize("check, solution", [(check_2_1, linreg_mse_gradient),
                                             (check_2_2, gd_step), (check_2_3, minibatch_gd)])
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

    result = check(stub)            # Run All goes on: one line, a falsy result
    assert not result and "not started yet" in capsys.readouterr().out
    monkeypatch.setattr(_core, "GRADING", True)   # the grader sees the exercise as not attempted
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
                idx = order[start:start + batch_size]
                divisor = batch_size if divide_by_batch_size else len(idx)
                step = learning_rate * 2 * X[idx].T @ (X[idx] @ theta - y[idx]) / divisor
                if alias:
                    theta -= step
                else:
                    theta = theta - step
                thetas.append(theta)
        return np.array(thetas)
    return minibatch


@pytest.mark.parametrize("wrong, hint", [
    (_minibatch_mistake(divide_by_batch_size=True), r"not over batch_size"),
    (_minibatch_mistake(alias=True), r"every row is the same"),
], ids=["divides by batch_size", "appends one array changed in place"])
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
                batches = [order[i:i + batch_size] for i in range(0, n, batch_size)]
            for idx in batches:
                theta = theta - learning_rate * linreg_mse_gradient(X[idx], y[idx], theta)
                thetas.append(theta.copy())
        return np.array(thetas)
    return minibatch


@pytest.mark.parametrize("kind", ["fresh arange, rng.shuffle",
                                  "one array shuffled in place every epoch",
                                  "np.array_split at multiples of b"])
def test_2_3_accepts_equivalent_ways_of_shuffling_and_batching(kind, capsys):
    assert check_2_3(_minibatch_order(kind))
    assert "passed" in capsys.readouterr().out


@pytest.mark.parametrize("kind, hint", [
    ("shuffle once", r"every epoch uses the same order \(shuffled once before the epoch loop"),
    ("np.array_split into ceil(n / b) batches", r"np.array_split cuts the order into batches "
                                                r"of nearly equal size"),
])
def test_2_3_names_wrong_ways_of_shuffling_and_batching(kind, hint):
    with pytest.raises(CheckFailed, match=hint) as info:
        check_2_3(_minibatch_order(kind))
    assert "expected:" in str(info.value) and "got:" in str(info.value)
