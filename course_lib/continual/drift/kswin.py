"""KSWIN, Kolmogorov-Smirnov WINdowing (Raab et al., 2020): a change of distribution, not only of mean.

Explained in chapter 08 (``notebooks/08_drift_detection.ipynb``).  NumPy only.
"""

from __future__ import annotations

import math
from collections import deque
from typing import Any

import numpy as np

from course_lib.continual.drift.detectors_base import BaseDetector
from course_lib.core.validation import check_int, check_number

__all__ = ["KSWIN"]


class KSWIN(BaseDetector):
    r"""Kolmogorov-Smirnov WINdowing (Raab, Heusinger & Schleif, 2020).

    Keeps the last ``window_size`` values.  When the window is full it
    compares the newest ``stat_size`` values with ``stat_size`` values drawn
    at random from the older part, using the two-sample KS statistic
    :math:`D = \max_x |F_{old}(x) - F_{new}(x)|`, and signals drift when
    :math:`D > c(\alpha)\sqrt{2 / r}` with :math:`c(\alpha) = \sqrt{-\ln(\alpha/2)/2}`
    (the asymptotic critical value; :math:`r` = ``stat_size``).  After a
    detection only the newest ``stat_size`` values are kept.  Because it
    compares whole distributions, KSWIN also notices a change of spread or
    shape with an unchanged mean.

    ``alpha`` is the false-alarm probability of *one* test, and once the window
    is full KSWIN tests at every step: on a long stationary stream the false
    alarms add up (with the defaults, about 13 per 10,000 steps of Gaussian
    noise; chapter 08 measures it).  Choose ``alpha`` for the length of the
    stream you will monitor, not for a single test.

    Parameters
    ----------
    alpha : float
        Significance level of each test in (0, 1).
    window_size, stat_size : int
        Window length and size of the two compared samples
        (``window_size >= 2 * stat_size``).
    seed : int or np.random.Generator
        For the random sample of old values.

    Examples
    --------
    >>> rng = np.random.default_rng(3)
    >>> stream = np.r_[rng.normal(0.0, 1.0, 500), rng.normal(0.0, 4.0, 500)]  # spread changes
    >>> detector = KSWIN(alpha=0.001, window_size=300, stat_size=100, seed=0)
    >>> [t for t, x in enumerate(stream) if detector.update(x).drift_detected]
    [580]
    >>> from course_lib.continual.drift.adwin import ADWIN
    >>> adwin = ADWIN()                  # same mean: a mean-based detector sees nothing
    >>> [t for t, x in enumerate(stream) if adwin.update(x).drift_detected]
    []
    """

    def __init__(
        self,
        alpha: float = 0.005,
        window_size: int = 100,
        stat_size: int = 30,
        seed: int | np.random.Generator = 0,
    ) -> None:
        super().__init__()
        self.alpha = check_number(
            alpha, "alpha", "KSWIN", low=0, high=1, low_inclusive=False, high_inclusive=False
        )
        self.window_size = check_int(window_size, "window_size", "KSWIN", minimum=2)
        self.stat_size = check_int(stat_size, "stat_size", "KSWIN", minimum=1)
        check_int(
            window_size,
            "window_size",
            "KSWIN",
            minimum=2 * self.stat_size,
            fix=f"window_size must be at least 2 * stat_size = {2 * self.stat_size}",
        )
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        self.critical = math.sqrt(-0.5 * math.log(self.alpha / 2.0)) * math.sqrt(
            2.0 / self.stat_size
        )
        self.reset()

    def _params(self) -> dict[str, Any]:
        return {
            "alpha": self.alpha,
            "window_size": self.window_size,
            "stat_size": self.stat_size,
            "seed": self.seed,
        }

    def reset(self) -> None:
        """Empty the window (the random generator keeps its state)."""
        self.window: deque[float] = deque(maxlen=self.window_size)
        self.statistic = 0.0

    @staticmethod
    def ks_statistic(a: np.ndarray, b: np.ndarray) -> float:
        """Two-sample Kolmogorov-Smirnov statistic ``max |F_a - F_b|``.

        >>> KSWIN.ks_statistic(np.array([0.0, 1.0]), np.array([2.0, 3.0]))
        1.0
        """
        grid = np.concatenate([a, b])
        cdf_a = np.searchsorted(np.sort(a), grid, side="right") / a.size
        cdf_b = np.searchsorted(np.sort(b), grid, side="right") / b.size
        return float(np.max(np.abs(cdf_a - cdf_b)))

    def _update(self, x: float) -> bool:
        self.window.append(x)
        if len(self.window) < self.window_size:
            return False
        values = np.fromiter(self.window, dtype=float)
        recent = values[-self.stat_size :]
        old = self.rng.choice(values[: -self.stat_size], size=self.stat_size, replace=False)
        self.statistic = self.ks_statistic(old, recent)
        if self.statistic > self.critical:
            self.window = deque(recent.tolist(), maxlen=self.window_size)
            return True
        return False
