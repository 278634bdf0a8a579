"""Monitor the live model: its error per day for a drift detector, and per segment.

Explained in chapter 10 (``notebooks/10_incremental_pipeline.ipynb``, section 5.2), the
monitoring step of :class:`~course_lib.continual.pipeline.UpdatePipeline`.  The live
model is scored on each batch *before* it learns from it (prequential).

* :func:`feed_daily_errors` -- the RMSE of each day of a batch, fed to a drift
  detector of chapter 08;
* :class:`SegmentMonitor` -- the RMSE per segment (e.g. per item category), with an
  alarm when a segment's error rises above its recent level: a drift confined to one
  segment hardly moves the overall error.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from course_lib.core.roles import DriftDetector
from course_lib.core.validation import argument_error, check_int, check_number
from course_lib.evaluation.metrics import rmse

__all__ = ["feed_daily_errors", "SegmentMonitor"]


def feed_daily_errors(
    detector: DriftDetector, days: np.ndarray, y: np.ndarray, y_pred: np.ndarray
) -> bool:
    """Feed ``detector`` the RMSE of each day (in day order); True if any raised an alarm.

    >>> class Threshold:                     # a toy detector: alarm above 1
    ...     drift_detected = False
    ...     def update(self, x):
    ...         self.drift_detected = x > 1
    ...         return self
    ...     def reset(self):
    ...         pass
    >>> days = np.array([0, 0, 1, 1])
    >>> feed_daily_errors(Threshold(), days, np.array([3.0, 3, 3, 3]), np.array([3.0, 3, 1, 1]))
    True
    """
    alarm = False
    for day in np.unique(days):
        mask = days == day
        if detector.update(rmse(y[mask], y_pred[mask])).drift_detected:
            alarm = True
    return alarm


class SegmentMonitor:
    """The live RMSE per segment of each batch, with an alarm when a segment's error rises.

    A segment's alarm fires when its RMSE on a batch exceeds the median of its
    previous ``level_batches`` batches by more than ``tolerance``.

    Parameters
    ----------
    segment_by : str
        A column of the batch, or of the ``items`` side table (e.g. ``"category"``).
    tolerance : float
        Allowed rise of a segment's RMSE over its level (stars).
    level_batches : int
        How many previous batches make a segment's level (their median).

    Examples
    --------
    >>> monitor = SegmentMonitor("segment", tolerance=0.5, level_batches=2)
    >>> batch = pd.DataFrame({"segment": ["a", "a", "b", "b"], "rating": 4.0})
    >>> y = batch["rating"].to_numpy()
    >>> monitor.update(0, 0, batch, y, np.array([4.0, 4.0, 4.0, 4.0]))
    []
    >>> monitor.update(1, 7, batch, y, np.array([2.0, 2.0, 4.0, 4.0]))
    ['a']
    """

    COLUMNS = ["batch", "first_day", "segment", "n", "live_rmse", "level", "alarm"]

    def __init__(self, segment_by: str, *, tolerance: float = 0.15, level_batches: int = 3) -> None:
        if not isinstance(segment_by, str):
            raise argument_error(
                "SegmentMonitor",
                "segment_by",
                segment_by,
                f"a column name of the batch or of items, got {type(segment_by).__name__}",
                "e.g. segment_by='category'",
                exc=TypeError,
            )
        self.segment_by = segment_by
        self.tolerance = check_number(
            tolerance, "tolerance", "SegmentMonitor", low=0, allow_inf=True, fix="e.g. 0.15"
        )
        self.level_batches = check_int(level_batches, "level_batches", "SegmentMonitor", minimum=1)
        self._rows: list[dict[str, Any]] = []

    def __repr__(self) -> str:
        return (
            f"SegmentMonitor({self.segment_by!r}, tolerance={self.tolerance}, "
            f"level_batches={self.level_batches})"
        )

    @property
    def log(self) -> pd.DataFrame:
        """One row per batch and segment: ``batch``, ``first_day``, ``segment``, ``n``,
        ``live_rmse``, ``level`` (median of the segment's previous batches), ``alarm``."""
        return pd.DataFrame(self._rows, columns=self.COLUMNS)

    def segments(self, batch: pd.DataFrame, items: pd.DataFrame | None = None) -> np.ndarray:
        """The segment of every row of ``batch`` (``"unknown"`` for an item not in ``items``)."""
        if self.segment_by in batch.columns:
            return batch[self.segment_by].to_numpy()
        if items is None or self.segment_by not in items.columns:
            raise argument_error(
                "SegmentMonitor",
                "segment_by",
                self.segment_by,
                f"a column of the batch ({list(batch.columns)}) or of items, no such column found",
                "e.g. segment_by='category' with items=shop.items",
            )
        labels = items[self.segment_by].reindex(batch["item_id"].to_numpy())
        return labels.fillna("unknown").astype(str).to_numpy()

    def update(
        self,
        batch_no: int,
        first_day: float,
        batch: pd.DataFrame,
        y: np.ndarray,
        y_pred: np.ndarray,
        items: pd.DataFrame | None = None,
    ) -> list[str]:
        """Score one batch per segment; return the segments whose alarm fired."""
        alarms = []
        segments = self.segments(batch, items)
        for seg in sorted(pd.unique(segments), key=str):
            mask = segments == seg
            err = rmse(y[mask], y_pred[mask])
            past = [r["live_rmse"] for r in self._rows if r["segment"] == seg]
            level = float(np.median(past[-self.level_batches :])) if past else float("nan")
            alarm = bool(math.isfinite(level) and err > level + self.tolerance)
            if alarm:
                alarms.append(str(seg))
            self._rows.append(
                {
                    "batch": batch_no,
                    "first_day": first_day,
                    "segment": seg,
                    "n": int(mask.sum()),
                    "live_rmse": err,
                    "level": level,
                    "alarm": alarm,
                }
            )
        return alarms
