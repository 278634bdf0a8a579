"""Self-checks for chapter 10 (the incremental pipeline): exercises 10.1-10.3.

10.1 cleans a batch, 10.2 is a *variation* of the gate the lesson shows (a gate per
segment), 10.3 is the gated loop with prequential monitoring.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from course_lib.checks._ch10_segments import _SEGMENT_CASES, _segment_data, _segment_gate_ref
from course_lib.checks._core import (
    CheckFailed,
    CheckResult,
    fail,
    passed,
    require_callable,
    show_value,
)
from course_lib.checks._core import (
    call_student as _call,
)
from course_lib.evaluation.metrics import rmse

__all__ = ["check_10_1", "check_10_2", "check_10_3"]


# --------------------------------------------------------------------------- 10.1


def _dirty_batch(seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = 30
    df = pd.DataFrame(
        {
            "user_id": rng.integers(1, 6, n),
            "item_id": rng.integers(1, 4, n),
            "rating": rng.integers(1, 6, n).astype(float),
            "timestamp": np.sort(rng.choice(np.arange(1000, 5000), n, replace=False)),
        },
        index=pd.Index(500 + 7 * np.arange(n), name="event"),
    )
    df.iloc[[3, 11], 2] = np.nan  # lost ratings
    df.iloc[[5], 2] = 80.0  # a percentage
    df.iloc[[8], 2] = 0.0  # below the scale
    # the same user and item rated again later: NOT a duplicate
    df.iloc[20, 0], df.iloc[20, 1] = df.iloc[2, 0], df.iloc[2, 1]
    copies = df.iloc[[2, 6, 6, 14]]  # at-least-once delivery
    out = pd.concat([df, copies])
    order = rng.permutation(len(out))  # and the feed arrives a bit shuffled
    return out.iloc[order]


def _reference_clean(batch: pd.DataFrame, rating_range: tuple[float, float]) -> pd.DataFrame:
    low, high = rating_range
    ok = batch["rating"].notna() & batch["rating"].between(low, high)
    return batch[ok].sort_values("timestamp", kind="stable").drop_duplicates(keep="first")


def _count_hint(
    got: pd.DataFrame, expected: pd.DataFrame, batch: pd.DataFrame, low: float, high: float
) -> str:
    """Which mistake gives ``len(got)`` rows instead of ``len(expected)``."""
    same_event = (
        "a user who rates the same item again at another time is a new event, not a "
        "duplicate: compare every column, not only user_id and item_id"
    )
    if len(got) > len(expected) and got.duplicated().any():
        return "exact copies remain: drop duplicated rows (keep the first copy)"
    if len(got) == len(expected) - 1:
        return same_event
    valid = batch[batch["rating"].notna() & batch["rating"].between(low, high)]
    inside = valid[(valid["rating"] > low) & (valid["rating"] < high)]
    if len(got) == len(valid.drop_duplicates(keep=False)):
        return "keep='first': the first copy of a duplicated event is a real event"
    if len(got) == len(valid.drop_duplicates(["user_id", "item_id"])):
        return same_event
    if len(got) == len(inside.drop_duplicates()):
        return "both ends of rating_range are valid (use between, or <= and >=)"
    return ""


def _check_clean(
    call: str, got: Any, expected: pd.DataFrame, batch: pd.DataFrame, low: float, high: float
) -> None:
    """One case of 10.1: the ratings, the number of rows, their order, index and values."""
    if not isinstance(got, pd.DataFrame):
        fail("10.1", call, f"a {type(got).__name__}", hint="return the cleaned DataFrame")
    rating = pd.to_numeric(got.get("rating"), errors="coerce")
    if rating is None or rating.isna().any():
        hint = "drop rows with a missing rating (batch['rating'].notna())"
        fail("10.1", call, "rows whose rating is missing", hint=hint)
    if (rating == -1).any() and -1 < low:
        hint = (
            "missing ratings were filled with -1; for a label that is a wrong answer the "
            "model would learn: drop the row instead"
        )
        fail("10.1", call, "ratings of -1", hint=hint)
    outside = rating[(rating < low) | (rating > high)]
    if len(outside):
        hint = "drop rows whose rating is outside rating_range (both ends inclusive)"
        fail("10.1", call, f"ratings outside {(low, high)}: {sorted(set(outside))}", hint=hint)
    if len(got) != len(expected):
        hint = _count_hint(got, expected, batch, low, high)
        fail("10.1", call, f"{len(got)} rows", expected=len(expected), got=len(got), hint=hint)
    if not got["timestamp"].is_monotonic_increasing:
        hint = "sort by timestamp (kind='stable') before returning"
        fail("10.1", call, "rows out of time order", hint=hint)
    if sorted(got.index) != sorted(expected.index):
        problem = "rows whose index labels changed or differ from the expected ones"
        hint = "keep the original index (no reset_index): it links a row to its event"
        fail("10.1", call, problem, hint=hint)
    want = expected.loc[got.index, "rating"].to_numpy(float)
    if not np.array_equal(got["rating"].to_numpy(float), want):
        fail("10.1", call, "changed ratings", hint="drop bad rows; do not modify the others")


def check_10_1(clean_batch: Callable[..., Any]) -> CheckResult:
    """Exercise 10.1: drop missing/out-of-range ratings and exact duplicates, in time order."""
    require_callable("10.1", clean_batch, "clean_batch")
    cases = [(0, (1.0, 5.0)), (1, (1.0, 5.0)), (2, (0.0, 5.0))]
    for seed, rating_range in cases:
        batch = _dirty_batch(seed)
        call = f"clean_batch(<{len(batch)} raw ratings>, rating_range={rating_range})"
        expected = _reference_clean(batch, rating_range)
        got = _call("10.1", clean_batch, batch.copy(), rating_range)
        _check_clean(call, got, expected, batch, *rating_range)
    return passed("10.1", getattr(clean_batch, "__name__", "clean_batch"), len(cases))


# --------------------------------------------------------------------------- 10.2
# The cases (data whose per-segment RMSEs are exact, one hint each): _ch10_segments.py


def check_10_2(segment_gate: Callable[..., Any]) -> CheckResult:
    """Exercise 10.2: a gate per segment (a variation of the lesson's gate)."""
    require_callable("10.2", segment_gate, "segment_gate")
    for k, (cand_off, prod_off, tol, min_rows, bad, hint) in enumerate(_SEGMENT_CASES):
        y, cand, prod, segments = _segment_data(k, cand_off, prod_off, bad)
        expected = _segment_gate_ref(y, cand, prod, segments, tol, min_rows)
        call = (
            f"segment_gate(<{len(y)} ratings>, candidate_pred, production_pred, "
            f"segments, tolerance={tol:g}, min_rows={min_rows})"
        )
        try:
            got = _call(
                "10.2",
                segment_gate,
                y.copy(),
                cand.copy(),
                prod.copy(),
                segments.copy(),
                tol,
                min_rows,
                call=call,
            )
        except CheckFailed as exc:
            if bad and "NaN" in str(exc):
                fail(
                    "10.2",
                    call,
                    "an error instead of False",
                    hint=(
                        "rmse refuses NaN (it raises); a model that predicts NaN must be rejected, "
                        "not crash the gate: check np.isfinite(candidate_pred).all() first"
                    ),
                )
            raise
        if not isinstance(got, (bool, np.bool_)):
            fail(
                "10.2",
                call,
                f"a {type(got).__name__} ({show_value(got)})",
                hint="return True (accept) or False (reject): bool(...)",
            )
        if bool(got) != expected:
            fail("10.2", call, f"{got}", expected=expected, got=bool(got), hint=hint)
    return passed("10.2", getattr(segment_gate, "__name__", "segment_gate"), len(_SEGMENT_CASES))


# --------------------------------------------------------------------------- 10.3


class _MeanModel:
    """A toy model: predicts one number for every row."""

    def __init__(self, value: float, name: str) -> None:
        self.value, self.name = float(value), name

    def predict(self, df: pd.DataFrame) -> np.ndarray:
        return np.full(len(df), self.value)

    def __repr__(self) -> str:
        return f"<model {self.name} predicting {self.value:.2f}>"


def _toy_stream(seed: int) -> list[pd.DataFrame]:
    rng = np.random.default_rng(seed)
    means = [3.0, 3.2, 4.5, 3.4, 2.0, 3.5]
    batches: list[pd.DataFrame] = []
    t = 0
    for m in means:
        n = int(rng.integers(8, 14))
        batches.append(
            pd.DataFrame(
                {
                    "rating": np.clip(np.round(rng.normal(m, 0.7, n)), 1, 5),
                    "timestamp": t + np.arange(n),
                },
                index=pd.RangeIndex(t, t + n),
            )
        )
        t += n
    # a corrupted batch: the recent (held-out) end disagrees with the training part
    batches[4].iloc[: len(batches[4]) // 2, 0] = 5.0
    return batches


#: What make_candidate was called with: ("make", the model's name, the training rows' index).
_Trace = list[tuple[str, str, list[Any]]]


def _make_recorder(trace: _Trace) -> Callable[[_MeanModel, pd.DataFrame], _MeanModel]:
    def make_candidate(model: _MeanModel, train: pd.DataFrame) -> _MeanModel:
        trace.append(("make", model.name, list(train.index)))
        return _MeanModel(float(train["rating"].mean()), f"c{len(trace)}")

    return make_candidate


def _accept(candidate: _MeanModel, production: _MeanModel, held: pd.DataFrame) -> bool:
    y = held["rating"]
    return rmse(y, candidate.predict(held)) <= rmse(y, production.predict(held))


def _reference_loop(
    model: _MeanModel,
    batches: Sequence[pd.DataFrame],
    make_candidate: Callable[[_MeanModel, pd.DataFrame], _MeanModel],
    accept: Callable[[_MeanModel, _MeanModel, pd.DataFrame], bool],
    holdout: float,
) -> tuple[list[float], list[bool], _MeanModel]:
    live: list[float] = []
    accepted: list[bool] = []
    for batch in batches:
        live.append(rmse(batch["rating"], model.predict(batch)))
        n_hold = int(round(holdout * len(batch)))
        train, held = batch.iloc[: len(batch) - n_hold], batch.iloc[len(batch) - n_hold :]
        candidate = make_candidate(model, train)
        ok = bool(accept(candidate, model, held))
        accepted.append(ok)
        if ok:
            model = candidate
    return live, accepted, model


def _check_training_rows(
    call: str, trace: _Trace, ref_trace: _Trace, batches: Sequence[pd.DataFrame]
) -> None:
    """Each candidate learned the first part of its batch, from the current model."""
    if len(trace) != len(batches):
        fail(
            "10.3",
            call,
            f"{len(trace)} calls of make_candidate for {len(batches)} batches",
            hint="build exactly one candidate per batch",
        )
    for (_, _, rows), (_, _, ref_rows), batch in zip(trace, ref_trace, batches, strict=True):
        if len(rows) == len(batch):
            fail(
                "10.3",
                call,
                "candidates trained on the whole batch",
                hint="train on the first part only; the held-out last part is for the gate",
            )
        if rows != ref_rows:
            hint = (
                "train on batch.iloc[:len(batch) - n_hold] with n_hold = "
                "int(round(holdout * len(batch)))"
            )
            if rows and ref_rows and rows[-1] == batch.index[-1]:
                hint = (
                    "hold out the LAST rows (the most recent), not the first ones: "
                    "the gate should judge the candidate on the newest data"
                )
            fail("10.3", call, f"a candidate trained on rows {rows[:3]}...{rows[-2:]}", hint=hint)


def _scored_after_update(
    batches: Sequence[pd.DataFrame], exp_acc: list[bool], ref_trace: _Trace
) -> list[float]:
    """The live RMSEs of a loop that scores each batch after the update (a mistake)."""
    post: list[float] = []
    m = _MeanModel(3.0, "initial")
    for batch, ok, (_, _, rows) in zip(batches, exp_acc, ref_trace, strict=True):
        m = _MeanModel(float(batch.loc[rows, "rating"].mean()), "x") if ok else m
        post.append(rmse(batch["rating"], m.predict(batch)))
    return post


def _check_loop(
    call: str,
    got: Any,
    trace: _Trace,
    ref_trace: _Trace,
    batches: Sequence[pd.DataFrame],
    expected: tuple[list[float], list[bool], _MeanModel],
) -> None:
    """One case of 10.3: the candidates' rows, the decisions, the live RMSEs, the model."""
    exp_live, exp_acc, exp_model = expected
    if not isinstance(got, tuple) or len(got) != 3:
        fail("10.3", call, show_value(got), hint="return a tuple (live_rmses, accepted, model)")
    live, accepted, model = got
    _check_training_rows(call, trace, ref_trace, batches)
    decisions = [bool(a) for a in accepted]
    promote = (
        "promote a candidate only when accept(candidate, model, held) is True, and record "
        "that decision for every batch"
    )
    wrong_decisions = f"accepted = {list(accepted)}"
    if len(decisions) == len(exp_acc) and all(decisions) and not all(exp_acc):
        fail("10.3", call, wrong_decisions, expected=exp_acc, got=list(accepted), hint=promote)
    if [m for _, m, _ in trace] != [m for _, m, _ in ref_trace]:
        hint = (
            "build each candidate from the CURRENT production model, which changes when a "
            "candidate is accepted"
        )
        fail("10.3", call, "candidates built from the wrong model", hint=hint)
    if decisions != exp_acc:
        fail("10.3", call, wrong_decisions, expected=exp_acc, got=list(accepted), hint=promote)
    live = np.asarray(live, dtype=float)
    if live.shape != (len(exp_live),) or not np.allclose(live, exp_live, atol=1e-9):
        hint = "score the production model on the whole batch BEFORE any update (prequential)"
        after = _scored_after_update(batches, exp_acc, ref_trace)
        if live.shape == (len(exp_live),) and np.allclose(live, after, atol=1e-9):
            hint = (
                "you scored the model AFTER it learned the batch: that measures the training "
                "error, which flatters the model; score first, then update"
            )
        problem = "live RMSEs that differ from the expected ones"
        want, have = np.round(exp_live, 4), np.round(live, 4)
        fail("10.3", call, problem, expected=want, got=have, hint=hint)
    if getattr(model, "value", None) != exp_model.value:
        hint = "return the production model after the last batch"
        fail("10.3", call, f"a final model {show_value(model)}", hint=hint)


def check_10_3(gated_updates: Callable[..., Any]) -> CheckResult:
    """Exercise 10.3: the gated loop, scoring each batch before learning from it."""
    require_callable("10.3", gated_updates, "gated_updates")
    cases = [(0, 0.25), (1, 0.3), (2, 0.5)]
    for seed, holdout in cases:
        batches = _toy_stream(seed)
        call = (
            f"gated_updates(<model predicting 3.00>, <{len(batches)} batches>, "
            f"make_candidate, accept, holdout={holdout})"
        )
        ref_trace: _Trace = []
        trace: _Trace = []
        start, stream = _MeanModel(3.0, "initial"), [b.copy() for b in batches]
        expected = _reference_loop(start, stream, _make_recorder(ref_trace), _accept, holdout)
        start, stream = _MeanModel(3.0, "initial"), [b.copy() for b in batches]
        got = _call("10.3", gated_updates, start, stream, _make_recorder(trace), _accept, holdout)
        _check_loop(call, got, trace, ref_trace, batches, expected)
    return passed("10.3", getattr(gated_updates, "__name__", "gated_updates"), len(cases))
