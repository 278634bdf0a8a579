"""Self-checks for chapter 10 (the incremental pipeline): exercises 10.1-10.3."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from course_lib.checks._core import (
    CheckFailed, describe, fail, passed, require_callable, call_student as _call,
)

__all__ = ["check_10_1", "check_10_2", "check_10_3"]


# --------------------------------------------------------------------------- 10.1

def _dirty_batch(seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = 30
    df = pd.DataFrame({"user_id": rng.integers(1, 6, n), "item_id": rng.integers(1, 4, n),
                       "rating": rng.integers(1, 6, n).astype(float),
                       "timestamp": np.sort(rng.choice(np.arange(1000, 5000), n, replace=False))},
                      index=pd.Index(500 + 7 * np.arange(n), name="event"))
    df.iloc[[3, 11], 2] = np.nan                    # lost ratings
    df.iloc[[5], 2] = 80.0                          # a percentage
    df.iloc[[8], 2] = 0.0                           # below the scale
    # the same user and item rated again later: NOT a duplicate
    df.iloc[20, 0], df.iloc[20, 1] = df.iloc[2, 0], df.iloc[2, 1]
    copies = df.iloc[[2, 6, 6, 14]]                 # at-least-once delivery
    out = pd.concat([df, copies])
    order = rng.permutation(len(out))               # and the feed arrives a bit shuffled
    return out.iloc[order]


def _reference_clean(batch: pd.DataFrame, rating_range) -> pd.DataFrame:
    low, high = rating_range
    ok = batch["rating"].notna() & batch["rating"].between(low, high)
    return batch[ok].sort_values("timestamp", kind="stable").drop_duplicates(keep="first")


def check_10_1(clean_batch):
    """Exercise 10.1: drop missing/out-of-range ratings and exact duplicates, in time order."""
    require_callable("10.1", clean_batch, "clean_batch")
    cases = [(_dirty_batch(0), (1.0, 5.0)), (_dirty_batch(1), (1.0, 5.0)),
             (_dirty_batch(2), (0.0, 5.0))]
    for batch, rating_range in cases:
        call = f"clean_batch(<{len(batch)} raw ratings>, rating_range={rating_range})"
        expected = _reference_clean(batch, rating_range)
        got = _call("10.1", clean_batch, batch.copy(), rating_range)
        if not isinstance(got, pd.DataFrame):
            fail("10.1", call, f"a {type(got).__name__}", hint="return the cleaned DataFrame")
        rating = pd.to_numeric(got.get("rating"), errors="coerce")
        if rating is None or rating.isna().any():
            fail("10.1", call, "rows whose rating is missing",
                 hint="drop rows with a missing rating (batch['rating'].notna())")
        if (rating == -1).any() and -1 < rating_range[0]:
            fail("10.1", call, "ratings of -1", hint="missing ratings were filled with -1; for a "
                 "label that is a wrong answer the model would learn: drop the row instead")
        if ((rating < rating_range[0]) | (rating > rating_range[1])).any():
            fail("10.1", call, f"ratings outside {rating_range}: "
                 f"{sorted(set(rating[(rating < rating_range[0]) | (rating > rating_range[1])]))}",
                 hint="drop rows whose rating is outside rating_range (both ends inclusive)")
        if len(got) != len(expected):
            hint = ""
            if len(got) > len(expected) and got.duplicated().any():
                hint = "exact copies remain: drop duplicated rows (keep the first copy)"
            elif len(got) == len(expected) - 1:
                hint = ("a user who rates the same item again at another time is a new event, "
                        "not a duplicate: compare every column, not only user_id and item_id")
            elif len(got) < len(expected):
                cleaned = batch[batch["rating"].notna()
                                & batch["rating"].between(*rating_range)]
                if len(got) == len(cleaned.drop_duplicates(keep=False)):
                    hint = "keep='first': the first copy of a duplicated event is a real event"
                elif len(got) == len(cleaned.drop_duplicates(["user_id", "item_id"])):
                    hint = ("a user who rates the same item again at another time is a new "
                            "event, not a duplicate: compare every column")
                elif len(got) == len(cleaned[(cleaned["rating"] > rating_range[0])
                                             & (cleaned["rating"] < rating_range[1])]
                                     .drop_duplicates()):
                    hint = "both ends of rating_range are valid (use between, or <= and >=)"
            fail("10.1", call, f"{len(got)} rows", expected=len(expected), got=len(got), hint=hint)
        if not got["timestamp"].is_monotonic_increasing:
            fail("10.1", call, "rows out of time order",
                 hint="sort by timestamp (kind='stable') before returning")
        if sorted(got.index) != sorted(expected.index):
            fail("10.1", call, "rows whose index labels changed or differ from the expected ones",
                 hint="keep the original index (no reset_index): it links a row to its event")
        if not np.array_equal(got["rating"].to_numpy(float),
                              expected.loc[got.index, "rating"].to_numpy(float)):
            fail("10.1", call, "changed ratings", hint="drop bad rows; do not modify the others")
    return passed("10.1", getattr(clean_batch, "__name__", "clean_batch"), len(cases))


# --------------------------------------------------------------------------- 10.2

def _gate(c, p, cg, pg, tol, gtol):
    finite = all(math.isfinite(v) for v in (c, cg))
    return bool(finite and c <= p + tol and cg <= pg + gtol)


_GATE_CASES = [
    # (candidate, production, cand_guard, prod_guard, tol, guard_tol, what it tests)
    ((0.90, 0.95, 1.00, 1.00, 0.02, 0.05), "a better candidate"),
    ((0.96, 0.95, 1.00, 1.00, 0.02, 0.05), "slightly worse, within the tolerance"),
    ((1.00, 0.95, 1.00, 1.00, 0.02, 0.05), "worse than production by more than the tolerance"),
    ((0.90, 0.95, 1.10, 1.00, 0.02, 0.05), "better on recent data but regresses on the guard"),
    ((0.90, 0.95, 1.04, 1.00, 0.02, 0.05), "a small guard regression, within guard_tolerance"),
    # The boundary cases use dyadic numbers (exact in binary floating point), so that
    # `c <= p + tol` and `c - p <= tol` agree there (0.97 - 0.95 is 0.020000000000000018).
    ((0.96875, 0.9375, 1.00, 1.00, 0.03125, 0.05), "exactly at the tolerance (<= accepts)"),
    ((0.90, 0.95, 1.0625, 1.00, 0.02, 0.0625), "exactly at the guard tolerance (<= accepts)"),
    ((float("nan"), 0.95, 1.00, 1.00, 0.02, 0.05), "a candidate that predicts NaN"),
    ((0.90, 0.95, float("nan"), 1.00, 0.02, 0.05), "NaN on the guard slice"),
    ((0.90, 0.95, 3.00, 1.00, 0.02, float("inf")), "the guard switched off (inf)"),
]


def check_10_2(gate_accepts):
    """Exercise 10.2: the gate's decision from four RMSEs and two tolerances."""
    require_callable("10.2", gate_accepts, "gate_accepts")
    for args, what in _GATE_CASES:
        args = tuple(float(a) for a in args)
        expected = _gate(*args)
        call = ("gate_accepts(" + ", ".join(f"{n}={describe(a)}" for n, a in zip(
            ("candidate_rmse", "production_rmse", "candidate_guard", "production_guard",
             "tolerance", "guard_tolerance"), args)) + ")")
        got = _call("10.2", gate_accepts, *args)
        if not isinstance(got, (bool, np.bool_)):
            fail("10.2", call, f"a {type(got).__name__} ({describe(got)})",
                 hint="return True (accept) or False (reject): bool(...)")
        if bool(got) != expected:
            hint = what
            c, p, cg, pg, tol, gtol = args
            if math.isnan(c) or math.isnan(cg):
                hint = ("a NaN compares False with everything, so `not (nan > x)` is True: "
                        "check math.isfinite(...) first, or write the test as `<=` so that "
                        "NaN fails it")
            elif not expected and c <= p + tol:
                hint = f"{what}: also compare the guard RMSEs with guard_tolerance"
            elif expected and (c == p + tol or cg == pg + gtol):
                hint = (f"{what}: the comparison is strict (<); use <= so that a candidate "
                        "exactly at the tolerance passes")
            elif expected and c > p:
                hint = (f"{what}: the candidate may be worse by up to `tolerance` "
                        "(candidate <= production + tolerance)")
            elif expected:
                hint = (f"{what}: lower RMSE is better; accept when the candidate's RMSE is "
                        "at most production + tolerance")
            elif not expected and c > p + tol:
                hint = (f"{what}: lower RMSE is better; reject when the candidate's RMSE is "
                        "above production + tolerance")
            fail("10.2", call, f"{got}", expected=expected, got=bool(got), hint=hint)
    return passed("10.2", getattr(gate_accepts, "__name__", "gate_accepts"), len(_GATE_CASES))


