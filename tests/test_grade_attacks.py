"""Submissions that try to fool the grader (chapter 03), and broken ones that tried to crash it.

Each notebook is built in code from exercises/03 (no committed fixtures). A test
states what the attack gave before the grader computed its verdict outside the
kernel, and asserts what it gives now.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from course_lib.checks._results import RECORD_ENV
from course_lib.tools.grade import ROOT, grade_notebook, main

pytestmark = pytest.mark.notebooks

NAME = "03_momentum_rmsprop_adam.ipynb"
SOLUTIONS = ROOT / "solutions"

WRONG = {
    "3.1": """# Exercise 3.1: Return (new_x, new_accumulator) after one Adagrad step.
def adagrad_step(x, accumulator, grad, learning_rate, epsilon=1e-7):
    new_accumulator = accumulator + grad ** 2
    return x + learning_rate * grad / np.sqrt(new_accumulator + epsilon), new_accumulator""",
    "3.2": """# Exercise 3.2: Return (new_x, new_velocity) after one step of Nesterov momentum.
def nesterov_step(x, velocity, grad, learning_rate, momentum):
    velocity = momentum * velocity - learning_rate * grad
    return x + velocity, velocity""",
    "3.3": """# Exercise 3.3: Run AMSGrad for n_steps from x0 and return the trajectory (n_steps + 1 rows).
def amsgrad_minimize(grad, x0, n_steps, learning_rate=0.001, beta_1=0.9, beta_2=0.999,
                     epsilon=1e-7):
    return np.array([x0] * n_steps)""",
}

REFERENCE = {
    "3.1": """# Exercise 3.1: Return (new_x, new_accumulator) after one Adagrad step.
import course_lib.checks.ch03 as answers
def adagrad_step(x, accumulator, grad, learning_rate, epsilon=1e-7):
    return answers._adagrad_ref(x, accumulator, grad, learning_rate, epsilon)""",
    "3.2": """# Exercise 3.2: Return (new_x, new_velocity) after one step of Nesterov momentum.
def nesterov_step(x, velocity, grad, learning_rate, momentum):
    return answers._nesterov_ref(x, velocity, grad, learning_rate, momentum)""",
    "3.3": """# Exercise 3.3: Run AMSGrad for n_steps from x0 and return the trajectory (n_steps + 1 rows).
def amsgrad_minimize(grad, x0, n_steps, learning_rate=0.001, beta_1=0.9, beta_2=0.999,
                     epsilon=1e-7):
    return answers._amsgrad_ref(grad, x0, n_steps, learning_rate=learning_rate,
                                beta_1=beta_1, beta_2=beta_2, epsilon=epsilon)""",
}


def _exercise_nb() -> nbformat.NotebookNode:
    return nbformat.read(ROOT / "exercises" / NAME, as_version=4)


def _with(bodies: dict[str, str], first: str = "", nb=None) -> nbformat.NotebookNode:
    nb = nb or _exercise_nb()
    for cell in nb.cells:
        for number, body in bodies.items():
            if cell.cell_type == "code" and f"# Exercise {number}:" in cell.source:
                cell.source = body
    if first:
        nb.cells.insert(1, nbformat.v4.new_code_cell(first))
    return nb


def _grade(nb, tmp_path, name=NAME, **kwargs):
    path = tmp_path / "student" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return grade_notebook(
        path, kwargs.pop("solutions", SOLUTIONS), timeout=kwargs.pop("timeout", 60), **kwargs
    )


def _statuses(report):
    return {e.exercise: e.status for e in report.exercises}


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_rewriting_the_grader_touches_only_a_throwaway_copy(tmp_path):
    """Before: the stub replaced course_lib/tools/grade.py, and later untouched notebooks got 3/3."""
    guarded = [
        ROOT / "course_lib" / "tools" / "grade.py",
        ROOT / "course_lib" / "checks" / "_core.py",
    ]
    before = [_digest(p) for p in guarded]
    attack = """from pathlib import Path
