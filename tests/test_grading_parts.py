"""Fast checks of the grader's parts (course_lib/tools/grading): no kernel is started here."""

from __future__ import annotations

import nbformat
import pytest

from course_lib.tools.grading import sandbox
from course_lib.tools.grading.scan import scan_source

TOOLS = sandbox.ROOT / "course_lib" / "tools"


def test_every_file_of_the_grader_is_hashed():
    guarded = set(sandbox.guarded_files(sandbox.ROOT / "solutions" / "03_x.ipynb"))
    grader = {TOOLS / "grade.py", *(TOOLS / "grading").rglob("*.py")}
    assert len(grader) >= 9 and grader <= guarded
    checks = sandbox.ROOT / "course_lib" / "checks"
    assert {checks / "_core.py", checks / "_recording.py", checks / "_results.py"} <= guarded


def test_the_copy_next_to_a_submission_has_no_grader(tmp_path):
    sandbox._copy_course(tmp_path / "course")
    try:
        tools = tmp_path / "course" / "course_lib" / "tools"
        assert not (tools / "grade.py").exists() and not (tools / "grading").exists()
        assert (tools / "cli.py").is_file() and (tools / "exercises.py").is_file()
        assert (tmp_path / "course" / "course_lib" / "checks" / "_recording.py").is_file()
    finally:
        sandbox._make_writable(tmp_path)


@pytest.mark.parametrize(
    "line",
    [
        "from course_lib.tools.grading import sandbox",
        "import course_lib.tools.grading.replay as r",
        "from course_lib.tools import grade",
        "import course_lib.tools.grade",
        "path = folder / 'tools' / 'grading/sandbox.py'",
        "(folder / 'grade.py').write_text('')",
    ],
)
def test_lines_that_touch_the_grader_are_flagged(line):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(line)])
    assert [reason for _, _, reason in scan_source(nb, set())] == ["touches the grader"]


@pytest.mark.parametrize(
    "line", ["import course_lib.checks._recording as rec", "from course_lib.checks import _results"]
)
def test_lines_that_use_the_checks_internals_are_flagged(line):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(line)])
    assert [reason for _, _, reason in scan_source(nb, set())] == [
        "uses the self-checks' internals"
    ]


@pytest.mark.parametrize(
    "line", ["grades = [1, 2]", "upgrade(x)", "gradient = 2 * x", "grading_scale = 5"]
)
def test_ordinary_lines_are_not_flagged(line):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(line)])
    assert scan_source(nb, set()) == []
