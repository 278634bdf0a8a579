"""Grade a folder of students' submissions into one CSV of scores (``course grade --batch``)."""

from __future__ import annotations

import contextlib
import csv
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, TextIO

from course_lib.tools.grading.grader import grade_notebook
from course_lib.tools.grading.reading import sort_key
from course_lib.tools.grading.records import GradeReport, clip
from course_lib.tools.grading.sandbox import ROOT

__all__ = ["find_submissions", "grade_batch"]

_FIXED = ["student", "score", "max_score", "notebooks", "needs_a_look"]


def find_submissions(folder: Path, students: list[str] | None = None) -> list[tuple[str, Path]]:
    """``(student, notebook)`` for every ``*.ipynb`` below ``folder/<student>/``, sorted.

    Each sub-folder of ``folder`` is one student (its name is the student's
    id); notebooks may sit at any depth below it.  Checkpoint copies and
    hidden folders are skipped.  ``students`` keeps only those students.

    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp())
    >>> for rel in ["ana/01_x/01_x.ipynb", "bo/01_x.ipynb", "bo/.ipynb_checkpoints/01_x.ipynb"]:
    ...     (root / rel).parent.mkdir(parents=True, exist_ok=True)
    ...     _ = (root / rel).write_text("{}")
    >>> [(s, p.name) for s, p in find_submissions(root)]
    [('ana', '01_x.ipynb'), ('bo', '01_x.ipynb')]
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(
            f"--batch {folder}: no such folder; pass the folder that holds "
            "one sub-folder per student (e.g. nbgrader's submitted/)"
        )
    found = []
    for student_dir in sorted(
        p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")
    ):
        if students and student_dir.name not in students:
            continue
        for path in sorted(student_dir.rglob("*.ipynb")):
            parts = path.relative_to(student_dir).parts
            if any(part.startswith(".") for part in parts):
                continue
            found.append((student_dir.name, path))
    if not found and not students:
        loose = sorted(p.name for p in folder.glob("*.ipynb"))
        inside = (
            f" (found {len(loose)} notebook(s) directly inside, e.g. {loose[0]}: put each "
            "student's notebooks in a sub-folder named after the student)"
            if loose
            else ""
        )
        raise FileNotFoundError(
            f"--batch {folder}: no student sub-folder with a notebook{inside}; the layout is "
            f"{folder}/<student>/.../NN_slug.ipynb (e.g. nbgrader's submitted/)"
        )
    if students:
        missing = sorted(set(students) - {student for student, _ in found})
        if missing:
            raise FileNotFoundError(
                f"--student {', '.join(missing)}: no notebook under "
                f"{folder}/<student>/ for them; the students there are "
                + (", ".join(sorted(p.name for p in folder.iterdir() if p.is_dir())[:20]) or "none")
            )
    return found


def _read_scores(path: Path) -> tuple[list[str], dict[str, dict[str, str]]]:
    if not path.is_file():
        return [], {}
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        rows = {row["student"]: row for row in reader if row.get("student")}
        return list(reader.fieldnames or []), rows


def _csv_safe(value: Any) -> Any:
    """A cell a spreadsheet shows as text (student-written text may start with ``=``).

    >>> _csv_safe("=HYPERLINK(1)"), _csv_safe(3)
    ("'=HYPERLINK(1)", 3)
    """
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def write_atomic_csv(path: Path, header: list[str], rows: list[dict]) -> None:
    """Write ``rows`` to ``path`` through a temporary file and a rename (all or nothing)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=header, extrasaction="ignore")
            writer.writeheader()
            writer.writerows({k: _csv_safe(v) for k, v in row.items()} for row in rows)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.0f} min"


