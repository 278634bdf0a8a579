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
course_lib.checks._core.CheckFailed: Exercise 0.1 is not right yet: wrong_mean(x=array([1., 3.])) ...
"""

from __future__ import annotations

import base64
import functools
import inspect
import json
import math
import os
import re
import sys
import types
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Sequence

import numpy as np

__all__ = ["Case", "CheckFailed", "CheckResult", "run_cases", "compare", "describe",
           "require_callable", "fail", "passed", "call_student", "allclose", "not_started",
           "friendly_check", "after_exercise", "GRADING", "ReferenceCodeCalled",
           "encode_value", "decode_value", "Unreplayable"]


class CheckFailed(AssertionError):
    """A self-check found a wrong answer.  The message explains it.

    IPython calls ``_render_traceback_`` to show an exception; we return just
    the explanation, so a student sees what to fix and no traceback.
    """

    def _render_traceback_(self) -> list[str]:  # noqa: D401 - IPython protocol
        red, reset = "\x1b[31m", "\x1b[0m"
        lines = str(self).splitlines() or ["(no message)"]
        return [f"{red}✗ {lines[0]}{reset}", *lines[1:]]


@dataclass
class CheckResult:
    """What a check returns: truthy when it passed, for use in hidden tests.

    A check prints its own one-line verdict, so in a notebook the result
    itself displays nothing (no ``CheckResult(...)`` echo under the pass line).
    """

    exercise: str
    n_cases: int
    passed: bool = True
    status: str = "passed"

    def __bool__(self) -> bool:
        return self.passed

    def _ipython_display_(self) -> None:  # IPython protocol: the check already printed
        return None


#: The grader starts the kernel with this variable naming a file: every check then
#: records what the student's functions returned (see :func:`friendly_check`).
RECORD_ENV = "COURSE_LIB_GRADING_RECORD"

#: Set under the grader: an exercise that is not started raises its
#: ``NotImplementedError`` instead of printing "not started yet".
GRADING = bool(os.environ.get(RECORD_ENV))


def not_started(exercise: str, exc: NotImplementedError) -> CheckResult:
    """Print the one friendly line for an untouched exercise and return a falsy result.

    >>> r = not_started("1.1", NotImplementedError("Exercise 1.1: Implement the MSE."))
    Exercise 1.1 not started yet: Implement the MSE. Write your code in the cell above, run it, then run this cell again.
    >>> bool(r), r.status
    (False, 'not started')
    """
    text = str(exc)
    prefix = f"Exercise {exercise}:"
    task = text[len(prefix):].strip() if text.startswith(prefix) else ""
    print(f"Exercise {exercise} not started yet: " + (f"{task} " if task else "")
          + "Write your code in the cell above, run it, then run this cell again.")
    return CheckResult(exercise, 0, passed=False, status="not started")


class after_exercise:  # noqa: N801 - used as a statement: ``with after_exercise("3.3"):``
    """Run a cell that uses an exercise's function; skip it quietly if not started yet.

    In an untouched exercises notebook the function still raises its
    ``NotImplementedError``; this prints one line and lets Run All go on.
    Any other error is shown as usual.

    >>> def adam_minimize(*args):
    ...     raise NotImplementedError("Exercise 3.3: Run Adam.")
    >>> with after_exercise("3.3"):
    ...     path = adam_minimize()
    ...     print("not reached")
    (This cell uses Exercise 3.3, which is not started yet: it runs once you have written it.)
    """

    def __init__(self, *exercises: str) -> None:
        self.exercises = exercises

    def __enter__(self) -> "after_exercise":
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
        print(f"(This cell uses Exercise {number}, which is not started yet: "
              "it runs once you have written it.)")
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
        invocation = None
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

    wrapper.__wrapped_check__ = check  # type: ignore[attr-defined]
    return wrapper


# ---------------------------------------------------------------- grading records
class Unreplayable(TypeError):
    """A value the grader cannot carry out of the kernel as plain data."""


_MAX_RECORD_CHARS = 20_000_000


def encode_value(value: Any, _depth: int = 0) -> Any:
    """Plain JSON data for ``value`` (numbers, text, arrays, containers, DataFrames).

    The grader decodes it with :func:`decode_value`, which only ever builds
    these plain types, so nothing from the student's kernel runs in the grader.

    >>> decode_value(json.loads(json.dumps(encode_value((1, 2.5, np.arange(3))))))
    (1, 2.5, array([0, 1, 2]))
    >>> encode_value(object())
    Traceback (most recent call last):
    ...
    course_lib.checks._core.Unreplayable: a object
    """
    if _depth > 30:
        raise Unreplayable("a value nested more than 30 levels deep")
    enc = functools.partial(encode_value, _depth=_depth + 1)
    if value is None:
        return {"n": 0}
    if isinstance(value, (bool, np.bool_)):
        return {"b": bool(value)}
    if isinstance(value, np.ndarray):
        array = np.asarray(value)
        if array.dtype.kind == "O":
            return {"ao": list(array.shape), "items": [enc(v) for v in array.ravel().tolist()]}
        if array.dtype.kind not in "biufcmMSU" or array.dtype.fields is not None:
            raise Unreplayable(f"an array of dtype {array.dtype}")
        data = np.ascontiguousarray(array).tobytes()
        if len(data) > _MAX_RECORD_CHARS:
            raise Unreplayable(f"an array of {len(data)} bytes")
        return {"a": array.dtype.str, "shape": list(array.shape),
                "data": base64.b64encode(data).decode("ascii")}
    if isinstance(value, np.generic):
        return {"g": encode_value(np.asarray(value), _depth + 1)}
    if isinstance(value, int):
        return {"i": str(int.__int__(value))}
    if isinstance(value, float):
        return {"f": float.hex(float.__float__(value))}
    if isinstance(value, complex):
        return {"c": [float.hex(value.real), float.hex(value.imag)]}
    if isinstance(value, str):
        return {"s": str.__str__(value)}
    if isinstance(value, tuple):
        return {"t": [enc(v) for v in value]}
    if isinstance(value, list):
        return {"l": [enc(v) for v in value]}
    if isinstance(value, (set, frozenset)):
        return {"set": [enc(v) for v in value], "frozen": isinstance(value, frozenset)}
    if isinstance(value, dict):
        return {"d": [[enc(k), enc(v)] for k, v in dict.items(value)]}
    if isinstance(value, np.random.Generator) and type(value.bit_generator).__name__ == "PCG64":
        return {"rng": enc(value.bit_generator.state)}
    if callable(value) and hasattr(value, "__qualname__") and not isinstance(value, type):
        return {"fn": str(value.__qualname__)}  # an input function: named, not carried
    pandas = sys.modules.get("pandas")
    if pandas is not None and isinstance(value, pandas.DataFrame):
        return {"df": enc(list(value.columns)), "index": enc(value.index.to_numpy()),
                "cols": [enc(value.iloc[:, i].to_numpy()) for i in range(value.shape[1])]}
    if pandas is not None and isinstance(value, pandas.Series):
        return {"sr": enc(value.name), "index": enc(value.index.to_numpy()),
                "values": enc(value.to_numpy())}
    if pandas is not None and isinstance(value, pandas.Index):
        return {"ix": enc(value.to_numpy())}
    raise Unreplayable(f"a {type(value).__name__}")


def decode_value(data: Any) -> Any:
    """Rebuild a value from :func:`encode_value`'s data (plain types only)."""
    if not isinstance(data, dict) or len(data) == 0:
        raise Unreplayable("not an encoded value")
    key = next(iter(data))
    dec = decode_value
    if key == "n":
        return None
    if key == "b":
        return bool(data["b"])
    if key == "i":
        return int(str(data["i"])[:5000])
    if key == "f":
        return float.fromhex(str(data["f"]))
    if key == "c":
        return complex(float.fromhex(data["c"][0]), float.fromhex(data["c"][1]))
    if key == "s":
        return str(data["s"])
    if key == "t":
        return tuple(dec(v) for v in data["t"])
    if key == "l":
        return [dec(v) for v in data["l"]]
    if key == "set":
        items = [dec(v) for v in data["set"]]
        return frozenset(items) if data.get("frozen") else set(items)
    if key == "d":
        return {dec(k): dec(v) for k, v in data["d"]}
    if key == "a":
        dtype = np.dtype(str(data["a"]))
        if dtype.kind == "O" or dtype.fields is not None:
            raise Unreplayable(f"an array of dtype {dtype}")
        raw = base64.b64decode(str(data["data"]))
        return np.frombuffer(raw, dtype=dtype).reshape([int(n) for n in data["shape"]]).copy()
    if key == "ao":
        items = [dec(v) for v in data["items"]]
        array = np.empty(len(items), dtype=object)
        array[:] = items if items else array
        return array.reshape([int(n) for n in data["ao"]])
    if key == "g":
        return dec(data["g"])[()]
    if key == "rng":
        generator = np.random.Generator(np.random.PCG64())
        generator.bit_generator.state = dec(data["rng"])
        return generator
    if key == "fn":
        return _InputFunction(str(data["fn"]))
    if key in ("df", "sr", "ix"):
        import pandas

        if key == "ix":
            return pandas.Index(dec(data["ix"]))
        if key == "sr":
            return pandas.Series(dec(data["values"]), index=dec(data["index"]), name=dec(data["sr"]))
        columns = dec(data["df"])
        frame = pandas.DataFrame({i: dec(c) for i, c in enumerate(data["cols"])},
                                 index=dec(data["index"]))
        frame.columns = columns
        return frame
    raise Unreplayable(f"an unknown encoding {key!r}")


