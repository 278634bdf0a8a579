"""Re-run a check in the grader's own process, on what the student's functions returned.

The checks and numpy are imported here, before any submission runs: the
verdict uses these, never the kernel's copies.  Each student function is
replaced by a *stub* that checks it is given the same inputs as in the
notebook and returns the recorded result.
"""

from __future__ import annotations

import contextlib
import inspect
import io
import json
import re
from collections.abc import Callable
from typing import Any

import numpy as np

# Imported before any submission runs: the verdict uses these, never the kernel's copies.
import course_lib.checks as _pristine_checks
from course_lib.checks import _core, _recording
from course_lib.tools.grading.records import clip

__all__ = ["is_replayable", "replay", "has_check"]

_NAME = re.compile(r"[A-Za-z_]\w{0,80}")


class _ReplayMismatch(Exception):
    pass


def has_check(number: str) -> bool:
    """Whether the course has a check ``check_N_M`` for exercise ``number``."""
    return hasattr(_pristine_checks, f"check_{number.replace('.', '_')}")


def is_replayable(inv: dict) -> str:
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


def _repeat_in_place_changes(args: tuple, record: dict) -> None:
    """The function changed its inputs in place in the notebook: do the same to ``args``."""
    after_args = _recording.decode_value(record["after"])[0]
    for arg, new in zip(args, after_args, strict=False):
        if isinstance(arg, np.ndarray) and isinstance(new, np.ndarray) and arg.shape == new.shape:
            np.copyto(arg, new, casting="unsafe")
        elif isinstance(arg, np.random.Generator) and isinstance(new, np.random.Generator):
            arg.bit_generator.state = new.bit_generator.state


def _raise_recorded(raised: list) -> None:
    ename, message = (list(raised) + ["Exception", ""])[:2]
    if ename == "NotImplementedError":
        raise NotImplementedError(message)
    ename = ename if _NAME.fullmatch(str(ename)) else "Exception"
    raise type(ename, (Exception,), {})(message)


def _stub(name: str, params: list, calls: list) -> Callable[..., Any]:
    queue = list(calls)

    def stub(*args: Any, **kwargs: Any) -> Any:
        if not queue:
            raise _ReplayMismatch(
                "the check called your function more often than it did in the notebook"
            )
        record = queue.pop(0)
        if _canonical(_recording._try_encode([list(args), kwargs])) != _canonical(record.get("fp")):
            raise _ReplayMismatch(
                "in the notebook, the check gave your function other inputs "
                "than the official check does (did a cell change the check?)"
            )
        if "after" in record:
            _repeat_in_place_changes(args, record)
        if "raised" in record:
            _raise_recorded(record["raised"])
        return _recording.decode_value(record["value"])

    stub.__name__ = stub.__qualname__ = name if _NAME.fullmatch(name) else "your_function"
    with contextlib.suppress(Exception):
        stub.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
            [inspect.Parameter(str(n), inspect._ParameterKind(int(k))) for n, k in params]
        )
    return stub


def _arguments(inv: dict) -> tuple[list, dict]:
    """The check's arguments: recorded values, and stubs in place of the student's functions."""
    args, kwargs = [], {}
    for arg in inv["begin"].get("args", []):
        slot = arg.get("slot")
        if "name" in arg:
            value = _stub(
                str(arg["name"]),
                arg.get("params", []),
                [c for c in inv["calls"] if c.get("slot") == slot],
            )
        else:
            value = _recording.decode_value(arg["value"])
        if isinstance(slot, int):
            args.append(value)
        else:
            kwargs[str(slot)] = value
    return args, kwargs


def replay(number: str, inv: dict) -> tuple[str, str]:
    """Re-run check ``number`` on the recorded results: (status, message)."""
    check = getattr(_pristine_checks, f"check_{number.replace('.', '_')}", None)
    check = getattr(check, "__wrapped_check__", check)
    if check is None:
        return "failed", f"the course has no check for exercise {number}"
    args, kwargs = _arguments(inv)
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
