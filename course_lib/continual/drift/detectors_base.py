"""The base class of the drift detectors: ``update(x) -> self``, ``drift_detected``, ``reset()``.

Explained in chapter 08 (``notebooks/08_drift_detection.ipynb``).  NumPy only.

Every detector of the course follows the protocol river uses, the role
:class:`course_lib.core.roles.DriftDetector`::

    detector = PageHinkley(threshold=20)
    for t, x in enumerate(stream):
        if detector.update(x).drift_detected:   # update returns the detector
            print("drift at", t)

``drift_detected`` is true only on the step where a change is signalled; the
detector then forgets the old regime and starts learning the new one.
:class:`BaseDetector` does the bookkeeping (argument check, the flag, the count
of detections, ``clone`` and ``repr``); a detector implements ``_update(x) ->
bool``, ``reset()`` and ``_params()``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from course_lib.core.validation import check_number

__all__ = ["BaseDetector"]


class BaseDetector:
    """Base class: ``update(x) -> self``, ``drift_detected``, ``reset()``.

    Subclasses implement ``_update(x) -> bool`` (True when drift is signalled
    at this step), ``reset()`` and ``_params()`` (the constructor arguments).

    Examples
    --------
    >>> class Above(BaseDetector):
    ...     '''Signals every value above ``level``.'''
    ...     def __init__(self, level: float = 1.0) -> None:
    ...         super().__init__()
    ...         self.level = level
    ...     def _update(self, x: float) -> bool:
    ...         return x > self.level
    ...     def reset(self) -> None:
    ...         pass
    ...     def _params(self) -> dict:
    ...         return {"level": self.level}
    >>> detector = Above(level=2.0)
    >>> detector.update(3).drift_detected, detector.update(1).drift_detected, detector
    (True, False, Above(level=2.0))
    """

    def __init__(self) -> None:
        self._drift_detected = False
        self.n_detections = 0

    @property
    def drift_detected(self) -> bool:
        """True only on the step where the last ``update`` signalled a change."""
        return self._drift_detected

    def update(self, x: float) -> BaseDetector:
        """Feed one value; return the detector (so calls can be chained)."""
        if isinstance(x, (bool, np.bool_)):
            x = float(x)
        value = check_number(
            x, "x", f"{type(self).__name__}.update", fix="feed the stream one value at a time"
        )
        self._drift_detected = bool(self._update(value))
        if self._drift_detected:
            self.n_detections += 1
        return self

    def _update(self, x: float) -> bool:  # pragma: no cover - abstract
        raise NotImplementedError

    def reset(self) -> None:  # pragma: no cover - abstract
        """Forget the stream seen so far."""
        raise NotImplementedError

    def clone(self) -> BaseDetector:
        """A fresh detector with the same parameters (no learned state)."""
        return type(self)(**self._params())

    def _params(self) -> dict[str, Any]:  # pragma: no cover - abstract
        raise NotImplementedError

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._params().items())
        return f"{type(self).__name__}({args})"