import course_lib
folder = Path(course_lib.__file__).parent
for name in ["grade.py", "checks/_core.py"]:
    try:
        (folder / name).write_text("raise SystemExit('pwned')")
    except OSError as exc:
        print("blocked:", exc)"""
    report = _grade(_with({}, first=attack), tmp_path)
    assert report.score == 0
    assert [_digest(p) for p in guarded] == before
    later = _grade(_exercise_nb(), tmp_path / "later")
    assert later.score == 0 and set(_statuses(later).values()) == {"not attempted"}


def test_a_custom_exception_handler_hides_nothing(tmp_path):
    """Before: 3/3 with untouched exercises (the grader only read `error` outputs)."""
    first = "get_ipython().set_custom_exc((BaseException,), lambda *a, **k: None)"
    report = _grade(_with({}, first=first), tmp_path)
    assert report.score == 0
    assert set(_statuses(report).values()) == {"not attempted"}
    assert any("changes how errors are reported" in f for f in report.flags)


def test_patched_numpy_does_not_make_wrong_answers_right(tmp_path):
    """Before: 3/3 with wrong bodies and `np.allclose = lambda *a, **k: True`."""
    first = "import numpy as np\nnp.allclose = lambda *a, **k: True\nnp.isclose = np.allclose"
    report = _grade(_with(WRONG, first=first), tmp_path)
    assert report.score == 0, report.table()
    assert set(_statuses(report).values()) == {"failed"}
    assert "is not right yet" in report.exercises[0].message


def test_patched_check_module_does_not_make_wrong_answers_right(tmp_path):
    """Before: 3/3 by replacing the references and the comparison inside the checks."""
    first = """import course_lib.checks.ch03 as c, course_lib.checks._core as core
core.compare = lambda *a, **k: None
c._adagrad_ref = lambda x, acc, g, rate, eps=1e-7, **k: (x + rate * g / (acc + g * g + eps) ** 0.5,
                                                       acc + g * g)"""
    report = _grade(_with(WRONG, first=first), tmp_path)
    assert report.score == 0, report.table()


def test_calling_the_reference_code_scores_zero(tmp_path):
    """Before: 3/3 with bodies that call the references of 3.1, 3.2 and 3.3 (`_..._ref`)."""
    report = _grade(_with(REFERENCE), tmp_path)
    assert report.score == 0, report.table()
    assert all(
        "reference code" in e.message or "internals" in e.message for e in report.exercises
    ), report.table()


def test_a_hidden_reference_call_is_caught_at_run_time(tmp_path):
    """The name is assembled at run time, so no line mentions it: the tripwire catches it."""
    grab = (  # "a" + "b" is read by the scan as "ab"; a join is not
        'import importlib\nanswers = getattr(importlib.import_module("".join(["course_lib.che", '
        '"cks.c", "h03"])), "".join(["_ada", "grad_r", "ef"]))'
    )
    body = """# Exercise 3.1: Return (new_x, new_accumulator) after one Adagrad step.
def adagrad_step(x, accumulator, grad, learning_rate, epsilon=1e-7):
    return answers(x, accumulator, grad, learning_rate, epsilon)"""
    report = _grade(_with({"3.1": body}, first=grab), tmp_path)
    result = report.exercises[0]
    assert result.status == "failed" and "_adagrad_ref" in result.message, report.table()


def test_reading_the_solutions_notebook_scores_zero(tmp_path):
    """Before: 3/3 by running the cells of solutions/03 from disk."""
    body = """# Exercise 3.1: Return (new_x, new_accumulator) after one Adagrad step.
import json, pathlib, course_lib
source = pathlib.Path(course_lib.__file__).parents[1] / "solutions" / "03_momentum_rmsprop_adam.ipynb"
for cell in json.loads(source.read_text())["cells"]:
    if "def adagrad_step" in "".join(cell["source"]):
        exec("".join(cell["source"]))"""
    report = _grade(_with({"3.1": body}), tmp_path)
    assert report.exercises[0].status == "failed", report.table()
    assert "reads the solutions" in report.exercises[0].message


def test_rebinding_the_check_records_nothing_and_scores_zero(tmp_path):
    first = "check_3_1 = check_3_2 = check_3_3 = lambda f: True"
    report = _grade(_with(WRONG, first=first), tmp_path)
    assert report.score == 0, report.table()


def test_an_object_that_claims_equality_is_not_a_result(tmp_path):
    body = """# Exercise 3.1: Return (new_x, new_accumulator) after one Adagrad step.
class Anything(tuple):
    def __eq__(self, other):
        return True
