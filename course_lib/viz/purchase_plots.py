"""The figures of chapter 07 (``notebooks/07_purchase_prediction.ipynb``): how good is a purchase model?

* :func:`plot_roc` -- ROC curves (true- against false-positive rate), with each AUC;
* :func:`plot_precision_recall` -- precision-recall curves, with each average precision;
* :func:`plot_reliability` -- reliability diagram: predicted against observed purchase rate;
* :func:`plot_against_truth` -- predicted against the *true* probability (a simulator knows it).

Each takes ``curves`` (``{label: (y_true, scores)}``) or ``models`` (``{label:
probabilities}``), takes ``ax=None`` (the current axes) and returns the ``ax`` it drew on.

>>> import matplotlib
>>> matplotlib.use("Agg")
>>> y = np.array([0, 0, 1, 1])
>>> ax = plot_roc({"model": (y, np.array([0.1, 0.6, 0.4, 0.9]))})
>>> [t.get_text() for t in ax.get_legend().get_texts()]
['model (AUC 0.750)', 'random (AUC 0.5)']
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from numpy.typing import ArrayLike

from course_lib.evaluation.metrics import (
    average_precision,
    calibration_bins,
    precision_recall_curve,
    roc_auc,
    roc_curve,
)

__all__ = ["plot_roc", "plot_precision_recall", "plot_reliability", "plot_against_truth"]

Curves = Mapping[str, tuple[ArrayLike, ArrayLike]]


def plot_roc(curves: Curves, ax: Any = None, *, period: str = "test days") -> Any:
    """ROC curve of each ``label: (y_true, scores)``, the diagonal of a random guess; return ax."""
    ax = ax or plt.gca()
    for label, (y_true, scores) in curves.items():
        fpr, tpr, _ = roc_curve(y_true, scores)
        ax.plot(fpr, tpr, label=f"{label} (AUC {roc_auc(y_true, scores):.3f})")
    ax.plot([0, 1], [0, 1], "k:", label="random (AUC 0.5)")
    ax.set(
        xlabel="false-positive rate (share of non-buyers flagged)",
        ylabel="true-positive rate (recall)",
        title=f"ROC curve, {period}",
    )
    ax.legend(loc="lower right", fontsize=8)
    return ax


def plot_precision_recall(curves: Curves, ax: Any = None, *, period: str = "test days") -> Any:
    """Precision-recall curve of each ``label: (y_true, scores)`` and the base rate; return ax."""
    ax = ax or plt.gca()
    for label, (y_true, scores) in curves.items():
        prec, rec, _ = precision_recall_curve(y_true, scores)
        ax.plot(rec, prec, label=f"{label} (AP {average_precision(y_true, scores):.3f})")
    base_rate = float(np.mean(np.asarray(next(iter(curves.values()))[0], dtype=float)))
    ax.axhline(base_rate, color="k", ls=":", label=f"random (base rate {base_rate:.2f})")
    ax.set(
        xlabel="recall (share of buyers flagged)",
        ylabel="precision (share of flagged who buy)",
        ylim=(0, 1),
        title=f"Precision-recall curve, {period}",
    )
    ax.legend(loc="upper right", fontsize=8)
    return ax


def plot_reliability(
    models: Mapping[str, ArrayLike], y_true: ArrayLike, ax: Any = None, *, n_bins: int = 10
) -> Any:
    """Reliability diagram: per probability bin, mean prediction against observed rate; return ax.

    The legend gives each model's expected calibration error (ECE, see
    :func:`~course_lib.evaluation.metrics.calibration_bins`).
    """
    ax = ax or plt.gca()
    for label, prob in models.items():
        bins = calibration_bins(y_true, prob, n_bins=n_bins)
        ax.plot(
            bins["predicted"],
            bins["observed"],
            "o-",
            label=f"{label} (ECE {float(bins['ece']):.3f})",
        )
    ax.plot([0, 1], [0, 1], "k:", label="perfectly calibrated")
    ax.set(
        xlabel="mean predicted purchase probability in the bin",
        ylabel="observed purchase rate in the bin",
        title="Reliability diagram, test days",
    )
    ax.legend(fontsize=8)
    return ax


def plot_against_truth(
    models: Mapping[str, ArrayLike], p_true: ArrayLike, ax: Any = None, *, n_groups: int = 20
) -> Any:
    """Mean prediction against mean true probability, in ``n_groups`` equal-size groups; return ax.

    The views are sorted by their true purchase probability and cut into
    groups of equal size, so each point is as reliable as the others.
    """
    ax = ax or plt.gca()
    p_true = np.asarray(p_true, dtype=float)
    groups = np.array_split(np.argsort(p_true), n_groups)
    for label, prob in models.items():
        prob = np.asarray(prob, dtype=float)
        ax.plot(
            [p_true[g].mean() for g in groups], [prob[g].mean() for g in groups], "o-", label=label
        )
    ax.plot([0, 1], [0, 1], "k:", label="prediction = truth")
    ax.set(
        xlabel="true purchase probability (group mean)",
        ylabel="predicted probability (group mean)",
        title="Model vs the truth",
    )
    ax.legend(fontsize=8)
    return ax
