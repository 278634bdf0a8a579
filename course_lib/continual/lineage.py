"""What the promoted versions learned and held out: the update loop's memory.

Explained in chapter 10 (``notebooks/10_incremental_pipeline.ipynb``);
:class:`~course_lib.continual.pipeline.UpdatePipeline` keeps one :class:`Lineage`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from course_lib.core.validation import check_int

__all__ = ["Lineage"]


class Lineage:
    """The promoted versions in order, with their models, training rows and held-out rows.

    * :meth:`training_rows`: every row a live version learned (the *history*
      that strategies which rebuild their state learn from);
    * :meth:`guard`: a seeded sample of the held-out rows of the last
      ``guard_batches`` promoted batches, the gate's guard slice of older data;
    * :meth:`label_reference`: the training rows of those batches, the label
      distribution a new batch is compared with;
    * :meth:`forget`: a rolled-back version's rows leave the lineage, so later
      updates do not learn them again (its model stays, for inspection).

    >>> lineage = Lineage(guard_batches=1, guard_size=2)
    >>> rows = pd.DataFrame({"rating": [4.0, 5.0, 3.0]})
    >>> lineage.add(-1, "v0001", "model 1", rows, rows.iloc[:1])
    >>> lineage.add(0, "v0002", "model 2", rows.iloc[1:], rows.iloc[1:])
    >>> len(lineage.training_rows()), len(lineage.guard(step=1)), lineage.batches
    (5, 2, [-1, 0])
    >>> lineage.forget("v0002")
    >>> lineage.batches, sorted(lineage.models)
    ([-1], ['v0001', 'v0002'])
    """

    def __init__(self, *, guard_batches: int = 6, guard_size: int = 2000, seed: int = 0) -> None:
        self.guard_batches = check_int(guard_batches, "guard_batches", "Lineage", minimum=1)
        self.guard_size = check_int(guard_size, "guard_size", "Lineage", minimum=1)
        self.seed = check_int(seed, "seed", "Lineage", minimum=0)
        self.models: dict[str, Any] = {}  # promoted version -> model in memory
        self._learned: list[tuple[int, str, pd.DataFrame]] = []  # (batch or -1, version, rows)
        self._held_out: list[tuple[int, str, pd.DataFrame]] = []

    def add(
        self, batch_no: int, version: str, model: Any, train: pd.DataFrame, held_out: pd.DataFrame
    ) -> None:
        """Record a promoted version (``batch_no`` -1 for the initial model)."""
        self.models[version] = model
        self._learned.append((batch_no, version, train))
        self._held_out.append((batch_no, version, held_out))

    def forget(self, version: str) -> None:
        """Drop the rows of a rolled-back ``version``."""
        self._learned = [entry for entry in self._learned if entry[1] != version]
        self._held_out = [entry for entry in self._held_out if entry[1] != version]

    @property
    def batches(self) -> list[int]:
        """The batch numbers whose rows are in the lineage, in order."""
        return [batch_no for batch_no, _, _ in self._learned]

    def training_rows(self) -> pd.DataFrame:
        """Every training row learned by a live version (initial data included)."""
        parts = [rows for _, _, rows in self._learned]
        return pd.concat(parts) if parts else pd.DataFrame()

    def guard(self, step: int) -> pd.DataFrame:
        """A sample (seeded by ``seed`` and ``step``) of recent held-out rows."""
        parts = [rows for _, _, rows in self._held_out[-self.guard_batches :] if len(rows)]
        if not parts:
            return pd.DataFrame()
        rows = pd.concat(parts)
        if len(rows) > self.guard_size:
            rng = np.random.default_rng([self.seed, 7, step])
            rows = rows.iloc[np.sort(rng.choice(len(rows), size=self.guard_size, replace=False))]
        return rows

    def label_reference(self) -> pd.DataFrame:
        """Training rows of the ``guard_batches`` most recent promoted batches."""
        parts = [rows for _, _, rows in self._learned[-self.guard_batches :] if len(rows)]
        return pd.concat(parts) if parts else pd.DataFrame(columns=["rating"])
