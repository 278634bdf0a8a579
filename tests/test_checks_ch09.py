"""Mutation tests for the chapter 09 checks: solutions pass, plausible mistakes fail."""

from __future__ import annotations

import numpy as np
import pytest

from course_lib.checks import CheckFailed, _core, check_9_1, check_9_2, check_9_3
from course_lib.continual.strategies import ewc_gradient, ewc_penalty


# --------------------------------------------------------------------------- 9.1

def reservoir_sample(stream, capacity, rng):
    reservoir = list(stream[:capacity])
    for t in range(capacity, len(stream)):
        j = rng.integers(0, t + 1)
        if j < capacity:
            reservoir[j] = stream[t]
    return np.array(reservoir)


def test_9_1_solution_passes():
    assert check_9_1(reservoir_sample)


def _off_by_one(stream, capacity, rng):        # keeps item t with probability capacity / t
    reservoir = list(stream[:capacity])
    for t in range(capacity, len(stream)):
        j = rng.integers(0, t)
        if j < capacity:
            reservoir[j] = stream[t]
    return np.array(reservoir)


def _last_k(stream, capacity, rng):            # a sliding window, not a reservoir
    return np.array(stream[-capacity:])


def _coin_flip(stream, capacity, rng):         # replaces with a fixed probability 1/2
    reservoir = list(stream[:capacity])
    for t in range(capacity, len(stream)):
        if rng.random() < 0.5:
            reservoir[rng.integers(0, capacity)] = stream[t]
    return np.array(reservoir)


def _first_k(stream, capacity, rng):           # never replaces
    return np.array(stream[:capacity])


def _with_replacement(stream, capacity, rng):  # a sample with repeats
    return rng.choice(stream, size=min(capacity, len(stream)), replace=True)


def _in_place(stream, capacity, rng):          # uses the stream as the reservoir
    for t in range(capacity, len(stream)):
        j = rng.integers(0, t + 1)
        if j < capacity:
            stream[j] = stream[t]
    return stream[:capacity]


@pytest.mark.parametrize("wrong", [_off_by_one, _last_k, _coin_flip, _first_k, _with_replacement,
                                   _in_place])
def test_9_1_mistakes_fail(wrong):
    with pytest.raises(CheckFailed):
        check_9_1(wrong)


def test_9_1_hint_for_recent_bias():
    with pytest.raises(CheckFailed, match="recent items are over-represented"):
        check_9_1(_coin_flip)


def test_9_1_stub_is_not_started(capsys, monkeypatch):
    def stub(stream, capacity, rng):
        raise NotImplementedError("Exercise 9.1: ...")
    result = check_9_1(stub)                      # Run All goes through an untouched exercise
    assert not result and result.status == "not started"
    assert "Exercise 9.1 not started yet" in capsys.readouterr().out
    monkeypatch.setattr(_core, "GRADING", True)     # the grader sees the error itself
    with pytest.raises(NotImplementedError):
        check_9_1(stub)


# --------------------------------------------------------------------------- 9.2

def ewc_penalty_and_grad(weights, anchor, fisher, lam):
    penalty = 0.5 * lam * sum(np.sum(f * (w - a) ** 2) for w, a, f in zip(weights, anchor, fisher))
    grads = [lam * f * (w - a) for w, a, f in zip(weights, anchor, fisher)]
    return float(penalty), grads


def test_9_2_solution_passes():
    assert check_9_2(ewc_penalty_and_grad)


def test_9_2_library_passes():
    assert check_9_2(lambda w, a, f, lam: (ewc_penalty(w, a, f, lam), ewc_gradient(w, a, f, lam)))


def _no_half(w, a, f, lam):
    p, g = ewc_penalty_and_grad(w, a, f, lam)
    return 2 * p, g


def _grad_factor_two(w, a, f, lam):
    p, g = ewc_penalty_and_grad(w, a, f, lam)
    return p, [2 * x for x in g]


def _no_fisher(w, a, f, lam):
    return ewc_penalty_and_grad(w, a, [np.ones_like(x) for x in f], lam)


def _wrong_sign(w, a, f, lam):
    p, g = ewc_penalty_and_grad(w, a, f, lam)
    return p, [-x for x in g]


def _no_lam(w, a, f, lam):
    return ewc_penalty_and_grad(w, a, f, 1.0)


def _penalty_per_array(w, a, f, lam):
    _, g = ewc_penalty_and_grad(w, a, f, lam)
    return [0.5 * lam * float(np.sum(x * (y - z) ** 2)) for y, z, x in zip(w, a, f)], g


def _in_place_grad(w, a, f, lam):
    p = 0.5 * lam * sum(np.sum(x * (y - z) ** 2) for y, z, x in zip(w, a, f))
    for y, z, x in zip(w, a, f):
        y -= z
        y *= lam * x
    return float(p), w