def adagrad_step(x, accumulator, grad, learning_rate, epsilon=1e-7):
    return Anything((x, accumulator))"""
    first = "import numpy as np\nnp.allclose = lambda *a, **k: True"
    report = _grade(_with({"3.1": body}, first=first), tmp_path)
    assert report.exercises[0].status == "failed", report.table()


def test_wrong_chapter_with_its_own_metadata_is_reported(tmp_path):
    """Before: solutions/01 saved as 03_... scored 3/3 as chapter 01, with no warning."""
    nb = nbformat.read(SOLUTIONS / "01_loss_functions.ipynb", as_version=4)
    nb.metadata["course"] = {"generated_from": "solutions/01_loss_functions.ipynb"}
    report = _grade(nb, tmp_path)
    assert report.score == 0 and report.max_score == 3
    assert "wrong chapter" in report.error and "1.1" in report.error, report.error


def test_wrong_chapter_without_metadata_is_reported(tmp_path):
    """Before: NameError: check_3_1 is not defined."""
    nb = nbformat.read(ROOT / "exercises" / "02_gradient_descent.ipynb", as_version=4)
    nb.metadata.pop("course", None)
    report = _grade(nb, tmp_path)
    assert "wrong chapter" in report.error and "2.1" in report.error, report.error
    assert "NameError" not in report.table()


def test_an_uninterruptible_loop_is_killed_by_the_deadline(tmp_path):
    """Before: still running after 150 s with --timeout 5."""
    first = "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass"
    start = time.monotonic()
    report = _grade(_with({}, first=first), tmp_path, timeout=5)
    assert time.monotonic() - start < 60
    assert "ignored the interrupt" in report.error and report.score == 0


@pytest.mark.parametrize("change", ["course_oops", "generated_from_5", "no_source"])
def test_malformed_notebooks_get_a_json_report(tmp_path, capsys, change):
    """Before: a traceback and no JSON."""
    data = json.loads((ROOT / "exercises" / NAME).read_text())
    if change == "course_oops":
        data["metadata"]["course"] = "oops"
    elif change == "generated_from_5":
        data["metadata"]["course"] = {"generated_from": 5}
    else:
        del next(c for c in data["cells"] if c["cell_type"] == "code")["source"]
    path = tmp_path / NAME
    path.write_text(json.dumps(data))
    main([str(path), "--json", "--timeout", "60"])
    report = json.loads(capsys.readouterr().out)
    assert report["max_score"] == 3 and report["score"] == 0


def test_a_huge_exception_message_is_truncated(tmp_path, capsys):
    """Before: a 5 MB message went into the JSON."""
    body = WRONG["3.1"].replace(
        "    new_accumulator =", "    raise ValueError('x' * 5_000_000)\n    new_accumulator ="
    )
    nb = _with({"3.1": body})
    path = tmp_path / NAME
    nbformat.write(nb, path)
    main([str(path), "--json", "--timeout", "60"])
    out = capsys.readouterr().out
    assert len(out) < 50_000
    assert json.loads(out)["exercises"][0]["status"] == "failed"


def test_missing_or_corrupt_solutions_are_named(tmp_path):
    path = tmp_path / NAME
    nbformat.write(_exercise_nb(), path)
    missing = grade_notebook(path, tmp_path / "nonexistent")
    assert "solutions folder" in missing.error and "does not exist" in missing.error
    broken = tmp_path / "solutions"
    broken.mkdir()
    (broken / NAME).write_text("{ not json")
    corrupt = grade_notebook(path, broken)
    assert "cannot read the solutions notebook" in corrupt.error


def test_an_endless_loop_outside_the_exercises_is_reported(tmp_path):
    """Before: stopped, but the report did not say so."""
    report = _grade(_with({}, first="while True:\n    pass"), tmp_path, timeout=3)
    assert any("time limit" in note for note in report.notes), report.table()


def test_every_check_module_but_the_machinery_is_guarded():
    """Before: only `chNN` modules were tripwired; `_ch10_segments._segment_gate_ref` and
    `_ch06_step._train_step_ref` gave full marks (10.2, 6.3). The rule covers any new file."""
    script = """
import importlib, pkgutil, types
import course_lib.checks as checks
from course_lib.checks import _recording as rec
names = [i.name for i in pkgutil.iter_modules(checks.__path__)]
guarded = [n for n in names if n not in rec.INFRASTRUCTURE]
assert {"_ch06_step", "_ch10_segments", "ch02"} <= set(guarded), guarded
for name in guarded:
    module = importlib.import_module("course_lib.checks." + name)
    functions = [v for v in vars(module).values() if isinstance(v, types.FunctionType)
                 and v.__module__ == module.__name__ and not v.__code__.co_freevars]
    assert all(f.__code__.co_filename.startswith("<reference guard") for f in functions), name
