"""ADWIN, ADaptive WINdowing (Bifet & Gavalda, 2007): a window whose two parts have equal means.

Explained in chapter 08 (``notebooks/08_drift_detection.ipynb``).  NumPy only.
"""

from __future__ import annotations

import math
from collections import deque
from typing import Any

import numpy as np

from course_lib.continual.drift.detectors_base import BaseDetector
from course_lib.core.validation import check_int, check_number

__all__ = ["ADWIN"]


class ADWIN(BaseDetector):
    r"""ADaptive WINdowing (Bifet & Gavalda, 2007), exact version with a bounded window.

    ADWIN keeps a window :math:`W` of recent values.  Every ``clock`` steps it
    tries every split :math:`W = W_0 W_1` (old part, recent part) with at least
    ``min_window`` values on each side and drops :math:`W_0` when the means
    differ by more than

    .. math::  \varepsilon_{cut} = \sqrt{\tfrac{2}{m}\,\sigma_W^2 \ln\tfrac{2}{\delta'}}
               + \tfrac{2}{3m} \ln\tfrac{2}{\delta'}, \qquad
               m = \frac{1}{1/n_0 + 1/n_1}, \quad \delta' = \frac{\delta}{\ln n}

    (a Bernstein bound; :math:`\sigma_W^2` is the variance of the whole
    window).  A cut is a drift signal and the window then describes only the
    new regime.  The paper stores the window in an exponential histogram
    (O(log W) memory); for teaching we keep the values themselves, at most
    ``max_window`` of them, and test every split with cumulative sums.

    Parameters
    ----------
    delta : float
        Confidence in (0, 1): smaller means fewer false alarms, later detection.
    clock : int
        Check for a cut every ``clock`` updates.
    min_window : int
        Minimum size of each side of a split.
    max_window : int
        Oldest values are dropped beyond this size (bounded memory and time).

    Examples
    --------
    >>> rng = np.random.default_rng(2)
    >>> stream = np.r_[rng.normal(0.0, 1.0, 1000), rng.normal(1.0, 1.0, 1000)]
    >>> detector = ADWIN(delta=0.002)
    >>> for t, x in enumerate(stream):
    ...     if detector.update(x).drift_detected:
    ...         print(f"drift at {t}, window now {detector.width}")
    drift at 1055, window now 22
    """

    def __init__(
        self, delta: float = 0.002, clock: int = 32, min_window: int = 5, max_window: int = 5000
    ) -> None:
        super().__init__()
        self.delta = check_number(
            delta, "delta", "ADWIN", low=0, high=1, low_inclusive=False, high_inclusive=False
        )
        self.clock = check_int(clock, "clock", "ADWIN", minimum=1)
        self.min_window = check_int(min_window, "min_window", "ADWIN", minimum=1)
        self.max_window = check_int(max_window, "max_window", "ADWIN", minimum=2 * self.min_window)
        self.reset()

    def _params(self) -> dict[str, Any]:
        return {
            "delta": self.delta,
            "clock": self.clock,
            "min_window": self.min_window,
            "max_window": self.max_window,
        }

    def reset(self) -> None:
        """Empty the window."""
        self.window: deque[float] = deque(maxlen=self.max_window)
        self._ticks = 0

    @property
    def width(self) -> int:
        """Number of values in the window."""
        return len(self.window)

    @property
    def mean(self) -> float:
        """Mean of the window (nan when empty)."""
        return float(np.mean(self.window)) if self.window else math.nan

    def _find_cut(self) -> int | None:
        """Index of the first split whose halves differ significantly, or None."""
        values = np.fromiter(self.window, dtype=float)
        n = values.size
        if n < 2 * self.min_window:
            return None
        n0 = np.arange(self.min_window, n - self.min_window + 1)
        csum = np.cumsum(values)
        mean0 = csum[n0 - 1] / n0
        mean1 = (csum[-1] - csum[n0 - 1]) / (n - n0)
        m = 1.0 / (1.0 / n0 + 1.0 / (n - n0))
        log_term = math.log(2.0 * math.log(n) / self.delta)
        variance = float(values.var())
        eps = np.sqrt(2.0 / m * variance * log_term) + 2.0 / (3.0 * m) * log_term
        cuts = np.flatnonzero(np.abs(mean0 - mean1) > eps)
        return int(n0[cuts[-1]]) if cuts.size else None

    def _update(self, x: float) -> bool:
        self.window.append(x)
        self._ticks += 1
        if self._ticks % self.clock:
            return False
        detected = False
        while (cut := self._find_cut()) is not None:
            for _ in range(cut):  # drop the old part W_0
                self.window.popleft()
            detected = True
        return detected
