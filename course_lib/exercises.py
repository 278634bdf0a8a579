"""Build the student exercise notebooks from the solution notebooks.

``solutions/NN_slug.ipynb`` is the only source.  ``build`` writes
``exercises/NN_slug.ipynb`` in which

* every ``### BEGIN SOLUTION`` ... ``### END SOLUTION`` block is replaced, at
  the same indentation, by ``# YOUR CODE HERE`` and
  ``raise NotImplementedError("Exercise N.M: <what to implement>")``;
* every ``### BEGIN HIDDEN TESTS`` ... ``### END HIDDEN TESTS`` block is removed;
* outputs and execution counts are cleared.

The exercise number and the text come from the line ``# Exercise N.M: <text>``
that each solution cell must contain.  The markers are nbgrader's, so an
instructor who uses nbgrader can take the solutions as they are.

Command line::

    python -m course_lib.exercises build    # write exercises/ from solutions/
    python -m course_lib.exercises check    # exit 1 and name stale files

>>> src = '''# Exercise 1.1: Implement the mean.
... def mean(x):
...     ### BEGIN SOLUTION
...     return sum(x) / len(x)
...     ### END SOLUTION'''
>>> print(strip_solutions(src, where="demo"))
# Exercise 1.1: Implement the mean.
def mean(x):
    # YOUR CODE HERE
    raise NotImplementedError("Exercise 1.1: Implement the mean.")
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat

__all__ = ["MarkerError", "strip_solutions", "strip_hidden_tests", "make_exercise_notebook",
           "build", "check", "exercise_header", "main"]

BEGIN_SOLUTION = "### BEGIN SOLUTION"
END_SOLUTION = "### END SOLUTION"
BEGIN_HIDDEN = "### BEGIN HIDDEN TESTS"
END_HIDDEN = "### END HIDDEN TESTS"
_HEADER = re.compile(r"^\s*#\s*Exercise\s+(\d+\.\d+)\s*:\s*(.+?)\s*$", re.MULTILINE)
ROOT = Path(__file__).resolve().parent.parent


class MarkerError(ValueError):
    """Unterminated, nested or unlabelled solution/hidden-test markers."""


def exercise_header(source: str) -> tuple[str, str] | None:
    """Return ``(number, text)`` from a ``# Exercise N.M: text`` line, or None.

    >>> exercise_header("# Exercise 2.3: Write the loop.\\nx = 1")
    ('2.3', 'Write the loop.')
    """
    match = _HEADER.search(source)
    return (match.group(1), match.group(2)) if match else None


def _blocks(lines: list[str], begin: str, end: str, where: str) -> list[tuple[int, int]]:
    """Indices ``(start, stop)`` of marker blocks; errors on bad nesting."""
    blocks, start = [], None
    for i, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith(begin):
            if start is not None:
                raise MarkerError(f"{where}: nested '{begin}' at line {i + 1} "
                                  f"(the block opened at line {start + 1} is not closed)")
            start = i
        elif stripped.startswith(end):
            if start is None:
                raise MarkerError(f"{where}: '{end}' at line {i + 1} without a '{begin}' before it")
            blocks.append((start, i))
            start = None
    if start is not None:
        raise MarkerError(f"{where}: '{begin}' at line {start + 1} is never closed with '{end}'")
    return blocks


def _check_no_cross_nesting(lines: list[str], where: str) -> None:
    sol = _blocks(lines, BEGIN_SOLUTION, END_SOLUTION, where)
    hid = _blocks(lines, BEGIN_HIDDEN, END_HIDDEN, where)
    for a0, a1 in sol:
        for b0, b1 in hid:
            if a0 <= b1 and b0 <= a1:
                raise MarkerError(f"{where}: a hidden-test block (lines {b0 + 1}-{b1 + 1}) "
                                  f"overlaps a solution block (lines {a0 + 1}-{a1 + 1})")


def strip_solutions(source: str, where: str, markdown: bool = False) -> str:
    """Replace each solution block of one cell's source (see module docstring)."""
    lines = source.split("\n")
    blocks = _blocks(lines, BEGIN_SOLUTION, END_SOLUTION, where)
    if not blocks:
        return source
    header = exercise_header(source)
    if header is None and not markdown:
        raise MarkerError(f"{where}: a cell with '{BEGIN_SOLUTION}' needs a line "
                          "'# Exercise N.M: <what to implement>' so the exercise has a number "
                          "and an instruction")
    out, pos = [], 0
    for start, stop in blocks:
        out.extend(lines[pos:start])
        indent = lines[start][: len(lines[start]) - len(lines[start].lstrip())]
        if markdown:
            out.append(indent + "YOUR ANSWER HERE")
        else:
            number, text = header
            message = f"Exercise {number}: {text}".replace("\\", "\\\\").replace('"', '\\"')
            out.append(indent + "# YOUR CODE HERE")
            out.append(indent + f'raise NotImplementedError("{message}")')
        pos = stop + 1
    out.extend(lines[pos:])
    return "\n".join(out)


