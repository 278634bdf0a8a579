"""Lines a submission should not need, found in the student's own code.

The patterns name the grader's files by every path they have: the entry point
``course_lib/tools/grade.py`` and the package ``course_lib/tools/grading/``.
"""

from __future__ import annotations

import re

import nbformat

from course_lib.tools.grading.records import clip

__all__ = ["SUSPICIOUS", "SEVERE", "scan_source"]

_GRADER = (
    r"course_lib\b.*(__file__|__path__)|\bgrade\.py\b|\bgrading\s*[/\\.]\s*\w|"
    r"course_lib\s*\.\s*(tools\s*\.\s*)?grad(e|ing)\b|"
    r"course_lib\s*\.\s*tools\s+import\s+.*\bgrad(e|ing)\b|"
    r"COURSE_LIB_GRADING|\bGRADING\b|_Recorder"
)

#: Lines a submission should not need; each found in the student's own lines is reported.
SUSPICIOUS = [
    (re.compile(r"\b_\w*_ref\b"), "calls the self-checks' reference code"),
    (
        re.compile(
            r"course_lib\s*\.\s*checks\s*\.\s*(ch\d+|_\w+)|course_lib\.checks\s+import\s+"
            r"(ch\d+|_\w+)|__wrapped_check__|__wrapped__"
        ),
        "uses the self-checks' internals",
    ),
    (re.compile(r"solutions|\.ipynb\b"), "reads the solutions or another notebook"),
    (
        re.compile(r"set_custom_exc|excepthook|showtraceback|_render_traceback_"),
        "changes how errors are reported",
    ),
    (
        re.compile(r"\b(np|numpy)\s*\.\s*[\w.]+\s*=(?!=)|setattr\s*\(\s*(np|numpy|course_lib)\b"),
        "replaces a numpy function",
    ),
    (re.compile(_GRADER), "touches the grader"),
]

#: The reasons that cost every exercise its points, wherever the line is (the looser
#: ones, such as a comment that mentions the solutions, do so only in an exercise cell).
SEVERE = frozenset(
    {
        "calls the self-checks' reference code",
        "uses the self-checks' internals",
        "touches the grader",
    }
)

#: Adjacent string literals joined by ``+`` (or nothing): ``"_ridge" + "_ref"`` reads ``"_ridge_ref"``.
_JOINED = re.compile(r"""(["'])\s*\+?\s*(["'])""")


def _unsplit(line: str) -> str:
    """``line`` with adjacent string literals joined, so a name built in pieces is seen.

    >>> print(_unsplit('getattr(m, "_ridge" + "_r" "ef")'))
    getattr(m, "_ridge_ref")
    """
    return _JOINED.sub("", line)


def scan_source(nb: nbformat.NotebookNode, known_lines: set[str]) -> list[tuple[int, str, str]]:
    """``(cell index, line, reason)`` for each suspicious line the course did not write.

    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
    ...     "import numpy as np\\nnp.allclose = lambda *a, **k: True")])
    >>> scan_source(nb, {"import numpy as np"})
    [(0, 'np.allclose = lambda *a, **k: True', 'replaces a numpy function')]
    >>> nb.cells[0].source = "from course_lib.tools.grading import sandbox"
    >>> scan_source(nb, set())[0][2]
    'touches the grader'
    >>> nb.cells[0].source = 'm = import_module("course_lib.checks." + "_ch10" + "_segments")'
    >>> scan_source(nb, set())[0][2]
    "uses the self-checks' internals"
    """
    found = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        for line in cell.source.splitlines():
            stripped = line.strip()
            if not stripped or stripped in known_lines or stripped.startswith("#"):
                continue
            joined = _unsplit(stripped)
            for pattern, reason in SUSPICIOUS:
                if pattern.search(stripped) or pattern.search(joined):
                    found.append((index, clip(stripped, 200), reason))
                    break
    return found