restore = rec._arm_tripwires()
for module, function in [("_ch10_segments", "_segment_gate_ref"), ("_ch06_step", "_train_step_ref")]:
    try:
        getattr(importlib.import_module("course_lib.checks." + module), function)()
    except rec.ReferenceCodeCalled as exc:
        assert function in str(exc)
    else:
        raise AssertionError(function + " ran while armed")
restore()
print("ok")
"""
    env = {**os.environ, RECORD_ENV: os.devnull}
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300
    )
    assert result.stdout.strip() == "ok", result.stderr[-3000:]


def test_a_private_modules_reference_is_caught_at_run_time(tmp_path):
    """Before: 10.2 passed 1/1 with `_segment_gate_ref` of `_ch10_segments` (name hidden)."""
    name = "10_incremental_pipeline.ipynb"
    nb = nbformat.read(ROOT / "exercises" / name, as_version=4)
    body = """# Exercise 10.2: gate
import importlib
_gate = getattr(importlib.import_module("".join(["course_lib.che", "cks._ch1", "0_segments"])),
                "".join(["_segment_gate", "_r", "ef"]))
def segment_gate(y_true, candidate_pred, production_pred, segments, tolerance, min_rows):
    return _gate(y_true, candidate_pred, production_pred, segments, tolerance, min_rows)"""
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.source.startswith("# Exercise 10.2:"):
            cell.source = body
    report = _grade(nb, tmp_path, name=name, timeout=120)
    result = next(e for e in report.exercises if e.exercise == "10.2")
    assert result.status == "failed" and "_segment_gate_ref" in result.message, report.table()
    assert not report.flags, report.flags  # the run-time guard caught it, not the scan


def test_a_function_built_from_a_references_code_is_caught(tmp_path):
    """Before: 2.1 passed 1/1 with `types.FunctionType(_ridge_ref.__code__, ...)`."""
    grab = """import importlib, types
_module = importlib.import_module("".join(["course_lib.che", "cks.c", "h03"]))
_original = getattr(_module, "".join(["_ada", "grad_r", "ef"]))
answers = types.FunctionType(_original.__code__, vars(_module))
answers.__kwdefaults__ = _original.__kwdefaults__"""
    body = """# Exercise 3.1: Return (new_x, new_accumulator) after one Adagrad step.
def adagrad_step(x, accumulator, grad, learning_rate, epsilon=1e-7):
    return answers(x, accumulator, grad, learning_rate, epsilon)"""
    report = _grade(_with({"3.1": body}, first=grab), tmp_path)
    result = report.exercises[0]
    assert result.status == "failed" and "_adagrad_ref" in result.message, report.table()


def test_a_reference_imported_in_a_helper_cell_costs_every_exercise(tmp_path):
    """Before: 3/3 for a helper cell `from ... import _..._ref as helper` (only flagged)."""
    nb = nbformat.read(SOLUTIONS / NAME, as_version=4)
    body = """# Exercise 3.1: Return (new_x, new_accumulator) after one Adagrad step.
def adagrad_step(x, accumulator, grad, learning_rate, epsilon=1e-7):
    return helper(x, accumulator, grad, learning_rate, epsilon)"""
    report = _grade(
        _with(
            {"3.1": body}, first="from course_lib.checks.ch03 import _adagrad_ref as helper", nb=nb
        ),
        tmp_path,
    )
    assert report.score == 0, report.table()
    assert all(
        "cell 1 calls the self-checks' reference code" in e.message for e in report.exercises
    )


def test_a_mention_of_the_solutions_outside_an_exercise_is_only_flagged(tmp_path):
    """A helper cell that names the solutions costs nothing (it may be innocent); it is reported."""
    nb = nbformat.read(SOLUTIONS / NAME, as_version=4)
    report = _grade(
        _with({}, first='print("I compared with solutions/ afterwards")', nb=nb), tmp_path
    )
    assert report.score == 3, report.table()
    assert any("reads the solutions" in f for f in report.flags), report.flags


def test_a_name_built_by_concatenation_is_seen_by_the_scan():
    """Before: `"course_lib.checks." + "_ch10" + "_segments"` and `"_segment_gate" + "_r" + "ef"`
    passed the scan (only the run-time guard could catch them)."""
    from course_lib.tools.grade import scan_source

    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(
                '_m = importlib.import_module("course_lib.checks." + "_ch10" + "_segments")\n'
                '_g = getattr(_m, "_segment_gate" + "_r" "ef")'
            )
        ]
    )
    assert [reason for _, _, reason in scan_source(nb, set())] == [
        "uses the self-checks' internals",
        "calls the self-checks' reference code",
    ]
