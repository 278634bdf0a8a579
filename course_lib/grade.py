"""Grade a student's exercises notebook.

    python -m course_lib.grade SUBMISSION.ipynb [--json] [--timeout 120]

The grader

1. finds the matching solutions notebook (from the notebook's metadata, else
   from the ``NN_`` prefix of the file name) and takes from it, for every
   exercise, the check cell *with its hidden tests*;
2. replaces the submission's check cells by those (so an edited check cannot
   pass a wrong answer), appending any the student deleted;
3. executes the result in a fresh kernel with a time limit per cell;
4. reports per exercise: ``passed``, ``failed`` (with the check's message) or
   ``not attempted`` (the exercise's own ``NotImplementedError``), and a score.

A submission that loops forever, kills the kernel or is not a notebook gets a
report, not a crash of the grader.

>>> classify_error({"ename": "NotImplementedError", "evalue": "Exercise 1.1: ..."})
'not attempted'
>>> classify_error({"ename": "CheckFailed", "evalue": "Exercise 1.1 is not right yet"})
'failed'
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import nbformat

from course_lib.exercises import exercise_header

__all__ = ["ExerciseResult", "GradeReport", "grade_notebook", "classify_error", "main"]

ROOT = Path(__file__).resolve().parent.parent
_CHECK_CALL = re.compile(r"^\s*(?:\w+\s*=\s*)?check_(\d+)_(\d+)\s*\(", re.MULTILINE)
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


@dataclass
class ExerciseResult:
    exercise: str
    status: str          # "passed" | "failed" | "not attempted"
    message: str
    points: int
    max_points: int = 1


@dataclass
class GradeReport:
    notebook: str
    exercises: list
    score: int
    max_score: int
    error: str = ""

    def to_json(self) -> str:
        return json.dumps({"notebook": self.notebook,
                           "exercises": [asdict(e) for e in self.exercises],
                           "score": self.score, "max_score": self.max_score,
                           "error": self.error}, indent=2)

    def table(self) -> str:
        width = max([len(e.status) for e in self.exercises] + [13])
        lines = [f"Grading {self.notebook}", ""]
        if self.error:
            lines += [f"Problem: {self.error}", ""]
        lines.append(f"{'exercise':<9} {'status':<{width}} points")
        for e in self.exercises:
            lines.append(f"{e.exercise:<9} {e.status:<{width}} {e.points}/{e.max_points}")
            if e.status == "failed":  # the check's whole message, indented under its row
                lines += ["    " + line.strip() for line in e.message.splitlines()
                          if line.strip()]
        lines += ["", f"Score: {self.score}/{self.max_score}"]
        return "\n".join(lines)


def classify_error(output: dict) -> str:
    """``'not attempted'`` for an exercise's own NotImplementedError, else ``'failed'``."""
    if output.get("ename") == "NotImplementedError":
        return "not attempted"
    return "failed"


def _check_id(source: str) -> str | None:
    match = _CHECK_CALL.search(source)
    return f"{match.group(1)}.{match.group(2)}" if match else None


def _find_solution(path: Path, nb: nbformat.NotebookNode, solutions_dir: Path) -> Path | None:
    source = nb.metadata.get("course", {}).get("generated_from", "")
    candidates = []
    if source:
        candidates.append(solutions_dir / Path(source).name)
    match = re.match(r"(\d\d)_", path.name) or re.search(r"(\d\d)_", path.name)
    if match:
        candidates += sorted(solutions_dir.glob(f"{match.group(1)}_*.ipynb"))
    for candidate in candidates:
        if candidate.exists():
            return candidate
    return None


def _solution_checks(solution: nbformat.NotebookNode) -> dict[str, str]:
    checks = {}
    for cell in solution.cells:
        if cell.cell_type == "code":
            number = _check_id(cell.source)
            if number and number not in checks:
                checks[number] = cell.source
    return checks


def _error_text(output: dict) -> str:
    if output.get("ename") == "KeyboardInterrupt":
        return "the cell ran past the time limit and was stopped (an endless loop?)"
    evalue = _ANSI.sub("", str(output.get("evalue", "")))
    return f"{output.get('ename')}: {evalue}" if output.get("ename") != "CheckFailed" else evalue


