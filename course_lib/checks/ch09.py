"""Self-checks for chapter 09: a category-balanced buffer, multi-anchor EWC, a prequential loop.

NumPy only: none of these checks needs TensorFlow.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from course_lib.checks._core import (
    CheckResult,
    call_student,
    compare,
    fail,
    passed,
    require_callable,
    show_value,
)

__all__ = ["check_9_1", "check_9_2", "check_9_3"]


# --------------------------------------------------------------------------- 9.1 balanced buffer


def _call(exercise: str, func: Callable[..., Any], call: str, *args: Any) -> Any:
    return call_student(exercise, func, *args, call=call)


def _balanced_reservoir_ref(
    stream: np.ndarray, groups: np.ndarray, capacity: int, rng: np.random.Generator
) -> np.ndarray:
    """One Algorithm R per group, each counting only its own group's items."""
    kept: dict[Any, list] = {}
    seen: dict[Any, int] = {}
    for item, group in zip(stream, groups, strict=False):
        slots, t = kept.setdefault(group, []), seen.get(group, 0)
        if t < capacity:
            slots.append(item)
        else:
            j = rng.integers(0, t + 1)
            if j < capacity:
                slots[j] = item
        seen[group] = t + 1
    return np.array([item for slots in kept.values() for item in slots])


#: 16 items, 12 of category "books" and 4 of "toys", interleaved: with 3 slots per category
#: each book is kept with probability 3/12 and each toy with probability 3/4
_GROUPS = np.array(
    [
        "books",
        "toys",
        "books",
        "books",
        "books",
        "toys",
        "books",
        "books",
        "books",
        "toys",
        "books",
        "books",
        "books",
        "toys",
        "books",
        "books",
    ]
)
_CAPACITY = 3


_FILL_HINT = (
    "items were lost while a category's slots filled up: the first `capacity` items of each "
    "category fill its slots (a category with fewer items keeps them all); draw j only from "
    "item t = capacity on"
)


def _check_short_stream(func: Callable[..., Any]) -> None:
    stream = np.arange(100, 105)
    groups = np.array(["toys", "books", "toys", "home", "books"])
    call = (
        "balanced_reservoir(stream=array([100, ..., 104]), groups=['toys', 'books', 'toys', "
        "'home', 'books'], capacity=2, rng)"
    )
    got = np.asarray(
        _call("9.1", func, call, stream.copy(), groups.copy(), 2, np.random.default_rng(0))
    )
    if got.shape != (5,) or sorted(got.tolist()) != stream.tolist():
        fail(
            "9.1",
            call,
            show_value(got),
            expected=stream,
            got=got,
            hint=_FILL_HINT
            if 2 < got.size < 5 and len(set(got.tolist())) == got.size
            else "every category has its own `capacity` slots: while a category has fewer "
            "than `capacity` items, every item of it is kept",
        )