def _student_row(student: str, reports: list[GradeReport], columns: list[str]) -> dict:
    """One CSV row for ``student``; exercise numbers not yet in ``columns`` are appended."""
    row: dict = {"student": student, "notebooks": len(reports)}
    score = max_score = 0
    looks = []
    for report in reports:
        for result in report.exercises:
            row[result.exercise] = result.points
            if result.exercise not in columns:
                columns.append(result.exercise)
        score += report.score
        max_score += report.max_score
        if report.error:
            looks.append(f"{report.notebook}: {clip(report.error, 200)}")
        looks += [f"{report.notebook}: {clip(flag, 200)}" for flag in report.flags[:3]]
    row.update(score=score, max_score=max_score, needs_a_look=" | ".join(looks))
    return row


def _grade_all(
    folder: Path,
    submissions: list[tuple[str, Path]],
    solutions_dir: Path,
    timeout: int,
    deadline: float | None,
    feedback_dir: Path | None,
    progress: TextIO,
) -> dict[str, list[GradeReport]]:
    start, total = time.monotonic(), len(submissions)
    graded: dict[str, list[GradeReport]] = {}
    for index, (student, path) in enumerate(submissions, 1):
        relative = path.relative_to(folder)
        print(f"[{index}/{total}] grading {relative} ...", file=progress, flush=True)
        began = time.monotonic()
        report = grade_notebook(path, solutions_dir, timeout=timeout, deadline=deadline)
        graded.setdefault(student, []).append(report)
        if feedback_dir is not None:
            target = Path(feedback_dir) / student / (path.stem + ".txt")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(report.table() + "\n", encoding="utf-8")
        left = (time.monotonic() - start) / index * (total - index)
        print(
            f"[{index}/{total}] {relative}: {report.score}/{report.max_score} "
            f"({_duration(time.monotonic() - began)}; about {_duration(left)} left)",
            file=progress,
            flush=True,
        )
    return graded


def grade_batch(
    folder: Path,
    csv_path: Path,
    solutions_dir: Path = ROOT / "solutions",
    students: list[str] | None = None,
    timeout: int = 120,
    deadline: float | None = None,
    feedback_dir: Path | None = None,
    progress: TextIO | None = None,
) -> list[dict]:
    """Grade every student's notebooks in ``folder``; write ``csv_path``; return its rows.

    The CSV has one row per student: ``student``, one column per exercise
    (points, empty when that chapter was not submitted), ``score``,
    ``max_score`` (over the chapters the student submitted), ``notebooks``
    and ``needs_a_look`` (grader problems and suspicious lines, for the
    instructor).  Exercise columns cover every chapter anyone submitted.

    Regrading: with ``students``, only those are graded again; the other rows
    are kept from the existing ``csv_path``.  The CSV is written atomically
    (a temporary file, then a rename), so an interrupted run leaves the old
    one intact.  ``progress`` (default stderr) gets one line per notebook.
    ``feedback_dir`` receives each report as ``<student>/<notebook>.txt``.
    """
    progress = sys.stderr if progress is None else progress
    folder, csv_path = Path(folder), Path(csv_path)
    submissions = find_submissions(folder, students)
    old_header, old_rows = _read_scores(csv_path)
    rows: dict[str, dict] = (
        {}
        if not students
        else {name: row for name, row in old_rows.items() if name not in students}
    )
    columns = [c for c in old_header if c not in _FIXED] if students else []
    start = time.monotonic()
    graded = _grade_all(
        folder, submissions, solutions_dir, timeout, deadline, feedback_dir, progress
    )
    for student, reports in graded.items():
        rows[student] = _student_row(student, reports, columns)
    columns.sort(key=sort_key)
    header = ["student", *columns, "score", "max_score", "notebooks", "needs_a_look"]
    ordered = [rows[name] for name in sorted(rows)]
    write_atomic_csv(csv_path, header, ordered)
    print(
        f"graded {len(submissions)} notebook(s) of {len(graded)} student(s) in "
        f"{_duration(time.monotonic() - start)}; wrote {csv_path} ({len(ordered)} rows)",
        file=progress,
        flush=True,
    )
    return ordered