@dataclass(frozen=True)
class _InputFunction:
    """Stands for a function the check passed in (compared by name only)."""

    qualname: str


class ReferenceCodeCalled(CheckFailed):
    """The student's function called the self-checks' own reference code."""


class _Recorder:
    """Kernel side of the grader: writes one JSON line per check event to a file."""

    _instance: "_Recorder | None" = None

    def __init__(self, path: str) -> None:
        self.path = path
        self.invocations = 0
        self.depth = 0
        self.active: list[dict] = []

    @classmethod
    def current(cls) -> "_Recorder | None":
        path = os.environ.get(RECORD_ENV)
        if not path:
            return None
        if cls._instance is None or cls._instance.path != path:
            cls._instance = cls(path)
        return cls._instance

    def write(self, record: dict) -> None:
        line = json.dumps(record)
        if len(line) > _MAX_RECORD_CHARS:
            record = {**record, "value": {"unreplayable": "a result too large to record"}}
            line = json.dumps({k: v for k, v in record.items() if k != "fp"})
        with open(self.path, "a", encoding="utf-8") as handle:
            handle.write(line + "\n")

    def begin(self, exercise: str, args: tuple, kwargs: dict) -> tuple[int, tuple, dict]:
        self.invocations += 1
        number = self.invocations
        shell = sys.modules.get("IPython") and _ipython_shell()
        described, new_args, new_kwargs = [], [], {}
        for slot, value in [*enumerate(args), *kwargs.items()]:
            if isinstance(value, (types.FunctionType, types.MethodType, functools.partial)):
                described.append({"slot": slot, "name": str(getattr(value, "__name__", "func")),
                                  "params": _parameters(value)})
                value = self._proxy(number, exercise, slot, value)
            elif callable(value):
                described.append({"slot": slot, "unrecorded": type(value).__name__})
            else:
                described.append({"slot": slot, "value": _try_encode(value)})
            if isinstance(slot, int):
                new_args.append(value)
            else:
                new_kwargs[slot] = value
        self.write({"kind": "begin", "inv": number, "exercise": exercise,
                    "cell": getattr(shell, "execution_count", None), "args": described})
        return number, tuple(new_args), new_kwargs

    def end(self, number: int, outcome: str, message: str) -> None:
        self.write({"kind": "end", "inv": number, "outcome": outcome, "message": message[:4000]})

    def _proxy(self, number: int, exercise: str, slot: Any, func: Callable) -> Callable:
        recorder = self

        @functools.wraps(func)
        def proxy(*args: Any, **kwargs: Any) -> Any:
            record = {"kind": "call", "inv": number, "slot": slot,
                      "fp": _try_encode([list(args), kwargs])}
            references: list[str] = []
            recorder.active.append({"refs": references, "inputs": (args, kwargs)})
            restore = _arm_tripwires(args, kwargs) if len(recorder.active) == 1 else None
            try:
                result = func(*args, **kwargs)
            except BaseException as exc:
                record["raised"] = [type(exc).__name__, str(exc)[:4000]]
                raise
            else:
                record["value"] = _try_encode(result)
                after = _try_encode([list(args), kwargs])
                if after != record["fp"]:  # it changed its inputs in place
                    record["after"] = after
                return result
            finally:
                if restore is not None:
                    restore()
                recorder.active.pop()
                record["refs"] = references
                recorder.write(record)

        return proxy


