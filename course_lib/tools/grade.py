"""Grade a student's exercises notebook, with the verdict computed outside the student's kernel.

    python -m course_lib.tools.grade SUBMISSION.ipynb [--json] [--timeout 120] [--deadline 900]
                               [--solutions DIR]
    python -m course_lib.tools.grade --batch SUBMISSIONS_DIR --csv scores.csv [--student NAME ...]
                               [--feedback DIR]

``--batch`` grades a folder with one sub-folder per student (any layout below
it, e.g. nbgrader's ``submitted/<student>/<assignment>/NN_slug.ipynb``), shows
a progress line per notebook on stderr and writes one CSV row per student with
a column per exercise, the total and the maximum (see :func:`grade_batch`).

The grader

1. reads the submission defensively (any JSON notebook; a broken cell is
   repaired or dropped, never a traceback) and finds the chapter: from the
   ``NN_`` prefix of the file name, else the notebook's metadata, and then
   *checks the content*: the notebook must hold that chapter's exercises
   (``# Exercise N.M:`` lines), or it is reported as the wrong chapter;
2. replaces the submission's check cells by the solutions' check cells (with
   their hidden tests), appending any the student deleted;
3. copies ``course_lib`` and ``datasets`` into a temporary folder, makes the
   copy read-only and runs the notebook there in a fresh kernel (per-cell time
   limit, then a hard deadline that kills the kernel, even one that ignores
   interrupts); the course's own files are hashed before and after;
4. in the kernel, every check records what the student's functions returned
   on the check's inputs (plain data: numbers, arrays, DataFrames; see
   :func:`course_lib.checks._core.encode_value`); while the student's function
   runs, the checks' reference functions raise;
5. re-runs each check **in the grader's own process**, with the checks and
   numpy imported before any student code ran, on the recorded results: this
   is the verdict. The kernel's verdict (the check cell and its hidden tests
   must also succeed, counted from the kernel's ``execute_reply`` status, so a
   custom exception handler hides nothing) is required as well. A check that
   needs live objects (a Keras model, a detector class) cannot be replayed; its
   verdict comes from the kernel and the report says so;
6. scans the student's own lines for calls of the checks' reference code,
   reads of the solutions, patches of numpy or of the grader, and reports them.

It is not a sandbox: the student's code runs with the grader's user rights.
Grading for credit at scale belongs in a container (as nbgrader and
otter-grader advise); see the README's "For instructors".

>>> classify_error({"ename": "NotImplementedError", "evalue": "Exercise 1.1: ..."})
'not attempted'
>>> classify_error({"ename": "CheckFailed", "evalue": "Exercise 1.1 is not right yet"})
'failed'
>>> clip("x" * 5000, 40)
'xxxxxxxxxxxxxxxxxxxxxxxxx... (4975 more characters)'
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import hashlib
import inspect
import io
import json
import os
import re
import shutil
import signal
import stat
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import nbformat
import numpy as np

# Imported before any submission runs: the verdict uses these, never the kernel's copies.
import course_lib.checks as _pristine_checks
from course_lib.checks import _core
from course_lib.tools.exercises import exercise_header

__all__ = ["ExerciseResult", "GradeReport", "grade_notebook", "classify_error", "clip",
           "scan_source", "find_submissions", "grade_batch", "main"]

ROOT = Path(__file__).resolve().parents[2]
_CHECK_CALL = re.compile(r"^\s*(?:\w+\s*=\s*)?check_(\d+)_(\d+)\s*\(", re.MULTILINE)
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
MAX_MESSAGE = 2000

#: Exercises whose checks need live objects (a Keras model, the student's class, a
#: detector the check inspects afterwards): their verdict can only come from the kernel.
#: Decided by the course, never by what a submission records.
KERNEL_ONLY = frozenset({"6.2", "6.3", "7.4", "8.1", "8.3", "9.3", "10.3", "12.4"})
_MAX_RECORDS_BYTES = 200_000_000

#: Lines a submission should not need; each found in the student's own lines is reported.
SUSPICIOUS = [
    (re.compile(r"\b_\w*_ref\b"), "calls the self-checks' reference code"),
    (re.compile(r"course_lib\s*\.\s*checks\s*\.\s*(ch\d+|_core)|course_lib\.checks\s+import\s+"
                r"(ch\d+|_core)|__wrapped_check__|__wrapped__"), "uses the self-checks' internals"),
    (re.compile(r"solutions|\.ipynb\b"), "reads the solutions or another notebook"),
    (re.compile(r"set_custom_exc|excepthook|showtraceback|_render_traceback_"),
     "changes how errors are reported"),
    (re.compile(r"\b(np|numpy)\s*\.\s*[\w.]+\s*=(?!=)|setattr\s*\(\s*(np|numpy|course_lib)\b"),
     "replaces a numpy function"),
    (re.compile(r"course_lib\b.*(__file__|__path__)|\bgrade\.py\b|course_lib\s*\.\s*(tools\s*\.\s*)?grade\b|"
                r"COURSE_LIB_GRADING|\bGRADING\b|_Recorder"), "touches the grader"),
]


def clip(text: Any, limit: int = MAX_MESSAGE) -> str:
    """``text`` as a string of at most about ``limit`` characters (the rest counted)."""
    text = str(text)
    if len(text) <= limit:
        return text
    keep = max(limit - 15, 1)
    return f"{text[:keep]}... ({len(text) - keep} more characters)"


@dataclass
class ExerciseResult:
    exercise: str
    status: str          # "passed" | "failed" | "not attempted"
    message: str
    points: int
    max_points: int = 1
    verified_by: str = "grader"   # "grader" (re-run outside the kernel) | "kernel" | ""


@dataclass
class GradeReport:
    notebook: str
    exercises: list
    score: int
    max_score: int
    error: str = ""
    notes: list = field(default_factory=list)     # cells that failed, time limits, warnings
    flags: list = field(default_factory=list)     # suspicious lines for the instructor

    def to_json(self) -> str:
        return json.dumps({"notebook": clip(self.notebook, 300),
                           "exercises": [asdict(e) for e in self.exercises],
                           "score": self.score, "max_score": self.max_score,
                           "error": clip(self.error), "notes": [clip(n) for n in self.notes],
                           "flags": [clip(f) for f in self.flags]}, indent=2)

    def table(self) -> str:
        width = max([len(e.status) for e in self.exercises] + [13])
        lines = [f"Grading {self.notebook}", ""]
        if self.error:
            lines += [f"Problem: {clip(self.error)}", ""]
        lines.append(f"{'exercise':<9} {'status':<{width}} points")
        for e in self.exercises:
            lines.append(f"{e.exercise:<9} {e.status:<{width}} {e.points}/{e.max_points}")
            if e.status == "failed" or e.verified_by == "kernel":  # the message, indented
                lines += ["    " + line.strip() for line in clip(e.message).splitlines()
                          if line.strip()]
        if self.notes:
            lines += ["", "Notes:"] + [f"  - {clip(n, 300)}" for n in self.notes]
        if self.flags:
            lines += ["", "Needs an instructor's look:"] + [f"  - {clip(f, 300)}"
                                                            for f in self.flags]
        lines += ["", f"Score: {self.score}/{self.max_score}"]
        return "\n".join(lines)


def classify_error(output: dict) -> str:
    """``'not attempted'`` for an exercise's own NotImplementedError, else ``'failed'``."""
    if output.get("ename") == "NotImplementedError":
        return "not attempted"
    return "failed"


