"""The kernel side of the grader: what the student's functions returned, as plain data.

Under the grader (the environment variable :data:`RECORD_ENV` names a file),
every check invocation writes JSON lines: its arguments, each call of the
student's function (inputs, result or exception) and its outcome.  Values are
carried by :func:`encode_value` / :func:`decode_value`, which only ever build
plain types, so nothing from the student's kernel runs in the grader.  While
the student's function runs, the reference modules' functions raise
(:func:`install_guards`, :func:`_arm_tripwires`), so calling the reference code is caught,
also through a function grabbed earlier or one built from a reference's ``__code__``.
"""

from __future__ import annotations

import base64
import functools
import importlib.abc
import importlib.machinery
import inspect
import json
import os
import sys
import types
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from course_lib.checks._results import GRADING, RECORD_ENV, ReferenceCodeCalled

__all__ = ["Unreplayable", "encode_value", "decode_value", "is_reference_module", "install_guards"]


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
    course_lib.checks._recording.Unreplayable: a object
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
        return {
            "a": array.dtype.str,
            "shape": list(array.shape),
            "data": base64.b64encode(data).decode("ascii"),
        }
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
        return {
            "df": enc(list(value.columns)),
            "index": enc(value.index.to_numpy()),
            "cols": [enc(value.iloc[:, i].to_numpy()) for i in range(value.shape[1])],
        }
    if pandas is not None and isinstance(value, pandas.Series):
        return {
            "sr": enc(value.name),
            "index": enc(value.index.to_numpy()),
            "values": enc(value.to_numpy()),
        }
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
            return pandas.Series(
                dec(data["values"]), index=dec(data["index"]), name=dec(data["sr"])
            )
        columns = dec(data["df"])
        frame = pandas.DataFrame(
            {i: dec(c) for i, c in enumerate(data["cols"])}, index=dec(data["index"])
        )
        frame.columns = columns
        return frame
    raise Unreplayable(f"an unknown encoding {key!r}")


@dataclass(frozen=True)
class _InputFunction:
    """Stands for a function the check passed in (compared by name only)."""

    qualname: str


class _Recorder:
    """Kernel side of the grader: writes one JSON line per check event to a file."""

    _instance: _Recorder | None = None

    def __init__(self, path: str) -> None:
        self.path = path
        self.invocations = 0
        self.depth = 0
        self.active: list[dict] = []

    @classmethod
    def current(cls) -> _Recorder | None:
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
                described.append(
                    {
                        "slot": slot,
                        "name": str(getattr(value, "__name__", "func")),
                        "params": _parameters(value),
                    }
                )
                value = self._proxy(number, exercise, slot, value)
            elif callable(value):
                described.append({"slot": slot, "unrecorded": type(value).__name__})
            else:
                described.append({"slot": slot, "value": _try_encode(value)})
            if isinstance(slot, int):
                new_args.append(value)
            else:
                new_kwargs[slot] = value
        self.write(
            {
                "kind": "begin",
                "inv": number,
                "exercise": exercise,
                "cell": getattr(shell, "execution_count", None),
                "args": described,
            }
        )
        return number, tuple(new_args), new_kwargs

    def end(self, number: int, outcome: str, message: str) -> None:
        self.write({"kind": "end", "inv": number, "outcome": outcome, "message": message[:4000]})

    def _proxy(self, number: int, exercise: str, slot: Any, func: Callable) -> Callable:
        recorder = self

        @functools.wraps(func)
        def proxy(*args: Any, **kwargs: Any) -> Any:
            record = {
                "kind": "call",
                "inv": number,
                "slot": slot,
                "fp": _try_encode([list(args), kwargs]),
            }
            references: list[str] = []
            recorder.active.append({"refs": references, "inputs": (args, kwargs)})
            restore = _arm_tripwires() if len(recorder.active) == 1 else None
            try:
                result = func(*[_lend(v) for v in args], **{k: _lend(v) for k, v in kwargs.items()})
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
    return ReferenceCodeCalled(
        f"your function called {name}, the self-checks' own reference "
        "code: write the computation yourself."
    )


#: The check machinery itself; every other module of ``course_lib.checks`` (``chNN``,
#: ``_chNN_*`` and any added later) holds reference code and is guarded.
INFRASTRUCTURE = frozenset({"_core", "_recording", "_results"})

_PACKAGE = "course_lib.checks."
#: id of a guard code object -> (that code, module name, the function with its original code);
#: by id, since equal code objects (one name in two modules) compare equal
_GUARDS: dict[int, tuple[types.CodeType, str, types.FunctionType]] = {}
#: the modules whose reference code raises right now (while the student's function runs)
_ARMED: set[str] = set()


