"""nbgrader's solution and hidden-test markers, and the ``# Exercise N.M:`` header.

A solutions notebook marks what the student writes with ``### BEGIN SOLUTION``
... ``### END SOLUTION`` and the hidden tests of a check cell with ``### BEGIN
HIDDEN TESTS`` ... ``### END HIDDEN TESTS``; :func:`strip_solutions` and
:func:`strip_hidden_tests` remove them from one cell's source (used by
:mod:`course_lib.tools.exercises`).

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

import re

__all__ = ["MarkerError", "exercise_header", "strip_solutions", "strip_hidden_tests"]

BEGIN_SOLUTION = "### BEGIN SOLUTION"
END_SOLUTION = "### END SOLUTION"
BEGIN_HIDDEN = "### BEGIN HIDDEN TESTS"
END_HIDDEN = "### END HIDDEN TESTS"
_HEADER = re.compile(r"^\s*#\s*Exercise\s+(\d+\.\d+)\s*:\s*(.+?)\s*$", re.MULTILINE)


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
                raise MarkerError(
                    f"{where}: nested '{begin}' at line {i + 1} "
                    f"(the block opened at line {start + 1} is not closed)"
                )
            start = i
        elif stripped.startswith(end):
            if start is None:
                raise MarkerError(f"{where}: '{end}' at line {i + 1} without a '{begin}' before it")
            blocks.append((start, i))
            start = None
    if start is not None:
        raise MarkerError(f"{where}: '{begin}' at line {start + 1} is never closed with '{end}'")
    return blocks


def check_no_cross_nesting(lines: list[str], where: str) -> None:
    """Refuse a hidden-test block that overlaps a solution block."""
    sol = _blocks(lines, BEGIN_SOLUTION, END_SOLUTION, where)
    hid = _blocks(lines, BEGIN_HIDDEN, END_HIDDEN, where)
    for a0, a1 in sol:
        for b0, b1 in hid:
            if a0 <= b1 and b0 <= a1:
                raise MarkerError(
                    f"{where}: a hidden-test block (lines {b0 + 1}-{b1 + 1}) "
                    f"overlaps a solution block (lines {a0 + 1}-{a1 + 1})"
                )


def strip_solutions(source: str, where: str, markdown: bool = False) -> str:
    """Replace each solution block of one cell's source (see module docstring)."""
    lines = source.split("\n")
    blocks = _blocks(lines, BEGIN_SOLUTION, END_SOLUTION, where)
    if not blocks:
        return source
    header = exercise_header(source)
    if header is None and not markdown:
        raise MarkerError(
            f"{where}: a cell with '{BEGIN_SOLUTION}' needs a line "
            "'# Exercise N.M: <what to implement>' so the exercise has a number "
            "and an instruction"
        )
    out, pos = [], 0
    for start, stop in blocks:
        out.extend(lines[pos:start])
        indent = lines[start][: len(lines[start]) - len(lines[start].lstrip())]
        if markdown:
            out.append(indent + "YOUR ANSWER HERE")
        else:
            number, text = header or ("", "")  # header is set: checked above
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
    kept = [line for line, k in zip(lines, keep, strict=True) if k]
    while kept and not kept[-1].strip():
        kept.pop()
    return "\n".join(kept)
