"""The student release (no solutions) and the commands INSTRUCTORS.md gives."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from course_lib.tools import cli, exercises, grade

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "INSTRUCTORS.md"


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    out = tmp_path_factory.mktemp("release") / "course-release"
    # the guide's command: course exercises release ../course-release
    assert exercises.main(["release", str(out)]) == 0
    return out


def test_release_has_no_solutions_tests_grader_or_history(release):
    names = {p.name for p in release.iterdir()}
    assert {
        "notebooks",
        "exercises",
        "course_lib",
        "datasets",
        "requirements.txt",
        "README.md",
    } <= names
    assert not {"solutions", "tests", ".git", ".ci", "INSTRUCTORS.md", "book"} & names
    assert not (release / "course_lib" / "tools" / "grade.py").exists()
    assert not (release / "course_lib" / "tools" / "grading").exists()
    assert not list(release.rglob("__pycache__"))
    for path in release.rglob("*.ipynb"):
        text = path.read_text(encoding="utf-8")
        assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text, path


def test_release_exercises_are_generated_fresh(release):
    solutions = sorted((ROOT / "solutions").glob("*.ipynb"))
    assert sorted(p.name for p in (release / "exercises").glob("*.ipynb")) == [
        p.name for p in solutions
    ]
    for path in solutions:
        expected = exercises.make_exercise_notebook(nbformat.read(path, as_version=4), path.name)
        assert (release / "exercises" / path.name).read_text(encoding="utf-8") == nbformat.writes(
            expected, version=4
        ) + "\n"


def test_release_refuses_to_overwrite_or_to_land_inside_the_course(release, capsys):
    assert exercises.main(["release", str(release)]) == 2
    assert "--force" in capsys.readouterr().err
    assert exercises.main(["release", str(ROOT / "build" / "release-inside")]) == 2
    assert "inside the course" in capsys.readouterr().err
    assert not (ROOT / "build" / "release-inside").exists()


def test_release_deletes_itself_when_a_solution_would_leak(tmp_path):
    root = tmp_path / "course"
    from tests.notebook_fixtures import solution_notebook, write

    write(solution_notebook(), root / "solutions" / "90_fixture.ipynb")
    leaky = solution_notebook()
    write(leaky, root / "notebooks" / "90_fixture.ipynb")  # a lesson that kept a solution
    with pytest.raises(exercises.MarkerError, match=r"notebooks/90_fixture.ipynb"):
        exercises.release(tmp_path / "out", root=root)
    assert not (tmp_path / "out").exists()


@pytest.mark.notebooks
def test_release_exercises_run_with_the_release_library(release):
    """Run All of an untouched exercises notebook, importing course_lib from the release."""
    from nbclient import NotebookClient

    nb = nbformat.read(release / "exercises" / "01_loss_functions.ipynb", as_version=4)
    env = {**os.environ, "PYTHONPATH": str(release)}
    env.pop("COURSE_LIB_GRADING_RECORD", None)
    nb.cells.append(nbformat.v4.new_code_cell("import course_lib\nprint(course_lib.__file__)"))
    NotebookClient(
        nb,
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(release / "exercises")}},
    ).execute(env=env, cwd=str(release / "exercises"))
    printed = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
    assert "Exercise 1.1 not started yet" in printed
    assert str(release / "course_lib") in printed


# ------------------------------------------------------------------ the guide's commands
def _guide_commands() -> list[list[str]]:
    blocks = re.findall(r"```bash\n(.*?)```", GUIDE.read_text(encoding="utf-8"), re.DOTALL)
    commands = []
    for block in blocks:
        for line in block.splitlines():
            line = line.split("  #")[0].strip()
            if line:
                commands.append(shlex.split(line))
    return commands


def test_guide_course_commands_parse():
    """Every `course ...` line of INSTRUCTORS.md is accepted by that command's own parser."""
    parsers = {"exercises": exercises._parser(), "grade": grade._parser()}
    seen = set()
    for argv in _guide_commands():
        assert argv[:2] != ["python", "-m"], f"INSTRUCTORS.md should say `course ...`: {argv}"
        if argv[0] == "course":
            assert argv[1] in cli.COMMANDS, f"INSTRUCTORS.md runs an unknown command: {argv}"
            assert argv[1] in parsers, f"no parser checked for `course {argv[1]}`: {argv}"
            parsers[argv[1]].parse_args(argv[2:])  # SystemExit here = a wrong command
            seen.add((argv[1], argv[2]))
    assert {("exercises", "release"), ("exercises", "nbgrader"), ("grade", "--batch")} <= seen


def test_guide_nbgrader_commands_are_the_tested_ones():
    """The nbgrader lines of the guide are those tests/test_nbgrader.py runs (or nbgrader's own)."""
    tested = (ROOT / "tests" / "test_nbgrader.py").read_text(encoding="utf-8")
    nbgrader = [argv[1:] for argv in _guide_commands() if argv[0] == "nbgrader"]
    assert nbgrader == [
        ["generate_assignment", "*", "--force"],
        ["autograde", "*", "--force"],
        ["export", "--to", "grades.csv"],
        ["autograde", "01_loss_functions", "--student", "ana", "--force"],
    ]
    for argv in nbgrader:
        assert f'"{argv[0]}"' in tested and f'"{argv[-1]}"' in tested, argv
    assert '"--student"' in tested


def test_guide_pip_extra_exists():
    tomllib = pytest.importorskip("tomllib", reason="tomllib is in the standard library from 3.11")
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    assert any(
        argv[:3] == ["pip", "install", "-e"] and argv[3] == ".[instructors]"
        for argv in _guide_commands()
    )
    assert any(dep.startswith("nbgrader>=0.9.6") for dep in extras["instructors"])
    requirements = (ROOT / "requirements.txt").read_text()
    assert "nbgrader" not in requirements, "nbgrader is for instructors, not students"


def test_cli_release_runs_as_a_module(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "course_lib.tools.exercises", "release", str(tmp_path / "r")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "wrote the student release" in done.stdout


def _minutes(text: str) -> tuple[int, int | None]:
    """(minutes, optional minutes or None) of a '**Time:**' line or a schedule cell."""
    numbers = [int(n) for n in re.findall(r"(\d+) (?:min|optional)", text)]
    optional = numbers[1] if "optional" in text and len(numbers) > 1 else None
    return numbers[0], optional


def _time_line(path: Path) -> str:
    first = nbformat.read(path, as_version=4).cells[0].source
    return re.search(r"^\*\*Time:\*\*.*?(?:\n\n|\Z)", first, re.M | re.S).group(0)


def test_guide_schedule_matches_the_notebooks():
    """INSTRUCTORS.md's schedule gives the times printed at the top of each notebook."""
    rows = re.findall(
        r"^\| (\d\d) [^|]+\| ([^|]+)\| ([^|]+)\|", GUIDE.read_text(encoding="utf-8"), re.M
    )
    assert len(rows) == len(list(ROOT.glob("solutions/*.ipynb")))
    for chapter, lesson, exercises_time in rows:
        (nb,) = ROOT.glob(f"notebooks/{chapter}_*.ipynb")
        (ex,) = ROOT.glob(f"exercises/{chapter}_*.ipynb")
        assert _minutes(lesson) == _minutes(_time_line(nb)), (chapter, lesson, _time_line(nb))
        assert _minutes(exercises_time) == _minutes(_time_line(ex)), (chapter, exercises_time)
