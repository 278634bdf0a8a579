"""Evaluation metrics in numpy: regression errors and binary-classification scores.

Explained in chapters 01 (MAE as a loss, beside the MSE), 06 (RMSE, MAE; the later
lessons call these, never a hand-written formula) and 07 (precision, recall, F1, ROC-AUC, precision-recall
curve, calibration).  Argument order is always
``(y_true, y_pred)`` or ``(y_true, scores)``.

This is the one place where RMSE and MAE are defined: every other module
imports them from here.  They raise ``ValueError`` on empty input or NaN
(a silent ``nan`` hides a bug); a caller that wants ``nan`` for an empty
window (the prequential loop, a per-segment report) checks that itself.

Conventions for the classification metrics (the same as scikit-learn's
defaults): a ratio whose denominator is 0 is reported as 0.0 (e.g. precision
when the model predicts no positive at all), and ROC-AUC is the probability
that a random positive scores higher than a random negative, ties counting
one half.

>>> y = np.array([1, 0, 1, 1, 0, 0])
>>> y_hat = np.array([1, 0, 0, 1, 1, 0])
>>> round(precision(y, y_hat), 4), round(recall(y, y_hat), 4), round(f1(y, y_hat), 4)
(0.6667, 0.6667, 0.6667)
>>> roc_auc(y, np.array([0.9, 0.1, 0.4, 0.8, 0.4, 0.2]))
0.9444444444444444
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from course_lib.core.validation import argument_error, check_array, check_int, check_number

__all__ = [
    "rmse",
    "mae",
    "confusion_counts",
    "accuracy",
    "precision",
    "recall",
    "f1",
    "roc_auc",
    "roc_curve",
    "precision_recall_curve",
    "average_precision",
    "calibration_bins",
    "threshold_for_precision",
]


def _pair(
    y_true: ArrayLike, y_pred: ArrayLike, func: str, pred_name: str = "y_pred"
) -> tuple[np.ndarray, np.ndarray]:
    """Both arrays as flat floats, checked: same shape, non-empty, no NaN."""
    t = check_array(y_true, "y_true", func)
    p = check_array(y_pred, pred_name, func)
    if t.shape != p.shape:
        raise argument_error(
            func,
            pred_name,
            p,
            f"of the shape of y_true {t.shape}",
            "a (n, 1) model output needs .ravel() (or .reshape(-1)) before it "
            "is compared with (n,) labels",
        )
    return t.ravel(), p.ravel()


def _binary(y: np.ndarray, name: str, func: str) -> np.ndarray:
    if not np.all((y == 0) | (y == 1)):
        bad = np.unique(y[(y != 0) & (y != 1)])[:3]
        raise argument_error(
            func,
            name,
            y,
            f"labels that are only 0 and 1, found {bad.tolist()}",
            "for probabilities, threshold first: (p >= 0.5).astype(int)",
        )
    return y.astype(int)


def rmse(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Root mean squared error, in the units of ``y``.

    Raises ``ValueError`` if the shapes differ, an array is empty or holds NaN.

    >>> rmse(np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 5.0]))
    1.1547005383792515
    >>> rmse([1.0, float("nan")], [1.0, 2.0])
    Traceback (most recent call last):
    ...
    ValueError: rmse(y_true=array of shape (2,)): y_true must be numbers without NaN, found 1 NaN of 2; drop or impute missing values first.
    """
    t, p = _pair(y_true, y_pred, "rmse")
    return float(np.sqrt(np.mean((t - p) ** 2)))


