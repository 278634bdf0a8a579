"""The book: staging (fast, no Sphinx needed) and one full build (needs the book extras)."""

from __future__ import annotations

import importlib.util
import json
import re

import pytest

from course_lib.tools import book
from course_lib.tools.coursemap import chapters

REPO = "https://github.com/o/r"


@pytest.mark.parametrize(
    "text, folder, expected",
    [
        ("[map](../README.md#course-map)", "notebooks", "[map](../index.md#course-map)"),
        ("[map](README.md#course-map)", "", "[map](index.md#course-map)"),
        (
            "[ex](../exercises/01_loss_functions.ipynb)",
            "notebooks",
            "[ex](../exercises/01_loss_functions.ipynb)",
        ),
        (
            "[l](../notebooks/01_loss_functions.ipynb)",
            "exercises",
            "[l](../notebooks/01_loss_functions.ipynb)",
        ),
        (
            "[g](notebooks/02_gradient_descent.ipynb#section)",
            "",
            "[g](notebooks/02_gradient_descent.ipynb#section)",
        ),
        ("[answers](../solutions/)", "notebooks", f"[answers]({REPO}/tree/main/solutions/)"),
        (
            "[sol](../solutions/01_loss_functions.ipynb)",
            "notebooks",
            f"[sol]({REPO}/blob/main/solutions/01_loss_functions.ipynb)",
        ),
        (
            "[setup](../README.md#quickstart)",
            "notebooks",
            f"[setup]({REPO}/blob/main/README.md#quickstart)",
        ),
        (
            "[w](https://example.org/a.ipynb) [s](#top) [m](mailto:a@b.c)",
            "notebooks",
            "[w](https://example.org/a.ipynb) [s](#top) [m](mailto:a@b.c)",
        ),
        (
            '<a href="../solutions/">x</a>',
            "notebooks",
            f'<a href="{REPO}/tree/main/solutions/">x</a>',
        ),
    ],
)
def test_rewrite_links(text, folder, expected):
    assert book.rewrite_links(text, folder, REPO) == expected


def test_rewrite_links_in_outputs_point_to_html_pages():
    text = "[01](../notebooks/01_x.ipynb) [map](../README.md#course-map) [g](../GLOSSARY.md)"
    assert book.rewrite_links(text, "notebooks", REPO, output=True) == (
        "[01](../notebooks/01_x.html) [map](../index.html#course-map) [g](../GLOSSARY.html)"
    )


def test_rewrite_links_collects_images():
    images = set()
    text = "![plot](../datasets/figure.png)"
    assert book.rewrite_links(text, "notebooks", REPO, images=images) == text
    assert images == {"datasets/figure.png"}


def test_toctree_lists_every_chapter_and_its_exercises_in_order():
    items = chapters()
    toc = book.toctree_markdown(items)
    lessons = re.findall(r"<notebooks/(\d\d)_", toc)
    assert lessons == [ch.number for ch in items]
    assert re.findall(r"<exercises/(\d\d)_", toc) == [ch.number for ch in items if ch.has_exercises]
    assert "Glossary <GLOSSARY>" in toc


def test_index_needs_the_course_map_placeholder():
    with pytest.raises(book.BookError, match=r"placeholder \{course_map\}"):
        book.index_markdown("# A book without a map", chapters(), REPO)


def test_stage_writes_every_page_with_working_links(tmp_path):
    pages = book.stage(tmp_path)
    items = chapters()
    assert "index.md" in pages and "GLOSSARY.md" in pages
    assert {f"notebooks/{ch.filename}" for ch in items} <= set(pages)
    assert {f"exercises/{ch.filename}" for ch in items if ch.has_exercises} <= set(pages)
    assert (tmp_path / "conf.py").is_file() and (tmp_path / "_static" / "book.css").is_file()
    index = (tmp_path / "index.md").read_text(encoding="utf-8")
    assert "{course_map}" not in index and "{toctrees}" not in index
    assert "## Course map" in index
    for page in pages:
        if not page.endswith(".ipynb"):
            continue
        nb = json.loads((tmp_path / page).read_text(encoding="utf-8"))
        text = json.dumps(nb)
        assert not re.search(r"\]\((\.\./)?README\.md", text), f"{page}: a README link is left"
        assert "application/vnd.jupyter.widget-view+json" not in text, page
    staged_02 = (tmp_path / "notebooks" / "02_gradient_descent.ipynb").read_text(encoding="utf-8")
    assert "widget-note" in staged_02  # the explorer became a note


def test_build_refuses_to_replace_a_folder_that_is_not_a_book(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    if book._missing_extras():
        pytest.skip('the book needs its extras: pip install -e ".[book]"')
    with pytest.raises(book.BookError, match=r"--out .* is not an earlier build"):
        book.build(tmp_path)
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_main_without_extras_says_how_to_install(monkeypatch, capsys):
    monkeypatch.setattr(book, "_missing_extras", lambda: ["sphinx"])
    assert book.main(["build", "--out", "unused"]) == 2
    assert 'pip install -e ".[book]"' in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.skipif(
    any(importlib.util.find_spec(m) is None for m in ("sphinx", "myst_nb", "sphinx_book_theme")),
    reason='the book needs its extras: pip install -e ".[book]"',
)
def test_build_makes_a_page_per_chapter_offline(tmp_path):
    out = book.build(tmp_path / "book")
    for ch in chapters():
        html = (out / "notebooks" / f"{ch.number}_{ch.slug}.html").read_text(encoding="utf-8")
        assert ch.title.split(":")[0] in html
    assert (out / "search.html").is_file() and (out / "searchindex.js").is_file()
    assert (out / "GLOSSARY.html").is_file()
    assert not (tmp_path / "jupyter_execute").exists()  # MyST-NB's cache stayed in a temp dir
