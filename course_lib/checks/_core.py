"""The machinery behind every exercise self-check.

A check runs the student's function on a few cases and either prints one pass
line or raises :class:`CheckFailed`, whose message says *which input* gave
*what*, what was *expected*, and (when we can guess) a hint.  In Jupyter the
message is shown without a Python traceback, because a traceback into the
checking code helps nobody who is learning the math.

Chapter authors write a check like this::

    def check_1_1(mse):
        cases = [Case(args=(np.array([1.0, 2.0]), np.array([1.0, 4.0])), expected=2.0)]
        return run_cases("1.1", mse, cases, hints=[(lambda got: np.isclose(got, 1.0),
                         "You may have forgotten to square the residual.")])

>>> import numpy as np
>>> def mean(x):
...     return float(np.mean(x))
>>> result = run_cases("0.1", mean, [Case(args=(np.array([1.0, 3.0]),), expected=2.0)])
Exercise 0.1 passed: mean gives the expected result on 1 case.
>>> bool(result)
True
>>> def wrong_mean(x):
...     return float(np.sum(x))
>>> run_cases("0.1", wrong_mean, [Case(args=(np.array([1.0, 3.0]),), expected=2.0)])
Traceback (most recent call last):
...
course_lib.checks._results.CheckFailed: Exercise 0.1 is not right yet: wrong_mean(x=array([1., 3.])) ...
"""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, NoReturn

import numpy as np

# The parts, re-exported: a check module imports everything from here.
from course_lib.checks._recording import Unreplayable, _Recorder, decode_value, encode_value  # noqa: F401
from course_lib.checks._results import (  # noqa: F401
    GRADING,
    RECORD_ENV,
    CheckFailed,
    CheckResult,
    ReferenceCodeCalled,
    not_started,
)

__all__ = [
    "Case",
    "CheckFailed",
    "CheckResult",
    "run_cases",
    "compare",
    "show_value",
    "require_callable",
    "fail",
    "passed",
    "call_student",
    "allclose",
    "not_started",
    "friendly_check",
    "after_exercise",
    "GRADING",
    "ReferenceCodeCalled",
    "encode_value",
    "decode_value",
    "Unreplayable",
]


class after_exercise:  # noqa: N801 - used as a statement: ``with after_exercise("3.3"):``
    """Run a cell that uses an exercise's function; skip it quietly if not started yet.

    In an untouched exercises notebook the function still raises its
    ``NotImplementedError``; this prints one line and lets Run All go on.
    Any other error is shown as usual.

    >>> def amsgrad_minimize(*args):
    ...     raise NotImplementedError(
    ...         "Exercise 3.3: Run AMSGrad for n_steps from x0 and return the trajectory"
    ...         " (n_steps + 1 rows)."
    ...     )
    >>> with after_exercise("3.3"):
    ...     path = amsgrad_minimize()
    ...     print("not reached")
    (This cell uses Exercise 3.3, which is not started yet: it runs once you have written it.)
    """

    def __init__(self, *exercises: str) -> None:
        self.exercises = exercises

    def __enter__(self) -> after_exercise:
        return self

    def __exit__(self, kind: Any, exc: Any, tb: Any) -> bool:
        if kind is None or not issubclass(kind, NotImplementedError) or GRADING:
            return False
        match = re.match(r"Exercise (\d+\.\d+):", str(exc))
        if match is not None:
            number = match.group(1)
        elif not str(exc) and self.exercises:  # nbgrader's blank: raise NotImplementedError()
            number = self.exercises[0]
        else:
            return False
        print(
            f"(This cell uses Exercise {number}, which is not started yet: "
            "it runs once you have written it.)"
        )
        return True


