"""Keeping a model up to date: drift detectors, update strategies (fine-tune, replay, EWC), the gated pipeline and the model registry."""

from __future__ import annotations

from typing import TYPE_CHECKING

from course_lib.core.exports import lazy_exports

if TYPE_CHECKING:  # what a type checker and an IDE see; at run time names load lazily
    from .drift import (ADWIN, DDM, DetectionScore, DriftDetector, KSWIN, PageHinkley, psi, run_detector, score_detections, statistic_trace)  # noqa: F401
    from .pipeline import (DROP_REASONS, GateDecision, PreprocessReport, RollbackDecision, RollbackRule, UpdatePipeline, ValidationGate, corrupt_batch, label_shift, preprocess, split_recent)  # noqa: F401
    from .registry import (ModelRegistry, RegistryError)  # noqa: F401
    from .strategies import (EWC, FineTune, FullRetrain, Replay, ReservoirBuffer, SlidingWindow, Static, Strategy, UpdateCost, WarmStartALS, canonical_order, ewc_gradient, ewc_penalty, fisher_diagonal)  # noqa: F401

_EXPORTS = {
    "ADWIN": ".drift",
    "DDM": ".drift",
    "DetectionScore": ".drift",
    "DriftDetector": ".drift",
    "KSWIN": ".drift",
    "PageHinkley": ".drift",
    "psi": ".drift",
    "run_detector": ".drift",
    "score_detections": ".drift",
    "statistic_trace": ".drift",
    "DROP_REASONS": ".pipeline",
    "GateDecision": ".pipeline",
    "PreprocessReport": ".pipeline",
    "RollbackDecision": ".pipeline",
    "RollbackRule": ".pipeline",
    "UpdatePipeline": ".pipeline",
    "ValidationGate": ".pipeline",
    "corrupt_batch": ".pipeline",
    "label_shift": ".pipeline",
    "preprocess": ".pipeline",
    "split_recent": ".pipeline",
    "ModelRegistry": ".registry",
    "RegistryError": ".registry",
    "EWC": ".strategies",
    "FineTune": ".strategies",
    "FullRetrain": ".strategies",
    "Replay": ".strategies",
    "ReservoirBuffer": ".strategies",
    "SlidingWindow": ".strategies",
    "Static": ".strategies",
    "Strategy": ".strategies",
    "UpdateCost": ".strategies",
    "WarmStartALS": ".strategies",
    "canonical_order": ".strategies",
    "ewc_gradient": ".strategies",
    "ewc_penalty": ".strategies",
    "fisher_diagonal": ".strategies",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
