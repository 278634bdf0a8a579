"""Each chapter-10 check passes the solution and fails plausible mistakes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from course_lib.checks import CheckFailed, _core
from course_lib.checks.ch10 import check_10_1, check_10_2, check_10_3
from course_lib.evaluation import rmse


# ---------------------------------------------------------------- 10.1 clean a batch
def clean_batch(batch, rating_range=(1.0, 5.0)):
    low, high = rating_range
    ok = batch["rating"].notna() & (batch["rating"] >= low) & (batch["rating"] <= high)
    return batch[ok].drop_duplicates(keep="first").sort_values("timestamp", kind="stable")


def fill_minus_one(batch, rating_range=(1.0, 5.0)):  # fillna(-1) on labels
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


@pytest.mark.parametrize(
    "wrong, match",
    [
        (fill_minus_one, "filled with -1"),
        (no_dedupe, "exact copies remain"),
        (dedupe_on_ids, "not a duplicate"),
        (drop_all_copies, "keep='first'"),
        (unsorted, "sort by timestamp"),
        (reset_index, "original index"),
        (no_range_check, "outside"),
        (strict_range, "both ends of rating_range are valid"),
    ],
)
def test_10_1_mutants(wrong, match):
    with pytest.raises(CheckFailed, match=match):
        check_10_1(wrong)


# ---------------------------------------------------------------- 10.2 a gate per segment
def segment_gate(y_true, candidate_pred, production_pred, segments, tolerance, min_rows):
    if not np.all(np.isfinite(candidate_pred)):
        return False
    for seg in np.unique(segments):
        mask = segments == seg
        if mask.sum() < min_rows:
            continue
        cand = rmse(y_true[mask], candidate_pred[mask])
        if not cand <= rmse(y_true[mask], production_pred[mask]) + tolerance:
            return False
    return True


def _manual_rmse(y, p):
    return float(np.sqrt(np.mean((y - p) ** 2)))


def _per_segment(y, c, p, segments, min_rows, skip=lambda n, m: n < m):
    for seg in np.unique(segments):
        mask = segments == seg
        if not skip(mask.sum(), min_rows):
            yield _manual_rmse(y[mask], c[mask]), _manual_rmse(y[mask], p[mask]), mask


def overall_only(y, c, p, segments, tol, min_rows):
    return bool(np.all(np.isfinite(c)) and _manual_rmse(y, c) <= _manual_rmse(y, p) + tol)


def no_min_rows(y, c, p, segments, tol, min_rows):
    return bool(
        np.all(np.isfinite(c))
        and all(a <= b + tol for a, b, _ in _per_segment(y, c, p, segments, 0))
    )


def strict_min_rows(y, c, p, segments, tol, min_rows):
    return bool(
        np.all(np.isfinite(c))
        and all(
            a <= b + tol
            for a, b, _ in _per_segment(y, c, p, segments, min_rows, skip=lambda n, m: n <= m)
        )
    )


def strict(y, c, p, segments, tol, min_rows):
    return bool(
        np.all(np.isfinite(c))
        and all(a < b + tol for a, b, _ in _per_segment(y, c, p, segments, min_rows))
    )


def no_tolerance(y, c, p, segments, tol, min_rows):
    return bool(
        np.all(np.isfinite(c))
        and all(a <= b for a, b, _ in _per_segment(y, c, p, segments, min_rows))
    )


def reversed_direction(y, c, p, segments, tol, min_rows):
    return bool(
        np.all(np.isfinite(c))
        and all(a >= b - tol for a, b, _ in _per_segment(y, c, p, segments, min_rows))
    )


def nan_passes(y, c, p, segments, tol, min_rows):  # `not (a > b)` lets NaN through
    return not any(a > b + tol for a, b, _ in _per_segment(y, c, p, segments, min_rows))


def finite_in_judged_segments_only(y, c, p, segments, tol, min_rows):
    return all(
        np.all(np.isfinite(c[mask])) and a <= b + tol
        for a, b, mask in _per_segment(y, c, p, segments, min_rows)
    )


def isnan_only(y, c, p, segments, tol, min_rows):
    return bool(
        not np.isnan(c).any()
        and all(a <= b + tol for a, b, _ in _per_segment(y, c, p, segments, min_rows))
    )


def library_rmse_without_finite_check(y, c, p, segments, tol, min_rows):
    return all(
        rmse(y[m], c[m]) <= rmse(y[m], p[m]) + tol
        for m in (segments == s for s in np.unique(segments))
        if m.sum() >= min_rows
    )


def test_10_2(capsys):
    assert check_10_2(segment_gate)
    assert "Exercise 10.2 passed" in capsys.readouterr().out


@pytest.mark.parametrize(
    "wrong, match",
    [
        (overall_only, "compare the RMSEs per segment"),
        (no_min_rows, "skip segments with fewer than min_rows"),
        (strict_min_rows, "exactly min_rows=6 rows, so it is judged"),
        (strict, "the comparison is <=, not <"),
        (no_tolerance, "exactly at the tolerance"),
        (reversed_direction, "lower RMSE is better"),
        (nan_passes, "NaN compares False"),
        (finite_in_judged_segments_only, "small .skipped. segment"),
        (isnan_only, "use np.isfinite, not only np.isnan"),
        (library_rmse_without_finite_check, "rmse refuses NaN .it raises.; a model that predicts"),
        (lambda *a: 1, "True .accept. or False"),
    ],
)
def test_10_2_mutants(wrong, match):
    with pytest.raises(CheckFailed, match=match):
        check_10_2(wrong)


# ---------------------------------------------------------------- 10.3 the gated loop
def gated_updates(model, batches, make_candidate, accept, holdout=0.2):
    live, accepted = [], []
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


def score_after_update(model, batches, make_candidate, accept, holdout=0.2):
    live, accepted = [], []
    for batch in batches:
        n_hold = int(round(holdout * len(batch)))
        train, held = batch.iloc[: len(batch) - n_hold], batch.iloc[len(batch) - n_hold :]
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
        candidate = make_candidate(model, batch.iloc[: len(batch) - n_hold])
        accepted.append(True)
        model = candidate
    return live, accepted, model


def from_initial(model, batches, make_candidate, accept, holdout=0.2):
    initial, live, accepted = model, [], []
    for batch in batches:
        live.append(rmse(batch["rating"], model.predict(batch)))
        n_hold = int(round(holdout * len(batch)))
        train, held = batch.iloc[: len(batch) - n_hold], batch.iloc[len(batch) - n_hold :]
        candidate = make_candidate(initial, train)
        ok = bool(accept(candidate, model, held))
        accepted.append(ok)
        model = candidate if ok else model
    return live, accepted, model


def test_10_3():
    assert check_10_3(gated_updates)


@pytest.mark.parametrize(
    "wrong, match",
    [
        (score_after_update, "AFTER it learned"),
        (train_on_everything, "whole batch"),
        (hold_out_first, "LAST rows"),
        (always_promote, "promote a candidate only"),
        (from_initial, "CURRENT production model"),
    ],
)
def test_10_3_mutants(wrong, match):
    with pytest.raises(CheckFailed, match=match):
        check_10_3(wrong)


# ---------------------------------------------------------------- untouched stubs
@pytest.mark.parametrize("check", [check_10_1, check_10_2, check_10_3])
def test_stub_is_not_started(check, capsys, monkeypatch):
    def stub(*args, **kwargs):
        raise NotImplementedError("Exercise 10.x: ...")

    result = check(stub)  # Run All goes through an untouched exercise
    assert not result and result.status == "not started"
    assert "not started yet" in capsys.readouterr().out
    monkeypatch.setattr(_core, "GRADING", True)  # the grader sees the error itself
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
