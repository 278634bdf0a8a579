"""The `course` command: one entry point for the tools, declared in pyproject.toml."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from course_lib.tools import cli

ROOT = Path(__file__).resolve().parent.parent


def _run(*argv: str, entry: list[str] | None = None) -> subprocess.CompletedProcess:
    command = (entry or [sys.executable, "-m", "course_lib.tools.cli"]) + list(argv)
    return subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=ROOT)


def test_help_lists_every_command_with_one_line():
    result = _run("--help")
    assert result.returncode == 0, result.stderr
    for name, command in cli.COMMANDS.items():
        assert f"  {name}" in result.stdout and command.summary in result.stdout


@pytest.mark.parametrize("name", list(cli.COMMANDS))
def test_each_command_shows_its_tools_help(name, capsys):
    assert cli.main([name, "--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: ")
    if name != "shop":  # the simulator names itself; every tool says `course <name>`
        assert out.startswith(f"usage: course {name}"), out


def test_subcommand_help_through_the_module():
    result = _run("exercises", "--help")
    assert result.returncode == 0 and "usage: course exercises" in result.stdout
    assert "nbgrader" in result.stdout


def test_unknown_command_suggests_the_close_one():
    result = _run("grde")
    assert result.returncode == 2
    assert "did you mean 'grade'" in result.stderr


def test_no_command_prints_the_list_and_fails():
    result = _run()
    assert result.returncode == 2 and "commands:" in result.stdout


def test_usage_errors_return_the_tools_status(capsys):
    assert cli.main(["grade"]) == 2  # neither a notebook nor --batch
    assert "give the notebook to grade" in capsys.readouterr().err


def test_a_real_command_runs(capsys):
    assert cli.main(["nb", "lint", str(ROOT / "notebooks" / "00_start_here.ipynb")]) in (0, 1)


def test_old_module_commands_still_work():
    result = subprocess.run(
        [sys.executable, "-m", "course_lib.tools.coursemap", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert result.returncode == 0 and "--check" in result.stdout


def test_pyproject_declares_the_script():
    tomllib = pytest.importorskip("tomllib", reason="tomllib is in the standard library from 3.11")
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts == {"course": "course_lib.tools.cli:main"}


def test_installed_entry_point():
    """After `pip install -e .` the `course` script sits beside the interpreter."""
    script = Path(sys.executable).parent / "course"
    found = str(script) if script.exists() else shutil.which("course")
    if not found:
        pytest.skip("the course package is not installed with its scripts (pip install -e .)")
    result = _run("--help", entry=[found])
    assert result.returncode == 0 and "exercises" in result.stdout
    result = _run("map", "--help", entry=[found])
    assert result.returncode == 0 and "usage: course map" in result.stdout


def test_a_release_without_the_grader_says_so(monkeypatch, capsys):
    monkeypatch.setitem(
        cli.COMMANDS, "grade", cli.Command("course_lib.tools.not_shipped", "the grader")
    )
    assert cli.main(["grade", "x.ipynb"]) == 2
    assert "has no course_lib.tools.not_shipped" in capsys.readouterr().err


def test_grading_a_missing_notebook_is_a_usage_error(tmp_path, capsys):
    """Before: exit status 1 and a table "Score: 0/0" under the problem."""
    missing = tmp_path / "missing.ipynb"
    assert cli.main(["grade", str(missing)]) == 2
    captured = capsys.readouterr()
    assert captured.err == f"course grade: error: {missing}: no such file\n"
    assert "Score" not in captured.out
    assert cli.main(["grade", str(tmp_path)]) == 2
    assert "--batch" in capsys.readouterr().err
