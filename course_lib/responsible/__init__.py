"""Chapter 12: explaining, auditing by segment and private releases."""

from __future__ import annotations

from typing import TYPE_CHECKING

from course_lib.core.exports import lazy_exports

if TYPE_CHECKING:  # what a type checker and an IDE see; at run time names load lazily
    from .explain import permutation_importance  # noqa: F401
    from .privacy import clip_contributions, laplace_mechanism  # noqa: F401
    from .segments import segment_gap, segment_report  # noqa: F401

_EXPORTS = {
    "permutation_importance": ".explain",
    "clip_contributions": ".privacy",
    "laplace_mechanism": ".privacy",
    "segment_gap": ".segments",
    "segment_report": ".segments",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
