"""Colab and Binder: badges and the bootstrap cell, tested offline with a local clone."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from course_lib.tools import cloud

ROOT = Path(__file__).resolve().parent.parent


def test_project_info_comes_from_pyproject():
    url, ref = cloud.project_info()
    assert url.startswith("https://github.com/")
    import course_lib

    assert ref == f"v{course_lib.__version__}"


def test_project_info_names_what_is_missing(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[project]\nversion = "1.0"\n')
    with pytest.raises(ValueError, match=r"\[project.urls\] Repository"):
        cloud.project_info(tmp_path)


def test_badges_reject_a_non_github_url():
    with pytest.raises(ValueError, match=r"url='https://gitlab.com/o/r'.*github.com/OWNER/NAME"):
        cloud.badges("notebooks/x.ipynb", "https://gitlab.com/o/r", "v1")


def _git(*args: str, cwd: Path) -> None:
    subprocess.run(
        ["git", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
        env={
            "GIT_AUTHOR_NAME": "t",
            "GIT_AUTHOR_EMAIL": "t@t",
            "GIT_COMMITTER_NAME": "t",
            "GIT_COMMITTER_EMAIL": "t@t",
            "HOME": str(cwd),
            "PATH": "/usr/bin:/bin",
        },
    )


@pytest.fixture(scope="module")
def local_repository(tmp_path_factory):
    """A git repository holding course_lib and the data, tagged like a release."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path_factory.mktemp("remote")
    shutil.copytree(
        ROOT / "course_lib", repo / "course_lib", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copytree(ROOT / "datasets", repo / "datasets")
    _git("init", "-q", cwd=repo)
    _git("add", "-A", cwd=repo)
    _git("commit", "-q", "-m", "release", cwd=repo)
    _git("tag", "v-test", cwd=repo)
    return repo


def test_bootstrap_fetches_the_course_where_it_is_missing(local_repository, tmp_path):
    """As on Colab: no course_lib importable; the cell clones it and it imports."""
    code = cloud.bootstrap_source(f"file://{local_repository}", "v-test") + (
        "\nimport pathlib, course_lib\n"
        "print(course_lib.__file__)\n"
        "print((pathlib.Path(course_lib.__file__).parent.parent / 'datasets' / 'manifest.json')"
        ".is_file())\n"
    )
    # -S: no site-packages and no PYTHONPATH, so the course installed here is invisible
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    for _attempt in range(2):  # a second run (after a kernel restart) reuses the clone
        out = subprocess.run(
            [sys.executable, "-S", "-c", code],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert out.returncode == 0, out.stderr
        lines = out.stdout.split()
        assert lines[0] == str(tmp_path / "course" / "course_lib" / "__init__.py")
        assert lines[1] == "True"


def test_bootstrap_does_nothing_in_a_clone(tmp_path):
    code = cloud.bootstrap_source("https://github.com/o/unreachable", "v0")
    subprocess.run([sys.executable, "-c", code], cwd=tmp_path, check=True, timeout=60)
    assert not (tmp_path / "course").exists()
