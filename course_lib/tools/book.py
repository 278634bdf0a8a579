"""Build the course as a static HTML book: the executed lessons, read in a browser.

Self-study readers read before they run anything.  This module turns the
committed notebooks into a website (Sphinx + MyST-NB + the book theme):

    pip install -e ".[book]"
    course book build              # -> build/book/index.html
    course book build --out DIR

The notebooks are **not** executed: the book shows the outputs committed in
``notebooks/``.  The build needs no network (no intersphinx, nothing fetched).
The pages are *staged* first, in a temporary folder:

- ``index.md`` from ``book/index.md``, with the course map and the table of
  contents generated from :func:`course_lib.tools.coursemap.chapters` (never typed);
- ``notebooks/`` and ``exercises/`` copied, with links that point outside the
  book (``../README.md#course-map``, ``../solutions/``, a data file)
  rewritten: the course map goes to the book's index, anything else to the
  file on the repository (``[project.urls] Repository``);
- widget views (which need a live kernel) replaced by a one-line note: every
  explorer also draws a static figure, which the book shows;
- ``GLOSSARY.md`` as a page.

Sphinx runs with ``-W``: a link to a page that does not exist fails the build
and names the page.

>>> rewrite_links("[map](../README.md#course-map)", "notebooks", "https://github.com/o/r")
'[map](../index.md#course-map)'
>>> rewrite_links("[answers](../solutions/)", "notebooks", "https://github.com/o/r")
'[answers](https://github.com/o/r/tree/main/solutions/)'
>>> rewrite_links("[next](02_gradient_descent.ipynb)", "notebooks", "https://github.com/o/r")
'[next](02_gradient_descent.ipynb)'
"""

from __future__ import annotations

import argparse
import posixpath
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from course_lib.tools.cloud import project_info
from course_lib.tools.coursemap import Chapter, chapters, map_markdown

__all__ = [
    "WIDGET_NOTE",
    "BookError",
    "build",
    "index_markdown",
    "main",
    "rewrite_links",
    "stage",
    "toctree_markdown",
]

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUT = ROOT / "build" / "book"
BRANCH = "main"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
WIDGET_NOTE = (
    '<p class="widget-note">Interactive explorer: run this notebook in JupyterLab '
    "to move its sliders. The figure above shows its default setting.</p>"
)
#: Folders whose notebooks become pages, and the single files that do.
PAGE_FOLDERS = ("notebooks", "exercises")
PAGE_FILES = ("GLOSSARY.md",)
_IMAGE = re.compile(r"\.(png|jpe?g|gif|svg|webp)$", re.IGNORECASE)
# A markdown link or image target: ](target) or ](target "title"); targets have no spaces.
_MD_LINK = re.compile(r"(\]\()([^)\s]+)((?:\s+\"[^\"]*\")?\))")
_HTML_LINK = re.compile(r"""((?:href|src)=["'])([^"']+)(["'])""")
_EXTERNAL = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|#|/)", re.IGNORECASE)


class BookError(RuntimeError):
    """The book cannot be built; the message says why and how to fix it."""


def _is_page(path: str, root: Path | None) -> bool:
    """Whether a repository path (posix, relative to the root) becomes a page of the book."""
    if path in PAGE_FILES:
        return True
    folder, _, name = path.partition("/")
    return folder in PAGE_FOLDERS and "/" not in name and name.endswith(".ipynb")


def rewrite_links(
    text: str,
    folder: str,
    repository: str,
    root: Path | None = None,
    images: set[str] | None = None,
    output: bool = False,
) -> str:
    """Rewrite the relative links of one markdown text so they work in the book.

    Parameters
    ----------
    text : str
        Markdown (inline links ``[text](target)``, images, or HTML ``href``/``src``).
    folder : str
        The folder of the page inside the repository (``"notebooks"``, ``""`` for the root).
    repository : str
        The repository URL; links to files that are not pages go there.
    root : Path, optional
        The repository root, to tell folders (``tree/``) from files (``blob/``); without
        it a target ending in ``/`` is a folder.
    images : set of str, optional
        Collects the repository paths of relative images, which the book copies.
    output : bool
        ``True`` for a cell's markdown *output*: MyST-NB renders it without resolving
        links to pages, so they are written as links to the ``.html`` pages.

    Returns
    -------
    str
        The text with links to pages kept (MyST resolves them), ``README.md#course-map``
        sent to the book's index and every other relative link sent to the repository.

    Examples
    --------
    >>> rewrite_links('<img src="../datasets/fig.png">', "notebooks", "https://github.com/o/r")
    '<img src="../datasets/fig.png">'
    >>> rewrite_links("[data](../datasets/README.md#files)", "notebooks", "https://github.com/o/r")
    '[data](https://github.com/o/r/blob/main/datasets/README.md#files)'
    >>> rewrite_links("[ex](../exercises/01_x.ipynb)", "notebooks", "u", output=True)
    '[ex](../exercises/01_x.html)'
    """

    def fix(match: re.Match) -> str:
        head, target, tail = match.groups()
        if _EXTERNAL.match(target):
            return match.group(0)
        path, hashmark, anchor = target.partition("#")
        resolved = posixpath.normpath(posixpath.join(folder, path)) if path else ""
        if resolved.startswith(".."):
            return match.group(0)  # outside the repository: leave to Sphinx
        if _is_page(resolved, root):
            if output:
                path = re.sub(r"\.(ipynb|md)$", ".html", path)
                return f"{head}{path}{hashmark}{anchor}{tail}"
            return match.group(0)
        up = posixpath.relpath(".", folder) if folder else "."
        if resolved == "README.md" and anchor == "course-map":
            index = "index.html" if output else "index.md"
            return f"{head}{index if up == '.' else posixpath.join(up, index)}#course-map{tail}"
        if _IMAGE.search(resolved):
            if images is not None:
                images.add(resolved)
            return match.group(0)
        is_folder = path.endswith("/") or (root is not None and (root / resolved).is_dir())
        kind = "tree" if is_folder else "blob"
        url = f"{repository.rstrip('/')}/{kind}/{BRANCH}/{'' if resolved == '.' else resolved}"
        if path.endswith("/") and not url.endswith("/"):
            url += "/"
        return f"{head}{url}{hashmark}{anchor}{tail}"

    return _HTML_LINK.sub(fix, _MD_LINK.sub(fix, text))