def _ipython_shell() -> Any:
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - the grader always runs IPython
        return None
    return get_ipython()


def _parameters(func: Callable) -> list:
    try:
        return [[p.name, int(p.kind)] for p in inspect.signature(func).parameters.values()]
    except (TypeError, ValueError):
        return []


def _try_encode(value: Any) -> Any:
    try:
        return encode_value(value)
    except Unreplayable as exc:
        return {"unreplayable": str(exc)}
    except Exception as exc:  # a value whose conversion itself fails
        return {"unreplayable": f"{type(value).__name__} ({type(exc).__name__})"}


def _reference_called(name: str) -> ReferenceCodeCalled:
    recorder = _Recorder._instance
    if recorder is not None and recorder.active:
        recorder.active[-1]["refs"].append(name)
    return ReferenceCodeCalled(f"your function called {name}, the self-checks' own reference "
                               "code: write the computation yourself.")


def _tripwire(*args: Any, **kwargs: Any) -> Any:  # runs with a check module's globals
    raise __import__("course_lib.checks._core", fromlist=["_"])._reference_called(
        __import__("sys")._getframe(0).f_code.co_name)


def _arm_tripwires(args: tuple, kwargs: dict) -> Callable[[], None]:
    """While the student's function runs, the check modules' own functions raise.

    Their code objects are swapped, so a reference grabbed earlier is caught too.
    Functions the check passed in (an objective's gradient, say) stay usable.
    """
    # A module that hands one of its own functions to the student (a gate, a metric) is
    # left alone: that function may use the module's helpers legitimately.
    lent = {getattr(getattr(v, "__func__", v), "__module__", None)
            for v in [*args, *kwargs.values()] if callable(v)}
    swapped = []
    for name, module in list(sys.modules.items()):
        if not re.fullmatch(r"course_lib\.checks\.ch\d+", name or "") or module is None \
                or name in lent:
            continue
        for value in list(vars(module).values()):
            if (isinstance(value, types.FunctionType) and value.__module__ == name
                    and not value.__code__.co_freevars):
                original = value.__code__
                try:
                    value.__code__ = _tripwire.__code__.replace(co_name=original.co_name)
                except (ValueError, TypeError):
                    continue
                swapped.append((value, original))

    def restore() -> None:
        for function, code in swapped:
            function.__code__ = code

    return restore