def _check_id(source: str) -> str | None:
    match = _CHECK_CALL.search(source)
    return f"{match.group(1)}.{match.group(2)}" if match else None


def _sort_key(number: str) -> tuple:
    return tuple(int(p) for p in number.split("."))


# --------------------------------------------------------------------------- reading
def _read_notebook(path: Path) -> nbformat.NotebookNode:
    """Any JSON notebook as a clean nbformat-4 notebook (sources as text, no outputs)."""
    data = json.loads(path.read_text(encoding="utf-8", errors="replace"))
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        raise ValueError("no list of cells (is it an nbformat 4 notebook?)")
    cells = []
    for raw in data["cells"]:
        if not isinstance(raw, dict):
            continue
        source = raw.get("source", "")
        if isinstance(source, list):
            source = "".join(s for s in source if isinstance(s, str))
        if not isinstance(source, str):
            source = ""
        if raw.get("cell_type") == "code":
            cells.append(nbformat.v4.new_code_cell(source))
        else:
            cells.append(nbformat.v4.new_markdown_cell(source))
    nb = nbformat.v4.new_notebook(cells=cells)
    metadata = data.get("metadata")
    nb.metadata = nbformat.from_dict(metadata if isinstance(metadata, dict) else {})
    return nb


def _exercise_numbers(nb: nbformat.NotebookNode) -> list[str]:
    numbers = []
    for cell in nb.cells:
        if cell.cell_type == "code":
            header = exercise_header(cell.source)
            if header and header[0] not in numbers:
                numbers.append(header[0])
    return numbers


def _chapter_from_name(name: str) -> str | None:
    match = re.match(r"(\d\d)_", name) or re.search(r"(\d\d)_", name)
    return match.group(1) if match else None


def _find_solution(path: Path, nb: nbformat.NotebookNode, solutions_dir: Path) -> Path | None:
    course = nb.metadata.get("course")
    source = course.get("generated_from", "") if isinstance(course, dict) else ""
    source = source if isinstance(source, str) else ""
    candidates = []
    chapter = _chapter_from_name(path.name)
    if chapter:
        candidates += sorted(solutions_dir.glob(f"{chapter}_*.ipynb"))
    if source and re.fullmatch(r"[\w.-]+\.ipynb", Path(source).name):
        candidates.append(solutions_dir / Path(source).name)
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    return None


def _chapter_by_content(numbers: list[str], solutions_dir: Path) -> Path | None:
    chapters = {n.split(".")[0].zfill(2) for n in numbers}
    if len(chapters) != 1:
        return None
    found = sorted(solutions_dir.glob(f"{chapters.pop()}_*.ipynb"))
    return found[0] if found else None


