"""nbtools (execute, clean, lint) and coursemap on fixture notebooks."""

from __future__ import annotations

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from course_lib.tools import cloud, coursemap, nbtools


def _nb(*sources):
    return new_notebook(cells=[new_code_cell(s) for s in sources])


def test_lint_flags_errors_warnings_paths_and_widget_state():
    nb = _nb("1/0", "import warnings", "print('/work/main/x')")
    for i, cell in enumerate(nb.cells, 1):
        cell.execution_count = i
    nb.cells[0].outputs = [
        new_output("error", ename="ZeroDivisionError", evalue="division by zero", traceback=[])
    ]
    nb.cells[1].outputs = [new_output("stream", name="stderr", text="UserWarning: careful")]
    nb.cells[2].outputs = [new_output("stream", name="stdout", text="/work/main/x")]
    nb.metadata["widgets"] = {"state": {}}
    problems = "\n".join(nbtools.lint_notebook(nb, "x.ipynb"))
    assert "committed output is an error (ZeroDivisionError" in problems
    assert "a warning is shown" in problems
    assert "absolute path" in problems
    assert "saved widget state" in problems


def test_lint_flags_unexecuted_or_out_of_order():
    nb = _nb("a = 1", "b = 2")
    nb.cells[0].execution_count, nb.cells[1].execution_count = 2, 1
    assert "not 1..2 in order" in nbtools.lint_notebook(nb, "x.ipynb")[0]


@pytest.mark.notebooks
def test_execute_runs_in_the_notebook_folder_and_cleans(tmp_path):
    (tmp_path / "data.txt").write_text("42")
    nb = _nb("print(open('data.txt').read())")
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {}}
    path = tmp_path / "n.ipynb"
    nbformat.write(nb, path)
    nbtools.execute_notebook(path, timeout=60)
    out = nbformat.read(path, as_version=4)
    assert out.cells[0].outputs[0]["text"].strip() == "42"
    assert out.cells[0].execution_count == 1
    assert "widgets" not in out.metadata
    assert nbtools.lint_notebook(out, "n.ipynb") == []


def test_coursemap_table_nav_and_readme(tmp_path):
    for name, title, minutes in [("00_start_here", "Start", 10), ("01_losses", "Losses", 30)]:
        nb = new_notebook(cells=[new_markdown_cell(f"# {title}\n\n**Time:** ~{minutes} min")])
        nbformat.write(
            nb,
            (tmp_path / "notebooks").mkdir(exist_ok=True)
            or tmp_path / "notebooks" / f"{name}.ipynb",
        )
    (tmp_path / "exercises").mkdir()
    nbformat.write(new_notebook(), tmp_path / "exercises" / "01_losses.ipynb")
    (tmp_path / "README.md").write_text(
        f"# T\n\nintro\n{coursemap.START}\nold\n{coursemap.END}\nend\n"
    )
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nversion = "1.2"\n[project.urls]\nRepository = "https://github.com/o/r"\n'
    )
    items = coursemap.chapters(tmp_path)
    assert [(c.number, c.title, c.minutes, c.has_exercises) for c in items] == [
        ("00", "Start", 10, False),
        ("01", "Losses", 30, True),
    ]
    changed = coursemap.sync(tmp_path)
    assert changed == [
        "README.md (course map)",
        "README.md (Colab/Binder badges)",
        "notebooks/00_start_here.ipynb (navigation, Colab/Binder cells)",
        "notebooks/01_losses.ipynb (navigation, Colab/Binder cells)",
    ]
    readme = (tmp_path / "README.md").read_text()
    assert readme.splitlines()[2].startswith("[![Open In Colab]") and "/o/r/blob/v1.2/" in readme
    first = nbformat.read(tmp_path / "notebooks" / "01_losses.ipynb", as_version=4).cells
    assert "github/o/r/blob/v1.2/notebooks/01_losses.ipynb" in first[0].source
    boot = [c for c in first if cloud.BOOTSTRAP_TAG in c.metadata.get("tags", [])]
    assert [c.source for c in boot] == [cloud.bootstrap_source("https://github.com/o/r", "v1.2")]
    assert (
        "| 01 | [Losses](notebooks/01_losses.ipynb) | ~30 min | [exercises](exercises/01_losses.ipynb) |"
        in readme
    )
    assert '<a id="course-map"></a>' in readme  # what the nav's #course-map lands on
    nav = next(c.source for c in first if coursemap.NAV_TAG in c.metadata.get("tags", []))
    assert nav.startswith("← Previous: [00 Start](00_start_here.ipynb)")
    assert "[Course map](../README.md#course-map)" in nav
    assert coursemap.sync(tmp_path) == []  # idempotent


def test_readme_without_markers_is_explained(tmp_path):
    with pytest.raises(ValueError, match="needs the markers"):
        coursemap.readme_with_map("no markers here", [])


@pytest.mark.parametrize("command", ["execute", "clean", "lint"])
def test_a_missing_notebook_is_one_error_line(command, tmp_path, capsys):
    """Before: a traceback (FileNotFoundError) and exit status 1."""
    missing = tmp_path / "missing.ipynb"
    assert nbtools.main([command, str(missing)]) == 2
    err = capsys.readouterr().err
    assert err == f"course nb: error: {missing}: no such notebook\n"


def test_book_out_where_nothing_can_be_written_is_one_error_line(capsys):
    """Before: a traceback (OSError) from deep inside the build."""
    from course_lib.tools import book

    assert book.main(["build", "--out", "/proc/x"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("course book: error: --out /proc/x: cannot write there")
    assert len(err.splitlines()) == 1
