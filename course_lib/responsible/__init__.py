"""Chapter 12: explaining, auditing by segment and private releases."""

from __future__ import annotations

from typing import TYPE_CHECKING

from course_lib.core.exports import lazy_exports

if TYPE_CHECKING:  # what a type checker and an IDE see; at run time names load lazily
    from .audit import (clip_contributions, laplace_mechanism, permutation_importance, segment_gap, segment_report)  # noqa: F401

_EXPORTS = {
    "clip_contributions": ".audit",
    "laplace_mechanism": ".audit",
    "permutation_importance": ".audit",
    "segment_gap": ".audit",
    "segment_report": ".audit",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
