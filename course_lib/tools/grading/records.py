"""What a grading produces: one :class:`ExerciseResult` per exercise in a :class:`GradeReport`.

>>> classify_error({"ename": "NotImplementedError", "evalue": "Exercise 1.1: ..."})
'not attempted'
>>> classify_error({"ename": "CheckFailed", "evalue": "Exercise 1.1 is not right yet"})
'failed'
>>> clip("x" * 5000, 40)
'xxxxxxxxxxxxxxxxxxxxxxxxx... (4975 more characters)'
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "ExerciseResult",
    "GradeReport",
    "classify_error",
    "clip",
    "error_text",
    "read_records",
    "MAX_MESSAGE",
]

MAX_MESSAGE = 2000
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_MAX_RECORDS_BYTES = 200_000_000


def clip(text: Any, limit: int = MAX_MESSAGE) -> str:
    """``text`` as a string of at most about ``limit`` characters (the rest counted)."""
    text = str(text)
    if len(text) <= limit:
        return text
    keep = max(limit - 15, 1)
    return f"{text[:keep]}... ({len(text) - keep} more characters)"


@dataclass
class ExerciseResult:
    """The verdict on one exercise."""

    exercise: str
    status: str  # "passed" | "failed" | "not attempted"
    message: str
    points: int
    max_points: int = 1
    verified_by: str = "grader"  # "grader" (re-run outside the kernel) | "kernel" | ""


@dataclass
class GradeReport:
    """The verdict on one notebook: its exercises, score, problems and flagged lines."""

    notebook: str
    exercises: list
    score: int
    max_score: int
    error: str = ""
    notes: list = field(default_factory=list)  # cells that failed, time limits, warnings
    flags: list = field(default_factory=list)  # suspicious lines for the instructor

    def to_json(self) -> str:
        """The report as one JSON object (every message clipped)."""
        return json.dumps(
            {
                "notebook": clip(self.notebook, 300),
                "exercises": [asdict(e) for e in self.exercises],
                "score": self.score,
                "max_score": self.max_score,
                "error": clip(self.error),
                "notes": [clip(n) for n in self.notes],
                "flags": [clip(f) for f in self.flags],
            },
            indent=2,
        )

    def table(self) -> str:
        """The report as text, for a student or an instructor."""
        width = max([len(e.status) for e in self.exercises] + [13])
        lines = [f"Grading {self.notebook}", ""]
        if self.error:
            lines += [f"Problem: {clip(self.error)}", ""]
        lines.append(f"{'exercise':<9} {'status':<{width}} points")
        for e in self.exercises:
            lines.append(f"{e.exercise:<9} {e.status:<{width}} {e.points}/{e.max_points}")
            if e.status == "failed" or e.verified_by == "kernel":  # the message, indented
                lines += [
                    "    " + line.strip() for line in clip(e.message).splitlines() if line.strip()
                ]
        if self.notes:
            lines += ["", "Notes:"] + [f"  - {clip(n, 300)}" for n in self.notes]
        if self.flags:
            lines += ["", "Needs an instructor's look:"] + [
                f"  - {clip(f, 300)}" for f in self.flags
            ]
        lines += ["", f"Score: {self.score}/{self.max_score}"]
        return "\n".join(lines)


def classify_error(output: dict) -> str:
    """``'not attempted'`` for an exercise's own NotImplementedError, else ``'failed'``."""
    if output.get("ename") == "NotImplementedError":
        return "not attempted"
    return "failed"


def error_text(output: dict) -> str:
    """One line for an error output of the kernel (colours stripped, clipped)."""
    if output.get("ename") == "KeyboardInterrupt":
        return "the cell ran past the time limit and was stopped (an endless loop?)"
    evalue = _ANSI.sub("", str(output.get("evalue", "")))
    text = f"{output.get('ename')}: {evalue}" if output.get("ename") != "CheckFailed" else evalue
    return clip(text)


def read_records(path: Path) -> tuple[dict[int, dict], str]:
    """The checks' records of one run, by invocation: ``({n: {begin, calls, end}}, problem)``."""
    invocations: dict[int, dict] = {}
    if not path.is_file():
        return invocations, "no check recorded anything"
    if path.stat().st_size > _MAX_RECORDS_BYTES:
        return invocations, "the check records are too large to read"
    with path.open(encoding="utf-8", errors="replace") as handle:
        for line in handle:
            try:
                record = json.loads(line)
                number = int(record["inv"])
                kind = record["kind"]
            except (ValueError, KeyError, TypeError):
                continue
            inv = invocations.setdefault(number, {"begin": None, "calls": [], "end": None})
            if kind == "begin" and inv["begin"] is None:
                inv["begin"] = record
            elif kind == "call":
                inv["calls"].append(record)
            elif kind == "end" and inv["end"] is None:
                inv["end"] = record
    return invocations, ""
