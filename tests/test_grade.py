"""The autograder on fixture notebooks: full marks, zero, one wrong answer, bad submissions."""

from __future__ import annotations

import json

import nbformat
import pytest

from course_lib.tools import exercises
from course_lib.tools.grade import grade_notebook, main
from tests.notebook_fixtures import solution_notebook, write

pytestmark = pytest.mark.notebooks


@pytest.fixture()
def course(tmp_path):
    sol, ex = tmp_path / "solutions", tmp_path / "exercises"
    write(solution_notebook(), sol / "90_fixture.ipynb")
    exercises.build(sol, ex)
    return sol, ex


def _statuses(report):
    return {e.exercise: e.status for e in report.exercises}


def test_solution_scores_full_marks(course):
    sol, _ = course
    report = grade_notebook(sol / "90_fixture.ipynb", sol, timeout=60)
    assert _statuses(report) == {"90.1": "passed", "90.2": "passed"}
    assert (report.score, report.max_score) == (2, 2)


def test_untouched_exercises_score_zero_not_attempted(course, capsys):
    sol, ex = course
    assert main([str(ex / "90_fixture.ipynb"), "--json", "--solutions", str(sol)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["score"] == 0 and data["max_score"] == 2
    assert [e["status"] for e in data["exercises"]] == ["not attempted", "not attempted"]


def test_one_wrong_answer_reports_the_check_message(course, tmp_path):
    sol, ex = course
    nb = nbformat.read(ex / "90_fixture.ipynb", as_version=4)
    for cell in nb.cells:
        if "def mean" in cell.source:
            cell.source = (
                "# Exercise 90.1: Return the mean of x.\ndef mean(x):\n    return float(np.sum(x))"
            )
        if "def square" in cell.source:
            cell.source = "# Exercise 90.2: Return x squared.\ndef square(x):\n    return x * x"
        if cell.source.startswith("check_90_1"):
            cell.source = "pass  # a student who deleted the check call"
    path = write(nb, tmp_path / "student" / "90_fixture.ipynb")
    report = grade_notebook(path, sol, timeout=60)
    by_id = {e.exercise: e for e in report.exercises}
    assert by_id["90.2"].status == "passed"
    assert by_id["90.1"].status == "failed"
    assert "Exercise 90.1 is not right yet" in by_id["90.1"].message
    assert (
        "expected: 2.000000" in by_id["90.1"].message
        and "got:      6.000000" in by_id["90.1"].message
    )
    assert report.score == 1
    assert "90.1" in report.table() and "Score: 1/2" in report.table()


def test_endless_loop_is_stopped_and_reported(course, tmp_path):
    sol, ex = course
    nb = nbformat.read(ex / "90_fixture.ipynb", as_version=4)
    for cell in nb.cells:
        if "def square" in cell.source:
            cell.source = (
                "# Exercise 90.2: Return x squared.\ndef square(x):\n    while True:\n        pass"
            )
    path = write(nb, tmp_path / "student" / "90_fixture.ipynb")
    report = grade_notebook(path, sol, timeout=3)
    by_id = {e.exercise: e for e in report.exercises}
    assert by_id["90.2"].status == "failed"
    assert "time limit" in by_id["90.2"].message or "longer than" in by_id["90.2"].message


def test_crashing_kernel_is_reported(course, tmp_path):
    sol, ex = course
    nb = nbformat.read(ex / "90_fixture.ipynb", as_version=4)
    nb.cells.insert(2, nbformat.v4.new_code_cell("import os\nos._exit(1)"))
    path = write(nb, tmp_path / "student" / "90_fixture.ipynb")
    report = grade_notebook(path, sol, timeout=30)
    assert report.score == 0
    assert "kernel died" in report.error
    assert all(e.status == "failed" for e in report.exercises)


def test_not_a_notebook_is_reported(tmp_path, capsys):
    bad = tmp_path / "90_fixture.ipynb"
    bad.write_text("this is not json")
    assert main([str(bad)]) == 1
    assert "cannot read 90_fixture.ipynb as a Jupyter notebook" in capsys.readouterr().out


def test_unknown_chapter_is_reported(tmp_path, course):
    sol, _ = course
    path = write(solution_notebook(), tmp_path / "77_other.ipynb")
    report = grade_notebook(path, sol)
    assert "no solutions notebook matches 77_other.ipynb" in report.error
