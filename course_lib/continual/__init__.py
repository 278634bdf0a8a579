"""Keeping a model up to date: drift detectors, update strategies (fine-tune, replay, EWC), the gated pipeline and the model registry."""

from __future__ import annotations

from typing import TYPE_CHECKING

from course_lib.core.exports import lazy_exports

if TYPE_CHECKING:  # what a type checker and an IDE see; at run time names load lazily
    from .buffers import (ReservoirBuffer)  # noqa: F401
    from .cleaning import (DROP_REASONS, PreprocessReport, corrupt_batch, preprocess)  # noqa: F401
    from .ewc import (ewc_gradient, ewc_penalty, ewc_regularizer, fisher_diagonal)  # noqa: F401
    from .gate import (GateDecision, ValidationGate, label_shift, split_recent)  # noqa: F401
    from .lineage import (Lineage)  # noqa: F401
    from .monitoring import (SegmentMonitor, feed_daily_errors)  # noqa: F401
    from .pipeline import (UpdatePipeline)  # noqa: F401
    from .registry import (ModelRegistry, RegistryError)  # noqa: F401
    from .rollback import (RollbackDecision, RollbackRule)  # noqa: F401
    from .strategies import (EWC, FineTune, FullRetrain, Replay, SlidingWindow, Static, Strategy, UpdateCost, WarmStartALS, canonical_order)  # noqa: F401
    from .drift import (ADWIN, BaseDetector, DDM, DetectionScore, KSWIN, PageHinkley, psi, run_detector, score_detections, statistic_trace)  # noqa: F401

_EXPORTS = {
    "ReservoirBuffer": ".buffers",
    "DROP_REASONS": ".cleaning",
    "PreprocessReport": ".cleaning",
    "corrupt_batch": ".cleaning",
    "preprocess": ".cleaning",
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
    "ADWIN": ".drift",
    "BaseDetector": ".drift",
    "DDM": ".drift",
    "DetectionScore": ".drift",
    "KSWIN": ".drift",
    "PageHinkley": ".drift",
    "psi": ".drift",
    "run_detector": ".drift",
    "score_detections": ".drift",
    "statistic_trace": ".drift",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