# --------------------------------------------------------------------------- 10.3

class _MeanModel:
    """A toy model: predicts one number for every row."""

    def __init__(self, value: float, name: str):
        self.value, self.name = float(value), name

    def predict(self, df):
        return np.full(len(df), self.value)

    def __repr__(self):
        return f"<model {self.name} predicting {self.value:.2f}>"


def _rmse(y, p):
    return float(np.sqrt(np.mean((np.asarray(y, float) - np.asarray(p, float)) ** 2)))


def _toy_stream(seed: int):
    rng = np.random.default_rng(seed)
    means = [3.0, 3.2, 4.5, 3.4, 2.0, 3.5]
    batches, t = [], 0
    for k, m in enumerate(means):
        n = int(rng.integers(8, 14))
        batches.append(pd.DataFrame({"rating": np.clip(np.round(rng.normal(m, 0.7, n)), 1, 5),
                                     "timestamp": t + np.arange(n)},
                                    index=pd.RangeIndex(t, t + n)))
        t += n
    # a corrupted batch: the recent (held-out) end disagrees with the training part
    batches[4].iloc[: len(batches[4]) // 2, 0] = 5.0
    return batches


def _make_recorder(trace):
    def make_candidate(model, train):
        trace.append(("make", model.name, list(train.index)))
        return _MeanModel(float(train["rating"].mean()), f"c{len(trace)}")
    return make_candidate


def _accept(candidate, production, held):
    y = held["rating"]
    return _rmse(y, candidate.predict(held)) <= _rmse(y, production.predict(held))


def _reference_loop(model, batches, make_candidate, accept, holdout):
    live, accepted = [], []
    for batch in batches:
        live.append(_rmse(batch["rating"], model.predict(batch)))
        n_hold = int(round(holdout * len(batch)))
        train, held = batch.iloc[:len(batch) - n_hold], batch.iloc[len(batch) - n_hold:]
        candidate = make_candidate(model, train)
        ok = bool(accept(candidate, model, held))
        accepted.append(ok)
        if ok:
            model = candidate
    return live, accepted, model


def check_10_3(gated_updates):
    """Exercise 10.3: the gated loop, scoring each batch before learning from it."""
    require_callable("10.3", gated_updates, "gated_updates")
    cases = [(0, 0.25), (1, 0.3), (2, 0.5)]
    for seed, holdout in cases:
        batches = _toy_stream(seed)
        call = (f"gated_updates(<model predicting 3.00>, <{len(batches)} batches>, "
                f"make_candidate, accept, holdout={holdout})")
        ref_trace = []
        exp_live, exp_acc, exp_model = _reference_loop(
            _MeanModel(3.0, "initial"), [b.copy() for b in batches], _make_recorder(ref_trace),
            _accept, holdout)
        trace = []
        got = _call("10.3", gated_updates, _MeanModel(3.0, "initial"), [b.copy() for b in batches],
                    _make_recorder(trace), _accept, holdout)
        if not isinstance(got, tuple) or len(got) != 3:
            fail("10.3", call, describe(got),
                 hint="return a tuple (live_rmses, accepted, model)")
        live, accepted, model = got
        if len(trace) != len(batches):
            fail("10.3", call, f"{len(trace)} calls of make_candidate for {len(batches)} batches",
                 hint="build exactly one candidate per batch")
        for (_, _, rows), (_, _, ref_rows), batch in zip(trace, ref_trace, batches):
            if len(rows) == len(batch):
                fail("10.3", call, "candidates trained on the whole batch",
                     hint="train on the first part only; the held-out last part is for the gate")
            if rows != ref_rows:
                hint = "train on batch.iloc[:len(batch) - n_hold] with n_hold = " \
                       "int(round(holdout * len(batch)))"
                if rows and ref_rows and rows[-1] == batch.index[-1]:
                    hint = ("hold out the LAST rows (the most recent), not the first ones: "
                            "the gate should judge the candidate on the newest data")
                fail("10.3", call, f"a candidate trained on rows {rows[:3]}...{rows[-2:]}",
                     hint=hint)
        if len(list(accepted)) == len(exp_acc) and all(map(bool, accepted)) \
                and not all(exp_acc):
            fail("10.3", call, f"accepted = {list(accepted)}", expected=exp_acc,
                 got=list(accepted), hint="promote a candidate only when accept(candidate, "
                 "model, held) is True, and record that decision for every batch")
        if [m for _, m, _ in trace] != [m for _, m, _ in ref_trace]:
            fail("10.3", call, "candidates built from the wrong model",
                 hint="build each candidate from the CURRENT production model, which changes "
                      "when a candidate is accepted")
        if len(list(accepted)) != len(exp_acc) or [bool(a) for a in accepted] != exp_acc:
            fail("10.3", call, f"accepted = {list(accepted)}", expected=exp_acc,
                 got=list(accepted), hint="promote a candidate only when accept(candidate, "
                 "model, held) is True, and record that decision for every batch")
        live = np.asarray(live, dtype=float)
        if live.shape != (len(exp_live),) or not np.allclose(live, exp_live, atol=1e-9):
            hint = "score the production model on the whole batch BEFORE any update (prequential)"
            post = []
            m = _MeanModel(3.0, "initial")
            for batch, ok, (_, _, rows) in zip(batches, exp_acc, ref_trace):
                cand = _MeanModel(float(batch.loc[rows, "rating"].mean()), "x")
                m = cand if ok else m
                post.append(_rmse(batch["rating"], m.predict(batch)))
            if live.shape == (len(exp_live),) and np.allclose(live, post, atol=1e-9):
                hint = ("you scored the model AFTER it learned the batch: that measures the "
                        "training error, which flatters the model; score first, then update")
            fail("10.3", call, "live RMSEs that differ from the expected ones",
                 expected=np.round(exp_live, 4), got=np.round(live, 4), hint=hint)
        if getattr(model, "value", None) != exp_model.value:
            fail("10.3", call, f"a final model {describe(model)}",
                 hint="return the production model after the last batch")
    return passed("10.3", getattr(gated_updates, "__name__", "gated_updates"), len(cases))