def mae(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Mean absolute error, in the units of ``y``.

    >>> mae(np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 5.0]))
    0.6666666666666666
    """
    t, p = _pair(y_true, y_pred, "mae")
    return float(np.mean(np.abs(t - p)))


def confusion_counts(y_true: ArrayLike, y_pred: ArrayLike) -> dict[str, int]:
    """``{"tp", "fp", "fn", "tn"}`` for 0/1 labels and 0/1 predictions.

    >>> confusion_counts([1, 0, 1, 0], [1, 1, 0, 0])
    {'tp': 1, 'fp': 1, 'fn': 1, 'tn': 1}
    """
    t, p = _pair(y_true, y_pred, "confusion_counts")
    t, p = _binary(t, "y_true", "confusion_counts"), _binary(p, "y_pred", "confusion_counts")
    return {
        "tp": int(np.sum((t == 1) & (p == 1))),
        "fp": int(np.sum((t == 0) & (p == 1))),
        "fn": int(np.sum((t == 1) & (p == 0))),
        "tn": int(np.sum((t == 0) & (p == 0))),
    }


def _ratio(num: int, den: int) -> float:
    return float(num / den) if den else 0.0


def accuracy(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Fraction of correct 0/1 predictions (misleading when one class is rare).

    >>> accuracy([0, 0, 0, 1], [0, 0, 0, 0])
    0.75
    """
    c = confusion_counts(y_true, y_pred)
    return _ratio(c["tp"] + c["tn"], sum(c.values()))