def _run_many(func: Callable[..., Any], n_runs: int) -> np.ndarray:
    """How often each position of the 16-item stream was kept, over ``n_runs`` seeds."""
    stream = np.arange(len(_GROUPS)) * 10
    call = (
        f"balanced_reservoir(stream=array([0, 10, ..., 150]), groups=[12 'books' and 4 "
        f"'toys'], capacity={_CAPACITY}, rng)"
    )
    counts = np.zeros(len(stream))
    for run in range(n_runs):
        values, groups = stream.copy(), _GROUPS.copy()
        got = np.asarray(
            _call("9.1", func, call, values, groups, _CAPACITY, np.random.default_rng(run))
        )
        if not (np.array_equal(values, stream) and np.array_equal(groups, _GROUPS)):
            fail(
                "9.1",
                call,
                "a sample but changed the stream or the groups in place",
                hint="build a new reservoir per category instead of writing into the stream",
            )
        if got.shape != (2 * _CAPACITY,):
            fail(
                "9.1",
                call,
                f"an array of shape {got.shape}",
                expected=(2 * _CAPACITY,),
                got=got.shape,
                hint=_FILL_HINT
                if _CAPACITY < got.size < 2 * _CAPACITY
                else "keep `capacity` items of EACH category (2 categories "
                "here), not `capacity` in all",
            )
        if not np.all(np.isin(got, stream)) or len(set(got.tolist())) != got.size:
            fail(
                "9.1",
                call,
                f"{show_value(got)}: items repeated or not from the stream",
                hint="each slot holds one stream item; a new item *replaces* a slot",
            )
        per_group = [int(np.sum(_GROUPS[got // 10] == g)) for g in ("books", "toys")]
        if per_group != [_CAPACITY, _CAPACITY]:
            fail(
                "9.1",
                call,
                f"{per_group[0]} books and {per_group[1]} toys",
                expected=[_CAPACITY, _CAPACITY],
                got=per_group,
                hint="every category gets its own `capacity` slots, however rare it is",
            )
        counts[got // 10] += 1
    return counts / n_runs


def check_9_1(balanced_reservoir: Callable[..., Any]) -> CheckResult:
    """``balanced_reservoir(stream, groups, capacity, rng) -> np.ndarray``: Algorithm R per group.

    Judged by properties, since the answer is random: a category with fewer
    than ``capacity`` items is kept whole; with 3 slots per category, each run
    keeps 3 books and 3 toys, without repeats and without touching the inputs;
    over 3000 seeded runs every book is kept 25 % of the time and every toy
    75 % (within 0.04): each category is a uniform sample of its own items.
    (A correct answer misses the band with probability below 1e-4; counting
    the position in the whole stream instead of in the category keeps the last
    toy about 21 % of the time.)
    """
    require_callable("9.1", balanced_reservoir, "balanced_reservoir")
    _check_short_stream(balanced_reservoir)
    share = _run_many(balanced_reservoir, 3000)
    expected = np.where(_GROUPS == "books", _CAPACITY / 12, _CAPACITY / 4)
    if np.max(np.abs(share - expected)) > 0.04:
        late = share[-3:].mean() < expected[-3:].mean() - 0.04 or share[13] < 0.75 - 0.04
        hint = (
            (
                "late items are under-represented: count the items of each category "
                "separately; item number t OF ITS CATEGORY (from 0) is kept with probability "
                "capacity / (t + 1)"
            )
            if late
            else (
                "a category's sample is not uniform: each of its items must end up in its "
                "reservoir equally often (Algorithm R within the category)"
            )
        )
        fail(
            "9.1",
            "balanced_reservoir(16-item stream, capacity=3) over 3000 seeds",
            "a sample that is not uniform within each category: share of runs in which each "
            "position was kept = " + np.array2string(share, precision=2),
            expected=expected,
            got=share,
            hint=hint,
        )
    return passed("9.1", getattr(balanced_reservoir, "__name__", "balanced_reservoir"), 2)


# --------------------------------------------------------------------------- 9.2 multi-anchor EWC


def _ewc_multi_ref(
    weights: Sequence[np.ndarray],
    anchors: Sequence[Sequence[np.ndarray]],
    fishers: Sequence[Sequence[np.ndarray]],
    lam: float,
) -> tuple[float, list[np.ndarray]]:
    """The penalty sum over periods, and its gradient."""
    penalty = (
        0.5
        * lam
        * sum(
            float(np.sum(f * (w - a) ** 2))
            for anchor, fisher in zip(anchors, fishers, strict=False)
            for w, a, f in zip(weights, anchor, fisher, strict=False)
        )
    )
    grads = [
        sum(
            lam * fisher[k] * (w - anchor[k])
            for anchor, fisher in zip(anchors, fishers, strict=False)
        )
        for k, w in enumerate(weights)
    ]
    return penalty, [np.asarray(g, dtype=float) for g in grads]


def _ewc_cases() -> list[tuple[list, list, list, float]]:
    rng = np.random.default_rng(9)
    shapes = [(3, 2), (4,)]

    def arrays(low: float = 0.0, high: float | None = None) -> list[np.ndarray]:
        return [
            rng.uniform(low, high, s) if high is not None else rng.normal(size=s) for s in shapes
        ]

    return [
        (
            [np.array([1.0, 2.0])],
            [[np.array([0.0, 2.0])], [np.array([2.0, 0.0])]],
            [[np.array([3.0, 5.0])], [np.array([1.0, 1.0])]],
            2.0,
        ),
        (
            arrays(),
            [arrays(), arrays(), arrays()],
            [arrays(0, 2), arrays(0, 2), arrays(0, 2)],
            10.0,
        ),
        (
            [rng.normal(size=(2, 2))],
            [[rng.normal(size=(2, 2))]],
            [[rng.uniform(0, 1, (2, 2))]],
            5.0,
        ),
    ]


def _penalty_hint(penalty: float, weights: list, anchors: list, fishers: list, lam: float) -> str:
    exp_penalty = _ewc_multi_ref(weights, anchors, fishers, lam)[0]
    if np.isclose(penalty, _ewc_multi_ref(weights, anchors[-1:], fishers[-1:], lam)[0]):
        return (
            "only the last period counts in your penalty: original EWC sums one term per "
            "past period, each with its own anchor and Fisher"
        )
    if np.isclose(penalty, 2 * exp_penalty, rtol=1e-6):
        return "each term has a factor 1/2: lam / 2 * sum F (w - w*)^2"
    if np.isclose(penalty, exp_penalty / lam, rtol=1e-6):
        return "multiply by the strength lam"
    return ""


def _grad_hint(g: np.ndarray, e: np.ndarray) -> str:
    if np.allclose(g, 2 * e):
        return (
            "the 1/2 of the penalty cancels the 2 of the square's derivative: each "
            "period's gradient is lam * F_t * (w - w*_t)"
        )
    if np.allclose(g, -e):
        return "the sign: the gradient points away from the anchors, (w - w*_t)"
    return "sum lam * F_t * (w - w*_t) over the periods t, one array per weight array"


def _check_ewc_case(
    func: Callable[..., Any], weights: list, anchors: list, fishers: list, lam: float
) -> None:
    call = (
        f"ewc_multi_penalty_and_grad(weights=[{', '.join(str(w.shape) for w in weights)} "
        f"arrays], anchors and fishers of {len(anchors)} period(s), lam={lam})"
    )
    copies = [
        [x.copy() for x in weights],
        [[x.copy() for x in a] for a in anchors],
        [[x.copy() for x in f] for f in fishers],
    ]
    got = _call("9.2", func, call, *copies, lam)
    _check_ewc_inputs_unchanged(call, [weights, anchors, fishers], copies)
    if not isinstance(got, tuple) or len(got) != 2:
        fail("9.2", call, f"{show_value(got)}", hint="return a pair (penalty, grads)")
    penalty, grads = got
    exp_penalty, exp_grads = _ewc_multi_ref(weights, anchors, fishers, lam)
    try:
        penalty = float(penalty)
    except (TypeError, ValueError):
        fail(
            "9.2",
            call,
            f"a penalty of type {type(penalty).__name__}",
            hint="the penalty is one number: sum over every period and array, then float(...)",
        )
    if not np.isclose(penalty, exp_penalty, rtol=1e-6, atol=1e-12):
        fail(
            "9.2",
            call,
            "a penalty that is not sum_t lam/2 * sum F_t (w - w*_t)^2",
            expected=exp_penalty,
            got=penalty,
            hint=_penalty_hint(penalty, weights, anchors, fishers, lam),
        )
    _check_ewc_grads(call, grads, exp_grads)


def _check_ewc_inputs_unchanged(call: str, given: list[list], copies: list[list]) -> None:
    """9.2: ``copies`` of ``[weights, anchors, fishers]`` went to the student: still equal?"""
    weights, anchors, fishers = given
    flat = [weights, [x for a in anchors for x in a], [x for f in fishers for x in f]]
    after = [copies[0], [x for a in copies[1] for x in a], [x for f in copies[2] for x in f]]
    if any(
        not np.array_equal(b, a)
        for group_b, group_a in zip(flat, after, strict=False)
        for b, a in zip(group_b, group_a, strict=False)
    ):
        fail(
            "9.2",
            call,
            "an answer but changed its input arrays in place",
            hint="build new arrays (lam * f * (w - a)) instead of using -= or *=",
        )


def _check_ewc_grads(call: str, grads: Any, exp_grads: list[np.ndarray]) -> None:
    """9.2: one gradient array per weight array, each of its shape and right."""
    if not isinstance(grads, (list, tuple)) or len(grads) != len(exp_grads):
        fail(
            "9.2",
            call,
            f"gradients {show_value(grads)}",
            hint="return one gradient array per weight array (not per period), in a list",
        )
    for k, (g, e) in enumerate(zip(grads, exp_grads, strict=False)):
        g = np.asarray(g, dtype=float)
        if g.shape != e.shape:
            fail(
                "9.2",
                call,
                f"a gradient {k} of shape {g.shape}",
                expected=e.shape,
                got=g.shape,
                hint="each gradient has the shape of its weight array",
            )
        if not np.allclose(g, e, rtol=1e-6, atol=1e-12):
            fail(
                "9.2",
                call,
                f"a wrong gradient for array {k}",
                expected=e,
                got=g,
                hint=_grad_hint(g, e),
            )


def check_9_2(ewc_multi_penalty_and_grad: Callable[..., Any]) -> CheckResult:
    """``ewc_multi_penalty_and_grad(weights, anchors, fishers, lam) -> (float, list of arrays)``.

    ``anchors[t]`` and ``fishers[t]`` are the weights and the Fisher diagonal
    saved after period ``t`` (lists of arrays shaped like ``weights``).
    """
    require_callable("9.2", ewc_multi_penalty_and_grad, "ewc_multi_penalty_and_grad")
    cases = _ewc_cases()
    for weights, anchors, fishers, lam in cases:
        _check_ewc_case(ewc_multi_penalty_and_grad, weights, anchors, fishers, lam)
    return passed(
        "9.2",
        getattr(ewc_multi_penalty_and_grad, "__name__", "ewc_multi_penalty_and_grad"),
        len(cases),
    )


# --------------------------------------------------------------------------- 9.3 prequential


class _MeanTracker:
    """A toy strategy: predicts the mean of every rating it has learned from."""

    def __init__(self, start: float = 3.0) -> None:
        self.total, self.n, self.start = 0.0, 0, start
        self.log: list[str] = []

    def predict(self, batch: Any) -> np.ndarray:
        self.log.append("predict")
        value = self.total / self.n if self.n else self.start
        return np.full(len(batch["rating"]), value)

    def update(self, batch: Any) -> _MeanTracker:
        self.log.append("update")
        self.total += float(np.sum(batch["rating"]))
        self.n += len(batch["rating"])
        return self


def _reference_loop(strategy: _MeanTracker, batches: Sequence[Any]) -> np.ndarray:
    out = []
    for batch in batches:
        y_pred = strategy.predict(batch)
        out.append(float(np.sqrt(np.mean((np.asarray(batch["rating"], float) - y_pred) ** 2))))
        strategy.update(batch)
    return np.array(out)


def check_9_3(prequential_rmse: Callable[..., Any]) -> CheckResult:
    """``prequential_rmse(strategy, batches) -> np.ndarray``: per-batch RMSE, predict then learn."""
    require_callable("9.3", prequential_rmse, "prequential_rmse")
    # DataFrames, like the batches of the lesson, so batch["rating"].to_numpy() works too
    batches = [
        pd.DataFrame({"rating": r}) for r in ([5.0, 4.0, 5.0], [1.0, 2.0], [4.0, 4.0, 3.0, 5.0])
    ]
    rng = np.random.default_rng(3)
    long = [
        pd.DataFrame({"rating": rng.integers(1, 6, size=n).astype(float)}) for n in (4, 7, 2, 9, 5)
    ]
    for data in (batches, long):
        expected = _reference_loop(_MeanTracker(), data)
        toy = _MeanTracker()
        call = f"prequential_rmse(mean-tracker strategy, {len(data)} batches)"
        got = _call("9.3", prequential_rmse, call, toy, data)
        n = len(data)
        if toy.log.count("update") != n:
            fail(
                "9.3",
                call,
                f"after {toy.log.count('update')} calls of strategy.update",
                expected=n,
                got=toy.log.count("update"),
                hint="call strategy.update(batch) once per batch, after predicting it",
            )
        if toy.log != ["predict", "update"] * n:
            fail(
                "9.3",
                call,
                f"after calls in the order {toy.log}",
                hint="predict a batch first, then learn from it: learning first lets the model "
                "see the answers it is scored on",
            )
        problem = _compare_array(expected, got)
        if problem:
            hint = ""
            arr = np.asarray(got, dtype=float) if _is_numeric(got) else None
            if arr is not None and arr.shape == expected.shape:
                mse = _reference_loop(_MeanTracker(), data) ** 2
                if np.allclose(arr, mse):
                    hint = "take the square root of the mean squared error"
            elif arr is not None and arr.ndim == 0:
                hint = "return one RMSE per batch (an array of len(batches)), not one number"
            fail("9.3", call, problem, expected=expected, got=got, hint=hint)
    return passed("9.3", getattr(prequential_rmse, "__name__", "prequential_rmse"), 2)


def _is_numeric(value: Any) -> bool:
    try:
        np.asarray(value, dtype=float)
        return True
    except (TypeError, ValueError):
        return False


def _compare_array(expected: np.ndarray, got: Any) -> str | None:
    return compare(expected, got, rtol=1e-6, atol=1e-9)
