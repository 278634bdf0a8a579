"""One exercise's verdict, from the kernel's run and the replay in the grader."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import nbformat

from course_lib.tools.grading.records import ExerciseResult, classify_error, clip, error_text
from course_lib.tools.grading.replay import has_check, is_replayable, replay

__all__ = ["KERNEL_ONLY", "grade_one"]

#: Exercises whose checks need live objects (a Keras model, the student's class, a
#: detector the check inspects afterwards): their verdict can only come from the kernel.
#: Decided by the course, never by what a submission records.
KERNEL_ONLY = frozenset({"6.2", "6.3", "7.4", "8.1", "8.3", "9.3", "10.3", "12.4"})

Failure = Callable[[int], "dict | None"]


def _failed(number: str, message: str, by: str = "grader") -> ExerciseResult:
    return ExerciseResult(number, "failed", clip(message), 0, verified_by=by)


def _not_attempted(number: str) -> ExerciseResult:
    return ExerciseResult(
        number, "not attempted", "the exercise still raises NotImplementedError", 0
    )


def _not_started(error: dict | None) -> bool:
    return error is not None and classify_error(error) == "not attempted"


def _without_records(number: str, cell_error: dict | None) -> ExerciseResult:
    """No invocation of the check was recorded for this exercise."""
    if not has_check(number):
        # a check the solutions notebook defines itself: only the kernel can run it
        if cell_error is None:
            return ExerciseResult(
                number,
                "passed",
                "checked in the notebook's kernel only (the "
                "course has no check of this number to re-run)",
                1,
                verified_by="kernel",
            )
        if _not_started(cell_error):
            return _not_attempted(number)
        return _failed(number, error_text(cell_error), by="kernel")
    if _not_started(cell_error):
        return _not_attempted(number)
    reason = error_text(cell_error) if cell_error else "nothing was recorded"
    return _failed(number, f"the check did not run on your function ({reason})")


def _kernel_verdict(
    number: str, inv: dict, cell_error: dict | None, why_live: str
) -> ExerciseResult:
    """A check of :data:`KERNEL_ONLY`: the kernel's own outcome is the verdict."""
    why_live = why_live or "this check calls your function directly, many times"
    end = inv["end"] or {}
    if end.get("outcome") == "not started" or _not_started(cell_error):
        return _not_attempted(number)
    if end.get("outcome") == "passed" and cell_error is None:
        return ExerciseResult(
            number,
            "passed",
            clip(f"checked in the notebook's kernel only ({why_live})"),
            1,
            verified_by="kernel",
        )
    message = end.get("message") or (
        error_text(cell_error) if cell_error else "the check did not finish"
    )
    return _failed(number, message, by="kernel")


def _from_invocation(number: str, inv: dict, cell_error: dict | None) -> ExerciseResult:
    """The verdict from the check's last recorded invocation (replayed when possible)."""
    calls = inv["calls"]
    if any((call.get("raised") or ["", ""])[0] == "NotImplementedError" for call in calls):
        return _not_attempted(number)
    for call in calls:
        if call.get("refs"):
            return _failed(
                number,
                f"your function called {', '.join(map(str, call['refs'][:3]))}"
                ", the self-checks' own reference code: write the computation yourself",
            )
    why_live = is_replayable(inv)
    if number in KERNEL_ONLY:
        return _kernel_verdict(number, inv, cell_error, why_live)
    if why_live:
        return _failed(
            number,
            f"the grader cannot re-run this check on your results: {why_live}"
            "; return plain numbers, arrays, lists, dicts or DataFrames",
        )
    status, message = replay(number, inv)
    if status == "not attempted":
        return _not_attempted(number)
    if status != "passed":
        return _failed(number, message)
    if cell_error is not None:  # the hidden tests (run in the kernel) must pass too
        if _not_started(cell_error):
            return _not_attempted(number)
        return _failed(number, "a hidden test failed: " + error_text(cell_error))
    return ExerciseResult(number, "passed", "", 1)


def grade_one(
    number: str,
    nb: nbformat.NotebookNode,
    solution_cells: list[int],
    check_index: int,
    invocations: dict[int, dict],
    failure: Failure,
    replies: dict[int, Any],
    problem: str,
    flags: list[tuple[int, str, str]],
) -> ExerciseResult:
    """The verdict on exercise ``number`` of the executed notebook ``nb``."""
    if flags:  # its own cell's flags, and the severe ones of every other cell
        index, line, reason = min(flags, key=lambda f: (f[0] not in solution_cells, f[0]))
        where = "your exercise cell" if index in solution_cells else f"cell {index}"
        return _failed(number, f"{where} {reason} ({line}): write the computation yourself")
    for index in solution_cells:
        error = failure(index)
        if error is not None:
            if _not_started(error):
                return _not_attempted(number)
            return _failed(number, "your solution cell raised " + error_text(error))
    check = nb.cells[check_index]
    if check.execution_count is None or check_index not in replies:
        return _failed(
            number, f"the check did not run: {problem or 'an earlier cell stopped the run'}"
        )
    mine = [
        inv
        for _, inv in sorted(invocations.items())
        if inv["begin"]
        and inv["begin"].get("exercise") == number
        # IPython counts the running cell as execution_count or one more, by version
        and inv["begin"].get("cell") in (check.execution_count, check.execution_count + 1)
    ]
    cell_error = failure(check_index)
    if not mine:
        return _without_records(number, cell_error)
    return _from_invocation(number, mine[-1], cell_error)
