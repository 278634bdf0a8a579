"""Each chapter-10 check passes the solution and fails plausible mistakes."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from course_lib.checks import CheckFailed, _core
from course_lib.checks.ch10 import check_10_1, check_10_2, check_10_3


# ---------------------------------------------------------------- 10.1 clean a batch
def clean_batch(batch, rating_range=(1.0, 5.0)):
    low, high = rating_range
    ok = batch["rating"].notna() & (batch["rating"] >= low) & (batch["rating"] <= high)
    return batch[ok].drop_duplicates(keep="first").sort_values("timestamp", kind="stable")


def fill_minus_one(batch, rating_range=(1.0, 5.0)):           # fillna(-1) on labels
    return batch.drop_duplicates().fillna(-1).sort_values("timestamp", kind="stable")


def no_dedupe(batch, rating_range=(1.0, 5.0)):
    low, high = rating_range
    ok = batch["rating"].notna() & batch["rating"].between(low, high)
    return batch[ok].sort_values("timestamp", kind="stable")


def dedupe_on_ids(batch, rating_range=(1.0, 5.0)):
    return clean_batch(batch, rating_range).drop_duplicates(["user_id", "item_id"])


def drop_all_copies(batch, rating_range=(1.0, 5.0)):
    low, high = rating_range
    ok = batch["rating"].notna() & batch["rating"].between(low, high)
    return batch[ok].drop_duplicates(keep=False).sort_values("timestamp", kind="stable")


def unsorted(batch, rating_range=(1.0, 5.0)):
    low, high = rating_range
    ok = batch["rating"].notna() & batch["rating"].between(low, high)
    return batch[ok].drop_duplicates()


def reset_index(batch, rating_range=(1.0, 5.0)):
    return clean_batch(batch, rating_range).reset_index(drop=True)


def no_range_check(batch, rating_range=(1.0, 5.0)):
    return batch.dropna().drop_duplicates().sort_values("timestamp", kind="stable")


def strict_range(batch, rating_range=(1.0, 5.0)):
    low, high = rating_range
    ok = batch["rating"].notna() & (batch["rating"] > low) & (batch["rating"] < high)
    return batch[ok].sort_values("timestamp", kind="stable").drop_duplicates(keep="first")


def test_10_1(capsys):
    assert check_10_1(clean_batch)
    assert "Exercise 10.1 passed" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, match", [
    (fill_minus_one, "filled with -1"), (no_dedupe, "exact copies remain"),
    (dedupe_on_ids, "not a duplicate"), (drop_all_copies, "keep='first'"),
    (unsorted, "sort by timestamp"), (reset_index, "original index"),
    (no_range_check, "outside"),
    (strict_range, "both ends of rating_range are valid"),
])
def test_10_1_mutants(wrong, match):
    with pytest.raises(CheckFailed, match=match):
        check_10_1(wrong)


# ---------------------------------------------------------------- 10.2 the gate
def gate_accepts(candidate_rmse, production_rmse, candidate_guard, production_guard,
                 tolerance, guard_tolerance):
    if not (math.isfinite(candidate_rmse) and math.isfinite(candidate_guard)):
        return False
    return bool(candidate_rmse <= production_rmse + tolerance
                and candidate_guard <= production_guard + guard_tolerance)


def nan_passes(c, p, cg, pg, tol, gtol):
    return not (c > p + tol) and not (cg > pg + gtol)


def no_guard(c, p, cg, pg, tol, gtol):
    return bool(np.isfinite(c) and c <= p + tol)


def strict(c, p, cg, pg, tol, gtol):
    return bool(np.isfinite(c) and np.isfinite(cg) and c < p + tol and cg < pg + gtol)


def reversed_direction(c, p, cg, pg, tol, gtol):
    return bool(np.isfinite(c) and np.isfinite(cg) and c >= p - tol and cg <= pg + gtol)


def no_tolerance(c, p, cg, pg, tol, gtol):
    return bool(np.isfinite(c) and np.isfinite(cg) and c <= p and cg <= pg + gtol)


def difference_form(c, p, cg, pg, tol, gtol):
    """Correct, written as a difference: must pass although 0.97 - 0.95 > 0.02 in floats."""
    finite = math.isfinite(c) and math.isfinite(cg)
    return bool(finite and (c - p) <= tol and (cg - pg) <= gtol)


def strict_guard_only(c, p, cg, pg, tol, gtol):
    return bool(np.isfinite(c) and np.isfinite(cg) and c <= p + tol and cg < pg + gtol)


def test_10_2():
    assert check_10_2(gate_accepts)


def test_10_2_difference_form_passes():
    assert 0.97 - 0.95 > 0.02          # why the boundary case uses numbers exact in binary
    assert check_10_2(difference_form)


@pytest.mark.parametrize("wrong, match", [
    (nan_passes, "NaN compares False"), (no_guard, "guard"), (strict, "strict .<.; use <="),
    (strict_guard_only, "guard tolerance.*use <="),
    (reversed_direction, "lower RMSE is better"), (no_tolerance, "worse by up to"),
    (lambda *a: 1, "True .accept. or False"),
])
def test_10_2_mutants(wrong, match):
    with pytest.raises(CheckFailed, match=match):
        check_10_2(wrong)


# ---------------------------------------------------------------- 10.3 the gated loop
def rmse(y, p):
    return float(np.sqrt(np.mean((np.asarray(y, float) - np.asarray(p, float)) ** 2)))


def gated_updates(model, batches, make_candidate, accept, holdout=0.2):
    live, accepted = [], []
    for batch in batches:
        live.append(rmse(batch["rating"], model.predict(batch)))
        n_hold = int(round(holdout * len(batch)))
        train, held = batch.iloc[:len(batch) - n_hold], batch.iloc[len(batch) - n_hold:]
        candidate = make_candidate(model, train)
        ok = bool(accept(candidate, model, held))
        accepted.append(ok)
        if ok:
            model = candidate
    return live, accepted, model


def score_after_update(model, batches, make_candidate, accept, holdout=0.2):
    live, accepted = [], []
    for batch in batches:
        n_hold = int(round(holdout * len(batch)))
        train, held = batch.iloc[:len(batch) - n_hold], batch.iloc[len(batch) - n_hold:]
        candidate = make_candidate(model, train)
        ok = bool(accept(candidate, model, held))
        accepted.append(ok)
        if ok:
            model = candidate
        live.append(rmse(batch["rating"], model.predict(batch)))
    return live, accepted, model


def train_on_everything(model, batches, make_candidate, accept, holdout=0.2):
    live, accepted = [], []
    for batch in batches:
        live.append(rmse(batch["rating"], model.predict(batch)))
        candidate = make_candidate(model, batch)
        ok = bool(accept(candidate, model, batch))
        accepted.append(ok)
        model = candidate if ok else model
    return live, accepted, model


def hold_out_first(model, batches, make_candidate, accept, holdout=0.2):
    live, accepted = [], []
    for batch in batches:
        live.append(rmse(batch["rating"], model.predict(batch)))
        n_hold = int(round(holdout * len(batch)))
        held, train = batch.iloc[:n_hold], batch.iloc[n_hold:]
        candidate = make_candidate(model, train)
        ok = bool(accept(candidate, model, held))
        accepted.append(ok)
        model = candidate if ok else model
    return live, accepted, model


def always_promote(model, batches, make_candidate, accept, holdout=0.2):
    live, accepted = [], []
    for batch in batches:
        live.append(rmse(batch["rating"], model.predict(batch)))
        n_hold = int(round(holdout * len(batch)))
        candidate = make_candidate(model, batch.iloc[:len(batch) - n_hold])
        accepted.append(True)
        model = candidate
    return live, accepted, model


def from_initial(model, batches, make_candidate, accept, holdout=0.2):
    initial, live, accepted = model, [], []
    for batch in batches:
        live.append(rmse(batch["rating"], model.predict(batch)))
        n_hold = int(round(holdout * len(batch)))
        train, held = batch.iloc[:len(batch) - n_hold], batch.iloc[len(batch) - n_hold:]
        candidate = make_candidate(initial, train)
        ok = bool(accept(candidate, model, held))
        accepted.append(ok)
        model = candidate if ok else model
    return live, accepted, model


def test_10_3():
    assert check_10_3(gated_updates)


@pytest.mark.parametrize("wrong, match", [
    (score_after_update, "AFTER it learned"), (train_on_everything, "whole batch"),
    (hold_out_first, "LAST rows"), (always_promote, "promote a candidate only"),
    (from_initial, "CURRENT production model"),
])
def test_10_3_mutants(wrong, match):
    with pytest.raises(CheckFailed, match=match):
        check_10_3(wrong)


# ---------------------------------------------------------------- untouched stubs
@pytest.mark.parametrize("check", [check_10_1, check_10_2, check_10_3])
def test_stub_is_not_started(check, capsys, monkeypatch):
    def stub(*args, **kwargs):
        raise NotImplementedError("Exercise 10.x: ...")
    result = check(stub)                            # Run All goes through an untouched exercise
    assert not result and result.status == "not started"
    assert "not started yet" in capsys.readouterr().out
    monkeypatch.setattr(_core, "GRADING", True)     # the grader sees the error itself
    with pytest.raises(NotImplementedError):
        check(stub)


def test_wrong_type_is_explained():
    with pytest.raises(CheckFailed, match="pass the function itself"):
        check_10_2(0.5)
    with pytest.raises(CheckFailed, match="return the cleaned DataFrame"):
        check_10_1(lambda batch, rating_range=(1, 5): batch.to_numpy())
    with pytest.raises(CheckFailed, match="raised KeyError"):
        check_10_1(lambda batch, rating_range=(1, 5): batch["nope"])
    assert isinstance(pd.DataFrame(), pd.DataFrame)