def friendly_check(exercise: str, check: Callable[..., CheckResult]) -> Callable[..., CheckResult]:
    """Wrap a ``check_N_M`` so an untouched exercise prints one line instead of a traceback.

    Run All in an untouched exercises notebook then goes through to the end.
    Under the grader (:data:`GRADING`), the ``NotImplementedError`` propagates
    so the exercise is reported as not attempted, and every call of the
    student's function is recorded (arguments, result) so that the grader can
    re-run the check in its own process on the recorded results.
    """

    @functools.wraps(check)
    def wrapper(*args: Any, **kwargs: Any) -> CheckResult:
        recorder = _Recorder.current()
        invocation = 0
        if recorder is not None:
            invocation, args, kwargs = recorder.begin(exercise, args, kwargs)
        outcome, message = "error", ""
        try:
            result = check(*args, **kwargs)
            outcome = "passed" if result else "failed"
            return result
        except NotImplementedError as exc:
            outcome, message = "not started", str(exc)
            if GRADING:
                raise
            return not_started(exercise, exc)
        except CheckFailed as exc:
            outcome, message = "failed", str(exc)
            raise
        finally:
            if recorder is not None:
                recorder.end(invocation, outcome, message)

    # A function type declares no such attribute: setattr, for the type checker.
    setattr(wrapper, "__wrapped_check__", check)  # noqa: B010
    return wrapper


@dataclass
class Case:
    """One input for the student's function and the answer it should give.

    ``expected`` may be a value or a callable ``expected(got) -> str | None``
    that returns a problem description (``None`` when the answer is fine),
    for answers that are judged by a property rather than equality.
    """

    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    expected: Any = None
    rtol: float = 1e-6
    atol: float = 1e-8
    note: str = ""


def show_value(value: Any, max_len: int = 160) -> str:
    """A short, readable description of a value for messages.

    >>> show_value(np.zeros((2, 3)))
    'array of shape (2, 3), dtype float64: [[0. 0. 0.] [0. 0. 0.]]'
    >>> show_value(3.14159265)
    '3.141593'
    """
    if isinstance(value, np.ndarray):
        if value.ndim == 0:
            return show_value(value.item())
        with np.printoptions(precision=6, suppress=True, threshold=12, edgeitems=3):
            body = " ".join(np.array2string(value).split())
        text = f"array of shape {value.shape}, dtype {value.dtype}: {body}"
    elif isinstance(value, float):
        text = (
            f"{value:.6g}"
            if abs(value) >= 1e4 or (value != 0 and abs(value) < 1e-3)
            else f"{value:.6f}"
        )
    elif isinstance(value, dict):
        text = "{" + ", ".join(f"{k!r}: {show_value(v, 60)}" for k, v in value.items()) + "}"
    else:
        text = repr(value)
    return text if len(text) <= max_len else text[: max_len - 3] + "..."


def _call_signature(func: Callable[..., Any], case: Case) -> str:
    name = getattr(func, "__name__", "your function")
    try:
        params = list(inspect.signature(func).parameters)
    except (TypeError, ValueError):  # builtins, partials
        params = []
    parts = []
    for i, arg in enumerate(case.args):
        label = params[i] + "=" if i < len(params) else ""
        parts.append(label + _short_repr(arg))
    parts += [f"{k}={_short_repr(v)}" for k, v in case.kwargs.items()]
    return f"{name}({', '.join(parts)})"