def precision(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """TP / (TP + FP): of the views we flag as purchases, the fraction that are.

    >>> precision([1, 0, 1], [1, 1, 0]), precision([1, 0], [0, 0])
    (0.5, 0.0)
    """
    c = confusion_counts(y_true, y_pred)
    return _ratio(c["tp"], c["tp"] + c["fp"])


def recall(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """TP / (TP + FN): of the real purchases, the fraction we flag.

    >>> recall([1, 0, 1], [1, 1, 0])
    0.5
    """
    c = confusion_counts(y_true, y_pred)
    return _ratio(c["tp"], c["tp"] + c["fn"])


def f1(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Harmonic mean of precision and recall, ``2 TP / (2 TP + FP + FN)``.

    >>> f1([1, 0, 1, 1], [1, 1, 0, 1])
    0.6666666666666666
    """
    c = confusion_counts(y_true, y_pred)
    return _ratio(2 * c["tp"], 2 * c["tp"] + c["fp"] + c["fn"])


def _check_scores(y_true: ArrayLike, scores: ArrayLike, func: str) -> tuple[np.ndarray, np.ndarray]:
    t, s = _pair(y_true, scores, func, "scores")
    t = _binary(t, "y_true", func)
    if t.min() == t.max():
        raise argument_error(
            func,
            "y_true",
            t,
            f"labels of both classes, it contains only class {t[0]}",
            "use a larger or time-wider sample",
        )
    return t, s


def roc_auc(y_true: ArrayLike, scores: ArrayLike) -> float:
    """Area under the ROC curve from the rank statistic (Mann-Whitney U), ties = 1/2.

    >>> roc_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    0.75
    >>> roc_auc([0, 1], [0.5, 0.5])
    0.5
    """
    t, s = _check_scores(y_true, scores, "roc_auc")
    order = np.argsort(s, kind="mergesort")
    ranks = np.empty(len(s))
    sorted_s = s[order]
    # average ranks over ties (1-based)
    _, first, counts = np.unique(sorted_s, return_index=True, return_counts=True)
    avg = first + (counts + 1) / 2.0
    ranks[order] = np.repeat(avg, counts)
    n_pos = int(t.sum())
    n_neg = len(t) - n_pos
    u = ranks[t == 1].sum() - n_pos * (n_pos + 1) / 2.0
    return float(u / (n_pos * n_neg))


def _curve_points(t: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cumulative TP/FP when the threshold sweeps the distinct scores from high to low."""
    order = np.argsort(-s, kind="mergesort")
    s_sorted, t_sorted = s[order], t[order]
    last_of_tie = np.r_[np.nonzero(np.diff(s_sorted))[0], len(s_sorted) - 1]
    tps = np.cumsum(t_sorted)[last_of_tie]
    fps = (last_of_tie + 1) - tps
    return tps, fps, s_sorted[last_of_tie]


def roc_curve(y_true: ArrayLike, scores: ArrayLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(fpr, tpr, thresholds)``; predicting ``scores >= thresholds[k]`` gives point k.

    The first point is (0, 0) with threshold ``inf``.

    >>> fpr, tpr, thr = roc_curve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    >>> fpr.tolist(), tpr.tolist()
    ([0.0, 0.0, 0.5, 0.5, 1.0], [0.0, 0.5, 0.5, 1.0, 1.0])
    """
    t, s = _check_scores(y_true, scores, "roc_curve")
    tps, fps, thr = _curve_points(t, s)
    tpr = np.r_[0.0, tps / tps[-1]]
    fpr = np.r_[0.0, fps / fps[-1]]
    return fpr, tpr, np.r_[np.inf, thr]


def precision_recall_curve(
    y_true: ArrayLike, scores: ArrayLike
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(precision, recall, thresholds)`` for ``scores >= thresholds[k]``, from the
    highest threshold (few, confident positives) to the lowest (everything positive).

    >>> p, r, thr = precision_recall_curve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    >>> np.round(p, 3).tolist(), r.tolist(), thr.tolist()
    ([1.0, 0.5, 0.667, 0.5], [0.5, 0.5, 1.0, 1.0], [0.8, 0.4, 0.35, 0.1])
    """
    t, s = _check_scores(y_true, scores, "precision_recall_curve")
    tps, fps, thr = _curve_points(t, s)
    return tps / (tps + fps), tps / tps[-1], thr


def average_precision(y_true: ArrayLike, scores: ArrayLike) -> float:
    """Area under the precision-recall curve as a step sum: ``sum (R_k - R_{k-1}) P_k``.

    >>> round(average_precision([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]), 4)
    0.8333
    """
    p, r, _ = precision_recall_curve(y_true, scores)
    return float(np.sum(np.diff(np.r_[0.0, r]) * p))


def threshold_for_precision(y_true: ArrayLike, scores: ArrayLike, target: float) -> float:
    """The lowest threshold whose precision reaches ``target`` (most recall at that precision).

    Raises ``ValueError`` if no threshold reaches it.

    >>> threshold_for_precision([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8], 0.6)
    0.35
    """
    target = check_number(
        target,
        "target",
        "threshold_for_precision",
        low=0,
        low_inclusive=False,
        high=1,
        fix="use a precision such as 0.8",
    )
    p, _, thr = precision_recall_curve(y_true, scores)
    ok = np.nonzero(p >= target)[0]
    if len(ok) == 0:
        raise argument_error(
            "threshold_for_precision",
            "target",
            target,
            f"a precision that some threshold reaches, the best is {p.max():.3f}",
            "lower target",
        )
    return float(thr[ok[-1]])


def calibration_bins(y_true: ArrayLike, prob: ArrayLike, n_bins: int = 10) -> dict[str, np.ndarray]:
    """Reliability table: per equal-width bin of predicted probability, the mean
    prediction, the observed frequency of 1s and the count (empty bins dropped).

    Also returns ``ece``, the expected calibration error
    ``sum_b (n_b / n) |observed_b - predicted_b|``.

    >>> out = calibration_bins([0, 0, 1, 1], [0.1, 0.2, 0.7, 0.9], n_bins=2)
    >>> out["predicted"].tolist(), out["observed"].tolist(), out["count"].tolist()
    ([0.15, 0.8], [0.0, 1.0], [2, 2])
    >>> round(float(out["ece"]), 3)
    0.175
    """
    t, p = _pair(y_true, prob, "calibration_bins", "prob")
    t = _binary(t, "y_true", "calibration_bins")
    if np.any((p < 0) | (p > 1)):
        raise argument_error(
            "calibration_bins",
            "prob",
            p,
            "probabilities in [0, 1]",
            "apply the sigmoid to logits first",
        )
    n_bins = check_int(n_bins, "n_bins", "calibration_bins", minimum=1, fix="e.g. n_bins=10")
    idx = np.minimum((p * n_bins).astype(int), n_bins - 1)
    count = np.bincount(idx, minlength=n_bins)
    keep = count > 0
    pred = np.bincount(idx, p, minlength=n_bins)[keep] / count[keep]
    obs = np.bincount(idx, t, minlength=n_bins)[keep] / count[keep]
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    ece = float(np.sum(count[keep] / len(t) * np.abs(obs - pred)))
    return {
        "predicted": pred,
        "observed": obs,
        "count": count[keep],
        "lower": edges[:-1][keep],
        "upper": edges[1:][keep],
        "ece": np.float64(ece),
    }
