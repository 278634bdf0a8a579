"""Grade one notebook: read it, put the course's checks back, run it, judge each exercise."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

from course_lib.core.validation import check_int, check_number
from course_lib.tools.exercises import exercise_header
from course_lib.tools.grading import reading
from course_lib.tools.grading.records import ExerciseResult, GradeReport, clip, error_text
from course_lib.tools.grading.sandbox import ROOT, RunResult, run_in_copy
from course_lib.tools.grading.scan import SEVERE, scan_source
from course_lib.tools.grading.verdict import grade_one

__all__ = ["grade_notebook"]


class _Refused(Exception):
    """The notebook cannot be graded; ``report`` says why."""

    def __init__(self, report: GradeReport) -> None:
        super().__init__(report.error)
        self.report = report


@dataclass
class _Submission:
    """A submission with the course's check cells in place, ready to run."""

    nb: nbformat.NotebookNode
    solution_path: Path
    expected: list[str]
    exercise_cells: dict[str, list[int]] = field(default_factory=dict)
    check_cells: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def grade_notebook(
    path: Path,
    solutions_dir: Path = ROOT / "solutions",
    timeout: int = 120,
    kernel_name: str = "python3",
    deadline: float | None = None,
) -> GradeReport:
    """Execute and grade one submission; never raises for a bad submission.

    ``timeout`` (seconds per cell) and ``deadline`` (seconds for the whole
    notebook; default the larger of 900 and 3 x timeout) bound the run.
    """
    check_int(timeout, "timeout", "grade_notebook", minimum=1, fix="e.g. timeout=120")
    if deadline is not None:
        check_number(
            deadline,
            "deadline",
            "grade_notebook",
            low=0,
            low_inclusive=False,
            fix="e.g. deadline=900, or None for the default",
        )
    try:
        return _grade(Path(path), Path(solutions_dir), timeout, kernel_name, deadline)
    except _Refused as refused:
        return refused.report
    except Exception as exc:  # the grader reports, it never crashes
        return GradeReport(
            Path(str(path)).name,
            [],
            0,
            0,
            error=clip(f"the grader could not grade this notebook ({type(exc).__name__}: {exc})"),
        )


def _refuse(path: Path, message: str) -> _Refused:
    return _Refused(GradeReport(path.name, [], 0, 0, error=clip(message)))


def _locate_solution(path: Path, nb: nbformat.NotebookNode, solutions_dir: Path) -> Path:
    if not solutions_dir.is_dir():
        raise _refuse(
            path,
            f"the solutions folder {solutions_dir} does not exist: pass the "
            "course's solutions/ folder with --solutions DIR",
        )
    solution_path = reading.find_solution(path, nb, solutions_dir)
    if solution_path is None and not reading.chapter_from_name(path.name):
        solution_path = reading.chapter_by_content(reading.exercise_numbers(nb), solutions_dir)
    if solution_path is None:
        raise _Refused(
            GradeReport(
                path.name,
                [],
                0,
                0,
                error=(
                    f"no solutions notebook matches {clip(path.name, 200)}: name the file like the "
                    "exercise notebook (NN_slug.ipynb)"
                ),
            )
        )
    return solution_path


def _load(
    path: Path, solutions_dir: Path
) -> tuple[nbformat.NotebookNode, Path, nbformat.NotebookNode, dict[str, str]]:
    """The submission, its solutions notebook's path, that notebook and its check cells."""
    try:
        nb = reading.read_notebook(path)
    except Exception as exc:  # not JSON, not a notebook, missing file
        raise _refuse(
            path, f"cannot read {path.name} as a Jupyter notebook ({type(exc).__name__}: {exc})"
        ) from None
    solution_path = _locate_solution(path, nb, solutions_dir)
    try:
        solution = reading.read_notebook(solution_path)
        checks = reading.solution_checks(solution)
        if not checks:
            raise ValueError("it has no check cell")
    except Exception as exc:
        raise _refuse(
            path,
            f"cannot read the solutions notebook {solution_path.name} "
            f"({type(exc).__name__}: {exc}): ask the instructor to restore "
            "it",
        ) from None
    return nb, solution_path, solution, checks


def _check_chapter(path: Path, sub: _Submission) -> None:
    """Refuse a notebook that holds none of the chapter's exercises (the wrong chapter)."""
    meta_source = reading.generated_from(sub.nb)
    if meta_source and Path(meta_source).name != sub.solution_path.name:
        sub.notes.append(
            f"the notebook's metadata says it comes from {clip(meta_source, 200)}, "
            f"but it is graded as {sub.solution_path.name}"
        )
    numbers = reading.exercise_numbers(sub.nb)
    if set(numbers) & set(sub.expected):
        return
    where = (
        f" but holds those of {', '.join(numbers[:8])}"
        if numbers
        else " but holds none of them (no '# Exercise N.M:' line)"
    )
    raise _Refused(
        GradeReport(
            path.name,
            [
                ExerciseResult(
                    n, "failed", "this exercise is not in the notebook", 0, verified_by=""
                )
                for n in sub.expected
            ],
            0,
            len(sub.expected),
            error=f"wrong chapter: {clip(path.name, 200)} is graded as {sub.solution_path.name}, "
            f"whose exercises are {', '.join(sub.expected)},{where}: submit that chapter's "
            "exercises notebook",
            notes=sub.notes,
        )
    )