def strip_hidden_tests(source: str, where: str) -> str:
    """Remove hidden-test blocks (markers included) from one cell's source."""
    lines = source.split("\n")
    blocks = _blocks(lines, BEGIN_HIDDEN, END_HIDDEN, where)
    if not blocks:
        return source
    keep = [True] * len(lines)
    for start, stop in blocks:
        for i in range(start, stop + 1):
            keep[i] = False
    kept = [line for line, k in zip(lines, keep) if k]
    while kept and not kept[-1].strip():
        kept.pop()
    return "\n".join(kept)


def make_exercise_notebook(solution: nbformat.NotebookNode, name: str) -> nbformat.NotebookNode:
    """Return the student version of one solutions notebook (a new object)."""
    nb = nbformat.from_dict(nbformat.reads(nbformat.writes(solution), as_version=4))
    cells = []
    for index, cell in enumerate(nb.cells):
        where = f"{name}, cell {index}"
        lines = cell.source.split("\n")
        _check_no_cross_nesting(lines, where)
        source = strip_hidden_tests(cell.source, where)
        source = strip_solutions(source, where, markdown=cell.cell_type == "markdown")
        if not source.strip() and cell.source.strip():
            continue  # a cell that held only hidden tests disappears
        cell.source = source
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        cell.metadata.pop("execution", None)
        cell.pop("id", None)
        cells.append(cell)
    nb.cells = cells
    for i, cell in enumerate(nb.cells):  # stable ids so rebuilding is byte-identical
        cell["id"] = f"cell-{i}"
    nb.metadata.pop("widgets", None)
    nb.metadata["course"] = {"generated_from": f"solutions/{name}",
                             "note": "Generated by `python -m course_lib.exercises build`; "
                                     "edit the solutions notebook instead."}
    return nb


def _render(nb: nbformat.NotebookNode) -> str:
    return nbformat.writes(nb, version=4) + "\n"


def _expected(solutions: Path) -> dict[str, str]:
    result = {}
    for path in sorted(solutions.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        result[path.name] = _render(make_exercise_notebook(nb, path.name))
    return result


def build(solutions: Path = ROOT / "solutions", exercises: Path = ROOT / "exercises") -> list[Path]:
    """Write every exercises notebook; return the paths written.

    Each file is written atomically (temporary file, then rename).
    """
    exercises.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in _expected(solutions).items():
        target = exercises / name
        if target.exists() and target.read_text(encoding="utf-8") == text:
            continue
        tmp = target.with_suffix(".ipynb.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(target)
        written.append(target)
    return written


def check(solutions: Path = ROOT / "solutions", exercises: Path = ROOT / "exercises") -> list[str]:
    """Return a list of problems (empty when exercises/ is up to date)."""
    problems = []
    expected = _expected(solutions)
    for name, text in expected.items():
        target = exercises / name
        if not target.exists():
            problems.append(f"exercises/{name} is missing")
        elif target.read_text(encoding="utf-8") != text:
            problems.append(f"exercises/{name} differs from what solutions/{name} generates")
    for path in sorted(exercises.glob("*.ipynb")):
        if path.name not in expected:
            problems.append(f"exercises/{path.name} has no solutions/{path.name}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_lib.exercises",
                                     description="Generate student notebooks from solutions/.")
    parser.add_argument("command", choices=["build", "check"])
    parser.add_argument("--solutions", type=Path, default=ROOT / "solutions")
    parser.add_argument("--exercises", type=Path, default=ROOT / "exercises")
    args = parser.parse_args(argv)
    try:
        if args.command == "build":
            written = build(args.solutions, args.exercises)
            for path in written:
                print(f"wrote {path}")
            print(f"{len(written)} exercise notebook(s) written; the others were up to date.")
            return 0
        problems = check(args.solutions, args.exercises)
    except MarkerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if problems:
        print("exercises/ is out of date with solutions/:", file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        print("Run `python -m course_lib.exercises build` and commit the result.", file=sys.stderr)
        return 1
    print("exercises/ is up to date with solutions/.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