def grade_notebook(path: Path, solutions_dir: Path = ROOT / "solutions", timeout: int = 120,
                   kernel_name: str = "python3") -> GradeReport:
    """Execute and grade one submission; never raises for a bad submission."""
    path = Path(path)
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as exc:  # not JSON, not a notebook, missing file
        return GradeReport(str(path), [], 0, 0,
                           error=f"cannot read {path.name} as a Jupyter notebook "
                                 f"({type(exc).__name__}: {exc})")
    solution_path = _find_solution(path, nb, Path(solutions_dir))
    if solution_path is None:
        return GradeReport(str(path), [], 0, 0,
                           error=f"no solutions notebook matches {path.name}: name the file like "
                                 "the exercise notebook (NN_slug.ipynb)")
    checks = _solution_checks(nbformat.read(solution_path, as_version=4))
    # Under the grader an untouched exercise raises NotImplementedError (not attempted)
    # instead of the friendly "not started yet" line students see.
    nb.cells.insert(0, nbformat.v4.new_code_cell(
        "import course_lib.checks._core as _course_grading\n_course_grading.GRADING = True"))
    exercise_cells: dict[str, list[int]] = {}
    check_cells: dict[str, int] = {}
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        header = exercise_header(cell.source)
        if header:
            exercise_cells.setdefault(header[0], []).append(index)
        number = _check_id(cell.source)
        if number in checks and number not in check_cells:
            cell.source = checks[number]  # the instructor's check + hidden tests
            check_cells[number] = index
    for number, source in checks.items():
        if number not in check_cells:
            nb.cells.append(nbformat.v4.new_code_cell(source))
            check_cells[number] = len(nb.cells) - 1
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None

    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    problem = ""
    client = NotebookClient(nb, timeout=timeout, kernel_name=kernel_name, allow_errors=True,
                            interrupt_on_timeout=True,
                            resources={"metadata": {"path": str(path.parent.resolve())}})
    try:
        client.execute()
    except CellTimeoutError as exc:
        problem = f"a cell ran longer than {timeout} s and was stopped ({str(exc).splitlines()[0]})"
    except DeadKernelError:
        problem = "the kernel died while running the notebook (out of memory or a crash)"
    except Exception as exc:  # nbclient/kernel failures must not crash the grader
        problem = f"the notebook could not be executed: {type(exc).__name__}: {exc}"

    results = []
    for number in sorted(checks, key=lambda n: tuple(int(p) for p in n.split("."))):
        results.append(_grade_one(nb, number, exercise_cells.get(number, []),
                                  check_cells[number], problem))
    score = sum(r.points for r in results)
    return GradeReport(str(path.name), results, score, len(results), error=problem)


def _errors(cell) -> list[dict]:
    return [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]


def _grade_one(nb, number: str, solution_cells: list[int], check_index: int,
               problem: str) -> ExerciseResult:
    for index in solution_cells:
        for output in _errors(nb.cells[index]):
            if classify_error(output) == "not attempted":
                return ExerciseResult(number, "not attempted", "the exercise still raises "
                                      "NotImplementedError", 0)
            return ExerciseResult(number, "failed", "your solution cell raised "
                                  + _error_text(output), 0)
    check = nb.cells[check_index]
    if check.execution_count is None:
        reason = problem or "an earlier cell stopped the run"
        return ExerciseResult(number, "failed", f"the check did not run: {reason}", 0)
    errors = _errors(check)
    if not errors:
        return ExerciseResult(number, "passed", "", 1)
    status = classify_error(errors[0])
    message = _error_text(errors[0]) if status == "failed" else \
        "the exercise still raises NotImplementedError"
    return ExerciseResult(number, status, message, 0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_lib.grade",
                                     description="Grade a student's exercises notebook.")
    parser.add_argument("submission", type=Path)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--timeout", type=int, default=120, help="seconds allowed per cell")
    parser.add_argument("--solutions", type=Path, default=ROOT / "solutions")
    args = parser.parse_args(argv)
    report = grade_notebook(args.submission, args.solutions, timeout=args.timeout)
    print(report.to_json() if args.json else report.table())
    return 0 if not report.error else 1


if __name__ == "__main__":
    sys.exit(main())