def _short_repr(value: Any) -> str:
    if isinstance(value, np.ndarray):
        with np.printoptions(precision=4, suppress=True, threshold=8, edgeitems=2):
            text = " ".join(repr(value).split())
        return text if len(text) <= 90 else f"<array of shape {value.shape}>"
    if hasattr(value, "columns") and hasattr(value, "shape") and len(value.shape) == 2:
        cols = ", ".join(map(str, list(value.columns)[:6]))  # a DataFrame: its repr spans lines
        more = ", ..." if len(value.columns) > 6 else ""
        return f"<DataFrame of {value.shape[0]} rows; columns {cols}{more}>"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def compare(expected: Any, got: Any, rtol: float = 1e-6, atol: float = 1e-8) -> str | None:
    """Return ``None`` if ``got`` matches ``expected``, else what is wrong.

    Numbers and arrays are compared with a tolerance; a wrong type or shape is
    reported as such (with the usual fix), not as a numeric mismatch.

    >>> compare(np.ones(3), np.ones((3, 1)))
    'shape (3, 1) instead of (3,): check for a stray reshape or a missing .ravel()/.squeeze()'
    >>> compare(1.0, None)
    'None: did you forget a `return` statement?'
    >>> compare(2.0, 2.0 + 1e-12) is None
    True
    """
    if callable(expected) and not isinstance(expected, (np.ndarray, np.generic)):
        return expected(got)
    if got is None and expected is not None:
        return "None: did you forget a `return` statement?"
    if isinstance(expected, dict):
        if not isinstance(got, dict):
            return f"a {type(got).__name__}, but a dict with keys {sorted(expected)} was expected"
        missing = sorted(set(expected) - set(got))
        if missing:
            return f"a dict without the key(s) {missing}"
        for key in expected:
            problem = compare(expected[key], got[key], rtol, atol)
            if problem:
                return f"for key {key!r}: {problem}"
        return None
    if isinstance(expected, (tuple, list)) and not _is_numeric_sequence(expected):
        if not isinstance(got, (tuple, list)) or len(got) != len(expected):
            return f"{show_value(got)}, but a sequence of {len(expected)} items was expected"
        for i, (e, g) in enumerate(zip(expected, got, strict=True)):
            problem = compare(e, g, rtol, atol)
            if problem:
                return f"item {i}: {problem}"
        return None
    if isinstance(expected, (bool, np.bool_)):
        if not isinstance(got, (bool, np.bool_)):
            return f"a {type(got).__name__} ({show_value(got)}), but True/False was expected"
        return None if bool(got) == bool(expected) else f"{got} instead of {expected}"
    if isinstance(expected, str):
        return None if got == expected else f"{got!r} instead of {expected!r}"
    if isinstance(expected, (int, float, np.number, np.ndarray, list, tuple)):
        return _compare_numbers(expected, got, rtol, atol)
    return None if got == expected else f"{show_value(got)} instead of {show_value(expected)}"


def _compare_numbers(expected: Any, got: Any, rtol: float, atol: float) -> str | None:
    """:func:`compare` for a number or a numeric array: type, shape, NaN/inf, then values."""
    exp = np.asarray(expected, dtype=float)
    if isinstance(got, (str, bytes)):
        return f"the text {got!r}, which is not a number or numeric array"
    try:
        arr = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        return f"a {type(got).__name__}, which is not a number or numeric array"
    if exp.ndim == 0 and arr.ndim > 0:
        if arr.size == 1:
            return (
                f"an array of shape {arr.shape}, but a single number was expected: "
                "return a float, e.g. float(np.mean(...))"
            )
        return (
            f"an array of shape {arr.shape}, but a single number was expected: "
            "did you forget to average (np.mean) or sum?"
        )
    if arr.shape != exp.shape:
        hint = "check for a stray reshape or a missing .ravel()/.squeeze()"
        if arr.size == exp.size:
            return f"shape {arr.shape} instead of {exp.shape}: {hint}"
        return f"shape {arr.shape} instead of {exp.shape}"
    if np.any(np.isnan(arr)) and not np.any(np.isnan(exp)):
        return "NaN values: look for log(0), 0/0 or an overflowing exp"
    if np.any(np.isinf(arr)) and not np.any(np.isinf(exp)):
        return "infinite values: look for log(0) or an overflowing exp"
    if not np.allclose(arr, exp, rtol=rtol, atol=atol, equal_nan=True):
        return "values that differ from the expected ones"
    return None


def _is_numeric_sequence(value: Sequence[Any]) -> bool:
    try:
        np.asarray(value, dtype=float)
        return True
    except (TypeError, ValueError):
        return False


def allclose(
    a: Any, b: Any, rtol: float = 1e-6, atol: float = 1e-9, *, same_shape: bool = True
) -> bool:
    """True if ``a`` and ``b`` are numerically close (and, by default, of one shape).

    Never raises: non-numeric input is simply "not close", which is what a
    hint predicate needs.

    >>> allclose([1.0, 2.0], np.array([1.0, 2.0 + 1e-12]))
    True
    >>> allclose(np.ones(3), np.ones((3, 1))), allclose("x", 1.0)
    (False, False)
    """
    try:
        a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
        if same_shape and a.shape != b.shape:
            return False
        return bool(np.allclose(a, b, rtol=rtol, atol=atol))
    except (TypeError, ValueError):
        return False


