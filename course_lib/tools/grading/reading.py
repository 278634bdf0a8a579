"""Read a submission defensively and find its chapter's solutions notebook."""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat

from course_lib.tools.exercises import exercise_header

__all__ = [
    "read_notebook",
    "exercise_numbers",
    "chapter_from_name",
    "find_solution",
    "chapter_by_content",
    "solution_checks",
    "check_id",
    "sort_key",
]

_CHECK_CALL = re.compile(r"^\s*(?:\w+\s*=\s*)?check_(\d+)_(\d+)\s*\(", re.MULTILINE)


def check_id(source: str) -> str | None:
    """The exercise number ``"N.M"`` of the first ``check_N_M(`` call in ``source``.

    >>> check_id("ok = check_3_2(adam_step)"), check_id("x = 1")
    ('3.2', None)
    """
    match = _CHECK_CALL.search(source)
    return f"{match.group(1)}.{match.group(2)}" if match else None


def sort_key(number: str) -> tuple:
    """``"10.2"`` sorts after ``"9.3"``."""
    return tuple(int(p) for p in number.split("."))


def read_notebook(path: Path) -> nbformat.NotebookNode:
    """Any JSON notebook as a clean nbformat-4 notebook (sources as text, no outputs)."""
    data = json.loads(path.read_text(encoding="utf-8", errors="replace"))
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        raise ValueError("no list of cells (is it an nbformat 4 notebook?)")
    cells = []
    for raw in data["cells"]:
        if not isinstance(raw, dict):
            continue
        source = raw.get("source", "")
        if isinstance(source, list):
            source = "".join(s for s in source if isinstance(s, str))
        if not isinstance(source, str):
            source = ""
        if raw.get("cell_type") == "code":
            cells.append(nbformat.v4.new_code_cell(source))
        else:
            cells.append(nbformat.v4.new_markdown_cell(source))
    nb = nbformat.v4.new_notebook(cells=cells)
    metadata = data.get("metadata")
    nb.metadata = nbformat.from_dict(metadata if isinstance(metadata, dict) else {})
    return nb


def exercise_numbers(nb: nbformat.NotebookNode) -> list[str]:
    """The ``# Exercise N.M:`` numbers of ``nb``, in order, each once."""
    numbers = []
    for cell in nb.cells:
        if cell.cell_type == "code":
            header = exercise_header(cell.source)
            if header and header[0] not in numbers:
                numbers.append(header[0])
    return numbers


def chapter_from_name(name: str) -> str | None:
    """The ``NN`` of a file named ``NN_slug.ipynb`` (or holding ``NN_`` somewhere)."""
    match = re.match(r"(\d\d)_", name) or re.search(r"(\d\d)_", name)
    return match.group(1) if match else None


def generated_from(nb: nbformat.NotebookNode) -> str:
    """The solutions notebook the metadata names (``course.generated_from``), or ``''``."""
    course = nb.metadata.get("course")
    source = course.get("generated_from", "") if isinstance(course, dict) else ""
    return source if isinstance(source, str) else ""


def find_solution(path: Path, nb: nbformat.NotebookNode, solutions_dir: Path) -> Path | None:
    """The solutions notebook for ``path``: by its ``NN_`` prefix, else by its metadata."""
    source = generated_from(nb)
    candidates = []
    chapter = chapter_from_name(path.name)
    if chapter:
        candidates += sorted(solutions_dir.glob(f"{chapter}_*.ipynb"))
    if source and re.fullmatch(r"[\w.-]+\.ipynb", Path(source).name):
        candidates.append(solutions_dir / Path(source).name)
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    return None


def chapter_by_content(numbers: list[str], solutions_dir: Path) -> Path | None:
    """The solutions notebook of the one chapter ``numbers`` belong to, if they agree."""
    chapters = {n.split(".")[0].zfill(2) for n in numbers}
    if len(chapters) != 1:
        return None
    found = sorted(solutions_dir.glob(f"{chapters.pop()}_*.ipynb"))
    return found[0] if found else None


def solution_checks(solution: nbformat.NotebookNode) -> dict[str, str]:
    """``{exercise number: source of its check cell}`` of a solutions notebook."""
    checks = {}
    for cell in solution.cells:
        if cell.cell_type == "code":
            number = check_id(cell.source)
            if number and number not in checks:
                checks[number] = cell.source
    return checks
