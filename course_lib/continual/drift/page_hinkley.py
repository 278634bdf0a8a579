"""Page-Hinkley: a cumulative test for a change in the mean of a stream.

Explained in chapter 08 (``notebooks/08_drift_detection.ipynb``), which shows
the update in a few lines and checks it against :class:`PageHinkley`.  NumPy only.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from course_lib.continual.drift.detectors_base import BaseDetector
from course_lib.core.validation import check_choice, check_int, check_number

__all__ = ["PageHinkley", "statistic_trace"]


class PageHinkley(BaseDetector):
    r"""Page-Hinkley test for a change in the mean of a stream.

    With :math:`\bar x_t` the running mean of the values seen so far, the test
    keeps the cumulative sum

    .. math::  m_t = \sum_{i \le t} (x_i - \bar x_i - \delta), \qquad M_t = \min_{i \le t} m_i

    and signals an *increase* of the mean when :math:`m_t - M_t > \lambda`
    (``threshold``).  ``delta`` is the size of change we tolerate (it makes the
    sum drift down while nothing happens); ``threshold`` trades detection delay
    for false alarms.  ``mode="down"`` watches for a decrease with the mirrored
    sum, ``"both"`` for either.  ``alpha < 1`` fades old deviations away.

    Note: the mean inside the sum is the *running* mean of the values seen so
    far.  Written with :math:`\bar x_T`, the mean of the whole series (as some
    texts print it), the statistic at step :math:`t` depends on values that have
    not arrived yet, so it is not an online test (its past values change as data
    arrives, and at the last step :math:`m_T = -T\delta` exactly).

    Parameters
    ----------
    delta : float
        Tolerated change of the mean (>= 0), in the units of ``x``.
    threshold : float
        :math:`\lambda`, the evidence needed to signal (> 0).
    min_instances : int
        No signal before this many values since the last reset.
    alpha : float
        Fading factor in (0, 1]; 1 means no fading.
    mode : {"up", "down", "both"}
        Which direction of change to detect.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> stream = np.r_[rng.normal(0.0, 0.5, 500), rng.normal(1.0, 0.5, 500)]
    >>> detector = PageHinkley(delta=0.05, threshold=20)
    >>> for t, x in enumerate(stream):
    ...     if detector.update(x).drift_detected:
    ...         print(f"drift at {t}")
    drift at 519
    """

    def __init__(
        self,
        delta: float = 0.005,
        threshold: float = 50.0,
        min_instances: int = 30,
        alpha: float = 1.0,
        mode: str = "up",
    ) -> None:
        super().__init__()
        self.delta = check_number(delta, "delta", "PageHinkley", low=0)
        self.threshold = check_number(
            threshold, "threshold", "PageHinkley", low=0, low_inclusive=False
        )
        self.min_instances = check_int(min_instances, "min_instances", "PageHinkley", minimum=1)
        self.alpha = check_number(
            alpha,
            "alpha",
            "PageHinkley",
            low=0,
            high=1,
            low_inclusive=False,
            fix="alpha is a fading factor: use 1.0 for no fading or e.g. 0.999",
        )
        self.mode = check_choice(mode, "mode", "PageHinkley", ("up", "down", "both"))
        self.alarm_statistic = math.nan  # the value that crossed the threshold at the last alarm
        self.reset()

    def _params(self) -> dict[str, Any]:
        return {
            "delta": self.delta,
            "threshold": self.threshold,
            "min_instances": self.min_instances,
            "alpha": self.alpha,
            "mode": self.mode,
        }

    def reset(self) -> None:
        """Forget everything (called automatically after a detection)."""
        self.n = 0
        self.mean = 0.0
        self.sum_up = 0.0  # m_t for an increase
        self.min_up = 0.0
        self.sum_down = 0.0  # mirrored sum for a decrease
        self.max_down = 0.0

    @property
    def statistic(self) -> float:
        """The current test statistic (compared with ``threshold``)."""
        up = self.sum_up - self.min_up
        down = self.max_down - self.sum_down
        return {"up": up, "down": down, "both": max(up, down)}[self.mode]

    def _update(self, x: float) -> bool:
        self.n += 1
        self.mean += (x - self.mean) / self.n
        self.sum_up = self.alpha * self.sum_up + (x - self.mean - self.delta)
        self.sum_down = self.alpha * self.sum_down + (x - self.mean + self.delta)
        self.min_up = min(self.min_up, self.sum_up)
        self.max_down = max(self.max_down, self.sum_down)
        if self.n >= self.min_instances and self.statistic > self.threshold:
            self.alarm_statistic = self.statistic  # the value that crossed, before the reset
            self.reset()
            return True
        return False


def statistic_trace(
    detector: PageHinkley, values: Iterable[float], *, return_alarms: bool = False
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Page-Hinkley's statistic after each value; at an alarm, the value that crossed.

    The detector resets after an alarm, so reading ``statistic`` then gives 0;
    a plot of the trace should show the value that was compared with the
    threshold (chapter 08's figure and dial).  With ``return_alarms=True`` the
    steps of the alarms come too.

    >>> trace, alarms = statistic_trace(PageHinkley(delta=0.1, threshold=3, min_instances=5),
    ...                                 [0.0] * 10 + [2.0] * 5, return_alarms=True)
    >>> alarms.tolist(), bool(trace[11] > 3), float(trace[12])
    ([11], True, 0.0)
    """
    trace, alarms = [], []
    for t, x in enumerate(values):
        if detector.update(float(x)).drift_detected:
            alarms.append(t)
            trace.append(detector.alarm_statistic)
        else:
            trace.append(detector.statistic)
    trace_array = np.array(trace)
    return (trace_array, np.array(alarms, dtype=int)) if return_alarms else trace_array
