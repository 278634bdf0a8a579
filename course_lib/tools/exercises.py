"""Build the student exercise notebooks from the solution notebooks.

``solutions/NN_slug.ipynb`` is the only source.  ``build`` writes
``exercises/NN_slug.ipynb`` in which

* every ``### BEGIN SOLUTION`` ... ``### END SOLUTION`` block is replaced, at
  the same indentation, by ``# YOUR CODE HERE`` and
  ``raise NotImplementedError("Exercise N.M: <what to implement>")``;
* every ``### BEGIN HIDDEN TESTS`` ... ``### END HIDDEN TESTS`` block is removed;
* outputs and execution counts are cleared.

The exercise number and the text come from the line ``# Exercise N.M: <text>``
that each solution cell must contain.  The markers are nbgrader's, and the
solution and check cells carry nbgrader's cell metadata (written by
``metadata``, never by hand; see :func:`nbgrader_cell_metadata`), so an
instructor who uses nbgrader can take the solutions as they are: each check
cell is an autograder test worth 1 point (see INSTRUCTORS.md).

Command line::

    course exercises build     # write exercises/ from solutions/
    course exercises check     # exit 1 and name stale files
    course exercises metadata  # write nbgrader's cell metadata into solutions/
    course exercises release OUT_DIR     # a copy of the course for students
    course exercises nbgrader COURSE_DIR # an nbgrader course folder

(``python -m course_lib.tools.exercises ...`` is the same command.)  The
markers themselves are handled by :mod:`course_lib.tools.solution_markers`.

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
import shutil
import sys
from pathlib import Path

import nbformat

from course_lib.core.validation import argument_error

# The markers live in solution_markers; imported here too, as before the split.
from course_lib.tools.solution_markers import (  # noqa: F401
    BEGIN_HIDDEN,
    BEGIN_SOLUTION,
    MarkerError,
    check_no_cross_nesting,
    exercise_header,
    strip_hidden_tests,
    strip_solutions,
)

__all__ = [
    "make_exercise_notebook",
    "build",
    "check",
    "nbgrader_cell_metadata",
    "add_nbgrader_metadata",
    "sync_metadata",
    "release",
    "RELEASE_INCLUDE",
    "nbgrader_course",
    "main",
]

_CHECK_CALL = re.compile(r"^\s*(?:\w+\s*=\s*)?check_(\d+)_(\d+)\s*\(", re.MULTILINE)
ROOT = Path(__file__).resolve().parents[2]
#: Points per exercise (the course grader's convention too).
POINTS = 1


def nbgrader_cell_metadata(cell: nbformat.NotebookNode) -> dict | None:
    """nbgrader's metadata for one solutions-notebook cell, or None for an ordinary cell.

    A code cell with a ``# Exercise N.M:`` line is an "autograded answer"
    (``solution: true``); a code cell that calls ``check_N_M(...)`` is an
    "autograder test" worth :data:`POINTS` (``grade: true, locked: true``).

    >>> cell = nbformat.v4.new_code_cell("check_2_1(f)")
    >>> nbgrader_cell_metadata(cell)
    {'grade': True, 'grade_id': 'check_2_1', 'locked': True, 'points': 1,
     'schema_version': 3, 'solution': False, 'task': False}
    >>> exercise = nbformat.v4.new_code_cell("# Exercise 2.1: Write it.\\nx = 1")
    >>> nbgrader_cell_metadata(exercise)["grade_id"]
    'exercise_2_1'
    >>> nbgrader_cell_metadata(nbformat.v4.new_code_cell("x = 1")) is None
    True
    """
    if cell.cell_type != "code":
        return None
    header = exercise_header(cell.source)
    if header:
        return {
            "grade": False,
            "grade_id": "exercise_" + header[0].replace(".", "_"),
            "locked": False,
            "schema_version": 3,
            "solution": True,
            "task": False,
        }
    match = _CHECK_CALL.search(cell.source)
    if match:
        return {
            "grade": True,
            "grade_id": f"check_{match.group(1)}_{match.group(2)}",
            "locked": True,
            "points": POINTS,
            "schema_version": 3,
            "solution": False,
            "task": False,
        }
    return None


def add_nbgrader_metadata(nb: nbformat.NotebookNode, name: str) -> nbformat.NotebookNode:
    """Set (in place) nbgrader's metadata on every exercise and check cell; return ``nb``.

    Other cells lose a stale ``nbgrader`` entry; all other metadata is kept.
    Raises :class:`MarkerError` when two cells would share a ``grade_id`` or a
    cell holds ``### BEGIN SOLUTION`` without being an exercise cell (nbgrader
    refuses both).
    """
    seen: dict[str, int] = {}
    for index, cell in enumerate(nb.cells):
        meta = nbgrader_cell_metadata(cell)
        if meta is None:
            if cell.cell_type == "code" and BEGIN_SOLUTION in cell.source:
                raise MarkerError(
                    f"{name}, cell {index}: '{BEGIN_SOLUTION}' in a cell without a "
                    "line '# Exercise N.M: <what to implement>'"
                )
            cell.metadata.pop("nbgrader", None)
            continue
        if meta["grade_id"] in seen:
            raise MarkerError(
                f"{name}, cell {index}: a second cell with nbgrader id "
                f"'{meta['grade_id']}' (the first is cell {seen[meta['grade_id']]}): "
                "each exercise needs one exercise cell and one check cell"
            )
        seen[meta["grade_id"]] = index
        cell.metadata["nbgrader"] = meta
    return nb


def _with_metadata_text(path: Path) -> tuple[str, str]:
    """(current text, text with nbgrader metadata) of one solutions notebook."""
    text = path.read_text(encoding="utf-8")
    nb = nbformat.reads(text, as_version=4)
    add_nbgrader_metadata(nb, f"solutions/{path.name}")
    return text, nbformat.writes(nb, version=4) + "\n"


def sync_metadata(paths: list[Path] | None = None, write: bool = True) -> list[Path]:
    """Write nbgrader's cell metadata into solutions notebooks; return those that changed.

    Only cell metadata changes (sources, outputs and ids stay).  With
    ``write=False`` nothing is written: the result lists the stale notebooks.
    """
    paths = sorted((ROOT / "solutions").glob("*.ipynb")) if paths is None else list(paths)
    changed = []
    for path in paths:
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(
                f"no notebook {path}: pass paths of solutions notebooks, "
                "e.g. solutions/01_loss_functions.ipynb"
            )
        text, new = _with_metadata_text(path)
        if text == new:
            continue
        changed.append(path)
        if write:
            tmp = path.with_suffix(".ipynb.tmp")
            tmp.write_text(new, encoding="utf-8")
            tmp.replace(path)
    return changed


def make_exercise_notebook(solution: nbformat.NotebookNode, name: str) -> nbformat.NotebookNode:
    """Return the student version of one solutions notebook (a new object)."""
    nb = nbformat.from_dict(nbformat.reads(nbformat.writes(solution), as_version=4))
    add_nbgrader_metadata(nb, name)  # a submission nbgrader can autograde, even if solutions/ lag
    cells = []
    for index, cell in enumerate(nb.cells):
        where = f"{name}, cell {index}"
        lines = cell.source.split("\n")
        check_no_cross_nesting(lines, where)
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
    if nb.cells and nb.cells[0].cell_type == "markdown":  # Colab/Binder badges open this copy
        nb.cells[0].source = "\n".join(
            line.replace(f"/solutions/{name}", f"/exercises/{name}")
            if line.startswith("[![Open In Colab]")
            else line
            for line in nb.cells[0].source.split("\n")
        )
    for i, cell in enumerate(nb.cells):  # stable ids so rebuilding is byte-identical
        cell["id"] = f"cell-{i}"
    nb.metadata.pop("widgets", None)
    nb.metadata["course"] = {
        "generated_from": f"solutions/{name}",
        "note": "Generated by `course exercises build`; edit the solutions notebook instead.",
    }
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
    for path in sync_metadata(sorted(solutions.glob("*.ipynb")), write=False):
        problems.append(
            f"solutions/{path.name} lacks nbgrader's cell metadata (run `"
            f"course exercises metadata solutions/{path.name}`)"
        )
    return problems


#: What a student release contains (paths relative to the course root).  Not in it:
#: solutions/, tests/ (the mutation tests hold correct answers), the grader, the
#: instructors' guide, CI and author tooling, and the git history.
RELEASE_INCLUDE = (
    "README.md",
    "LICENSE",
    "GLOSSARY.md",
    "requirements.txt",
    "pyproject.toml",
    "notebooks",
    "datasets",
    "course_lib",
)
_RELEASE_SKIP = shutil.ignore_patterns(
    "__pycache__", "*.pyc", ".ipynb_checkpoints", "*.egg-info", "grade.py", "grading", ".DS_Store"
)


def release(out_dir: Path, root: Path = ROOT, force: bool = False) -> list[str]:
    """Write a copy of the course for students, without the solutions; return warnings.

    ``out_dir`` receives :data:`RELEASE_INCLUDE` and ``exercises/`` freshly
    generated from ``solutions/`` (so a stale exercises/ cannot leak a
    solution).  It is a plain folder with no ``.git``: start a new repository
    from it, never push the course's own history (it contains solutions/).
    The copy is checked: no notebook in it may hold a ``### BEGIN SOLUTION`` or
    hidden-test marker (else it is deleted and :class:`MarkerError` raised).
    The warnings name links to ``solutions/``, which are dead in the release.
    """
    out_dir = Path(out_dir)
    solutions = root / "solutions"
    if not solutions.is_dir():
        raise FileNotFoundError(
            f"root={root} has no solutions/ folder: run the release from the "
            "instructors' copy of the course"
        )
    if out_dir.resolve() == root.resolve() or root.resolve() in out_dir.resolve().parents:
        raise argument_error(
            "release",
            "out_dir",
            str(out_dir),
            f"a folder outside the course, not inside the course ({root})",
            "e.g. ../course-release",
        )
    if out_dir.exists() and any(out_dir.iterdir()):
        if not force:
            raise FileExistsError(
                f"out_dir={out_dir} exists and is not empty: pass --force to "
                "replace it, or choose a new folder"
            )
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in RELEASE_INCLUDE:
        source = root / name
        if source.is_dir():
            shutil.copytree(source, out_dir / name, ignore=_RELEASE_SKIP)
        elif source.is_file():
            shutil.copy2(source, out_dir / name)
    expected = _expected(solutions)
    (out_dir / "exercises").mkdir()
    for name, text in expected.items():
        (out_dir / "exercises" / name).write_text(text, encoding="utf-8")
    warnings, leaks = [], []
    for path in sorted(out_dir.rglob("*")):
        if not path.is_file() or path.suffix not in {".py", ".ipynb", ".md", ".txt", ".toml"}:
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        relative = path.relative_to(out_dir)
        if path.suffix == ".ipynb" and (BEGIN_SOLUTION in text or BEGIN_HIDDEN in text):
            leaks.append(str(relative))
        if re.search(r"\(\.{0,2}/?(\.\./)*solutions/", text):
            warnings.append(f"{relative} links to solutions/, which the release does not have")
    if leaks:
        shutil.rmtree(out_dir, ignore_errors=True)
        raise MarkerError(
            "the release would contain solution or hidden-test blocks in "
            + ", ".join(leaks)
            + ": fix the solutions markers and release again"
        )
    (out_dir / "RELEASE.txt").write_text(
        "Student release of the course, built by `course exercises release`.\n"
        "It has no solutions/: your exercises are in exercises/, and each one has a self-check.\n",
        encoding="utf-8",
    )
    return warnings


NBGRADER_CONFIG = """# Written by `course exercises nbgrader`; see INSTRUCTORS.md.
import os

