"""Chapter 08: drift detectors (one per module), the population stability index and how to score detections."""

from __future__ import annotations

from typing import TYPE_CHECKING

from course_lib.core.exports import lazy_exports

if TYPE_CHECKING:  # what a type checker and an IDE see; at run time names load lazily
    from .adwin import ADWIN
    from .ddm import DDM
    from .detectors_base import BaseDetector
    from .kswin import KSWIN
    from .page_hinkley import PageHinkley, statistic_trace
    from .population_stability import psi
    from .scoring import DetectionScore, run_detector, score_detections

_EXPORTS = {
    "ADWIN": ".adwin",
    "DDM": ".ddm",
    "BaseDetector": ".detectors_base",
    "KSWIN": ".kswin",
    "PageHinkley": ".page_hinkley",
    "statistic_trace": ".page_hinkley",
    "psi": ".population_stability",
    "DetectionScore": ".scoring",
    "run_detector": ".scoring",
    "score_detections": ".scoring",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