def _put_checks_back(sub: _Submission, checks: dict[str, str]) -> None:
    """Replace the check cells by the instructor's (with hidden tests); append missing ones."""
    for index, cell in enumerate(sub.nb.cells):
        if cell.cell_type != "code":
            continue
        header = exercise_header(cell.source)
        if header:
            sub.exercise_cells.setdefault(header[0], []).append(index)
        number = reading.check_id(cell.source)
        if number in checks and number not in sub.check_cells:
            cell.source = checks[number]
            sub.check_cells[number] = index
    for number in sub.expected:
        if number not in sub.check_cells:
            sub.nb.cells.append(nbformat.v4.new_code_cell(checks[number]))
            sub.check_cells[number] = len(sub.nb.cells) - 1


def _prepare(path: Path, solutions_dir: Path) -> tuple[_Submission, set[str]]:
    """The submission ready to run, and the lines the course wrote (never flagged)."""
    nb, solution_path, solution, checks = _load(path, solutions_dir)
    sub = _Submission(nb, solution_path, sorted(checks, key=reading.sort_key))
    _check_chapter(path, sub)
    known = {
        line.strip()
        for cell in solution.cells
        if cell.cell_type == "code"
        for line in cell.source.splitlines()
    }
    known |= {line.strip() for source in checks.values() for line in source.splitlines()}
    _put_checks_back(sub, checks)
    return sub, known


def _failure_finder(
    nb: nbformat.NotebookNode, replies: dict[int, dict]
) -> Callable[[int], dict | None]:
    def failure(index: int) -> dict | None:
        for output in nb.cells[index].get("outputs", []):
            if output.get("output_type") == "error":
                return output
        reply = replies.get(index)
        if reply is not None and reply.get("status") != "ok":
            return {"ename": reply.get("ename", "an error"), "evalue": reply.get("evalue", "")}
        return None

    return failure


def _other_cell_notes(sub: _Submission, cell_exercise: dict[int, str], failure: Any) -> list[str]:
    """Notes on the cells that are neither an exercise nor a check and failed."""
    notes = []
    for index, cell in enumerate(sub.nb.cells):
        if cell.cell_type != "code" or index in cell_exercise or index in sub.check_cells.values():
            continue
        error = failure(index)
        if error is not None and not (
            error.get("ename") == "NotImplementedError"
            and str(error.get("evalue", "")).startswith("Exercise ")
        ):
            notes.append(f"cell {index} (not an exercise) failed: {error_text(error)}")
    return notes


def _changed_problem(changed: list[str]) -> str:
    files = sorted(
        {
            Path(name).relative_to(ROOT) if Path(name).is_relative_to(ROOT) else Path(name)
            for name in changed
        }
    )
    return (
        "the submission changed the course's own files ("
        + ", ".join(map(str, files[:5]))
        + "): it scores 0; restore them (git checkout) before grading anything else"
    )


def _grade(
    path: Path, solutions_dir: Path, timeout: int, kernel_name: str, deadline: float | None
) -> GradeReport:
    sub, known = _prepare(path, solutions_dir)
    flags_found = scan_source(sub.nb, known)
    cell_exercise = {i: n for n, cells in sub.exercise_cells.items() for i in cells}
    flags = [
        f"cell {i}{' (Exercise ' + cell_exercise[i] + ')' if i in cell_exercise else ''}: "
        f"{reason}: {line}"
        for i, line, reason in flags_found
    ]
    run: RunResult = run_in_copy(
        sub.nb,
        sub.solution_path,
        timeout,
        deadline if deadline else max(900.0, 3.0 * timeout),
        kernel_name,
    )
    problem = _changed_problem(run.changed) if run.changed else run.problem
    failure = _failure_finder(sub.nb, run.replies)
    notes = sub.notes + run.notes + _other_cell_notes(sub, cell_exercise, failure)
    results = []
    for number in sub.expected:
        result = grade_one(
            number,
            sub.nb,
            sub.exercise_cells.get(number, []),
            sub.check_cells[number],
            run.invocations,
            failure,
            run.replies,
            problem or run.records_problem,
            [
                f
                for f in flags_found
                # a severe flag anywhere (a helper cell, another exercise's cell) counts too
                if cell_exercise.get(f[0]) == number or f[2] in SEVERE
            ],
        )
        if run.changed:
            result = ExerciseResult(number, "failed", problem, 0)
        results.append(result)
    return GradeReport(
        path.name,
        results,
        sum(r.points for r in results),
        len(results),
        error=clip(problem),
        notes=notes[:20],
        flags=flags[:20],
    )
