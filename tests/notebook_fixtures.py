"""Small fixture notebooks for testing the course tooling.

They are built in code, so the tooling tests do not depend on which chapters
exist.  Chapter "90" is a fake chapter with two exercises.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

SETUP = """import numpy as np
from course_lib.checks import Case, run_cases

def check_90_1(func):
    return run_cases("90.1", func, [Case(args=(np.array([1.0, 2.0, 3.0]),), expected=2.0)])

def check_90_2(func):
    return run_cases("90.2", func, [Case(args=(3,), expected=9), Case(args=(-2,), expected=4)])"""

MEAN_SOLUTION = """# Exercise 90.1: Return the mean of x.
def mean(x):
    ### BEGIN SOLUTION
    return float(np.sum(x) / len(x))
    ### END SOLUTION"""

MEAN_CHECK = """check_90_1(mean)
### BEGIN HIDDEN TESTS
assert mean(np.array([2.0])) == 2.0, "mean([2]) should be 2"
### END HIDDEN TESTS"""

SQUARE_SOLUTION = """# Exercise 90.2: Return x squared.
def square(x):
    ### BEGIN SOLUTION
    return x * x
    ### END SOLUTION"""

SQUARE_CHECK = "check_90_2(square)"


def solution_notebook() -> nbformat.NotebookNode:
    cells = [
        new_markdown_cell("# Fixture chapter\n\n**Time:** ~5 min"),
        new_code_cell(SETUP),
        new_code_cell(MEAN_SOLUTION),
        new_code_cell(MEAN_CHECK),
        new_code_cell(SQUARE_SOLUTION),
        new_code_cell(SQUARE_CHECK),
    ]
    return new_notebook(cells=cells)


def write(nb: nbformat.NotebookNode, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path
