"""How good a model is: error and classification metrics, and the prequential (test-then-train) loop with forgetting."""

from __future__ import annotations

from typing import TYPE_CHECKING

from course_lib.core.exports import lazy_exports

if TYPE_CHECKING:  # what a type checker and an IDE see; at run time names load lazily
    from .metrics import (accuracy, average_precision, calibration_bins, confusion_counts, f1, mae, precision, precision_recall_curve, recall, rmse, roc_auc, roc_curve, threshold_for_precision)  # noqa: F401
    from .prequential import (PrequentialResult, backward_transfer, final_rmse, forgetting, holdout_split, prequential)  # noqa: F401

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
    "PrequentialResult": ".prequential",
    "backward_transfer": ".prequential",
    "final_rmse": ".prequential",
    "forgetting": ".prequential",
    "holdout_split": ".prequential",
    "prequential": ".prequential",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
