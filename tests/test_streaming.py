"""Tests of course_lib.evaluation.streaming: the predict-then-learn loop and forgetting metrics."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from course_lib.continual.strategies import UpdateCost
from course_lib.evaluation import (
    backward_transfer,
    final_rmse,
    forgetting,
    holdout_split,
    prequential,
    rmse,
)


class Recorder:
    """A strategy that predicts the mean of what it learned and logs the call order."""

    name = "recorder"

    def __init__(self):
        self.seen, self.calls, self.costs_ = [], [], []

    def predict(self, df):
        self.calls.append(("predict", len(df)))
        return np.full(len(df), np.mean(self.seen) if self.seen else 3.0)

    def update(self, df):
        self.calls.append(("update", len(df)))
        self.seen.extend(df["rating"].tolist())
        self.costs_.append(UpdateCost(0.5, len(df)))
        return self


def stream():
    return [
        pd.DataFrame({"rating": r, "day": d}, index=np.arange(len(r)) + 10 * d)
        for d, r in enumerate([[5.0, 5.0], [1.0, 1.0, 1.0], [5.0]])
    ]


def test_predicts_each_batch_before_learning_from_it():
    s = Recorder()
    result = prequential(s, stream())
    assert [c[0] for c in s.calls] == ["predict", "update"] * 3
    # batch 0 predicted with 3 (nothing learned), batch 1 with 5, batch 2 with mean(5,5,1,1,1)=2.6
    np.testing.assert_allclose(result.y_pred, [3, 3, 5, 5, 5, 2.6])
    assert result.rmse == pytest.approx(rmse(result.y_true, result.y_pred))
    assert result.per_batch["n_examples"].tolist() == [2, 3, 1]
    assert result.total_seconds == pytest.approx(1.5)


def test_static_run_never_updates_and_clips():
    class Wild(Recorder):
        def predict(self, df):
            return np.full(len(df), 9.0)

    s = Wild()
    result = prequential(s, stream(), update=False)
    assert all(c[0] == "predict" for c in s.calls)
    assert result.y_pred.max() == 5.0


def test_truth_is_looked_up_by_index():
    truth = pd.Series({0: 4.0, 1: 4.0, 10: 2.0, 11: 2.0, 12: 2.0, 20: 4.0})
    result = prequential(Recorder(), stream(), truth=truth)
    assert result.rmse_vs_truth == pytest.approx(rmse(truth.to_numpy(), result.y_pred))


def test_forgetting_matrix_is_lower_triangular():
    batches = stream()
    train, held = holdout_split(batches, frac=0.5, seed=0)
    result = prequential(Recorder(), train, holdout=held)
    R = result.R
    assert R.shape == (3, 3)
    assert np.isnan(R[0, 1]) and not np.isnan(R[2, 0])
    assert set(result.summary()) >= {"strategy", "rmse", "mae", "forgetting", "final_rmse_old"}


def test_forgetting_and_backward_transfer_by_hand():
    R = np.array([[1.0, np.nan, np.nan], [1.5, 0.8, np.nan], [2.0, 0.6, 0.9]])
    assert forgetting(R) == pytest.approx(((2.0 - 1.0) + (0.6 - 0.8)) / 2)
    assert backward_transfer(R) == pytest.approx(-forgetting(R))
    assert final_rmse(R) == pytest.approx((2.0 + 0.6 + 0.9) / 3)
    assert forgetting(np.array([[1.0]])) == 0.0


def test_errors_name_the_argument():
    with pytest.raises(ValueError, match=r"holdout_split\(frac=1.5\)"):
        holdout_split(stream(), frac=1.5)
    with pytest.raises(ValueError, match="one slice per batch"):
        prequential(Recorder(), stream(), holdout=[])
    with pytest.raises(ValueError, match="square matrix"):
        forgetting(np.zeros((2, 3)))


def test_progress_is_called_before_each_batch():
    s, log = Recorder(), []
    prequential(s, stream(), progress=lambda i, n: log.append((i, n, len(s.calls))))
    # called with (batch, number of batches) before that batch's predict
    assert log == [(0, 3, 0), (1, 3, 2), (2, 3, 4)]


def test_one_rmse_an_empty_batch_gives_nan_in_the_loop():
    import course_lib.evaluation.metrics as M
    import course_lib.evaluation.streaming as S

    assert S.rmse is M.rmse and S.mae is M.mae  # imported, not defined again
    assert "rmse" not in S.__all__ and "mae" not in S.__all__
    batches = stream()
    batches.insert(1, batches[0].iloc[:0])  # a day without ratings
    result = prequential(Recorder(), batches)
    assert np.isnan(result.per_batch.loc[1, "rmse"]) and np.isnan(result.per_batch.loc[1, "mae"])
    assert result.rmse == pytest.approx(rmse(result.y_true, result.y_pred))
