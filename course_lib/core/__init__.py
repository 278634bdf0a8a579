"""The ground floor: the one argument checker, the four roles (Protocols), notebook setup."""

from __future__ import annotations

from typing import TYPE_CHECKING

from course_lib.core.exports import lazy_exports

if TYPE_CHECKING:  # what a type checker and an IDE see; at run time names load lazily
    from .exports import lazy_exports
    from .notebook_setup import (
        TESTED_PYTHONS,
        check_python,
        library_versions,
        quiet_tensorflow_environment,
        setup_notebook,
    )
    from .roles import BanditPolicy, DriftDetector, RatingEstimator, UpdateStrategy
    from .validation import (
        ArgumentTypeError,
        argument_error,
        as_generator,
        check_array,
        check_choice,
        check_frame,
        check_int,
        check_number,
        check_rating_range,
        check_role,
        describe,
    )

_EXPORTS = {
    "lazy_exports": ".exports",
    "TESTED_PYTHONS": ".notebook_setup",
    "check_python": ".notebook_setup",
    "library_versions": ".notebook_setup",
    "quiet_tensorflow_environment": ".notebook_setup",
    "setup_notebook": ".notebook_setup",
    "BanditPolicy": ".roles",
    "DriftDetector": ".roles",
    "RatingEstimator": ".roles",
    "UpdateStrategy": ".roles",
    "ArgumentTypeError": ".validation",
    "argument_error": ".validation",
    "as_generator": ".validation",
    "check_array": ".validation",
    "check_choice": ".validation",
    "check_frame": ".validation",
    "check_int": ".validation",
    "check_number": ".validation",
    "check_rating_range": ".validation",
    "check_role": ".validation",
    "describe": ".validation",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