def toctree_markdown(items: list[Chapter]) -> str:
    """The book's table of contents (MyST toctrees) generated from the course map.

    >>> from course_lib.tools.coursemap import Chapter
    >>> print(toctree_markdown([Chapter("01", "loss_functions", "Loss functions", 40, True)]))
    ```{toctree}
    :caption: Lessons
    :hidden:
    <BLANKLINE>
    01 · Loss functions <notebooks/01_loss_functions>
    ```
    <BLANKLINE>
    ```{toctree}
    :caption: Exercises
    :hidden:
    <BLANKLINE>
    01 · Loss functions: exercises <exercises/01_loss_functions>
    ```
    <BLANKLINE>
    ```{toctree}
    :caption: Reference
    :hidden:
    <BLANKLINE>
    Glossary <GLOSSARY>
    ```
    """

    def tree(caption: str, entries: list[str]) -> str:
        return "\n".join(["```{toctree}", f":caption: {caption}", ":hidden:", "", *entries, "```"])

    lessons = [f"{ch.number} · {ch.title} <notebooks/{ch.number}_{ch.slug}>" for ch in items]
    exercises = [
        f"{ch.number} · {ch.title}: exercises <exercises/{ch.number}_{ch.slug}>"
        for ch in items
        if ch.has_exercises
    ]
    parts = [tree("Lessons", lessons)]
    if exercises:
        parts.append(tree("Exercises", exercises))
    parts.append(tree("Reference", ["Glossary <GLOSSARY>"]))
    return "\n\n".join(parts)


def index_markdown(template: str, items: list[Chapter], repository: str) -> str:
    """Fill ``book/index.md``: ``{repository}``, ``{course_map}`` and ``{toctrees}``.

    >>> index_markdown("{repository} {course_map}", [], "https://github.com/o/r")
    'https://github.com/o/r | # | chapter | time | exercises |\\n|---|---|---|---|\\n\\n0 chapters, about 0.0 hours in all.'
    """
    for key in ("{course_map}",):
        if key not in template:
            raise BookError(
                f"book/index.md must contain the placeholder {key}: the course map "
                f"is generated there. Add a line '{key}' under '## Course map'."
            )
    return (
        template.replace("{repository}", repository)
        .replace("{course_map}", map_markdown(items))
        .replace("{toctrees}", toctree_markdown(items))
    )


def _stage_notebook(
    source: Path, target: Path, folder: str, repository: str, root: Path, images: set[str]
) -> None:
    nb = nbformat.read(source, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = rewrite_links(cell.source, folder, repository, root, images)
        elif cell.cell_type == "code":
            outputs = []
            for output in cell.get("outputs", []):
                data = output.get("data", {})
                if "text/markdown" in data:
                    data["text/markdown"] = rewrite_links(
                        data["text/markdown"], folder, repository, root, images, output=True
                    )
                if WIDGET_MIME in data:
                    output = nbformat.v4.new_output(
                        "display_data",
                        data={
                            "text/html": WIDGET_NOTE,
                            "text/plain": "Interactive explorer (needs a live kernel).",
                        },
                    )
                outputs.append(output)
            cell.outputs = outputs
    nb.metadata.pop("widgets", None)
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, target)


