"""Running a drift detector over a stream and scoring its alarms against known change points.

Explained in chapter 08 (``notebooks/08_drift_detection.ipynb``).  NumPy only.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from course_lib.core.roles import DriftDetector
from course_lib.core.validation import ArgumentTypeError, argument_error, check_int

__all__ = ["DetectionScore", "run_detector", "score_detections"]


def run_detector(detector: DriftDetector, stream: Iterable[float]) -> list[int]:
    """Feed a whole stream to ``detector``; return the indices where it signalled.

    ``detector`` is any object with the role :class:`course_lib.core.roles.DriftDetector`
    (``update(x) -> self`` and ``drift_detected``), e.g. a :class:`PageHinkley`.

    >>> from course_lib.continual.drift.page_hinkley import PageHinkley
    >>> run_detector(PageHinkley(threshold=5, min_instances=5), [0.0] * 20 + [3.0] * 10)
    [21]
    """
    if isinstance(detector, type) or not isinstance(detector, DriftDetector):
        raise argument_error(
            "run_detector",
            "detector",
            detector,
            f"a detector object with update(x) and drift_detected, got {type(detector).__name__}",
            "pass an instance such as PageHinkley(), not a class or a function",
            exc=ArgumentTypeError,
        )
    return [t for t, x in enumerate(stream) if detector.update(x).drift_detected]


@dataclass
class DetectionScore:
    """How well alarms matched the known change points (see :func:`score_detections`)."""

    n_changes: int
    detected: int
    missed: int
    false_alarms: int
    false_alarms_per_100: float
    mean_delay: float
    delays: list[int]

    def as_dict(self) -> dict[str, Any]:
        """The fields as a dict (for a DataFrame row)."""
        return asdict(self)


def score_detections(
    detections: Iterable[int],
    change_points: Iterable[int],
    n_steps: int,
    max_delay: int | None = None,
) -> DetectionScore:
    """Match alarms to known change points.

    The first alarm at or after a change point, before the next change point
    and within ``max_delay`` steps, *detects* it (``delay = alarm - change``);
    every other alarm is a *false alarm*; a change without a matching alarm is
    *missed*.  False alarms are reported per 100 steps (per 100 days for a
    daily stream) so streams of different lengths compare.

    Examples
    --------
    >>> s = score_detections([12, 40, 75], change_points=[10, 70], n_steps=100, max_delay=20)
    >>> s.detected, s.missed, s.false_alarms, s.mean_delay
    (2, 0, 1, 3.5)
    >>> score_detections([95], [10, 70], 100, max_delay=20).missed
    2
    """
    n_steps = check_int(
        n_steps, "n_steps", "score_detections", minimum=1, fix="n_steps is the length of the stream"
    )
    if max_delay is not None:
        check_int(
            max_delay,
            "max_delay",
            "score_detections",
            minimum=0,
            fix="use None (no limit) or a number of steps",
        )
    alarms = sorted(int(a) for a in detections)
    changes = sorted(int(c) for c in change_points)
    for change in changes:
        check_int(
            change,
            "change_points",
            "score_detections",
            minimum=0,
            maximum=n_steps - 1,
            fix=f"every change point is a step index in [0, n_steps={n_steps})",
        )
    used: set[int] = set()
    delays: list[int] = []
    for i, change in enumerate(changes):
        end = changes[i + 1] if i + 1 < len(changes) else n_steps
        if max_delay is not None:
            end = min(end, change + max_delay + 1)
        match = next((a for a in alarms if change <= a < end and a not in used), None)
        if match is not None:
            used.add(match)
            delays.append(match - change)
    false_alarms = len(alarms) - len(used)
    return DetectionScore(
        n_changes=len(changes),
        detected=len(delays),
        missed=len(changes) - len(delays),
        false_alarms=false_alarms,
        false_alarms_per_100=100.0 * false_alarms / n_steps,
        mean_delay=float(np.mean(delays)) if delays else math.nan,
        delays=delays,
    )
