"""Replay memory: a bounded, uniform sample of every row a stream ever delivered.

Explained in chapter 09 (``notebooks/09_incremental_updates.ipynb``, where the
lesson writes Algorithm R in a few lines and checks it against this class);
used by :class:`course_lib.continual.strategies.Replay`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from course_lib.core.validation import as_generator, check_frame, check_int

__all__ = ["ReservoirBuffer"]


class ReservoirBuffer:
    """A bounded, uniform sample of every row ever added (reservoir sampling, Algorithm R).

    Row number ``t`` (counting from 0 over all rows ever added) is kept with
    probability ``capacity / (t + 1)``, replacing a uniformly chosen slot, so at
    any time each row seen so far is in the buffer with the same probability
    ``capacity / n_seen``: old and new periods are represented fairly, in
    bounded memory.

    The draws are those of the sequential algorithm: row ``t`` (once the buffer
    is full) draws ``u = rng.random()`` and goes to slot ``floor(u * (t + 1))``
    if that is below ``capacity``.  :meth:`add` makes all of a frame's draws at
    once, which gives the same numbers as one ``rng.random()`` per row.

    Parameters
    ----------
    capacity : int
        Maximum number of rows kept.
    seed : int or np.random.Generator
        Randomness of the replacements and of :meth:`sample`.

    Examples
    --------
    >>> buf = ReservoirBuffer(capacity=3, seed=0)
    >>> buf.add(pd.DataFrame({"x": range(10)})).n_seen, len(buf)
    (10, 3)
    >>> sorted(buf.frame()["x"].tolist())
    [3, 4, 6]
    """

    def __init__(self, capacity: int, seed: int | np.random.Generator = 0) -> None:
        self.capacity = check_int(capacity, "capacity", "ReservoirBuffer", minimum=1)
        self.rng = as_generator(seed, "ReservoirBuffer")
        self.n_seen = 0
        self._data: pd.DataFrame | None = None

    def __len__(self) -> int:
        return 0 if self._data is None else len(self._data)

    def add(self, df: pd.DataFrame) -> ReservoirBuffer:
        """Offer every row of ``df`` to the reservoir (in order); return ``self``."""
        check_frame(df, "df", "ReservoirBuffer.add", fix="pass a DataFrame of rows")
        if len(df) == 0:
            return self
        df = df.reset_index(drop=True)
        free = max(0, self.capacity - len(self))
        head = df.iloc[:free]
        self._data = (
            head.copy() if self._data is None else pd.concat([self._data, head], ignore_index=True)
        )
        self.n_seen += len(head)
        rest = df.iloc[free:]
        if len(rest):
            t = self.n_seen + np.arange(len(rest))  # 0-based position in the stream
            slot = np.floor(self.rng.random(len(rest)) * (t + 1)).astype(np.int64)
            keep = slot < self.capacity
            # a later row replacing the same slot wins, as in the sequential algorithm
            rows, slots = np.flatnonzero(keep), slot[keep]
            _, last = np.unique(slots[::-1], return_index=True)
            rows, slots = rows[::-1][last], slots[::-1][last]
            if rows.size:
                self._data.iloc[slots] = rest.iloc[rows].to_numpy()
            self.n_seen += len(rest)
        return self

    def frame(self) -> pd.DataFrame:
        """The buffered rows (a copy)."""
        return pd.DataFrame() if self._data is None else self._data.copy()

    def sample(self, n: int) -> pd.DataFrame:
        """``min(n, len(self))`` buffered rows drawn without replacement."""
        n = check_int(n, "n", "ReservoirBuffer.sample", minimum=0)
        if self._data is None or n == 0:
            return self.frame().iloc[:0]
        take = self.rng.choice(len(self._data), size=min(n, len(self._data)), replace=False)
        return self._data.iloc[np.sort(take)].reset_index(drop=True)

    def __repr__(self) -> str:
        return f"ReservoirBuffer(capacity={self.capacity}, n_seen={self.n_seen}, len={len(self)})"
