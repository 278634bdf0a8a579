"""Tests of course_lib.evaluation.metrics against hand-computed cases and brute force."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from course_lib.evaluation import metrics as M


def test_rmse_mae_hand_cases():
    assert M.rmse([3.0, 4.0], [0.0, 0.0]) == pytest.approx(np.sqrt(12.5))
    assert M.mae([3.0, -4.0], [0.0, 0.0]) == 3.5
    assert M.rmse([1.0], [1.0]) == 0.0


def test_shape_mismatch_is_explained():
    with pytest.raises(ValueError, match=r"\(n, 1\) model output needs \.ravel\(\)"):
        M.rmse(np.zeros(3), np.zeros((3, 1)))
    with pytest.raises(ValueError, match="empty"):
        M.mae([], [])
    with pytest.raises(ValueError, match="NaN"):
        M.rmse([1.0], [np.nan])


def test_confusion_and_ratios_hand_case():
    y = [1, 1, 1, 0, 0, 0, 0, 0]
    p = [1, 1, 0, 1, 0, 0, 0, 0]
    assert M.confusion_counts(y, p) == {"tp": 2, "fp": 1, "fn": 1, "tn": 4}
    assert M.precision(y, p) == pytest.approx(2 / 3)
    assert M.recall(y, p) == pytest.approx(2 / 3)
    assert M.f1(y, p) == pytest.approx(2 / 3)
    assert M.accuracy(y, p) == 0.75


def test_zero_division_gives_zero():
    assert M.precision([1, 0], [0, 0]) == 0.0
    assert M.recall([0, 0], [1, 0]) == 0.0
    assert M.f1([0, 0], [0, 0]) == 0.0


def test_binary_validation():
    with pytest.raises(ValueError, match="only 0 and 1.*threshold first"):
        M.precision([1, 0], [0.7, 0.2])


def test_roc_auc_equals_pairwise_brute_force():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 60)
    s = np.round(rng.random(60), 1)  # many ties
    pairs = [(a, b) for a, b in itertools.product(np.nonzero(y == 1)[0], np.nonzero(y == 0)[0])]
    brute = np.mean([1.0 if s[a] > s[b] else 0.5 if s[a] == s[b] else 0.0 for a, b in pairs])
    assert M.roc_auc(y, s) == pytest.approx(brute)


def test_roc_auc_extremes_and_errors():
    assert M.roc_auc([0, 0, 1], [0.1, 0.2, 0.9]) == 1.0
    assert M.roc_auc([0, 0, 1], [0.9, 0.8, 0.1]) == 0.0
    with pytest.raises(ValueError, match="only class 0"):
        M.roc_auc([0, 0], [0.1, 0.2])


def test_roc_curve_area_matches_auc():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 200)
    s = y * 0.5 + rng.random(200)
    fpr, tpr, thr = M.roc_curve(y, s)
    assert fpr[0] == 0 and tpr[0] == 0 and fpr[-1] == 1 and tpr[-1] == 1
    assert np.trapezoid(tpr, fpr) == pytest.approx(M.roc_auc(y, s))


def test_pr_curve_points_match_thresholded_metrics():
    rng = np.random.default_rng(2)
    y = rng.integers(0, 2, 50)
    s = np.round(rng.random(50), 2)
    p, r, thr = M.precision_recall_curve(y, s)
    for k in (0, 5, len(thr) - 1):
        pred = (s >= thr[k]).astype(int)
        assert p[k] == pytest.approx(M.precision(y, pred))
        assert r[k] == pytest.approx(M.recall(y, pred))
    assert np.all(np.diff(thr) < 0)


def test_average_precision_perfect_and_threshold_for_precision():
    assert M.average_precision([0, 1, 1], [0.1, 0.8, 0.9]) == 1.0
    y, s = [0, 0, 1, 1, 1], [0.1, 0.6, 0.5, 0.7, 0.9]
    t = M.threshold_for_precision(y, s, 0.75)
    assert M.precision(y, (np.array(s) >= t).astype(int)) >= 0.75
    assert t == 0.5
    with pytest.raises(
        ValueError,
        match=r"threshold_for_precision\(target=1.0\): target must be "
        r"a precision that some threshold reaches, the best is "
        r"0.500; lower target",
    ):
        M.threshold_for_precision([1, 0], [0.1, 0.9], 1.0)
    with pytest.raises(ValueError, match="target=0"):
        M.threshold_for_precision(y, s, 0)


def test_calibration_bins_hand_case_and_perfect_calibration():
    out = M.calibration_bins([0, 1, 1, 0, 1], [0.05, 0.95, 0.55, 0.45, 1.0], n_bins=2)
    assert out["predicted"].tolist() == pytest.approx([0.25, (0.95 + 0.55 + 1.0) / 3])
    assert out["observed"].tolist() == pytest.approx([0.0, 1.0])
    assert out["count"].tolist() == [2, 3]
    rng = np.random.default_rng(3)
    p = rng.random(200_000)
    y = (rng.random(200_000) < p).astype(int)
    assert float(M.calibration_bins(y, p)["ece"]) < 0.01
    with pytest.raises(ValueError, match="probabilities in \\[0, 1\\]"):
        M.calibration_bins([0, 1], [-0.1, 0.5])
    with pytest.raises(ValueError, match="n_bins=0"):
        M.calibration_bins([0, 1], [0.1, 0.5], n_bins=0)


def test_metrics_module_does_not_import_tensorflow():
    import subprocess
    import sys

    code = "import course_lib.evaluation.metrics, sys; print('tensorflow' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_one_rmse_raises_on_nan_with_the_argument_named():
    with pytest.raises(
        ValueError,
        match=r"rmse\(y_true=array of shape \(2,\)\): y_true must be "
        r"numbers without NaN",
    ):
        M.rmse([1.0, np.nan], [1.0, 2.0])
    with pytest.raises(ValueError, match=r"mae\(y_pred=.*\): y_pred must be non-empty"):
        M.mae([1.0], [])
    with pytest.raises(
        ValueError,
        match=r"mae\(y_pred=array of shape \(3,\)\): y_pred must be "
        r"of the shape of y_true \(2,\)",
    ):
        M.mae(np.zeros(2), np.zeros(3))
