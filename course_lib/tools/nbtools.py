"""Execute, clean and inspect the course notebooks.

Committed notebooks are executed top to bottom in one fresh kernel with
outputs kept, so readers on the web see results.  This module is how authors
produce them::

    course nb execute notebooks/01_loss_functions.ipynb
    course nb lint              # what the test suite checks

``execute`` runs the notebook with its own folder as the working directory,
then strips volatile metadata (timings, widget state) and writes the file
atomically.  ``lint`` reports notebooks whose execution counts are not
1..n, that contain error outputs, saved widget state, absolute paths, NBVAL
comments in a cell's code (use nbval's cell tags) or an incomplete
``language_info``.

>>> nb = clean_notebook(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")]))
>>> nb.cells[0].execution_count = 1
>>> lint_notebook(nb, "demo.ipynb")
[]
>>> nb.cells[0].execution_count = 3
>>> lint_notebook(nb, "demo.ipynb")
['demo.ipynb: execution counts are [3], not 1..1 in order: restart the kernel and run all']
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

import nbformat

__all__ = [
    "execute_notebook",
    "clean_notebook",
    "lint_notebook",
    "lint_paths",
    "write_atomic",
    "COURSE_NOTEBOOK_DIRS",
    "main",
]

ROOT = Path(__file__).resolve().parents[2]
COURSE_NOTEBOOK_DIRS = ("notebooks", "solutions")
LANGUAGE_INFO = {
    "codemirror_mode": {"name": "ipython", "version": 3},
    "file_extension": ".py",
    "mimetype": "text/x-python",
    "name": "python",
    "nbconvert_exporter": "python",
    "pygments_lexer": "ipython3",
}
_SEED_ARTICLE = re.compile(r"seed articles?|seed 00\d|the seed's", re.IGNORECASE)
_ABS_PATH = re.compile(r"(/work/|/home/[a-z]|/root/|/tmp/|/Users/[A-Za-z]|[A-Z]:\\\\Users)")


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def clean_notebook(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Strip volatile metadata in place (and return the notebook).

    Removes per-cell execution timings, saved widget state and
    ``collapsed``/``scrolled`` view flags; keeps outputs.
    """
    nb.metadata.pop("widgets", None)
    nb.metadata.pop("papermill", None)
    for index, cell in enumerate(nb.cells):
        for key in ("execution", "collapsed", "scrolled", "ExecuteTime"):
            cell.metadata.pop(key, None)
        cell["id"] = f"cell-{index}"
    nb.metadata["kernelspec"] = {
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
        "name": "python3",
    }
    # The whole language_info, as a Python 3 kernel reports it: with less, JupyterLab
    # rewrites it on opening and shows every notebook as modified before any edit.
    version = nb.metadata.get("language_info", {}).get("version", "3.11.7")
    nb.metadata["language_info"] = {**LANGUAGE_INFO, "version": version}
    return nb


def execute_notebook(
    path: Path, timeout: int = 600, kernel_name: str = "python3", allow_errors: bool = False
) -> float:
    """Execute a notebook in place in a fresh kernel; return seconds taken."""
    from nbclient import NotebookClient

    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name=kernel_name,
        allow_errors=allow_errors,
        resources={"metadata": {"path": str(path.parent.resolve())}},
    )
    client.execute()
    seconds = time.perf_counter() - start
    clean_notebook(nb)
    write_atomic(path, nbformat.writes(nb) + "\n")
    return seconds


def lint_notebook(nb: nbformat.NotebookNode, name: str) -> list[str]:
    """Problems that make a committed notebook unfit to publish."""
    problems = []
    code = [c for c in nb.cells if c.cell_type == "code"]
    counts = [c.execution_count for c in code]
    if counts != list(range(1, len(code) + 1)):
        problems.append(
            f"{name}: execution counts are {counts}, not 1..{len(code)} in order: "
            "restart the kernel and run all"
        )
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                problems.append(
                    f"{name}, cell {index}: committed output is an error "
                    f"({output.get('ename')}: {output.get('evalue')})"
                )
            text = output.get("text", "") + str(output.get("data", {}).get("text/plain", ""))
            if "Warning:" in text or "WARNING" in text:
                problems.append(
                    f"{name}, cell {index}: a warning is shown in the output: "
                    f"{text.strip().splitlines()[0][:120]}"
                )
            if _ABS_PATH.search(text):
                problems.append(
                    f"{name}, cell {index}: output shows an absolute path of the "
                    "machine that ran it"
                )
    info = nb.metadata.get("language_info", {})
    missing = sorted(set(LANGUAGE_INFO) - set(info))
    if missing:
        problems.append(
            f"{name}: metadata.language_info lacks {missing}; JupyterLab would show "
            "the notebook as modified on opening (run nbtools clean)"
        )
    for index, cell in enumerate(nb.cells):
        if "NBVAL_" in cell.source:
            problems.append(
                f"{name}, cell {index}: an NBVAL comment is visible to students; "
                "use nbval's cell tags (metadata.tags: nbval-check-output)"
            )
        seed_article = _SEED_ARTICLE.search(cell.source)
        if seed_article:
            problems.append(
                f"{name}, cell {index}: say 'the source articles', not "
                f"'{seed_article.group(0)}' ('seed' is the random seed)"
            )
    if "widgets" in nb.metadata:
        problems.append(f"{name}: saved widget state in metadata (clear it with nbtools clean)")
    return problems


def lint_paths(paths: list[Path]) -> list[str]:
    problems = []
    for path in paths:
        problems += lint_notebook(nbformat.read(path, as_version=4), str(path))
    return problems


def _default_paths() -> list[Path]:
    return sorted(p for d in COURSE_NOTEBOOK_DIRS for p in (ROOT / d).glob("*.ipynb"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="course nb")
    sub = parser.add_subparsers(dest="command", required=True)
    ex = sub.add_parser("execute", help="execute notebooks in place in a fresh kernel")
    ex.add_argument("paths", nargs="+", type=Path)
    ex.add_argument("--timeout", type=int, default=600)
    cl = sub.add_parser("clean", help="strip volatile metadata, keep outputs")
    cl.add_argument("paths", nargs="+", type=Path)
    li = sub.add_parser("lint", help="check committed notebooks")
    li.add_argument("paths", nargs="*", type=Path)
    args = parser.parse_args(argv)
    for path in args.paths:
        if not path.is_file():
            what = "a folder, not a notebook" if path.is_dir() else "no such notebook"
            print(f"course nb: error: {path}: {what}", file=sys.stderr)
            return 2
    if args.command == "execute":
        for path in args.paths:
            seconds = execute_notebook(path, timeout=args.timeout)
            print(f"{path}: executed in {seconds:.1f} s")
        return 0
    if args.command == "clean":
        for path in args.paths:
            nb = clean_notebook(nbformat.read(path, as_version=4))
            write_atomic(path, nbformat.writes(nb) + "\n")
        return 0
    problems = lint_paths(args.paths or _default_paths())
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
