"""What a self-check gives back: a pass (:class:`CheckResult`) or a :class:`CheckFailed`.

Also the switch the grader flips: under it (:data:`GRADING`) an untouched
exercise raises instead of printing "not started yet".
"""

from __future__ import annotations

import os
from dataclasses import dataclass

__all__ = [
    "CheckFailed",
    "CheckResult",
    "ReferenceCodeCalled",
    "RECORD_ENV",
    "GRADING",
    "not_started",
]


class CheckFailed(AssertionError):
    """A self-check found a wrong answer.  The message explains it.

    IPython calls ``_render_traceback_`` to show an exception; we return just
    the explanation, so a student sees what to fix and no traceback.
    """

    def _render_traceback_(self) -> list[str]:  # noqa: D401 - IPython protocol
        red, reset = "\x1b[31m", "\x1b[0m"
        lines = str(self).splitlines() or ["(no message)"]
        return [f"{red}✗ {lines[0]}{reset}", *lines[1:]]


@dataclass
class CheckResult:
    """What a check returns: truthy when it passed, for use in hidden tests.

    A check prints its own one-line verdict, so in a notebook the result
    itself displays nothing (no ``CheckResult(...)`` echo under the pass line).
    """

    exercise: str
    n_cases: int
    passed: bool = True
    status: str = "passed"

    def __bool__(self) -> bool:
        return self.passed

    def _ipython_display_(self) -> None:  # IPython protocol: the check already printed
        return None


#: The grader starts the kernel with this variable naming a file: every check then
#: records what the student's functions returned (see :func:`friendly_check`).
RECORD_ENV = "COURSE_LIB_GRADING_RECORD"

#: Set under the grader: an exercise that is not started raises its
#: ``NotImplementedError`` instead of printing "not started yet".
GRADING = bool(os.environ.get(RECORD_ENV))


def not_started(exercise: str, exc: NotImplementedError) -> CheckResult:
    """Print the one friendly line for an untouched exercise and return a falsy result.

    >>> r = not_started("1.1", NotImplementedError("Exercise 1.1: Implement the MSE."))
    Exercise 1.1 not started yet: Implement the MSE. Write your code in the cell above, run it, then run this cell again.
    >>> bool(r), r.status
    (False, 'not started')
    """
    text = str(exc)
    prefix = f"Exercise {exercise}:"
    task = text[len(prefix) :].strip() if text.startswith(prefix) else ""
    print(
        f"Exercise {exercise} not started yet: "
        + (f"{task} " if task else "")
        + "Write your code in the cell above, run it, then run this cell again."
    )
    return CheckResult(exercise, 0, passed=False, status="not started")


class ReferenceCodeCalled(CheckFailed):
    """The student's function called the self-checks' own reference code."""