def is_reference_module(name: str) -> bool:
    """Whether module ``name`` holds the checks' reference code (guarded under the grader).

    >>> [is_reference_module(n) for n in ("course_lib.checks.ch02",
    ...  "course_lib.checks._ch10_segments", "course_lib.checks._core", "course_lib.checks")]
    [True, True, False, False]
    """
    if not name.startswith(_PACKAGE):
        return False
    return name[len(_PACKAGE) :].split(".")[0] not in INFRASTRUCTURE


def _guard(*args: Any, **kwargs: Any) -> Any:  # the code of every guarded function
    return __import__("course_lib.checks._recording", fromlist=["_"])._call_guarded(
        __import__("sys")._getframe(0).f_code, args, kwargs
    )


def _call_guarded(code: types.CodeType, args: tuple, kwargs: dict) -> Any:
    _, module, original = _GUARDS[id(code)]
    if module in _ARMED:
        raise _reference_called(original.__name__)
    return original(*args, **kwargs)


def _guard_module(module: Any) -> None:
    """Give each function of a reference module the guard's code; keep the original aside.

    The code object is swapped, so a function grabbed earlier and a new function
    built from its ``__code__`` both go through :func:`_call_guarded`.
    """
    name = getattr(module, "__name__", "")
    for value in list(vars(module).values()):
        if (
            not isinstance(value, types.FunctionType)
            or value.__module__ != name
            or value.__code__.co_freevars
            or id(value.__code__) in _GUARDS
        ):
            continue
        original = types.FunctionType(
            value.__code__, value.__globals__, value.__name__, value.__defaults__
        )
        original.__kwdefaults__ = value.__kwdefaults__
        original.__qualname__, original.__doc__ = value.__qualname__, value.__doc__
        code = _guard.__code__.replace(
            co_name=value.__code__.co_name, co_filename=f"<reference guard of {name}>"
        )
        _GUARDS[id(code)] = (code, name, original)
        value.__code__ = code


class _GuardingLoader(importlib.abc.Loader):
    """Runs a reference module, then guards its functions (see :func:`install_guards`)."""

    def __init__(self, loader: Any) -> None:
        self._loader = loader

    def create_module(self, spec: Any) -> Any:
        return self._loader.create_module(spec)

    def exec_module(self, module: types.ModuleType) -> None:
        self._loader.exec_module(module)
        _guard_module(module)

    def __getattr__(self, name: str) -> Any:  # get_source, get_filename ...
        return getattr(self._loader, name)


class _GuardingFinder:
    """Finds the reference modules as usual and hands them to :class:`_GuardingLoader`."""

    @staticmethod
    def find_spec(name: str, path: Any = None, target: Any = None) -> Any:
        if not is_reference_module(name):
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path, target)
        if spec is not None and spec.loader is not None:
            spec.loader = _GuardingLoader(spec.loader)
        return spec


def _guard_loaded() -> None:
    for name, module in list(sys.modules.items()):
        if module is not None and is_reference_module(name or ""):
            _guard_module(module)


def install_guards() -> None:
    """Under the grader, before any student code: guard every reference module as it loads.

    ``course_lib.checks`` imports this module before any check module, so each of
    them (present or future) is guarded before the student's code can touch it.
    """
    if not any(isinstance(finder, _GuardingFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, _GuardingFinder())
    _guard_loaded()


def _arm_tripwires() -> Callable[[], None]:
    """While the student's function runs, the reference modules' functions raise."""
    _guard_loaded()  # a module that escaped the import hook
    armed = {n for n in list(sys.modules) if is_reference_module(n or "")}
    _ARMED.update(armed)

    def restore() -> None:
        _ARMED.difference_update(armed)

    return restore


def _lend(value: Any) -> Any:
    """``value``, or, for a function the check hands to the student (a gate, a gradient),
    a wrapper during whose calls the reference code works: it may use its module's helpers.
    """
    if not isinstance(value, (types.FunctionType, types.MethodType, functools.partial)):
        return value
    func = getattr(value, "__func__", getattr(value, "func", value))
    if not is_reference_module(str(getattr(func, "__module__", "") or "")):
        return value

    @functools.wraps(value)
    def lent(*args: Any, **kwargs: Any) -> Any:
        paused = set(_ARMED)
        _ARMED.clear()
        try:
            return value(*args, **kwargs)
        finally:
            _ARMED.update(paused)

    return lent


if GRADING:
    install_guards()
