"""The course map and the previous/next navigation, generated from the files.

Nothing here is typed by hand: chapters are the ``notebooks/NN_slug.ipynb``
files present, titles come from each notebook's first ``# heading`` and time
estimates from its ``**Time:** ~NN min`` line.

    course map          # rewrite README's map and the nav cells
    course map --check  # exit 1 if either is out of date

>>> parse_time("**Time:** ~25 min")
25
>>> parse_time("no estimate") is None
True
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat

from course_lib.tools import cloud

__all__ = [
    "Chapter",
    "chapters",
    "map_markdown",
    "nav_markdown",
    "parse_time",
    "readme_with_map",
    "sync",
    "main",
]

ROOT = Path(__file__).resolve().parents[2]
START, END = "<!-- course-map:start -->", "<!-- course-map:end -->"
NAV_TAG = "course-nav"
#: Where every "Course map" link points: ``../README.md#course-map``.  GitHub
#: derives that id from the "## Course map" heading, but JupyterLab keeps the
#: case ("Course-map"), so the README also carries this explicit anchor.
ANCHOR = "course-map"
_TIME = re.compile(r"\*\*Time:\*\*\s*~?\s*(\d+)\s*min", re.IGNORECASE)
_NUMBER_PREFIX = re.compile(r"^\d+\s*[·.:-]\s*")  # "03 · Adam" -> "Adam" (the map shows the number)
_NAME = re.compile(r"^(\d\d)_([a-z0-9_]+)\.ipynb$")


@dataclass
class Chapter:
    number: str
    slug: str
    title: str
    minutes: int | None
    has_exercises: bool

    @property
    def filename(self) -> str:
        return f"{self.number}_{self.slug}.ipynb"


def parse_time(text: str) -> int | None:
    match = _TIME.search(text)
    return int(match.group(1)) if match else None


def _title(nb: nbformat.NotebookNode, fallback: str) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return _NUMBER_PREFIX.sub("", line[2:].strip())
    return fallback


def chapters(root: Path = ROOT) -> list[Chapter]:
    """Every chapter present under ``root/notebooks``, in number order."""
    result = []
    for path in sorted((root / "notebooks").glob("*.ipynb")):
        match = _NAME.match(path.name)
        if not match:
            continue
        nb = nbformat.read(path, as_version=4)
        first_md = next((c.source for c in nb.cells if c.cell_type == "markdown"), "")
        result.append(
            Chapter(
                match.group(1),
                match.group(2),
                _title(nb, match.group(2).replace("_", " ")),
                parse_time(first_md),
                (root / "exercises" / path.name).exists(),
            )
        )
    return result


def map_markdown(items: list[Chapter], prefix: str = "") -> str:
    """A markdown table of the chapters; links are relative to ``prefix``."""
    lines = ["| # | chapter | time | exercises |", "|---|---|---|---|"]
    for ch in items:
        minutes = f"~{ch.minutes} min" if ch.minutes else "–"
        ex = f"[exercises]({prefix}exercises/{ch.filename})" if ch.has_exercises else "–"
        lines.append(
            f"| {ch.number} | [{ch.title}]({prefix}notebooks/{ch.filename}) | {minutes} | {ex} |"
        )
    total = sum(ch.minutes or 0 for ch in items)
    lines.append(f"\n{len(items)} chapters, about {total / 60:.1f} hours in all.")
    return "\n".join(lines)


def nav_markdown(items: list[Chapter], index: int) -> str:
    """The navigation line of chapter ``items[index]`` (links relative to notebooks/)."""
    parts = []
    if index > 0:
        prev = items[index - 1]
        parts.append(f"← Previous: [{prev.number} {prev.title}]({prev.filename})")
    parts.append(f"[Course map](../README.md#{ANCHOR})")
    if index + 1 < len(items):
        nxt = items[index + 1]
        parts.append(f"Next: [{nxt.number} {nxt.title}]({nxt.filename}) →")
    return " · ".join(parts)


def readme_with_map(readme: str, items: list[Chapter]) -> str:
    if START not in readme or END not in readme:
        raise ValueError(f"README.md needs the markers {START} and {END} around the course map")
    head, rest = readme.split(START, 1)
    _, tail = rest.split(END, 1)
    anchor = f'<a id="{ANCHOR}"></a>\n\n'  # lands in JupyterLab as on GitHub
    return f"{head}{START}\n{anchor}{map_markdown(items)}\n{END}{tail}"


def _with_nav(nb: nbformat.NotebookNode, text: str) -> bool:
    """Put ``text`` in the notebook's nav cell (creating it last); True if changed."""
    for cell in nb.cells:
        if cell.cell_type == "markdown" and NAV_TAG in cell.metadata.get("tags", []):
            if cell.source == text:
                return False
            cell.source = text
            return True
    cell = nbformat.v4.new_markdown_cell(text, metadata={"tags": [NAV_TAG]})
    cell["id"] = f"cell-{len(nb.cells)}"
    nb.cells.append(cell)
    return True


def sync(root: Path = ROOT, write: bool = True) -> list[str]:
    """Bring README's map, every notebook's nav cell and the Colab/Binder cells up to date.

    Lessons and solutions get the badges and the bootstrap cell of
    :mod:`course_lib.tools.cloud`; exercises get theirs from the exercises generator.

    Returns what was (or, with ``write=False``, would be) changed.
    """
    from course_lib.tools.nbtools import write_atomic

    items = chapters(root)
    changed = []
    readme_path = root / "README.md"
    readme = readme_path.read_text(encoding="utf-8")
    new = readme_with_map(readme, items)
    if new != readme:
        changed.append("README.md (course map)")
        if write:
            write_atomic(readme_path, new)
    url, ref = cloud.project_info(root)
    with_badges = readme_with_badges(new, url, ref)
    if with_badges != new:
        changed.append("README.md (Colab/Binder badges)")
        if write:
            write_atomic(readme_path, with_badges)
    for index, ch in enumerate(items):
        path = root / "notebooks" / ch.filename
        nb = nbformat.read(path, as_version=4)
        what = []
        if _with_nav(nb, nav_markdown(items, index)):
            what.append("navigation")
        if cloud.add_to_notebook(nb, f"notebooks/{ch.filename}", url, ref):
            what.append("Colab/Binder cells")
        if what:
            changed.append(f"notebooks/{ch.filename} ({', '.join(what)})")
            if write:
                write_atomic(path, nbformat.writes(nb) + "\n")
    for path in sorted((root / "solutions").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        if cloud.add_to_notebook(nb, f"solutions/{path.name}", url, ref):
            changed.append(f"solutions/{path.name} (Colab/Binder cells)")
            if write:
                write_atomic(path, nbformat.writes(nb) + "\n")
    return changed


def readme_with_badges(readme: str, url: str, ref: str) -> str:
    """README with the badge line (Binder and Colab open chapter 00) under its title."""
    lines = readme.split("\n")
    badge = cloud.badges("notebooks/00_start_here.ipynb", url, ref)
    body = [line for line in lines[1:] if not line.startswith("[![Open In Colab]")]
    while body and not body[0].strip():
        body = body[1:]
    return "\n".join([lines[0], "", badge, "", *body])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="course map")
    parser.add_argument("--check", action="store_true", help="only report what is out of date")
    args = parser.parse_args(argv)
    changed = sync(write=not args.check)
    for item in changed:
        print(("out of date: " if args.check else "updated: ") + item)
    if args.check and changed:
        print("Run `course map` and commit the result.")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
