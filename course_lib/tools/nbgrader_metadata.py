"""nbgrader's cell metadata on the solutions notebooks (``course exercises metadata``).

Each exercise cell (one with a line ``# Exercise N.M: <text>``) is an nbgrader
"autograded answer", each cell that calls ``check_N_M(...)`` an "autograder
test" worth :data:`POINTS`.  The metadata is written by
:func:`sync_metadata`, never by hand, so an instructor who uses nbgrader can
take the solutions as they are (see INSTRUCTORS.md and
:mod:`course_lib.tools.exercises`).
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat

from course_lib.tools.solution_markers import BEGIN_SOLUTION, MarkerError, exercise_header

__all__ = ["nbgrader_cell_metadata", "add_nbgrader_metadata", "sync_metadata"]

_CHECK_CALL = re.compile(r"^\s*(?:\w+\s*=\s*)?check_(\d+)_(\d+)\s*\(", re.MULTILINE)
ROOT = Path(__file__).resolve().parents[2]
#: Points per exercise (the course grader's convention too).
POINTS = 1


def nbgrader_cell_metadata(cell: nbformat.NotebookNode) -> dict | None:
    """nbgrader's metadata for one solutions-notebook cell, or None for an ordinary cell.

    A code cell with a ``# Exercise N.M:`` line is an "autograded answer"
    (``solution: true``); a code cell that calls ``check_N_M(...)`` is an
    "autograder test" worth :data:`POINTS` (``grade: true, locked: true``).

    >>> cell = nbformat.v4.new_code_cell("check_2_1(f)")
    >>> nbgrader_cell_metadata(cell)
    {'grade': True, 'grade_id': 'check_2_1', 'locked': True, 'points': 1,
     'schema_version': 3, 'solution': False, 'task': False}
    >>> exercise = nbformat.v4.new_code_cell("# Exercise 2.1: Write it.\\nx = 1")
    >>> nbgrader_cell_metadata(exercise)["grade_id"]
    'exercise_2_1'
    >>> nbgrader_cell_metadata(nbformat.v4.new_code_cell("x = 1")) is None
    True
    """
    if cell.cell_type != "code":
        return None
    header = exercise_header(cell.source)
    if header:
        return {
            "grade": False,
            "grade_id": "exercise_" + header[0].replace(".", "_"),
            "locked": False,
            "schema_version": 3,
            "solution": True,
            "task": False,
        }
    match = _CHECK_CALL.search(cell.source)
    if match:
        return {
            "grade": True,
            "grade_id": f"check_{match.group(1)}_{match.group(2)}",
            "locked": True,
            "points": POINTS,
            "schema_version": 3,
            "solution": False,
            "task": False,
        }
    return None


def add_nbgrader_metadata(nb: nbformat.NotebookNode, name: str) -> nbformat.NotebookNode:
    """Set (in place) nbgrader's metadata on every exercise and check cell; return ``nb``.

    Other cells lose a stale ``nbgrader`` entry; all other metadata is kept.
    Raises :class:`MarkerError` when two cells would share a ``grade_id`` or a
    cell holds ``### BEGIN SOLUTION`` without being an exercise cell (nbgrader
    refuses both).
    """
    seen: dict[str, int] = {}
    for index, cell in enumerate(nb.cells):
        meta = nbgrader_cell_metadata(cell)
        if meta is None:
            if cell.cell_type == "code" and BEGIN_SOLUTION in cell.source:
                raise MarkerError(
                    f"{name}, cell {index}: '{BEGIN_SOLUTION}' in a cell without a "
                    "line '# Exercise N.M: <what to implement>'"
                )
            cell.metadata.pop("nbgrader", None)
            continue
        if meta["grade_id"] in seen:
            raise MarkerError(
                f"{name}, cell {index}: a second cell with nbgrader id "
                f"'{meta['grade_id']}' (the first is cell {seen[meta['grade_id']]}): "
                "each exercise needs one exercise cell and one check cell"
            )
        seen[meta["grade_id"]] = index
        cell.metadata["nbgrader"] = meta
    return nb


def _with_metadata_text(path: Path) -> tuple[str, str]:
    """(current text, text with nbgrader metadata) of one solutions notebook."""
    text = path.read_text(encoding="utf-8")
    nb = nbformat.reads(text, as_version=4)
    add_nbgrader_metadata(nb, f"solutions/{path.name}")
    return text, nbformat.writes(nb, version=4) + "\n"


def sync_metadata(paths: list[Path] | None = None, write: bool = True) -> list[Path]:
    """Write nbgrader's cell metadata into solutions notebooks; return those that changed.

    Only cell metadata changes (sources, outputs and ids stay).  With
    ``write=False`` nothing is written: the result lists the stale notebooks.
    """
    paths = sorted((ROOT / "solutions").glob("*.ipynb")) if paths is None else list(paths)
    changed = []
    for path in paths:
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(
                f"no notebook {path}: pass paths of solutions notebooks, "
                "e.g. solutions/01_loss_functions.ipynb"
            )
        text, new = _with_metadata_text(path)
        if text == new:
            continue
        changed.append(path)
        if write:
            tmp = path.with_suffix(".ipynb.tmp")
            tmp.write_text(new, encoding="utf-8")
            tmp.replace(path)
    return changed