@pytest.mark.parametrize("wrong", [_no_half, _grad_factor_two, _no_fisher, _wrong_sign, _no_lam,
                                   _penalty_per_array, _in_place_grad])
def test_9_2_mistakes_fail(wrong):
    with pytest.raises(CheckFailed):
        check_9_2(wrong)


@pytest.mark.parametrize("wrong, text", [(_no_half, "factor 1/2"), (_grad_factor_two, "cancels"),
                                         (_no_fisher, "Fisher"), (_wrong_sign, "sign")])
def test_9_2_hints(wrong, text):
    with pytest.raises(CheckFailed, match=text):
        check_9_2(wrong)


def test_9_2_solution_matches_finite_differences():
    rng = np.random.default_rng(0)
    w, a, f = rng.normal(size=5), rng.normal(size=5), rng.uniform(0, 2, 5)
    _, (g,) = ewc_penalty_and_grad([w], [a], [f], 3.0)
    eps = 1e-6
    num = [(ewc_penalty_and_grad([w + eps * e], [a], [f], 3.0)[0]
            - ewc_penalty_and_grad([w - eps * e], [a], [f], 3.0)[0]) / (2 * eps)
           for e in np.eye(5)]
    np.testing.assert_allclose(g, num, rtol=1e-6)


def test_9_2_stub_is_not_started(capsys, monkeypatch):
    def stub(w, a, f, lam):
        raise NotImplementedError("Exercise 9.2: ...")
    result = check_9_2(stub)                      # Run All goes through an untouched exercise
    assert not result and result.status == "not started"
    assert "Exercise 9.2 not started yet" in capsys.readouterr().out
    monkeypatch.setattr(_core, "GRADING", True)     # the grader sees the error itself
    with pytest.raises(NotImplementedError):
        check_9_2(stub)


# --------------------------------------------------------------------------- 9.3

def prequential_rmse(strategy, batches):
    out = []
    for batch in batches:
        y_pred = strategy.predict(batch)
        y = np.asarray(batch["rating"], dtype=float)
        out.append(float(np.sqrt(np.mean((y - y_pred) ** 2))))
        strategy.update(batch)
    return np.array(out)


def test_9_3_solution_passes():
    assert check_9_3(prequential_rmse)


def _learn_first(strategy, batches):
    out = []
    for batch in batches:
        strategy.update(batch)
        y = np.asarray(batch["rating"], dtype=float)
        out.append(float(np.sqrt(np.mean((y - strategy.predict(batch)) ** 2))))
    return np.array(out)


def _never_learns(strategy, batches):
    return np.array([float(np.sqrt(np.mean((np.asarray(b["rating"], float)
                                            - strategy.predict(b)) ** 2))) for b in batches])


def _mse(strategy, batches):
    return prequential_rmse(strategy, batches) ** 2


def _one_number(strategy, batches):
    ys, ps = [], []
    for batch in batches:
        ps.append(strategy.predict(batch))
        ys.append(np.asarray(batch["rating"], dtype=float))
        strategy.update(batch)
    return float(np.sqrt(np.mean((np.concatenate(ys) - np.concatenate(ps)) ** 2)))


def _mae(strategy, batches):
    out = []
    for batch in batches:
        y_pred = strategy.predict(batch)
        out.append(float(np.mean(np.abs(np.asarray(batch["rating"], float) - y_pred))))
        strategy.update(batch)
    return np.array(out)


@pytest.mark.parametrize("wrong", [_learn_first, _never_learns, _mse, _one_number, _mae])
def test_9_3_mistakes_fail(wrong):
    with pytest.raises(CheckFailed):
        check_9_3(wrong)


def test_9_3_hints():
    with pytest.raises(CheckFailed, match="predict a batch first"):
        check_9_3(_learn_first)
    with pytest.raises(CheckFailed, match="square root"):
        check_9_3(_mse)
    with pytest.raises(CheckFailed, match="one RMSE per batch"):
        check_9_3(_one_number)


def test_9_3_stub_is_not_started(capsys, monkeypatch):
    def stub(strategy, batches):
        raise NotImplementedError("Exercise 9.3: ...")
    result = check_9_3(stub)                      # Run All goes through an untouched exercise
    assert not result and result.status == "not started"
    assert "Exercise 9.3 not started yet" in capsys.readouterr().out
    monkeypatch.setattr(_core, "GRADING", True)     # the grader sees the error itself
    with pytest.raises(NotImplementedError):
        check_9_3(stub)


def test_9_3_accepts_dataframe_style_solution():
    def with_to_numpy(strategy, batches):
        out = []
        for batch in batches:
            y_pred = strategy.predict(batch)
            out.append(np.sqrt(np.mean((batch["rating"].to_numpy() - y_pred) ** 2)))
            strategy.update(batch)
        return np.array(out)

    assert check_9_3(with_to_numpy)
