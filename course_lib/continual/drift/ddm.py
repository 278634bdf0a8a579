"""DDM, the Drift Detection Method of Gama et al. (2004), on a stream of 0/1 errors.

Explained in chapter 08 (``notebooks/08_drift_detection.ipynb``), which shows
the update in a few lines and checks it against :class:`DDM`.  NumPy only.
"""

from __future__ import annotations

import math
from typing import Any

from course_lib.continual.drift.detectors_base import BaseDetector
from course_lib.core.validation import check_choice, check_int, check_number

__all__ = ["DDM"]


class DDM(BaseDetector):
    r"""Drift Detection Method (Gama, Medas, Castillo & Rodrigues, 2004).

    The input is a stream of error indicators :math:`x_i \in \{0, 1\}` (1 when
    the model's prediction was wrong, e.g. ``abs(error) > 1`` star).  After
    :math:`n` values the error rate is :math:`p_n` with standard deviation
    :math:`s_n = \sqrt{p_n (1 - p_n) / n}`.  DDM remembers the point where
    :math:`p + s` was lowest (:math:`p_{min}, s_{min}`) and

    * raises a *warning* when :math:`p_n + s_n > p_{min} + 2 s_{min}`;
    * signals *drift* when :math:`p_n + s_n > p_{min} + 3 s_{min}`, then resets.

    (The drift test compares :math:`p_n + s_n` with :math:`p_{min} + 3 s_{min}`,
    which is :math:`2 s_{min}` above the lowest :math:`p + s`, not three
    standard deviations above it.)  It assumes the error rate of a model that
    is still right for the data stays flat or falls; a rising rate means the
    world changed.

    The reference point is only taken once :math:`s_n > 0`, i.e. once the
    stream has shown at least one error and one non-error.  While every value
    so far is 0 (a perfect stretch), :math:`s_n = 0` says nothing about the
    noise, and a reference with :math:`s_{min} = 0` would make the test
    ``p + s > p_min`` fire on the first error, or, with ``>=``, on a perfect
    stream itself.  (river and MOA take that reference and fire on the first
    error after an error-free start.)

    Parameters
    ----------
    warning_level, drift_level : float
        Multiples of :math:`s_{min}` (2 and 3 in the paper); ``drift_level >= warning_level``.
    min_instances : int
        Values needed before the test may fire (30 in the paper).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> errors = np.r_[rng.random(1000) < 0.2, rng.random(1000) < 0.5].astype(int)
    >>> detector = DDM()
    >>> for t, x in enumerate(errors):
    ...     if detector.update(x).drift_detected:
    ...         print(f"drift at {t}")
    drift at 1067
    """

    def __init__(
        self, warning_level: float = 2.0, drift_level: float = 3.0, min_instances: int = 30
    ) -> None:
        super().__init__()
        self.warning_level = check_number(
            warning_level, "warning_level", "DDM", low=0, low_inclusive=False
        )
        self.drift_level = check_number(
            drift_level,
            "drift_level",
            "DDM",
            low=self.warning_level,
            fix=f"drift_level must be >= warning_level="
            f"{self.warning_level:g} (the paper uses 3 and 2)",
        )
        self.min_instances = check_int(min_instances, "min_instances", "DDM", minimum=1)
        self.reset()

    def _params(self) -> dict[str, Any]:
        return {
            "warning_level": self.warning_level,
            "drift_level": self.drift_level,
            "min_instances": self.min_instances,
        }

    def reset(self) -> None:
        """Forget everything (called automatically after a detection)."""
        self.n = 0
        self.p = 0.0
        self.p_min = math.inf
        self.s_min = math.inf
        self.warning_detected = False

    def _update(self, x: float) -> bool:
        check_choice(
            x,
            "x",
            "DDM.update",
            (0.0, 1.0),
            fix="DDM reads 0/1 error indicators; pass e.g. "
            "int(abs(y_true - y_pred) > 1.0) instead of a raw error",
        )
        self.n += 1
        self.p += (x - self.p) / self.n
        s = math.sqrt(self.p * (1.0 - self.p) / self.n)
        self.warning_detected = False
        if self.n < self.min_instances:
            return False
        if s > 0.0 and self.p + s <= self.p_min + self.s_min:
            self.p_min, self.s_min = self.p, s  # no reference from an all-0 (or all-1) stretch
        if self.p + s > self.p_min + self.drift_level * self.s_min:
            self.reset()
            return True
        self.warning_detected = self.p + s > self.p_min + self.warning_level * self.s_min
        return False