def _solution_checks(solution: nbformat.NotebookNode) -> dict[str, str]:
    checks = {}
    for cell in solution.cells:
        if cell.cell_type == "code":
            number = _check_id(cell.source)
            if number and number not in checks:
                checks[number] = cell.source
    return checks


# --------------------------------------------------------------------------- scanning
def scan_source(nb: nbformat.NotebookNode, known_lines: set[str]) -> list[tuple[int, str, str]]:
    """``(cell index, line, reason)`` for each suspicious line the course did not write.

    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
    ...     "import numpy as np\\nnp.allclose = lambda *a, **k: True")])
    >>> scan_source(nb, {"import numpy as np"})
    [(0, 'np.allclose = lambda *a, **k: True', 'replaces a numpy function')]
    """
    found = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        for line in cell.source.splitlines():
            stripped = line.strip()
            if not stripped or stripped in known_lines or stripped.startswith("#"):
                continue
            for pattern, reason in SUSPICIOUS:
                if pattern.search(stripped):
                    found.append((index, clip(stripped, 200), reason))
                    break
    return found


# --------------------------------------------------------------------------- running
def _guarded_files(solution_path: Path) -> list[Path]:
    """The files a submission could change to fool later gradings (checked after each run).

    The grader itself, the check machinery, the chapter's checks and solutions, and
    the start-up hooks of the Python environment (``*.pth``, ``sitecustomize.py``).
    """
    import site
    import sysconfig

    chapter = solution_path.name[:2]
    files = [ROOT / "course_lib" / "tools" / "grade.py", ROOT / "course_lib" / "checks" / "_core.py",
             ROOT / "course_lib" / "checks" / "__init__.py", solution_path,
             *sorted((ROOT / "course_lib" / "checks").glob(f"ch{chapter}*.py"))]
    folders = {sysconfig.get_paths().get("purelib", ""), *getattr(site, "getsitepackages",
                                                                   lambda: [])()}
    for folder in sorted(f for f in folders if f):
        files += sorted(Path(folder).glob("*.pth"))
        files += [Path(folder) / "sitecustomize.py", Path(folder) / "usercustomize.py"]
    return files


def _hash_files(files: list[Path]) -> dict[str, str]:
    digests = {}
    for file in files:
        with contextlib.suppress(OSError):
            digests[str(file)] = hashlib.sha256(file.read_bytes()).hexdigest()
    return digests


