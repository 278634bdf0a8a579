"""Mutation tests for the chapter 09 checks: solutions pass, plausible mistakes fail."""

from __future__ import annotations

import numpy as np
import pytest

from course_lib.checks import CheckFailed, _core, check_9_1, check_9_2, check_9_3
from course_lib.checks.ch09 import _balanced_reservoir_ref, _ewc_multi_ref
from course_lib.continual import ewc_gradient, ewc_penalty

# --------------------------------------------------------------------------- 9.1


def balanced_reservoir(stream, groups, capacity, rng):
    reservoirs, seen = {}, {}
    for item, group in zip(stream, groups, strict=False):
        kept, t = reservoirs.setdefault(group, []), seen.get(group, 0)
        if t < capacity:
            kept.append(item)
        else:
            j = rng.integers(0, t + 1)
            if j < capacity:
                kept[j] = item
        seen[group] = t + 1
    return np.concatenate([np.array(kept) for kept in reservoirs.values()])


def test_9_1_solution_passes():
    assert check_9_1(balanced_reservoir)


def test_9_1_reference_passes():
    assert check_9_1(_balanced_reservoir_ref)


def test_9_1_solution_is_algorithm_r_per_group():
    """With one group the balanced reservoir is the lesson's Algorithm R (same draws)."""
    stream = np.arange(40)
    got = balanced_reservoir(stream, np.zeros(40), 5, np.random.default_rng(3))
    rng = np.random.default_rng(3)
    kept = list(stream[:5])
    for t in range(5, 40):
        j = rng.integers(0, t + 1)
        if j < 5:
            kept[j] = stream[t]
    assert got.tolist() == kept


def _per_group(pick):
    """A wrong answer that applies ``pick(items, capacity, rng)`` to each group."""

    def answer(stream, groups, capacity, rng):
        parts = [
            pick(np.asarray(stream)[np.asarray(groups) == g], capacity, rng)
            for g in dict.fromkeys(groups)
        ]
        return np.concatenate(parts)

    return answer


def _algorithm_r(items, capacity, rng, offset=1):
    kept = list(items[:capacity])
    for t in range(capacity, len(items)):
        j = rng.integers(0, t + offset)
        if j < capacity:
            kept[j] = items[t]
    return np.array(kept)


def _global_count(stream, groups, capacity, rng):  # t counts the whole stream, not the group
    reservoirs = {}
    for t, (item, group) in enumerate(zip(stream, groups, strict=False)):
        kept = reservoirs.setdefault(group, [])
        if len(kept) < capacity:
            kept.append(item)
        else:
            j = rng.integers(0, t + 1)
            if j < capacity:
                kept[j] = item
    return np.concatenate([np.array(k) for k in reservoirs.values()])


def _one_reservoir(stream, groups, capacity, rng):  # a uniform buffer of all the slots
    return _algorithm_r(np.asarray(stream), capacity * len(set(groups)), rng)


def _shared_capacity(stream, groups, capacity, rng):  # capacity in all, not per group
    return _algorithm_r(np.asarray(stream), capacity, rng)


def _in_place(stream, groups, capacity, rng):  # sorts the caller's arrays
    order = np.argsort(groups, kind="stable")
    stream[:], groups[:] = stream[order], groups[order]
    return _per_group(_algorithm_r)(stream, groups, capacity, rng)


_last_k = _per_group(lambda items, capacity, rng: items[-capacity:])
_first_k = _per_group(lambda items, capacity, rng: items[:capacity])
_off_by_one = _per_group(
    lambda items, capacity, rng: (
        _algorithm_r(items, capacity, rng, 0) if len(items) > capacity else items
    )
)
_with_replacement = _per_group(
    lambda items, capacity, rng: rng.choice(items, size=min(capacity, len(items)), replace=True)
)


@pytest.mark.parametrize(
    "wrong",
    [
        _global_count,
        _one_reservoir,
        _shared_capacity,
        _in_place,
        _last_k,
        _first_k,
        _off_by_one,
        _with_replacement,
    ],
)
def test_9_1_mistakes_fail(wrong):
    with pytest.raises(CheckFailed):
        check_9_1(wrong)


@pytest.mark.parametrize(
    "wrong, text",
    [
        (_global_count, "OF ITS CATEGORY"),
        (_one_reservoir, "its own `capacity` slots"),
        (_shared_capacity, "its own `capacity` slots"),
        (_in_place, "in place"),
        (_first_k, "not uniform"),
    ],
)
def test_9_1_hints(wrong, text):
    with pytest.raises(CheckFailed, match=text):
        check_9_1(wrong)


def test_9_1_stub_is_not_started(capsys, monkeypatch):
    def stub(stream, groups, capacity, rng):
        raise NotImplementedError("Exercise 9.1: ...")

    result = check_9_1(stub)  # Run All goes through an untouched exercise
    assert not result and result.status == "not started"
    assert "Exercise 9.1 not started yet" in capsys.readouterr().out
    monkeypatch.setattr(_core, "GRADING", True)  # the grader sees the error itself
    with pytest.raises(NotImplementedError):
        check_9_1(stub)


# --------------------------------------------------------------------------- 9.2


def ewc_multi_penalty_and_grad(weights, anchors, fishers, lam):
    penalty, grads = 0.0, [np.zeros_like(w, dtype=float) for w in weights]
    for anchor, fisher in zip(anchors, fishers, strict=False):
        for k, (w, a, f) in enumerate(zip(weights, anchor, fisher, strict=False)):
            penalty += 0.5 * lam * float(np.sum(f * (w - a) ** 2))
            grads[k] = grads[k] + lam * f * (w - a)
    return penalty, grads


