"""Chapter 12: explaining a model, auditing it by segment, private releases."""

from __future__ import annotations

from typing import TYPE_CHECKING

from course_lib.core.exports import lazy_exports

if TYPE_CHECKING:  # what a type checker and an IDE see; at run time names load lazily
    from .explain import permutation_importance
    from .privacy import clip_contributions, laplace_mechanism
    from .segments import segment_gap, segment_report

_EXPORTS = {
    "permutation_importance": ".explain",
    "clip_contributions": ".privacy",
    "laplace_mechanism": ".privacy",
    "segment_gap": ".segments",
    "segment_report": ".segments",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
