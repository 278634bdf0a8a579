"""Self-checks for the exercises: one function per exercise, ``check_N_M``.

Call a check with the function you wrote; it prints a pass line or tells you
which input gave what and what was expected::

    from course_lib.checks import check_1_1
    check_1_1(mse)

The checks of each chapter live in ``course_lib/checks/chNN.py``; this package
collects every ``check_*`` function they export, so ``course_lib.checks`` is
the one place to import from.  An exercise not started yet (its function
still raises ``NotImplementedError``) makes the check print one line,
"Exercise N.M not started yet", and return a falsy result, so Run All goes on.

>>> from course_lib import checks
>>> all(name.startswith("check_") for name in checks.available_checks())
True
"""

from __future__ import annotations

import importlib
import pkgutil

from course_lib.checks._core import (
    Case,
    CheckFailed,
    CheckResult,
    after_exercise,
    compare,
    friendly_check,
    run_cases,
)

__all__ = [
    "Case",
    "CheckFailed",
    "CheckResult",
    "after_exercise",
    "compare",
    "run_cases",
    "available_checks",
]


def _collect() -> list[str]:
    names = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if not info.name.startswith("ch"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        for name in getattr(module, "__all__", []):
            if name.startswith("check_"):
                check = getattr(module, name)
                if not hasattr(check, "__wrapped_check__"):  # an untouched exercise: one line
                    check = friendly_check(name[len("check_") :].replace("_", "."), check)
                    setattr(module, name, check)
                globals()[name] = check
                names.append(name)
    return names


_CHECKS = _collect()
__all__ += _CHECKS


def available_checks() -> list[str]:
    """Names of every exercise check, in chapter order."""
    return list(_CHECKS)