def test_9_2_solution_passes():
    assert check_9_2(ewc_multi_penalty_and_grad)


def test_9_2_reference_passes():
    assert check_9_2(_ewc_multi_ref)


def test_9_2_library_passes():
    def library(w, anchors, fishers, lam):
        penalty = sum(ewc_penalty(w, a, f, lam) for a, f in zip(anchors, fishers, strict=False))
        per_period = [ewc_gradient(w, a, f, lam) for a, f in zip(anchors, fishers, strict=False)]
        return penalty, [np.sum(g, axis=0) for g in zip(*per_period, strict=False)]

    assert check_9_2(library)


def _last_period_only(w, anchors, fishers, lam):
    return ewc_multi_penalty_and_grad(w, anchors[-1:], fishers[-1:], lam)


def _first_period_only(w, anchors, fishers, lam):
    return ewc_multi_penalty_and_grad(w, anchors[:1], fishers[:1], lam)


def _no_half(w, anchors, fishers, lam):
    p, g = ewc_multi_penalty_and_grad(w, anchors, fishers, lam)
    return 2 * p, g


def _grad_factor_two(w, anchors, fishers, lam):
    p, g = ewc_multi_penalty_and_grad(w, anchors, fishers, lam)
    return p, [2 * x for x in g]


def _wrong_sign(w, anchors, fishers, lam):
    p, g = ewc_multi_penalty_and_grad(w, anchors, fishers, lam)
    return p, [-x for x in g]


def _no_lam(w, anchors, fishers, lam):
    return ewc_multi_penalty_and_grad(w, anchors, fishers, 1.0)


def _no_fisher(w, anchors, fishers, lam):
    ones = [[np.ones_like(x) for x in f] for f in fishers]
    return ewc_multi_penalty_and_grad(w, anchors, ones, lam)


def _grads_per_period(w, anchors, fishers, lam):
    p, _ = ewc_multi_penalty_and_grad(w, anchors, fishers, lam)
    return p, [ewc_gradient(w, a, f, lam)[0] for a, f in zip(anchors, fishers, strict=False)]


def _mean_over_periods(w, anchors, fishers, lam):
    p, g = ewc_multi_penalty_and_grad(w, anchors, fishers, lam)
    return p / len(anchors), [x / len(anchors) for x in g]


def _in_place_grad(w, anchors, fishers, lam):
    p, g = ewc_multi_penalty_and_grad(w, anchors, fishers, lam)
    for x, y in zip(w, g, strict=False):
        x *= 0.0
        x += y
    return p, w


@pytest.mark.parametrize(
    "wrong",
    [
        _last_period_only,
        _first_period_only,
        _no_half,
        _grad_factor_two,
        _wrong_sign,
        _no_lam,
        _no_fisher,
        _grads_per_period,
        _mean_over_periods,
        _in_place_grad,
    ],
)
def test_9_2_mistakes_fail(wrong):
    with pytest.raises(CheckFailed):
        check_9_2(wrong)


@pytest.mark.parametrize(
    "wrong, text",
    [
        (_last_period_only, "only the last period"),
        (_no_half, "factor 1/2"),
        (_grad_factor_two, "cancels"),
        (_wrong_sign, "sign"),
        (_in_place_grad, "in place"),
    ],
)
def test_9_2_hints(wrong, text):
    with pytest.raises(CheckFailed, match=text):
        check_9_2(wrong)


def test_9_2_solution_matches_finite_differences():
    rng = np.random.default_rng(0)
    w = rng.normal(size=5)
    anchors = [[rng.normal(size=5)] for _ in range(3)]
    fishers = [[rng.uniform(0, 2, 5)] for _ in range(3)]
    _, (g,) = ewc_multi_penalty_and_grad([w], anchors, fishers, 3.0)
    eps = 1e-6
    num = [
        (
            ewc_multi_penalty_and_grad([w + eps * e], anchors, fishers, 3.0)[0]
            - ewc_multi_penalty_and_grad([w - eps * e], anchors, fishers, 3.0)[0]
        )
        / (2 * eps)
        for e in np.eye(5)
    ]
    np.testing.assert_allclose(g, num, rtol=1e-6)


def test_9_2_stub_is_not_started(capsys, monkeypatch):
    def stub(w, anchors, fishers, lam):
        raise NotImplementedError("Exercise 9.2: ...")

    result = check_9_2(stub)  # Run All goes through an untouched exercise
    assert not result and result.status == "not started"
    assert "Exercise 9.2 not started yet" in capsys.readouterr().out
    monkeypatch.setattr(_core, "GRADING", True)  # the grader sees the error itself
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
    return np.array(
        [
            float(np.sqrt(np.mean((np.asarray(b["rating"], float) - strategy.predict(b)) ** 2)))
            for b in batches
        ]
    )


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

    result = check_9_3(stub)  # Run All goes through an untouched exercise
    assert not result and result.status == "not started"
    assert "Exercise 9.3 not started yet" in capsys.readouterr().out
    monkeypatch.setattr(_core, "GRADING", True)  # the grader sees the error itself
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


def _no_fill(stream, groups, capacity, rng):  # draws j from t = 0: overwrites while filling
    slots, seen = {}, {}
    for item, group in zip(stream, groups, strict=False):
        t = seen.get(group, 0)
        j = rng.integers(0, t + 1)
        if j < capacity:
            slots.setdefault(group, {})[j] = item
        seen[group] = t + 1
    return np.array([item for kept in slots.values() for item in kept.values()])


def test_9_1_no_fill_gets_the_fill_hint():
    with pytest.raises(CheckFailed, match="fill its slots"):
        check_9_1(_no_fill)