c = get_config()  # noqa: F821 - nbgrader's config loader provides it
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.course_id = "continual-learning-course"
# Seconds per cell under autograde (nbgrader's default, 30 s, is short for the Keras chapters).
c.Execute.timeout = 300
# An exercise the student never started prints "not started yet" and returns a falsy result,
# so Run All goes through in class.  Under autograde it must raise instead (and score 0):
# the course's checks do that when this variable names a file (here: nowhere).
os.environ.setdefault("COURSE_LIB_GRADING_RECORD", os.devnull)
"""


def nbgrader_course(
    course_dir: Path, solutions: Path = ROOT / "solutions", force: bool = False
) -> list[str]:
    """Write an nbgrader course folder: ``source/NN_slug/NN_slug.ipynb`` + ``nbgrader_config.py``.

    Each chapter's solutions notebook (with its nbgrader cell metadata) becomes
    one assignment named like the notebook.  Return the assignment names.
    Then ``nbgrader generate_assignment "*"`` and ``nbgrader autograde "*"``
    run in ``course_dir`` (see INSTRUCTORS.md).
    """
    course_dir = Path(course_dir)
    notebooks = sorted(Path(solutions).glob("*.ipynb"))
    if not notebooks:
        raise FileNotFoundError(
            f"solutions={solutions} holds no notebooks: pass the course's solutions/ folder"
        )
    config = course_dir / "nbgrader_config.py"
    if config.exists() and config.read_text(encoding="utf-8") != NBGRADER_CONFIG and not force:
        raise FileExistsError(
            f"{config} exists and differs from the course's: pass --force to "
            "replace it (or merge it by hand with INSTRUCTORS.md)"
        )
    names = []
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        add_nbgrader_metadata(nb, f"solutions/{path.name}")
        _check_no_cross_nesting_nb(nb, path.name)
        target = course_dir / "source" / path.stem / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(_render(nb), encoding="utf-8")
        names.append(path.stem)
    config.write_text(NBGRADER_CONFIG, encoding="utf-8")
    return names


def _check_no_cross_nesting_nb(nb: nbformat.NotebookNode, name: str) -> None:
    for index, cell in enumerate(nb.cells):
        check_no_cross_nesting(cell.source.split("\n"), f"{name}, cell {index}")


def _parser() -> argparse.ArgumentParser:
    """The command line (also used by the tests to check INSTRUCTORS.md's commands)."""
    parser = argparse.ArgumentParser(
        prog="course exercises", description="Generate student notebooks from solutions/."
    )
    parser.add_argument(
        "command",
        choices=["build", "check", "metadata", "release", "nbgrader"],
        help="build: write exercises/; check: fail if exercises/ or the "
        "solutions' nbgrader metadata is stale; metadata: write nbgrader's "
        "cell metadata into solutions notebooks; release: write a student "
        "copy of the course to OUT_DIR; nbgrader: write an nbgrader course "
        "folder COURSE_DIR (one assignment per chapter)",
    )
    parser.add_argument(
        "paths",
        nargs="*",
        type=Path,
        help="metadata: the solutions notebooks (default: all); "
        "release: the output folder; nbgrader: the course folder",
    )
    parser.add_argument("--solutions", type=Path, default=ROOT / "solutions")
    parser.add_argument("--exercises", type=Path, default=ROOT / "exercises")
    parser.add_argument(
        "--force",
        action="store_true",
        help="release: replace OUT_DIR; nbgrader: replace nbgrader_config.py",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command in ("release", "nbgrader") and len(args.paths) != 1:
        example = "../course-release" if args.command == "release" else "../nbgrader-course"
        parser.error(
            f"{args.command} needs exactly one folder, got {len(args.paths)}, e.g. "
            f"`course exercises {args.command} {example}`"
        )
    if args.command in ("build", "check") and args.paths:
        parser.error(
            f"{args.command} takes no paths (got {' '.join(map(str, args.paths))}); "
            "use --solutions/--exercises"
        )
    try:
        if args.command == "build":
            written = build(args.solutions, args.exercises)
            for path in written:
                print(f"wrote {path}")
            print(f"{len(written)} exercise notebook(s) written; the others were up to date.")
            return 0
        if args.command == "metadata":
            paths = args.paths or sorted(args.solutions.glob("*.ipynb"))
            changed = sync_metadata(paths)
            for path in changed:
                print(f"wrote nbgrader metadata into {path}")
            print(f"{len(changed)} solutions notebook(s) updated; the others were up to date.")
            return 0
        if args.command == "release":
            out = args.paths[0]
            warnings = release(out, args.solutions.resolve().parent, force=args.force)
            for warning in warnings:
                print(f"note: {warning}", file=sys.stderr)
            print(
                f"wrote the student release to {out} (no solutions/, tests/, grader or git "
                "history); see INSTRUCTORS.md for what it does not hide"
            )
            return 0
        if args.command == "nbgrader":
            names = nbgrader_course(args.paths[0], args.solutions, force=args.force)
            print(
                f"wrote {len(names)} assignments to {args.paths[0] / 'source'} and "
                f"{args.paths[0] / 'nbgrader_config.py'}; next, in that folder: "
                'nbgrader generate_assignment "*"'
            )
            return 0
        problems = check(args.solutions, args.exercises)
    except (MarkerError, FileNotFoundError, FileExistsError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if problems:
        print("exercises/ is out of date with solutions/:", file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        print(
            "Run `course exercises metadata` and `course exercises build`, and commit the result.",
            file=sys.stderr,
        )
        return 1
    print("exercises/ is up to date with solutions/.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
