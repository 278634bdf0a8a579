"""Keeping a model up to date: drift detectors, update strategies (fine-tune, replay, EWC), the gated pipeline and the model registry."""

from __future__ import annotations

from typing import TYPE_CHECKING

from course_lib.core.exports import lazy_exports

if TYPE_CHECKING:  # what a type checker and an IDE see; at run time names load lazily
    from .buffers import ReservoirBuffer
    from .cleaning import DROP_REASONS, PreprocessReport, corrupt_batch, preprocess
    from .drift import (
        ADWIN,
        DDM,
        KSWIN,
        BaseDetector,
        DetectionScore,
        PageHinkley,
        psi,
        run_detector,
        score_detections,
        statistic_trace,
    )
    from .ewc import ewc_gradient, ewc_penalty, ewc_regularizer, fisher_diagonal
    from .gate import GateDecision, ValidationGate, label_shift, split_recent
    from .lineage import Lineage
    from .monitoring import SegmentMonitor, feed_daily_errors
    from .pipeline import UpdatePipeline
    from .registry import ModelRegistry, RegistryError
    from .rollback import RollbackDecision, RollbackRule
    from .strategies import (
        EWC,
        FineTune,
        FullRetrain,
        Replay,
        SlidingWindow,
        Static,
        Strategy,
        UpdateCost,
        WarmStartALS,
        canonical_order,
    )

_EXPORTS = {
    "ReservoirBuffer": ".buffers",
    "DROP_REASONS": ".cleaning",
    "PreprocessReport": ".cleaning",
    "corrupt_batch": ".cleaning",
    "preprocess": ".cleaning",
    "ADWIN": ".drift",
    "DDM": ".drift",
    "KSWIN": ".drift",
    "BaseDetector": ".drift",
    "DetectionScore": ".drift",
    "PageHinkley": ".drift",
    "psi": ".drift",
    "run_detector": ".drift",
    "score_detections": ".drift",
    "statistic_trace": ".drift",
    "ewc_gradient": ".ewc",
    "ewc_penalty": ".ewc",
    "ewc_regularizer": ".ewc",
    "fisher_diagonal": ".ewc",
    "GateDecision": ".gate",
    "ValidationGate": ".gate",
    "label_shift": ".gate",
    "split_recent": ".gate",
    "Lineage": ".lineage",
    "SegmentMonitor": ".monitoring",
    "feed_daily_errors": ".monitoring",
    "UpdatePipeline": ".pipeline",
    "ModelRegistry": ".registry",
    "RegistryError": ".registry",
    "RollbackDecision": ".rollback",
    "RollbackRule": ".rollback",
    "EWC": ".strategies",
    "FineTune": ".strategies",
    "FullRetrain": ".strategies",
    "Replay": ".strategies",
    "SlidingWindow": ".strategies",
    "Static": ".strategies",
    "Strategy": ".strategies",
    "UpdateCost": ".strategies",
    "WarmStartALS": ".strategies",
    "canonical_order": ".strategies",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
