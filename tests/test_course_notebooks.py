"""Checks on the committed course notebooks, and the exercise harness.

* committed notebooks are executed top to bottom (counts 1..n), without error
  outputs, warnings, widget state or machine paths;
* each follows the template (title + time estimate, setup_notebook first);
* every untouched exercises/ notebook runs top to bottom in a fresh kernel, each
  self-check saying "not started yet";
* the README course map and the navigation cells are generated, not stale.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from course_lib.tools import cloud, coursemap
from course_lib.tools.nbtools import lint_notebook

ROOT = Path(__file__).resolve().parent.parent
COMMITTED = sorted([*ROOT.glob("notebooks/*.ipynb"), *ROOT.glob("solutions/*.ipynb")])
EXERCISES = sorted(ROOT.glob("exercises/*.ipynb"))


def _id(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


@pytest.mark.parametrize("path", COMMITTED, ids=_id)
def test_committed_notebook_is_clean(path):
    nb = nbformat.read(path, as_version=4)
    assert lint_notebook(nb, _id(path)) == []


@pytest.mark.parametrize("path", COMMITTED + EXERCISES, ids=_id)
def test_notebook_follows_the_template(path):
    nb = nbformat.read(path, as_version=4)
    first = nb.cells[0]
    assert first.cell_type == "markdown" and first.source.startswith("# "), (
        f"{_id(path)}: the first cell must be a markdown cell starting with '# Title'"
    )
    if path.parent.name == "notebooks":
        assert coursemap.parse_time(first.source), (
            f"{_id(path)}: the first cell needs a line '**Time:** ~NN min'"
        )
    code = [c for c in nb.cells if c.cell_type == "code"]
    url, ref = cloud.project_info(ROOT)
    assert (
        code
        and code[0].source == cloud.bootstrap_source(url, ref)
        and cloud.BOOTSTRAP_TAG in code[0].metadata.get("tags", [])
    ), f"{_id(path)}: the first code cell must be the Colab/Binder bootstrap (run `course map`)"
    assert len(code) > 1 and "setup_notebook(" in code[1].source, (
        f"{_id(path)}: the second code cell must call setup_notebook(seed=...)"
    )
    badge = f"/{path.parent.name}/{path.name}"
    assert any(
        line.startswith("[![Open In Colab]") and badge in line for line in first.source.splitlines()
    ), f"{_id(path)}: the title cell needs its Colab/Binder badges (run `course map`)"


def test_every_chapter_has_matching_files():
    for path in ROOT.glob("solutions/*.ipynb"):
        assert (ROOT / "notebooks" / path.name).exists(), f"solutions/{path.name} has no lesson"


def test_course_map_and_navigation_are_up_to_date():
    stale = coursemap.sync(write=False)
    assert not stale, f"{stale}: run `course map`"


@pytest.mark.notebooks
@pytest.mark.parametrize("path", EXERCISES, ids=_id)
def test_untouched_exercise_notebook_runs_all_the_way(path):
    """Run All on an untouched exercises notebook executes every cell (no error stops it).

    Each self-check of an exercise not started yet prints one friendly line
    instead of a traceback.
    """
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=300,
        kernel_name="python3",
        allow_errors=False,
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()  # raises CellExecutionError on the first failing cell
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count is not None for c in code)
    numbers = sorted(
        {m.group(1) for c in code for m in re.finditer(r"^\s*check_(\d+_\d+)\(", c.source, re.M)}
    )
    text = "\n".join(
        o.get("text", "")
        for c in code
        for o in c.get("outputs", [])
        if o.get("output_type") == "stream"
    )
    for number in numbers:
        assert f"Exercise {number.replace('_', '.')} not started yet" in text, (
            f"{_id(path)}: check_{number} did not say the exercise is not started yet"
        )
    assert "CheckResult(" not in text


SOLUTIONS = sorted(ROOT.glob("solutions/*.ipynb"))


@pytest.mark.notebooks
@pytest.mark.parametrize("path", SOLUTIONS, ids=_id)
def test_grader_gives_the_solutions_full_marks(path):
    """The hidden tests agree with the solutions, as the instructor's grader runs them."""
    from course_lib.tools.grade import grade_notebook

    report = grade_notebook(path, ROOT / "solutions", timeout=300)
    assert not report.error and report.max_score >= 3, report.table()
    assert report.score == report.max_score, report.table()


@pytest.mark.notebooks
@pytest.mark.parametrize("path", EXERCISES, ids=_id)
def test_grader_scores_untouched_exercises_zero_not_attempted(path):
    from course_lib.tools.grade import grade_notebook

    report = grade_notebook(path, ROOT / "solutions", timeout=300)
    assert not report.error and report.score == 0, report.table()
    assert {e.status for e in report.exercises} == {"not attempted"}, report.table()
