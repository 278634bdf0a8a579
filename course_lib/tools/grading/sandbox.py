"""Run a submission in a read-only copy of the course, in a fresh kernel, under a deadline.

The copy holds ``course_lib`` (without the grader: :data:`GRADER_FILES` are
left out) and ``datasets``.  The course's own files that a submission could
change to fool later gradings are hashed before and after the run
(:func:`guarded_files`).  It is not a sandbox in the security sense: the
student's code runs with the grader's user rights.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import signal
import stat
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

from course_lib.checks import _core
from course_lib.tools.grading.records import clip, read_records

__all__ = ["ROOT", "GRADER_FILES", "RunResult", "guarded_files", "hash_files", "run_in_copy"]

ROOT = Path(__file__).resolve().parents[3]
_TOOLS = ROOT / "course_lib" / "tools"
#: The grader's own code, by name inside ``course_lib/tools``: never copied next to a submission.
GRADER_FILES = ("grade.py", "grading")


@dataclass
class RunResult:
    """What one run of a submission left: the kernel's replies and the checks' records."""

    replies: dict[int, dict] = field(default_factory=dict)
    problem: str = ""
    notes: list[str] = field(default_factory=list)
    invocations: dict[int, dict] = field(default_factory=dict)
    records_problem: str = ""
    changed: list[str] = field(default_factory=list)


def guarded_files(solution_path: Path) -> list[Path]:
    """The files a submission could change to fool later gradings (checked after each run).

    The grader itself (``grade.py`` and every file of ``grading/``), the check
    machinery, the chapter's checks and solutions, and the start-up hooks of
    the Python environment (``*.pth``, ``sitecustomize.py``).
    """
    import site
    import sysconfig

    checks = ROOT / "course_lib" / "checks"
    chapter = solution_path.name[:2]
    files = [
        _TOOLS / "grade.py",
        *sorted((_TOOLS / "grading").rglob("*.py")),
        *sorted(checks.glob("_*.py")),
        solution_path,
        *sorted(checks.glob(f"ch{chapter}*.py")),
    ]
    folders = {
        sysconfig.get_paths().get("purelib", ""),
        *getattr(site, "getsitepackages", lambda: [])(),
    }
    for folder in sorted(f for f in folders if f):
        files += sorted(Path(folder).glob("*.pth"))
        files += [Path(folder) / "sitecustomize.py", Path(folder) / "usercustomize.py"]
    return files


def hash_files(files: list[Path]) -> dict[str, str]:
    """``{path: sha256}`` of the files that can be read."""
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


def _watch(
    thread: threading.Thread, client: Any, state: dict, timeout: int, deadline: float
) -> None:
    """Wait for ``thread``; kill the kernel past a cell's limit (plus grace) or the deadline."""
    start = time.monotonic()
    grace = min(max(5.0, timeout * 0.5), 30.0)
    while thread.is_alive():
        thread.join(0.2)
        now = time.monotonic()
        cell = state["cell"]
        if cell is not None and now - state["since"] > timeout + grace:
            state["killed"] = (
                f"cell {cell} ran past the time limit of {timeout} s and ignored "
                "the interrupt: the kernel was stopped"
            )
        elif now - start > deadline:
            state["killed"] = (
                f"the notebook ran past the overall deadline of {deadline:.0f} s: "
                "the kernel was stopped"
            )
        if state["killed"]:
            _kill_kernel(client)
            thread.join(15)
            break


def _execute(
    nb: nbformat.NotebookNode,
    workdir: Path,
    env: dict,
    timeout: int,
    deadline: float,
    kernel_name: str,
) -> tuple[dict, str, list[str]]:
    """Run ``nb`` in place; return (cell index -> execute_reply content, problem, notes)."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    replies: dict[int, dict] = {}
    state: dict[str, Any] = {"cell": None, "since": time.monotonic(), "problem": "", "killed": ""}

    def on_start(cell: Any, cell_index: int, **_: Any) -> None:
        state["cell"], state["since"] = cell_index, time.monotonic()

    def on_done(cell: Any, cell_index: int, execute_reply: Any = None, **_: Any) -> None:
        replies[cell_index] = dict((execute_reply or {}).get("content", {}))
        state["cell"] = None

    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name=kernel_name,
        allow_errors=True,
        interrupt_on_timeout=True,
        on_cell_start=on_start,
        on_cell_executed=on_done,
        resources={"metadata": {"path": str(workdir)}},
    )

    def run() -> None:
        try:
            client.execute(env=env, cwd=str(workdir))
        except CellTimeoutError as exc:
            state["problem"] = (
                f"a cell ran longer than {timeout} s and was stopped "
                f"({clip(str(exc).splitlines()[0] if str(exc) else '', 200)})"
            )
        except DeadKernelError:
            state["problem"] = (
                "the kernel died while running the notebook (out of memory or a crash)"
            )
        except BaseException as exc:  # nbclient/kernel failures must not crash the grader
            state["problem"] = f"the notebook could not be executed: {type(exc).__name__}: {exc}"

    thread = threading.Thread(target=run, daemon=True, name="grade-kernel")
    thread.start()
    _watch(thread, client, state, timeout, deadline)
    notes = ["the kernel did not stop cleanly after it was killed"] if thread.is_alive() else []
    return replies, state["killed"] or state["problem"], notes


def _copy_course(course_copy: Path) -> None:
    """``course_lib`` without the grader, and ``datasets``, into ``course_copy``, read-only."""

    def skip(folder: str, names: list[str]) -> set[str]:
        ignored = set(shutil.ignore_patterns("__pycache__")(folder, names))
        if Path(folder).resolve() == _TOOLS.resolve():
            ignored |= set(GRADER_FILES) & set(names)
        return ignored

    shutil.copytree(ROOT / "course_lib", course_copy / "course_lib", ignore=skip)
    if (ROOT / "datasets").is_dir():
        shutil.copytree(ROOT / "datasets", course_copy / "datasets")
    _make_read_only(course_copy)


def _kernel_env(course_copy: Path, records_path: Path) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(course_copy)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])
    )
    env[_core.RECORD_ENV] = str(records_path)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def run_in_copy(
    nb: nbformat.NotebookNode, solution_path: Path, timeout: int, deadline: float, kernel_name: str
) -> RunResult:
    """Execute ``nb`` (in place) in a read-only copy of the course; what the run left.

    ``changed`` lists the guarded files whose hash differs after the run.
    """
    with tempfile.TemporaryDirectory(prefix="course-grade-") as tmp:
        tmp_path = Path(tmp)
        course_copy, workdir = tmp_path / "course", tmp_path / "work"
        workdir.mkdir()
        _copy_course(course_copy)
        records_path = tmp_path / f"records-{os.urandom(8).hex()}.jsonl"
        env = _kernel_env(course_copy, records_path)
        guarded = guarded_files(solution_path)
        before = hash_files(guarded)
        try:
            replies, problem, notes = _execute(nb, workdir, env, timeout, deadline, kernel_name)
            invocations, records_problem = read_records(records_path)
        finally:
            _make_writable(tmp_path)
        changed = sorted(name for name, _ in set(before.items()) ^ set(hash_files(guarded).items()))
    return RunResult(replies, problem, notes, invocations, records_problem, changed)