def _make_read_only(root: Path) -> None:
    for path in [*root.rglob("*"), root]:
        mode = path.stat().st_mode
        path.chmod(mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


def _make_writable(root: Path) -> None:
    for path in [root, *root.rglob("*")]:
        with contextlib.suppress(OSError):
            path.chmod(path.stat().st_mode | stat.S_IWUSR)


def _kill_kernel(client: Any) -> None:
    km = getattr(client, "km", None)
    provisioner = getattr(km, "provisioner", None)
    process = getattr(provisioner, "process", None)
    pid = getattr(process, "pid", None) or getattr(provisioner, "pid", None)
    if not pid:
        return
    with contextlib.suppress(OSError):
        if os.getpgid(pid) == pid:
            os.killpg(pid, signal.SIGKILL)
            return
    with contextlib.suppress(OSError):
        os.kill(pid, signal.SIGKILL)


def _execute(nb, workdir: Path, env: dict, timeout: int, deadline: float,
             kernel_name: str) -> tuple[dict, str, list[str]]:
    """Run ``nb`` in place; return (cell index -> execute_reply content, problem, notes)."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    replies: dict[int, dict] = {}
    state = {"cell": None, "since": time.monotonic(), "problem": "", "killed": ""}

    def on_start(cell, cell_index, **_):
        state["cell"], state["since"] = cell_index, time.monotonic()

    def on_done(cell, cell_index, execute_reply=None, **_):
        replies[cell_index] = dict((execute_reply or {}).get("content", {}))
        state["cell"] = None

    client = NotebookClient(nb, timeout=timeout, kernel_name=kernel_name, allow_errors=True,
                            interrupt_on_timeout=True, on_cell_start=on_start,
                            on_cell_executed=on_done,
                            resources={"metadata": {"path": str(workdir)}})

    def run():
        try:
            client.execute(env=env, cwd=str(workdir))
        except CellTimeoutError as exc:
            state["problem"] = (f"a cell ran longer than {timeout} s and was stopped "
                                f"({clip(str(exc).splitlines()[0] if str(exc) else '', 200)})")
        except DeadKernelError:
            state["problem"] = "the kernel died while running the notebook (out of memory or a crash)"
        except BaseException as exc:  # nbclient/kernel failures must not crash the grader
            state["problem"] = f"the notebook could not be executed: {type(exc).__name__}: {exc}"

    thread = threading.Thread(target=run, daemon=True, name="grade-kernel")
    start = time.monotonic()
    thread.start()
    grace = min(max(5.0, timeout * 0.5), 30.0)
    while thread.is_alive():
        thread.join(0.2)
        now = time.monotonic()
        cell = state["cell"]
        if cell is not None and now - state["since"] > timeout + grace:
            state["killed"] = (f"cell {cell} ran past the time limit of {timeout} s and ignored "
                               "the interrupt: the kernel was stopped")
        elif now - start > deadline:
            state["killed"] = (f"the notebook ran past the overall deadline of {deadline:.0f} s: "
                               "the kernel was stopped")
        if state["killed"]:
            _kill_kernel(client)
            thread.join(15)
            break
    problem = state["killed"] or state["problem"]
    notes = []
    if thread.is_alive():
        notes.append("the kernel did not stop cleanly after it was killed")
    return replies, problem, notes


def _read_records(path: Path) -> tuple[dict[int, dict], str]:
    invocations: dict[int, dict] = {}
    if not path.is_file():
        return invocations, "no check recorded anything"
    if path.stat().st_size > _MAX_RECORDS_BYTES:
        return invocations, "the check records are too large to read"
    with path.open(encoding="utf-8", errors="replace") as handle:
        for line in handle:
            try:
                record = json.loads(line)
                number = int(record["inv"])
                kind = record["kind"]
            except (ValueError, KeyError, TypeError):
                continue
            inv = invocations.setdefault(number, {"begin": None, "calls": [], "end": None})
            if kind == "begin" and inv["begin"] is None:
                inv["begin"] = record
            elif kind == "call":
                inv["calls"].append(record)
            elif kind == "end" and inv["end"] is None:
                inv["end"] = record
    return invocations, ""


# --------------------------------------------------------------------------- replay
class _ReplayMismatch(Exception):
    pass


def _is_replayable(inv: dict) -> str:
    """'' when the invocation can be re-run in the grader, else why not."""
    for arg in inv["begin"].get("args", []):
        if "unrecorded" in arg:
            return f"the check is given a {arg['unrecorded']}, which runs in the kernel only"
        if "value" in arg and "unreplayable" in arg["value"]:
            return f"the check is given {arg['value']['unreplayable']}"
    for call in inv["calls"]:
        if isinstance(call.get("fp"), dict) and "unreplayable" in call["fp"]:
            return f"the check passes {call['fp']['unreplayable']} to your function"
        if "raised" not in call and "unreplayable" in call.get("value", {"unreplayable": "?"}):
            return f"your function returns {call.get('value', {}).get('unreplayable', '?')}"
    return ""


def _canonical(data: Any) -> str:
    return json.dumps(data, sort_keys=True)


def _stub(name: str, params: list, calls: list) -> Any:
    queue = list(calls)

    def stub(*args, **kwargs):
        if not queue:
            raise _ReplayMismatch("the check called your function more often than it did in "
                                  "the notebook")
        record = queue.pop(0)
        if _canonical(_core._try_encode([list(args), kwargs])) != _canonical(record.get("fp")):
            raise _ReplayMismatch("in the notebook, the check gave your function other inputs "
                                  "than the official check does (did a cell change the check?)")
        if "after" in record:  # the function changed its inputs in place: repeat that
            after_args = _core.decode_value(record["after"])[0]
            for arg, new in zip(args, after_args):
                if isinstance(arg, np.ndarray) and isinstance(new, np.ndarray) \
                        and arg.shape == new.shape:
                    np.copyto(arg, new, casting="unsafe")
                elif isinstance(arg, np.random.Generator) and isinstance(new, np.random.Generator):
                    arg.bit_generator.state = new.bit_generator.state
        if "raised" in record:
            ename, message = (list(record["raised"]) + ["Exception", ""])[:2]
            if ename == "NotImplementedError":
                raise NotImplementedError(message)
            ename = ename if re.fullmatch(r"[A-Za-z_]\w{0,80}", str(ename)) else "Exception"
            raise type(ename, (Exception,), {})(message)
        return _core.decode_value(record["value"])

    stub.__name__ = stub.__qualname__ = name if re.fullmatch(r"[A-Za-z_]\w{0,80}", name) \
        else "your_function"
    with contextlib.suppress(Exception):
        stub.__signature__ = inspect.Signature(
            [inspect.Parameter(str(n), inspect._ParameterKind(int(k))) for n, k in params])
    return stub


def _replay(number: str, inv: dict) -> tuple[str, str]:
    """Re-run check ``number`` on the recorded results: (status, message)."""
    check = getattr(_pristine_checks, f"check_{number.replace('.', '_')}", None)
    check = getattr(check, "__wrapped_check__", check)
    if check is None:
        return "failed", f"the course has no check for exercise {number}"
    args, kwargs = [], {}
    for arg in inv["begin"].get("args", []):
        slot = arg.get("slot")
        if "name" in arg:
            value = _stub(str(arg["name"]), arg.get("params", []),
                          [c for c in inv["calls"] if c.get("slot") == slot])
        else:
            value = _core.decode_value(arg["value"])
        if isinstance(slot, int):
            args.append(value)
        else:
            kwargs[str(slot)] = value
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out), np.errstate(all="ignore"):
            result = check(*args, **kwargs)
    except NotImplementedError:
        return "not attempted", "the exercise still raises NotImplementedError"
    except _core.CheckFailed as exc:
        return "failed", str(exc)
    except _ReplayMismatch as exc:
        return "failed", f"the grader could not repeat the check: {exc}"
    except Exception as exc:
        return "failed", f"the check could not judge your function: {type(exc).__name__}: {exc}"
    if not result:
        return "failed", clip(out.getvalue().strip() or "the check did not pass")
    return "passed", ""


# --------------------------------------------------------------------------- grading
def grade_notebook(path: Path, solutions_dir: Path = ROOT / "solutions", timeout: int = 120,
                   kernel_name: str = "python3", deadline: float | None = None) -> GradeReport:
    """Execute and grade one submission; never raises for a bad submission."""
    try:
        return _grade(Path(path), Path(solutions_dir), timeout, kernel_name, deadline)
    except Exception as exc:  # the grader reports, it never crashes
        return GradeReport(Path(str(path)).name, [], 0, 0,
                           error=clip(f"the grader could not grade this notebook "
                                      f"({type(exc).__name__}: {exc})"))


def _grade(path: Path, solutions_dir: Path, timeout: int, kernel_name: str,
           deadline: float | None) -> GradeReport:
    try:
        nb = _read_notebook(path)
    except Exception as exc:  # not JSON, not a notebook, missing file
        return GradeReport(path.name, [], 0, 0, error=clip(
            f"cannot read {path.name} as a Jupyter notebook ({type(exc).__name__}: {exc})"))
    if not solutions_dir.is_dir():
        return GradeReport(path.name, [], 0, 0, error=clip(
            f"the solutions folder {solutions_dir} does not exist: pass the course's solutions/ "
            "folder with --solutions DIR"))
    numbers = _exercise_numbers(nb)
    solution_path = _find_solution(path, nb, solutions_dir)
    if solution_path is None and not _chapter_from_name(path.name):
        solution_path = _chapter_by_content(numbers, solutions_dir)
    if solution_path is None:
        return GradeReport(path.name, [], 0, 0,
                           error=f"no solutions notebook matches {clip(path.name, 200)}: name the "
                                 "file like the exercise notebook (NN_slug.ipynb)")
    try:
        solution = _read_notebook(solution_path)
        checks = _solution_checks(solution)
        if not checks:
            raise ValueError("it has no check cell")
    except Exception as exc:
        return GradeReport(path.name, [], 0, 0, error=clip(
            f"cannot read the solutions notebook {solution_path.name} "
            f"({type(exc).__name__}: {exc}): ask the instructor to restore it"))
    expected = sorted(checks, key=_sort_key)
    notes = []
    course = nb.metadata.get("course")
    meta_source = course.get("generated_from") if isinstance(course, dict) else None
    if isinstance(meta_source, str) and meta_source and Path(meta_source).name != solution_path.name:
        notes.append(f"the notebook's metadata says it comes from {clip(meta_source, 200)}, "
                     f"but it is graded as {solution_path.name}")
    if not set(numbers) & set(expected):
        where = f" but holds those of {', '.join(numbers[:8])}" if numbers else \
            " but holds none of them (no '# Exercise N.M:' line)"
        return GradeReport(path.name, [ExerciseResult(n, "failed", "this exercise is not in the "
                                                      "notebook", 0, verified_by="")
                                       for n in expected], 0, len(expected),
                           error=f"wrong chapter: {clip(path.name, 200)} is graded as "
                                 f"{solution_path.name}, whose exercises are "
                                 f"{', '.join(expected)},{where}: submit that chapter's "
                                 "exercises notebook", notes=notes)

    known = {line.strip() for cell in solution.cells if cell.cell_type == "code"
             for line in cell.source.splitlines()}
    known |= {line.strip() for source in checks.values() for line in source.splitlines()}

    exercise_cells: dict[str, list[int]] = {}
    check_cells: dict[str, int] = {}
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        header = exercise_header(cell.source)
        if header:
            exercise_cells.setdefault(header[0], []).append(index)
        number = _check_id(cell.source)
        if number in checks and number not in check_cells:
            cell.source = checks[number]  # the instructor's check + hidden tests
            check_cells[number] = index
    for number in expected:
        if number not in check_cells:
            nb.cells.append(nbformat.v4.new_code_cell(checks[number]))
            check_cells[number] = len(nb.cells) - 1
    flags_found = scan_source(nb, known)
    cell_exercise = {i: n for n, cells in exercise_cells.items() for i in cells}
    flags = [f"cell {i}{' (Exercise ' + cell_exercise[i] + ')' if i in cell_exercise else ''}: "
             f"{reason}: {line}" for i, line, reason in flags_found]

    with tempfile.TemporaryDirectory(prefix="course-grade-") as tmp:
        tmp_path = Path(tmp)
        course_copy, workdir = tmp_path / "course", tmp_path / "work"
        workdir.mkdir()
        shutil.copytree(ROOT / "course_lib", course_copy / "course_lib",
                        ignore=shutil.ignore_patterns("grade.py"))
        if (ROOT / "datasets").is_dir():
            shutil.copytree(ROOT / "datasets", course_copy / "datasets")
        _make_read_only(course_copy)
        records_path = tmp_path / f"records-{os.urandom(8).hex()}.jsonl"
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([str(course_copy)] + (
            [env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
        env[_core.RECORD_ENV] = str(records_path)
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        guarded = _guarded_files(solution_path)
        before = _hash_files(guarded)
        try:
            replies, problem, run_notes = _execute(
                nb, workdir, env, timeout,
                deadline if deadline else max(900.0, 3.0 * timeout), kernel_name)
            invocations, records_problem = _read_records(records_path)
        finally:
            _make_writable(tmp_path)
        notes += run_notes
        changed = sorted(set(before.items()) ^ set(_hash_files(guarded).items()))
    if changed:
        files = sorted({Path(name).relative_to(ROOT) if Path(name).is_relative_to(ROOT)
                        else Path(name) for name, _ in changed})
        problem = ("the submission changed the course's own files ("
                   + ", ".join(map(str, files[:5])) + "): it scores 0; restore them "
                   "(git checkout) before grading anything else")

    def failure(index: int) -> dict | None:
        cell = nb.cells[index]
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                return output
        reply = replies.get(index)
        if reply is not None and reply.get("status") != "ok":
            return {"ename": reply.get("ename", "an error"), "evalue": reply.get("evalue", "")}
        return None

    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or index in cell_exercise or index in check_cells.values():
            continue
        error = failure(index)
        if error is not None and not (error.get("ename") == "NotImplementedError"
                                      and str(error.get("evalue", "")).startswith("Exercise ")):
            notes.append(f"cell {index} (not an exercise) failed: {_error_text(error)}")
    results = []
    for number in expected:
        result = _grade_one(number, nb, exercise_cells.get(number, []), check_cells[number],
                            invocations, failure, replies, problem or records_problem,
                            [f for f in flags_found if cell_exercise.get(f[0]) == number])
        if changed:
            result = ExerciseResult(number, "failed", problem, 0)
        results.append(result)
    score = sum(r.points for r in results)
    return GradeReport(path.name, results, score, len(results), error=clip(problem),
                       notes=notes[:20], flags=flags[:20])


def _error_text(output: dict) -> str:
    if output.get("ename") == "KeyboardInterrupt":
        return "the cell ran past the time limit and was stopped (an endless loop?)"
    evalue = _ANSI.sub("", str(output.get("evalue", "")))
    text = f"{output.get('ename')}: {evalue}" if output.get("ename") != "CheckFailed" else evalue
    return clip(text)


def _grade_one(number, nb, solution_cells, check_index, invocations, failure, replies,
               problem, flags) -> ExerciseResult:
    def failed(message: str, by: str = "grader") -> ExerciseResult:
        return ExerciseResult(number, "failed", clip(message), 0, verified_by=by)

    def not_attempted() -> ExerciseResult:
        return ExerciseResult(number, "not attempted", "the exercise still raises "
                              "NotImplementedError", 0)

    if flags:
        index, line, reason = flags[0]
        return failed(f"your exercise cell {reason} ({line}): write the computation yourself")
    for index in solution_cells:
        error = failure(index)
        if error is not None:
            if classify_error(error) == "not attempted":
                return not_attempted()
            return failed("your solution cell raised " + _error_text(error))
    check = nb.cells[check_index]
    if check.execution_count is None or check_index not in replies:
        return failed(f"the check did not run: {problem or 'an earlier cell stopped the run'}")
    mine = [inv for _, inv in sorted(invocations.items())
            if inv["begin"] and inv["begin"].get("exercise") == number
            # IPython counts the running cell as execution_count or one more, by version
            and inv["begin"].get("cell") in (check.execution_count, check.execution_count + 1)]
    cell_error = failure(check_index)
    if not mine and not hasattr(_pristine_checks, f"check_{number.replace('.', '_')}"):
        # a check the solutions notebook defines itself: only the kernel can run it
        if cell_error is None:
            return ExerciseResult(number, "passed", "checked in the notebook's kernel only (the "
                                  "course has no check of this number to re-run)", 1,
                                  verified_by="kernel")
        if classify_error(cell_error) == "not attempted":
            return not_attempted()
        return failed(_error_text(cell_error), by="kernel")
    if not mine:
        if cell_error is not None and classify_error(cell_error) == "not attempted":
            return not_attempted()
        reason = _error_text(cell_error) if cell_error else "nothing was recorded"
        return failed(f"the check did not run on your function ({reason})")
    inv = mine[-1]
    for call in inv["calls"]:
        raised = call.get("raised") or ["", ""]
        if raised[0] == "NotImplementedError":
            return not_attempted()
    for call in inv["calls"]:
        if call.get("refs"):
            return failed(f"your function called {', '.join(map(str, call['refs'][:3]))}, the "
                          "self-checks' own reference code: write the computation yourself")
    why_live = _is_replayable(inv)
    if why_live and number not in KERNEL_ONLY:
        return failed(f"the grader cannot re-run this check on your results: {why_live}; "
                      "return plain numbers, arrays, lists, dicts or DataFrames")
    if number in KERNEL_ONLY:
        why_live = why_live or "this check calls your function directly, many times"
        end = inv["end"] or {}
        if end.get("outcome") == "not started" or (
                cell_error is not None and classify_error(cell_error) == "not attempted"):
            return not_attempted()
        if end.get("outcome") == "passed" and cell_error is None:
            return ExerciseResult(number, "passed", clip(
                f"checked in the notebook's kernel only ({why_live})"), 1, verified_by="kernel")
        message = end.get("message") or (_error_text(cell_error) if cell_error else
                                          "the check did not finish")
        return failed(message, by="kernel")
    status, message = _replay(number, inv)
    if status == "not attempted":
        return not_attempted()
    if status != "passed":
        return failed(message)
    if cell_error is not None:  # the hidden tests (run in the kernel) must pass too
        if classify_error(cell_error) == "not attempted":
            return not_attempted()
        return failed("a hidden test failed: " + _error_text(cell_error))
    return ExerciseResult(number, "passed", "", 1)


# --------------------------------------------------------------------------- batch grading
def find_submissions(folder: Path, students: list[str] | None = None) -> list[tuple[str, Path]]:
    """``(student, notebook)`` for every ``*.ipynb`` below ``folder/<student>/``, sorted.

    Each sub-folder of ``folder`` is one student (its name is the student's
    id); notebooks may sit at any depth below it.  Checkpoint copies and
    hidden folders are skipped.  ``students`` keeps only those students.

    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp())
    >>> for rel in ["ana/01_x/01_x.ipynb", "bo/01_x.ipynb", "bo/.ipynb_checkpoints/01_x.ipynb"]:
    ...     (root / rel).parent.mkdir(parents=True, exist_ok=True)
    ...     _ = (root / rel).write_text("{}")
    >>> [(s, p.name) for s, p in find_submissions(root)]
    [('ana', '01_x.ipynb'), ('bo', '01_x.ipynb')]
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"--batch {folder}: no such folder; pass the folder that holds "
                                "one sub-folder per student (e.g. nbgrader's submitted/)")
    found = []
    for student_dir in sorted(p for p in folder.iterdir() if p.is_dir()
                              and not p.name.startswith(".")):
        if students and student_dir.name not in students:
            continue
        for path in sorted(student_dir.rglob("*.ipynb")):
            parts = path.relative_to(student_dir).parts
            if any(part.startswith(".") for part in parts):
                continue
            found.append((student_dir.name, path))
    if students:
        missing = sorted(set(students) - {student for student, _ in found})
        if missing:
            raise FileNotFoundError(f"--student {', '.join(missing)}: no notebook under "
                                    f"{folder}/<student>/ for them; the students there are "
                                    + (", ".join(sorted(p.name for p in folder.iterdir()
                                                        if p.is_dir())[:20]) or "none"))
    return found