def stage(dest: Path, root: Path = ROOT) -> list[str]:
    """Write the book's source pages into ``dest``; return their paths (posix, sorted).

    ``dest`` gets ``conf.py`` and ``_static/`` from ``book/``, the generated
    ``index.md``, the lessons and exercises notebooks and ``GLOSSARY.md``.
    """
    root, dest = Path(root), Path(dest)
    book = root / "book"
    if not (book / "conf.py").is_file() or not (book / "index.md").is_file():
        raise BookError(
            f"{book} must contain conf.py and index.md (the book's configuration "
            f"and front page); restore them from the repository."
        )
    repository, _ = project_info(root)
    items = chapters(root)
    if not items:
        raise BookError(
            f"no chapters found in {root / 'notebooks'} (expected NN_slug.ipynb "
            f"files): run the build from a clone of the course."
        )
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy2(book / "conf.py", dest / "conf.py")
    if (book / "_static").is_dir():
        shutil.copytree(book / "_static", dest / "_static", dirs_exist_ok=True)
    template = (book / "index.md").read_text(encoding="utf-8")
    (dest / "index.md").write_text(index_markdown(template, items, repository), encoding="utf-8")
    pages = ["index.md"]
    images: set[str] = set()
    for folder in PAGE_FOLDERS:
        for source in sorted((root / folder).glob("[0-9][0-9]_*.ipynb")):
            _stage_notebook(source, dest / folder / source.name, folder, repository, root, images)
            pages.append(f"{folder}/{source.name}")
    for name in PAGE_FILES:
        if (root / name).is_file():
            text = rewrite_links(
                (root / name).read_text(encoding="utf-8"), "", repository, root, images
            )
            (dest / name).write_text(text, encoding="utf-8")
            pages.append(name)
    for image in sorted(images):
        if (root / image).is_file():
            (dest / image).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(root / image, dest / image)
    return sorted(pages)


def _missing_extras() -> list[str]:
    import importlib.util

    return [
        name
        for name in ("sphinx", "myst_nb", "sphinx_book_theme")
        if importlib.util.find_spec(name) is None
    ]


def build(out: Path = DEFAULT_OUT, root: Path = ROOT, quiet: bool = True) -> Path:
    """Build the HTML book into ``out`` (replacing an earlier book there); return ``out``.

    Raises
    ------
    BookError
        If the ``book`` extras are missing, if ``out`` is a folder that is not an
        earlier book, or if Sphinx reports any warning (e.g. a broken link).
    """
    missing = _missing_extras()
    if missing:
        raise BookError(
            f"the book needs {', '.join(missing)}: install the extras with "
            f'pip install -e ".[book]" and run the build again.'
        )
    out = Path(out).resolve()
    if out.exists() and (
        not out.is_dir() or (any(out.iterdir()) and not (out / ".buildinfo").exists())
    ):
        raise BookError(
            f"--out {out} exists and is not an earlier build of the book "
            f"(no .buildinfo inside); choose an empty or new folder."
        )
    with tempfile.TemporaryDirectory(prefix="course-book-") as tmp:
        # Sphinx writes into tmp first (MyST-NB puts its image cache beside the output
        # folder, so that stays in tmp too); a failed build leaves an earlier book intact.
        src, html = Path(tmp) / "src", Path(tmp) / "html"
        stage(src, root)
        command = [
            sys.executable,
            "-m",
            "sphinx",
            "-b",
            "html",
            "-W",
            "--keep-going",
            "-d",
            str(Path(tmp) / "doctrees"),
            str(src),
            str(html),
        ]
        if quiet:
            command.insert(3, "-q")
        result = subprocess.run(command, check=False, capture_output=quiet, text=True)
        if result.returncode != 0:
            detail = (result.stderr or "").replace(str(src) + "/", "")
            raise BookError(
                f"Sphinx failed (exit {result.returncode}); fix what it reports "
                f"(paths are relative to the staged book):\n{detail}"
            )
        if out.exists():
            shutil.rmtree(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(html, out)
    return out


def _unwritable(out: Path) -> str:
    """Why the book cannot go to ``out`` ('' when it can): its folder is made, then tested.

    >>> bool(_unwritable(Path("/proc/no/book")))
    True
    """
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out):
            pass
    except OSError as error:
        return error.strerror or type(error).__name__
    return ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="course book", description="Build the course as a static HTML book."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p_build = sub.add_parser("build", help="build the book (the notebooks are not executed)")
    p_build.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_OUT,
        help=f"output folder (default: {DEFAULT_OUT.relative_to(ROOT)})",
    )
    p_build.add_argument("--verbose", action="store_true", help="show Sphinx's progress")
    args = parser.parse_args(argv)
    problem = _unwritable(args.out)
    if problem:
        print(
            f"course book: error: --out {args.out}: cannot write there ({problem})", file=sys.stderr
        )
        return 2
    start = time.perf_counter()
    try:
        out = build(args.out, quiet=not args.verbose)
    except BookError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"course book: error: --out {args.out}: {error}", file=sys.stderr)
        return 2
    print(f"book built in {time.perf_counter() - start:.0f} s: open {out / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
