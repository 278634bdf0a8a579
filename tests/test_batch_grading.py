"""Batch grading: a folder of students -> progress on stderr + a CSV; regrading one student."""

from __future__ import annotations

import csv
import io

import nbformat
import pytest

from course_lib.tools import exercises
from course_lib.tools.grade import find_submissions, grade_batch, main
from tests.notebook_fixtures import solution_notebook, write

NAME = "90_fixture.ipynb"
WRONG_MEAN = "# Exercise 90.1: Return the mean of x.\ndef mean(x):\n    return float(np.sum(x))"


@pytest.fixture()
def course(tmp_path):
    """solutions/ and exercises/ of the fixture chapter, and a folder of three students."""
    sol, ex = tmp_path / "solutions", tmp_path / "exercises"
    write(solution_notebook(), sol / NAME)
    exercises.build(sol, ex)
    submitted = tmp_path / "submitted"
    write(solution_notebook(), submitted / "ana" / "90_fixture" / NAME)  # nbgrader layout
    write(nbformat.read(ex / NAME, as_version=4), submitted / "bo" / NAME)  # untouched
    wrong = nbformat.read(ex / NAME, as_version=4)
    for cell in wrong.cells:
        if "def mean" in cell.source:
            cell.source = WRONG_MEAN
        if "def square" in cell.source:
            cell.source = "# Exercise 90.2: Return x squared.\ndef square(x):\n    return x * x"
    write(wrong, submitted / "cy" / NAME)
    return sol, submitted, tmp_path


def _rows(path):
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        return reader.fieldnames, {row["student"]: row for row in reader}


@pytest.mark.notebooks
def test_batch_writes_csv_with_progress_then_regrades_one_student(course):
    sol, submitted, tmp = course
    scores, progress = tmp / "out" / "scores.csv", io.StringIO()
    grade_batch(
        submitted, scores, sol, timeout=60, feedback_dir=tmp / "feedback", progress=progress
    )
    header, rows = _rows(scores)
    assert header == ["student", "90.1", "90.2", "score", "max_score", "notebooks", "needs_a_look"]
    assert {s: (r["90.1"], r["90.2"], r["score"], r["max_score"]) for s, r in rows.items()} == {
        "ana": ("1", "1", "2", "2"),
        "bo": ("0", "0", "0", "2"),
        "cy": ("0", "1", "1", "2"),
    }
    lines = progress.getvalue().splitlines()
    assert lines[0].startswith("[1/3] grading ana/90_fixture/90_fixture.ipynb")
    assert any(
        line.startswith("[3/3] cy/90_fixture.ipynb: 1/2 (") and "left)" in line for line in lines
    )
    assert lines[-1].startswith("graded 3 notebook(s) of 3 student(s)")
    feedback = (tmp / "feedback" / "cy" / "90_fixture.txt").read_text(encoding="utf-8")
    assert "Exercise 90.1 is not right yet" in feedback and "Score: 1/2" in feedback

    # cy fixes exercise 90.1: regrade cy only; ana and bo keep their rows untouched
    fixed = nbformat.read(submitted / "cy" / NAME, as_version=4)
    for cell in fixed.cells:
        if cell.source == WRONG_MEAN:
            cell.source = cell.source.replace("np.sum(x))", "np.sum(x) / len(x))")
    write(fixed, submitted / "cy" / NAME)
    progress = io.StringIO()
    grade_batch(submitted, scores, sol, students=["cy"], timeout=60, progress=progress)
    assert progress.getvalue().startswith("[1/1] grading cy/90_fixture.ipynb")
    header2, rows2 = _rows(scores)
    assert header2 == header
    assert rows2["cy"]["score"] == "2" and rows2["ana"] == rows["ana"] and rows2["bo"] == rows["bo"]
    assert [p.name for p in scores.parent.iterdir()] == ["scores.csv"]  # no temporary file left


def test_find_submissions_skips_checkpoints_and_filters_students(tmp_path):
    for rel in [
        "ana/a/01_x.ipynb",
        "ana/.ipynb_checkpoints/01_x-checkpoint.ipynb",
        "bo/01_x.ipynb",
        ".hidden/01_x.ipynb",
    ]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("{}")
    assert [(s, p.name) for s, p in find_submissions(tmp_path)] == [
        ("ana", "01_x.ipynb"),
        ("bo", "01_x.ipynb"),
    ]
    assert [s for s, _ in find_submissions(tmp_path, ["bo"])] == ["bo"]
    with pytest.raises(FileNotFoundError, match=r"--student zed: no notebook .* ana, bo"):
        find_submissions(tmp_path, ["zed"])


def test_cli_errors_name_the_argument(tmp_path, capsys):
    assert main(["--batch", str(tmp_path / "nope"), "--csv", str(tmp_path / "s.csv")]) == 2
    assert "--batch" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main([str(tmp_path / "a.ipynb"), "--batch", str(tmp_path)])
    assert "not both" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["--student", "ana", str(tmp_path / "a.ipynb")])
    assert "--batch" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main([])
    assert "--batch SUBMISSIONS_DIR" in capsys.readouterr().err


def test_csv_cells_cannot_become_formulas(tmp_path):
    from course_lib.tools.grade import _write_atomic_csv

    path = tmp_path / "s.csv"
    _write_atomic_csv(
        path, ["student", "needs_a_look"], [{"student": "=1+1", "needs_a_look": "@x"}]
    )
    assert path.read_text(encoding="utf-8").splitlines()[1] == "'=1+1,'@x"


def test_a_folder_without_student_sub_folders_explains_the_layout(tmp_path, capsys):
    """Before: exit 0, "graded 0 notebook(s) of 0 student(s)" and an empty scores.csv."""
    for name in ["01_loss_functions.ipynb", "02_gradient_descent.ipynb"]:
        (tmp_path / name).write_text("{}")
    scores = tmp_path / "out" / "s.csv"
    assert main(["--batch", str(tmp_path), "--csv", str(scores)]) == 2
    err = capsys.readouterr().err
    assert "no student sub-folder" in err and "found 2 notebook(s) directly inside" in err
    assert "<student>" in err and not scores.exists()