def _read_scores(path: Path) -> tuple[list[str], dict[str, dict[str, str]]]:
    if not path.is_file():
        return [], {}
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        rows = {row["student"]: row for row in reader if row.get("student")}
        return list(reader.fieldnames or []), rows


def _csv_safe(value: Any) -> Any:
    """A cell a spreadsheet shows as text (student-written text may start with ``=``).

    >>> _csv_safe("=HYPERLINK(1)"), _csv_safe(3)
    ("'=HYPERLINK(1)", 3)
    """
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _write_atomic_csv(path: Path, header: list[str], rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=header, extrasaction="ignore")
            writer.writeheader()
            writer.writerows({k: _csv_safe(v) for k, v in row.items()} for row in rows)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.0f} min"


_FIXED = ["student", "score", "max_score", "notebooks", "needs_a_look"]


def grade_batch(folder: Path, csv_path: Path, solutions_dir: Path = ROOT / "solutions",
                students: list[str] | None = None, timeout: int = 120,
                deadline: float | None = None, feedback_dir: Path | None = None,
                progress: Any = None) -> list[dict]:
    """Grade every student's notebooks in ``folder``; write ``csv_path``; return its rows.

    The CSV has one row per student: ``student``, one column per exercise
    (points, empty when that chapter was not submitted), ``score``,
    ``max_score`` (over the chapters the student submitted), ``notebooks``
    and ``needs_a_look`` (grader problems and suspicious lines, for the
    instructor).  Exercise columns cover every chapter anyone submitted.

    Regrading: with ``students``, only those are graded again; the other rows
    are kept from the existing ``csv_path``.  The CSV is written atomically
    (a temporary file, then a rename), so an interrupted run leaves the old
    one intact.  ``progress`` (default stderr) gets one line per notebook.
    ``feedback_dir`` receives each report as ``<student>/<notebook>.txt``.
    """
    progress = sys.stderr if progress is None else progress
    folder, csv_path = Path(folder), Path(csv_path)
    submissions = find_submissions(folder, students)
    old_header, old_rows = _read_scores(csv_path)
    rows: dict[str, dict] = {} if not students else {
        name: row for name, row in old_rows.items() if name not in students}
    columns = [c for c in old_header if c not in _FIXED] if students else []
    start, total = time.monotonic(), len(submissions)
    graded: dict[str, list[GradeReport]] = {}
    for index, (student, path) in enumerate(submissions, 1):
        relative = path.relative_to(folder)
        print(f"[{index}/{total}] grading {relative} ...", file=progress, flush=True)
        began = time.monotonic()
        report = grade_notebook(path, solutions_dir, timeout=timeout, deadline=deadline)
        graded.setdefault(student, []).append(report)
        if feedback_dir is not None:
            target = Path(feedback_dir) / student / (path.stem + ".txt")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(report.table() + "\n", encoding="utf-8")
        elapsed = time.monotonic() - start
        left = elapsed / index * (total - index)
        print(f"[{index}/{total}] {relative}: {report.score}/{report.max_score} "
              f"({_duration(time.monotonic() - began)}; about {_duration(left)} left)",
              file=progress, flush=True)
    for student, reports in graded.items():
        row: dict = {"student": student, "notebooks": len(reports)}
        score = max_score = 0
        looks = []
        for report in reports:
            for result in report.exercises:
                row[result.exercise] = result.points
                if result.exercise not in columns:
                    columns.append(result.exercise)
            score += report.score
            max_score += report.max_score
            if report.error:
                looks.append(f"{report.notebook}: {clip(report.error, 200)}")
            looks += [f"{report.notebook}: {clip(flag, 200)}" for flag in report.flags[:3]]
        row.update(score=score, max_score=max_score, needs_a_look=" | ".join(looks))
        rows[student] = row
    columns.sort(key=_sort_key)
    header = ["student", *columns, "score", "max_score", "notebooks", "needs_a_look"]
    ordered = [rows[name] for name in sorted(rows)]
    _write_atomic_csv(csv_path, header, ordered)
    print(f"graded {total} notebook(s) of {len(graded)} student(s) in "
          f"{_duration(time.monotonic() - start)}; wrote {csv_path} ({len(ordered)} rows)",
          file=progress, flush=True)
    return ordered