def call_student(
    exercise: str, func: Callable[..., Any], *args: Any, call: str | None = None, **kwargs: Any
) -> Any:
    """Run the student's function; explain a crash instead of tracing it.

    ``NotImplementedError`` (an untouched exercise) and :class:`CheckFailed`
    pass through unchanged; any other exception becomes a :class:`CheckFailed`
    that names the call.

    >>> call_student("0.2", lambda x: 1 / x, 0, call="inverse(0)")
    Traceback (most recent call last):
    ...
    course_lib.checks._results.CheckFailed: Exercise 0.2 is not right yet: inverse(0) raised ZeroDivisionError: division by zero
    ...
    """
    try:
        return func(*args, **kwargs)
    except (NotImplementedError, CheckFailed):
        raise
    except Exception as exc:  # the student's code crashed: explain, don't trace
        name = call or f"{getattr(func, '__name__', 'your function')}(...)"
        raise CheckFailed(
            f"Exercise {exercise} is not right yet: {name} raised {type(exc).__name__}: {exc}\n"
            "    Run your function on a small input in a new cell to see where it fails."
        ) from None


def require_callable(exercise: str, func: Any, what: str) -> None:
    """Fail clearly if the student passed something that is not a function."""
    if not callable(func):
        raise CheckFailed(
            f"Exercise {exercise}: pass the function itself, e.g. check_{exercise.replace('.', '_')}"
            f"({what}), not {show_value(func)} (a {type(func).__name__})."
        )


def fail(
    exercise: str, call: str, problem: str, expected: Any = None, got: Any = None, hint: str = ""
) -> NoReturn:
    """Raise a :class:`CheckFailed` with the course's standard layout."""
    lines = [f"Exercise {exercise} is not right yet: {call} returned {problem}."]
    if expected is not None or got is not None:
        lines.append(
            f"    expected: {show_value(expected) if not callable(expected) else '(see above)'}"
        )
        lines.append(f"    got:      {show_value(got)}")
    if hint:
        lines.append(f"    hint: {hint}")
    raise CheckFailed("\n".join(lines))


def passed(exercise: str, what: str, n_cases: int) -> CheckResult:
    """Print the pass line and return a truthy :class:`CheckResult`."""
    plural = "case" if n_cases == 1 else "cases"
    print(f"Exercise {exercise} passed: {what} gives the expected result on {n_cases} {plural}.")
    return CheckResult(exercise, n_cases)


def run_cases(
    exercise: str,
    func: Callable[..., Any],
    cases: Iterable[Case],
    hints: Sequence[tuple[Callable[..., object], str]] = (),
) -> CheckResult:
    """Run ``func`` on every case; raise :class:`CheckFailed` on the first wrong one.

    ``hints`` are ``(predicate(got, case), text)`` pairs tried in order on a
    wrong answer; the first whose predicate is true adds its text as a hint
    (for example, "you forgot the factor 2" when ``got`` is exactly half).
    A ``NotImplementedError`` from an untouched exercise is re-raised as is,
    so the exercise harness and the grader can tell "not attempted" apart.
    """
    name = getattr(func, "__name__", "your function")
    require_callable(exercise, func, name)
    cases = list(cases)
    for case in cases:
        call = _call_signature(func, case)
        args = tuple(a.copy() if isinstance(a, np.ndarray) else a for a in case.args)
        kwargs = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in case.kwargs.items()}
        got = call_student(exercise, func, *args, call=call, **kwargs)
        for arg_before, arg_after in zip(case.args, args, strict=True):
            if isinstance(arg_before, np.ndarray) and not np.array_equal(
                arg_before, arg_after, equal_nan=True
            ):
                fail(
                    exercise,
                    call,
                    "the right type of value but changed its input array in place",
                    hint="work on a copy (x = x.copy()) or build new arrays instead of using +=",
                )
        problem = compare(case.expected, got, case.rtol, case.atol)
        if problem:
            hint = ""
            for predicate, text in hints:
                try:
                    if predicate(got, case):
                        hint = text
                        break
                except Exception:  # a hint predicate must never hide the real message
                    continue
            expected = None if callable(case.expected) else case.expected
            fail(
                exercise,
                call,
                problem,
                expected=expected,
                got=got if expected is not None else None,
                hint=hint or case.note,
            )
    return passed(exercise, name, len(cases))
