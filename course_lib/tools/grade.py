"""Grade a student's exercises notebook, with the verdict computed outside the student's kernel.

    course grade SUBMISSION.ipynb [--json] [--timeout 120] [--deadline 900] [--solutions DIR]
    course grade --batch SUBMISSIONS_DIR --csv scores.csv [--student NAME ...] [--feedback DIR]

(``python -m course_lib.tools.grade ...`` is the same command.)

``--batch`` grades a folder with one sub-folder per student (any layout below
it, e.g. nbgrader's ``submitted/<student>/<assignment>/NN_slug.ipynb``), shows
a progress line per notebook on stderr and writes one CSV row per student with
a column per exercise, the total and the maximum (see :func:`grade_batch`).

This module is the entry point; the parts live in :mod:`course_lib.tools.grading`
(one module per step below).

The grader

1. reads the submission defensively (any JSON notebook; a broken cell is
   repaired or dropped, never a traceback) and finds the chapter: from the
   ``NN_`` prefix of the file name, else the notebook's metadata, and then
   *checks the content*: the notebook must hold that chapter's exercises
   (``# Exercise N.M:`` lines), or it is reported as the wrong chapter;
2. replaces the submission's check cells by the solutions' check cells (with
   their hidden tests), appending any the student deleted;
3. copies ``course_lib`` and ``datasets`` into a temporary folder, makes the
   copy read-only and runs the notebook there in a fresh kernel (per-cell time
   limit, then a hard deadline that kills the kernel, even one that ignores
   interrupts); the course's own files are hashed before and after;
4. in the kernel, every check records what the student's functions returned
   on the check's inputs (plain data: numbers, arrays, DataFrames; see
   :func:`course_lib.checks._recording.encode_value`); while the student's function
   runs, the checks' reference functions raise (every module of ``course_lib.checks``
   but its machinery, guarded as it is imported, so a copy of a reference's code
   raises too);
5. re-runs each check **in the grader's own process**, with the checks and
   numpy imported before any student code ran, on the recorded results: this
   is the verdict. The kernel's verdict (the check cell and its hidden tests
   must also succeed, counted from the kernel's ``execute_reply`` status, so a
   custom exception handler hides nothing) is required as well. A check that
   needs live objects (a Keras model, a detector class) cannot be replayed; its
   verdict comes from the kernel and the report says so;
6. scans the student's own lines for calls of the checks' reference code,
   reads of the solutions, patches of numpy or of the grader, and reports them;
   a call of the reference code, a use of the checks' internals or a touch of the
   grader fails every exercise, wherever it is; the other lines fail the exercise
   whose cell holds them and are only reported elsewhere.

It is not a sandbox: the student's code runs with the grader's user rights.
Grading for credit at scale belongs in a container (as nbgrader and
otter-grader advise); see the README's "For instructors".

>>> classify_error({"ename": "NotImplementedError", "evalue": "Exercise 1.1: ..."})
'not attempted'
>>> classify_error({"ename": "CheckFailed", "evalue": "Exercise 1.1 is not right yet"})
'failed'
>>> clip("x" * 5000, 40)
'xxxxxxxxxxxxxxxxxxxxxxxxx... (4975 more characters)'
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from course_lib.tools.grading.batch import find_submissions, grade_batch
from course_lib.tools.grading.batch import write_atomic_csv as _write_atomic_csv  # noqa: F401
from course_lib.tools.grading.grader import grade_notebook
from course_lib.tools.grading.records import (  # noqa: F401
    MAX_MESSAGE,
    ExerciseResult,
    GradeReport,
    classify_error,
    clip,
)
from course_lib.tools.grading.sandbox import ROOT
from course_lib.tools.grading.scan import SUSPICIOUS, scan_source  # noqa: F401
from course_lib.tools.grading.verdict import KERNEL_ONLY  # noqa: F401

__all__ = [
    "ExerciseResult",
    "GradeReport",
    "grade_notebook",
    "classify_error",
    "clip",
    "scan_source",
    "find_submissions",
    "grade_batch",
    "main",
]


def _parser() -> argparse.ArgumentParser:
    """The command line (also used by the tests to check INSTRUCTORS.md's commands)."""
    parser = argparse.ArgumentParser(
        prog="course grade",
        description="Grade a student's exercises notebook, or a "
        "folder of submissions with --batch.",
    )
    parser.add_argument(
        "submission", type=Path, nargs="?", help="one notebook (omit it with --batch)"
    )
    parser.add_argument(
        "--batch",
        type=Path,
        metavar="SUBMISSIONS_DIR",
        help="grade every notebook below SUBMISSIONS_DIR/<student>/",
    )
    parser.add_argument(
        "--csv",
        type=Path,
        default=Path("scores.csv"),
        help="--batch: the CSV of scores to write (default: scores.csv)",
    )
    parser.add_argument(
        "--student",
        action="append",
        default=None,
        metavar="NAME",
        help="--batch: regrade only this student (repeat for several); the "
        "other rows of --csv are kept",
    )
    parser.add_argument(
        "--feedback",
        type=Path,
        metavar="DIR",
        help="--batch: write each report to DIR/<student>/<notebook>.txt",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--timeout", type=int, default=120, help="seconds allowed per cell")
    parser.add_argument(
        "--deadline",
        type=float,
        default=None,
        help="seconds allowed for the whole notebook (default: the larger of "
        "900 and 3 x timeout); the kernel is killed after it",
    )
    parser.add_argument("--solutions", type=Path, default=ROOT / "solutions")
    return parser


def _main_batch(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    if args.submission is not None:
        parser.error(
            f"give either one notebook or --batch, not both (got {args.submission} "
            f"and --batch {args.batch})"
        )
    if args.json:
        parser.error(
            "--json prints one notebook's report; with --batch the scores go to "
            "--csv (and the reports to --feedback DIR)"
        )
    try:
        grade_batch(
            args.batch,
            args.csv,
            args.solutions,
            students=args.student,
            timeout=args.timeout,
            deadline=args.deadline,
            feedback_dir=args.feedback,
        )
    except FileNotFoundError as exc:
        print(f"course grade: error: {exc}", file=sys.stderr)
        return 2
    return 0


def main(argv: list[str] | None = None) -> int:
    """``course grade``: grade one notebook (report on stdout) or a folder (``--batch``)."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.timeout < 1:
        parser.error(f"--timeout must be at least 1 second, got {args.timeout}")
    if args.batch is not None:
        return _main_batch(parser, args)
    if args.submission is None:
        parser.error("give the notebook to grade, or --batch SUBMISSIONS_DIR")
    if args.student or args.feedback:
        parser.error("--student and --feedback work with --batch SUBMISSIONS_DIR")
    if not args.submission.is_file():
        what = (
            "a folder: pass one notebook, or --batch DIR for a folder of submissions"
            if args.submission.is_dir()
            else "no such file"
        )
        print(f"course grade: error: {args.submission}: {what}", file=sys.stderr)
        return 2
    report = grade_notebook(
        args.submission, args.solutions, timeout=args.timeout, deadline=args.deadline
    )
    try:
        print(report.to_json() if args.json else report.table())
    except Exception as exc:  # pragma: no cover - a report that cannot be printed
        print(
            json.dumps(
                {
                    "notebook": str(args.submission),
                    "exercises": [],
                    "score": 0,
                    "max_score": 0,
                    "error": clip(f"cannot print the report: {exc}"),
                }
            )
        )
        return 1
    return 0 if not report.error else 1


if __name__ == "__main__":
    sys.exit(main())
