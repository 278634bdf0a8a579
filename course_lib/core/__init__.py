"""The ground floor: argument checking, the roles (Protocols) every layer implements, notebook setup."""

from __future__ import annotations

from typing import TYPE_CHECKING

from course_lib.core.exports import lazy_exports

if TYPE_CHECKING:  # what a type checker and an IDE see; at run time names load lazily
    from .exports import (lazy_exports)  # noqa: F401
    from .roles import (BanditPolicy, DriftDetector, RatingEstimator, UpdateStrategy)  # noqa: F401
    from .setup import (TESTED_PYTHONS, check_python, library_versions, quiet_tensorflow_environment, setup_notebook)  # noqa: F401
    from .validation import (ArgumentTypeError, argument_error, as_generator, check_array, check_choice, check_frame, check_int, check_number, check_rating_range, describe)  # noqa: F401

_EXPORTS = {
    "lazy_exports": ".exports",
    "BanditPolicy": ".roles",
    "DriftDetector": ".roles",
    "RatingEstimator": ".roles",
    "UpdateStrategy": ".roles",
    "TESTED_PYTHONS": ".setup",
    "check_python": ".setup",
    "library_versions": ".setup",
    "quiet_tensorflow_environment": ".setup",
    "setup_notebook": ".setup",
    "ArgumentTypeError": ".validation",
    "argument_error": ".validation",
    "as_generator": ".validation",
    "check_array": ".validation",
    "check_choice": ".validation",
    "check_frame": ".validation",
    "check_int": ".validation",
    "check_number": ".validation",
    "check_rating_range": ".validation",
    "describe": ".validation",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
