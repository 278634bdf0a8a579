"""Run the notebooks where the course's files are not beside them: Colab and Binder.

Most students open a notebook in Google Colab or on Binder.  Binder builds the
repository itself (``requirements.txt`` installs ``course_lib``); Colab opens
one notebook file alone.  So every notebook starts with a small *bootstrap*
cell: when ``course_lib`` cannot be imported, it clones the course (library
and data) at the notebook's own version and puts it on the path; in a local
clone it does nothing.  Every lesson and exercises notebook also carries
"Open in Colab" and "Binder" badges.

The repository is named in one place, ``[project.urls] Repository`` in
``pyproject.toml``; the version in ``[project] version`` (a git tag
``v<version>`` is what the bootstrap clones).  ``course map``
regenerates the badges and bootstrap cells together with the navigation.

>>> badges("notebooks/00_start_here.ipynb", "https://github.com/o/r", "v1.0")
'[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/o/r/blob/v1.0/notebooks/00_start_here.ipynb) [![Binder](https://mybinder.org/badge_logo.svg)](https://mybinder.org/v2/gh/o/r/v1.0?urlpath=lab/tree/notebooks/00_start_here.ipynb)'
>>> "git" in bootstrap_source("https://github.com/o/r", "v1.0")
True
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from course_lib.core.validation import argument_error

if TYPE_CHECKING:
    import nbformat

__all__ = ["BOOTSTRAP_TAG", "project_info", "badges", "bootstrap_source", "add_to_notebook"]

ROOT = Path(__file__).resolve().parents[2]
BOOTSTRAP_TAG = "course-bootstrap"
_GITHUB = re.compile(r"^https://github\.com/([\w.-]+)/([\w.-]+?)(?:\.git)?/?$")


def project_info(root: Path = ROOT) -> tuple[str, str]:
    """Return ``(repository URL, git ref)`` from ``pyproject.toml``.

    The ref is ``v<version>``: the tag the bootstrap clones, so a notebook
    fetches the library and data it was executed with.
    """
    text = (Path(root) / "pyproject.toml").read_text(encoding="utf-8")
    url = re.search(r'^Repository\s*=\s*"([^"]+)"', text, re.MULTILINE)
    version = re.search(r'^version\s*=\s*"([^"]+)"', text, re.MULTILINE)
    if url is None or version is None:
        raise ValueError(
            'pyproject.toml needs [project] version = "..." and '
            '[project.urls] Repository = "https://github.com/OWNER/NAME"'
        )
    return url.group(1), f"v{version.group(1)}"


def badges(path: str, url: str, ref: str) -> str:
    """Markdown for the "Open in Colab" and Binder badges of one notebook.

    ``path`` is the notebook's path in the repository (``notebooks/NN_slug.ipynb``).
    """
    match = _GITHUB.match(url)
    if match is None:
        raise argument_error(
            "badges",
            "url",
            url,
            "a GitHub repository URL, https://github.com/OWNER/NAME",
            "Colab and Binder open GitHub repositories",
        )
    owner, name = match.groups()
    colab = f"https://colab.research.google.com/github/{owner}/{name}/blob/{ref}/{path}"
    binder = f"https://mybinder.org/v2/gh/{owner}/{name}/{ref}?urlpath=lab/tree/{path}"
    return (
        f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]({colab})"
        f" [![Binder](https://mybinder.org/badge_logo.svg)]({binder})"
    )


def bootstrap_source(url: str, ref: str) -> str:
    """The first code cell of every notebook: fetch the course only where it is missing."""
    return (
        "# On Colab, or anywhere without a clone of the course, fetch it (library and data)\n"
        "# at this notebook's version. In a clone of the course this cell does nothing.\n"
        "import importlib.util\n"
        "import os\n"
        "import subprocess\n"
        "import sys\n"
        "\n"
        'if importlib.util.find_spec("course_lib") is None:\n'
        '    if not os.path.isdir("course"):\n'
        f'        repo = "{url}"\n'
        f'        git = ["git", "clone", "--quiet", "--depth", "1", "--branch", "{ref}", repo, "course"]\n'
        "        subprocess.run(git, check=True)\n"
        '    sys.path.insert(0, os.path.abspath("course"))'
    )


def add_to_notebook(nb: nbformat.NotebookNode, path: str, url: str, ref: str) -> bool:
    """Put the badges and the bootstrap cell into one notebook, in place; True if it changed.

    The badges are the line under the title of the first (markdown) cell; the
    bootstrap is the first code cell, tagged ``course-bootstrap``.

    >>> import nbformat
    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# T\\n\\nText"),
    ...                                      nbformat.v4.new_code_cell("setup_notebook()")])
    >>> add_to_notebook(nb, "notebooks/01_x.ipynb", "https://github.com/o/r", "v1")
    True
    >>> nb.cells[0].source.splitlines()[2][:16], nb.cells[1].metadata["tags"]
    ('[![Open In Colab', ['course-bootstrap'])
    >>> add_to_notebook(nb, "notebooks/01_x.ipynb", "https://github.com/o/r", "v1")
    False
    """
    import nbformat

    changed = False
    title = nb.cells[0]
    lines = [line for line in title.source.split("\n") if not line.startswith("[![Open In Colab]")]
    if lines and lines[0].startswith("# "):
        rest = lines[1:]
        while rest and not rest[0].strip():
            rest = rest[1:]
        source = "\n".join([lines[0], "", badges(path, url, ref), "", *rest]).rstrip("\n")
        if source != title.source:
            title.source, changed = source, True
    code = bootstrap_source(url, ref)
    tagged = [c for c in nb.cells if BOOTSTRAP_TAG in c.get("metadata", {}).get("tags", [])]
    if tagged:
        if tagged[0].source != code:
            tagged[0].source, changed = code, True
    else:
        cell = nbformat.v4.new_code_cell(code, metadata={"tags": [BOOTSTRAP_TAG]})
        first_code = next(
            (i for i, c in enumerate(nb.cells) if c.cell_type == "code"), len(nb.cells)
        )
        nb.cells.insert(first_code, cell)
        changed = True
    return changed
