"""The kernel side of the grader: what the student's functions returned, as plain data.

Under the grader (the environment variable :data:`RECORD_ENV` names a file),
every check invocation writes JSON lines: its arguments, each call of the
student's function (inputs, result or exception) and its outcome.  Values are
carried by :func:`encode_value` / :func:`decode_value`, which only ever build
plain types, so nothing from the student's kernel runs in the grader.  While
the student's function runs, the check modules' own functions raise
(:func:`_arm_tripwires`), so calling the reference code is caught.
"""

from __future__ import annotations

import base64
import functools
import inspect
import json
import os
import re
import sys
import types
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from course_lib.checks._results import RECORD_ENV, ReferenceCodeCalled

__all__ = ["Unreplayable", "encode_value", "decode_value"]


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
    return ReferenceCodeCalled(
        f"your function called {name}, the self-checks' own reference "
        "code: write the computation yourself."
    )


def _tripwire(*args: Any, **kwargs: Any) -> Any:  # runs with a check module's globals
    raise __import__("course_lib.checks._recording", fromlist=["_"])._reference_called(
        __import__("sys")._getframe(0).f_code.co_name
    )


def _arm_tripwires(args: tuple, kwargs: dict) -> Callable[[], None]:
    """While the student's function runs, the check modules' own functions raise.

    Their code objects are swapped, so a reference grabbed earlier is caught too.
    Functions the check passed in (an objective's gradient, say) stay usable.
    """
    # A module that hands one of its own functions to the student (a gate, a metric) is
    # left alone: that function may use the module's helpers legitimately.
    lent = {
        getattr(getattr(v, "__func__", v), "__module__", None)
        for v in [*args, *kwargs.values()]
        if callable(v)
    }
    swapped = []
    for name, module in list(sys.modules.items()):
        if (
            not re.fullmatch(r"course_lib\.checks\.ch\d+", name or "")
            or module is None
            or name in lent
        ):
            continue
        for value in list(vars(module).values()):
            if (
                isinstance(value, types.FunctionType)
                and value.__module__ == name
                and not value.__code__.co_freevars
            ):
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