def _parser() -> argparse.ArgumentParser:
    """The command line (also used by the tests to check INSTRUCTORS.md's commands)."""
    parser = argparse.ArgumentParser(prog="python -m course_lib.tools.grade",
                                     description="Grade a student's exercises notebook, or a "
                                                 "folder of submissions with --batch.")
    parser.add_argument("submission", type=Path, nargs="?",
                        help="one notebook (omit it with --batch)")
    parser.add_argument("--batch", type=Path, metavar="SUBMISSIONS_DIR",
                        help="grade every notebook below SUBMISSIONS_DIR/<student>/")
    parser.add_argument("--csv", type=Path, default=Path("scores.csv"),
                        help="--batch: the CSV of scores to write (default: scores.csv)")
    parser.add_argument("--student", action="append", default=None, metavar="NAME",
                        help="--batch: regrade only this student (repeat for several); the "
                             "other rows of --csv are kept")
    parser.add_argument("--feedback", type=Path, metavar="DIR",
                        help="--batch: write each report to DIR/<student>/<notebook>.txt")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--timeout", type=int, default=120, help="seconds allowed per cell")
    parser.add_argument("--deadline", type=float, default=None,
                        help="seconds allowed for the whole notebook (default: the larger of "
                             "900 and 3 x timeout); the kernel is killed after it")
    parser.add_argument("--solutions", type=Path, default=ROOT / "solutions")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.timeout < 1:
        parser.error(f"--timeout must be at least 1 second, got {args.timeout}")
    if args.batch is not None:
        if args.submission is not None:
            parser.error(f"give either one notebook or --batch, not both (got {args.submission} "
                         f"and --batch {args.batch})")
        if args.json:
            parser.error("--json prints one notebook's report; with --batch the scores go to "
                         "--csv (and the reports to --feedback DIR)")
        try:
            grade_batch(args.batch, args.csv, args.solutions, students=args.student,
                        timeout=args.timeout, deadline=args.deadline,
                        feedback_dir=args.feedback)
        except FileNotFoundError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        return 0
    if args.submission is None:
        parser.error("give the notebook to grade, or --batch SUBMISSIONS_DIR")
    if args.student or args.feedback:
        parser.error("--student and --feedback work with --batch SUBMISSIONS_DIR")
    report = grade_notebook(args.submission, args.solutions, timeout=args.timeout,
                            deadline=args.deadline)
    try:
        print(report.to_json() if args.json else report.table())
    except Exception as exc:  # pragma: no cover - a report that cannot be printed
        print(json.dumps({"notebook": str(args.submission), "exercises": [], "score": 0,
                          "max_score": 0, "error": clip(f"cannot print the report: {exc}")}))
        return 1
    return 0 if not report.error else 1


if __name__ == "__main__":
    sys.exit(main())
