"""How good a model is: error and classification metrics, ranking metrics, and the prequential (test-then-train) loop with forgetting."""

from __future__ import annotations

from typing import TYPE_CHECKING

from course_lib.core.exports import lazy_exports

if TYPE_CHECKING:  # what a type checker and an IDE see; at run time names load lazily
    from .metrics import (
        accuracy,
        average_precision,
        calibration_bins,
        confusion_counts,
        f1,
        mae,
        precision,
        precision_recall_curve,
        recall,
        rmse,
        roc_auc,
        roc_curve,
        threshold_for_precision,
    )
    from .ranking import ndcg_at_k, precision_at_k, ranking_scores, recall_at_k
    from .streaming import (
        PrequentialResult,
        backward_transfer,
        final_rmse,
        forgetting,
        holdout_split,
        prequential,
    )

_EXPORTS = {
    "accuracy": ".metrics",
    "average_precision": ".metrics",
    "calibration_bins": ".metrics",
    "confusion_counts": ".metrics",
    "f1": ".metrics",
    "mae": ".metrics",
    "precision": ".metrics",
    "precision_recall_curve": ".metrics",
    "recall": ".metrics",
    "rmse": ".metrics",
    "roc_auc": ".metrics",
    "roc_curve": ".metrics",
    "threshold_for_precision": ".metrics",
    "ndcg_at_k": ".ranking",
    "precision_at_k": ".ranking",
    "ranking_scores": ".ranking",
    "recall_at_k": ".ranking",
    "PrequentialResult": ".streaming",
    "backward_transfer": ".streaming",
    "final_rmse": ".streaming",
    "forgetting": ".streaming",
    "holdout_split": ".streaming",
    "prequential": ".streaming",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
