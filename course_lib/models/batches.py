"""Seeded mini-batches with id dropout, the training data of :class:`RatingModel`.

Explained in chapter 06 (``notebooks/06_keras_rating_predictor.ipynb``): id
dropout is what teaches the "unknown id" row of the embedding tables to stand
for a user or item the model has never seen.
"""

from __future__ import annotations

import math

import keras
import numpy as np

from course_lib.core.validation import check_int, check_number

__all__ = ["ShuffledBatches"]


class ShuffledBatches(keras.utils.PyDataset):
    """Mini-batches in a new seeded order every epoch, with optional id dropout.

    Id dropout replaces a fraction ``unknown_rate`` of ``user_idx`` and
    ``item_idx`` by 0 (the "unknown id" row), freshly drawn each epoch, so row
    0 learns what to predict for a user or item the model has never seen.

    >>> ds = ShuffledBatches({"user_idx": np.arange(10)}, np.ones((10, 1)), batch_size=4,
    ...                      rng=np.random.default_rng(0))
    >>> len(ds), ds[2][0]["user_idx"].shape
    (3, (2,))
    """

    def __init__(
        self,
        inputs: dict[str, np.ndarray],
        y: np.ndarray,
        *,
        batch_size: int,
        rng: np.random.Generator,
        unknown_rate: float = 0.0,
    ) -> None:
        super().__init__(workers=1, use_multiprocessing=False)
        self.inputs, self.y = inputs, y
        self.n = len(y)
        self.batch_size = check_int(batch_size, "batch_size", "ShuffledBatches", minimum=1)
        self.rng = rng
        self.unknown_rate = check_number(
            unknown_rate, "unknown_rate", "ShuffledBatches", low=0, high=1, high_inclusive=False
        )
        self._new_epoch()

    def _new_epoch(self) -> None:
        self.order = self.rng.permutation(self.n)
        self.masks = {}
        if self.unknown_rate > 0:
            for key in ("user_idx", "item_idx"):
                if key in self.inputs:
                    self.masks[key] = self.rng.random(self.n) < self.unknown_rate

    def __len__(self) -> int:
        return math.ceil(self.n / self.batch_size)

    def __getitem__(self, index: int) -> tuple[dict[str, np.ndarray], np.ndarray]:
        rows = self.order[index * self.batch_size : (index + 1) * self.batch_size]
        batch = {}
        for key, arr in self.inputs.items():
            part = arr[rows]
            if key in self.masks:
                part = np.where(self.masks[key][rows], 0, part).astype(arr.dtype)
            batch[key] = part
        return batch, self.y[rows]

    def on_epoch_end(self) -> None:
        self._new_epoch()