@dataclass
class Case:
    """One input for the student's function and the answer it should give.

    ``expected`` may be a value or a callable ``expected(got) -> str | None``
    that returns a problem description (``None`` when the answer is fine),
    for answers that are judged by a property rather than equality.
    """

    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    expected: Any = None
    rtol: float = 1e-6
    atol: float = 1e-8
    note: str = ""


def describe(value: Any, max_len: int = 160) -> str:
    """A short, readable description of a value for messages.

    >>> describe(np.zeros((2, 3)))
    'array of shape (2, 3), dtype float64: [[0. 0. 0.] [0. 0. 0.]]'
    >>> describe(3.14159265)
    '3.141593'
    """
    if isinstance(value, np.ndarray):
        if value.ndim == 0:
            return describe(value.item())
        with np.printoptions(precision=6, suppress=True, threshold=12, edgeitems=3):
            body = " ".join(np.array2string(value).split())
        text = f"array of shape {value.shape}, dtype {value.dtype}: {body}"
    elif isinstance(value, float):
        text = f"{value:.6g}" if abs(value) >= 1e4 or (value != 0 and abs(value) < 1e-3) \
            else f"{value:.6f}"
    elif isinstance(value, dict):
        text = "{" + ", ".join(f"{k!r}: {describe(v, 60)}" for k, v in value.items()) + "}"
    else:
        text = repr(value)
    return text if len(text) <= max_len else text[: max_len - 3] + "..."


