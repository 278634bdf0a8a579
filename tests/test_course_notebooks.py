"""Checks on the committed course notebooks, and the exercise harness.

* committed notebooks are executed top to bottom (counts 1..n), without error
  outputs, warnings, widget state or machine paths;
* each follows the template (title + time estimate, setup_notebook first);
* every exercises/ notebook runs in a fresh kernel and fails only with its
  exercises' own NotImplementedError;
* the README course map and the navigation cells are generated, not stale.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from course_lib import coursemap
from course_lib.nbtools import lint_notebook

ROOT = Path(__file__).resolve().parent.parent
COMMITTED = sorted([*ROOT.glob("notebooks/*.ipynb"), *ROOT.glob("solutions/*.ipynb")])
EXERCISES = sorted(ROOT.glob("exercises/*.ipynb"))


def _id(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


@pytest.mark.parametrize("path", COMMITTED, ids=_id)
def test_committed_notebook_is_clean(path):
    nb = nbformat.read(path, as_version=4)
    assert lint_notebook(nb, _id(path)) == []


@pytest.mark.parametrize("path", COMMITTED, ids=_id)
def test_notebook_follows_the_template(path):
    nb = nbformat.read(path, as_version=4)
    first = nb.cells[0]
    assert first.cell_type == "markdown" and first.source.startswith("# "), \
        f"{_id(path)}: the first cell must be a markdown cell starting with '# Title'"
    if path.parent.name == "notebooks":
        assert coursemap.parse_time(first.source), \
            f"{_id(path)}: the first cell needs a line '**Time:** ~NN min'"
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and "setup_notebook(" in code[0].source, \
        f"{_id(path)}: the first code cell must call setup_notebook(seed=...)"


def test_every_chapter_has_matching_files():
    for path in ROOT.glob("solutions/*.ipynb"):
        assert (ROOT / "notebooks" / path.name).exists(), f"solutions/{path.name} has no lesson"


def test_course_map_and_navigation_are_up_to_date():
    stale = coursemap.sync(write=False)
    assert not stale, f"{stale}: run `python -m course_lib.coursemap`"


@pytest.mark.notebooks
@pytest.mark.parametrize("path", EXERCISES, ids=_id)
def test_exercise_notebook_fails_only_with_not_implemented(path):
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    bad = []
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") != "error":
                continue
            own = output["ename"] == "NotImplementedError" and \
                re.match(r"Exercise \d+\.\d+: ", output["evalue"])
            if not own:
                bad.append(f"cell {index}: {output['ename']}: {output['evalue'][:200]}")
    assert not bad, f"{_id(path)} fails for reasons other than its exercises:\n" + "\n".join(bad)


SOLUTIONS = sorted(ROOT.glob("solutions/*.ipynb"))


@pytest.mark.notebooks
@pytest.mark.parametrize("path", SOLUTIONS, ids=_id)
def test_grader_gives_the_solutions_full_marks(path):
    """The hidden tests agree with the solutions, as the instructor's grader runs them."""
    from course_lib.grade import grade_notebook

    report = grade_notebook(path, ROOT / "solutions", timeout=300)
    assert not report.error and report.max_score >= 3, report.table()
    assert report.score == report.max_score, report.table()


@pytest.mark.notebooks
@pytest.mark.parametrize("path", EXERCISES, ids=_id)
def test_grader_scores_untouched_exercises_zero_not_attempted(path):
    from course_lib.grade import grade_notebook

    report = grade_notebook(path, ROOT / "solutions", timeout=300)
    assert not report.error and report.score == 0, report.table()
    assert {e.status for e in report.exercises} == {"not attempted"}, report.table()