def _call_signature(func: Callable, case: Case) -> str:
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
            return f"{describe(got)}, but a sequence of {len(expected)} items was expected"
        for i, (e, g) in enumerate(zip(expected, got)):
            problem = compare(e, g, rtol, atol)
            if problem:
                return f"item {i}: {problem}"
        return None
    if isinstance(expected, (bool, np.bool_)):
        if not isinstance(got, (bool, np.bool_)):
            return f"a {type(got).__name__} ({describe(got)}), but True/False was expected"
        return None if bool(got) == bool(expected) else f"{got} instead of {expected}"
    if isinstance(expected, str):
        return None if got == expected else f"{got!r} instead of {expected!r}"
    if isinstance(expected, (int, float, np.number, np.ndarray, list, tuple)):
        exp = np.asarray(expected, dtype=float)
        if isinstance(got, (str, bytes)):
            return f"the text {got!r}, which is not a number or numeric array"
        try:
            arr = np.asarray(got, dtype=float)
        except (TypeError, ValueError):
            return f"a {type(got).__name__}, which is not a number or numeric array"
        if exp.ndim == 0 and arr.ndim > 0:
            if arr.size == 1:
                return (f"an array of shape {arr.shape}, but a single number was expected: "
                        "return a float, e.g. float(np.mean(...))")
            return (f"an array of shape {arr.shape}, but a single number was expected: "
                    "did you forget to average (np.mean) or sum?")
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
    return None if got == expected else f"{describe(got)} instead of {describe(expected)}"


def _is_numeric_sequence(value: Sequence) -> bool:
    try:
        np.asarray(value, dtype=float)
        return True
    except (TypeError, ValueError):
        return False


def allclose(a: Any, b: Any, rtol: float = 1e-6, atol: float = 1e-9, *,
             same_shape: bool = True) -> bool:
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


def call_student(exercise: str, func: Callable, *args: Any, call: str | None = None,
                 **kwargs: Any) -> Any:
    """Run the student's function; explain a crash instead of tracing it.

    ``NotImplementedError`` (an untouched exercise) and :class:`CheckFailed`
    pass through unchanged; any other exception becomes a :class:`CheckFailed`
    that names the call.

    >>> call_student("0.2", lambda x: 1 / x, 0, call="inverse(0)")
    Traceback (most recent call last):
    ...
    course_lib.checks._core.CheckFailed: Exercise 0.2 is not right yet: inverse(0) raised ZeroDivisionError: division by zero
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
            f"({what}), not {describe(func)} (a {type(func).__name__})."
        )


def fail(exercise: str, call: str, problem: str, expected: Any = None, got: Any = None,
         hint: str = "") -> None:
    """Raise a :class:`CheckFailed` with the course's standard layout."""
    lines = [f"Exercise {exercise} is not right yet: {call} returned {problem}."]
    if expected is not None or got is not None:
        lines.append(f"    expected: {describe(expected) if not callable(expected) else '(see above)'}")
        lines.append(f"    got:      {describe(got)}")
    if hint:
        lines.append(f"    hint: {hint}")
    raise CheckFailed("\n".join(lines))


def passed(exercise: str, what: str, n_cases: int) -> CheckResult:
    """Print the pass line and return a truthy :class:`CheckResult`."""
    plural = "case" if n_cases == 1 else "cases"
    print(f"Exercise {exercise} passed: {what} gives the expected result on {n_cases} {plural}.")
    return CheckResult(exercise, n_cases)


def run_cases(exercise: str, func: Callable, cases: Iterable[Case],
              hints: Sequence[tuple[Callable[[Any], bool], str]] = ()) -> CheckResult:
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
        for arg_before, arg_after in zip(case.args, args):
            if isinstance(arg_before, np.ndarray) and not np.array_equal(
                    arg_before, arg_after, equal_nan=True):
                fail(exercise, call, "the right type of value but changed its input array in place",
                     hint="work on a copy (x = x.copy()) or build new arrays instead of using +=")
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
            fail(exercise, call, problem, expected=expected,
                 got=got if expected is not None else None, hint=hint or case.note)
    return passed(exercise, name, len(cases))
