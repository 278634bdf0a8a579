"""How :class:`~course_lib.models.rating_model.RatingModel` turns ratings into inputs (chapter 06).

Raw ids go through the growing id encoders (row 0: never seen), side features
through the side tables and their standardisation, fixed by the first data the
model observes.  A mixin of ``RatingModel``, which owns the encoders and tables.
"""

from __future__ import annotations

from typing import TypeVar

import numpy as np
import pandas as pd

from course_lib.data.features import FeatureTable, IdEncoder
from course_lib.data.standardizer import Standardizer
from course_lib.models._ratings import check_ratings

__all__: list[str] = []

_T = TypeVar("_T", bound="RatingInputs")


class RatingInputs:
    """Id encoders, side tables and feature standardisation of a rating model."""

    user_encoder: IdEncoder
    item_encoder: IdEncoder
    user_table: FeatureTable
    item_table: FeatureTable
    user_stats: Standardizer
    item_stats: Standardizer
    _touched: bool

    @property
    def n_seen_users(self) -> int:
        return self.user_encoder.n_seen

    @property
    def n_seen_items(self) -> int:
        return self.item_encoder.n_seen

    def update_tables(
        self: _T, users: pd.DataFrame | None = None, items: pd.DataFrame | None = None
    ) -> _T:
        """Add (or update) side-table rows, e.g. the demographics of users who just signed up."""
        if users is not None:
            self.user_table.add(users)
        if items is not None:
            self.item_table.add(items)
        return self

    def _fit_stats_if_needed(self, df: pd.DataFrame) -> None:
        for table, stats, col in (
            (self.user_table, self.user_stats, "user_id"),
            (self.item_table, self.item_stats, "item_id"),
        ):
            if not stats.is_fitted:
                stats.fit(table.lookup(pd.unique(df[col])))

    def observe(self: _T, ratings: pd.DataFrame) -> _T:
        """Grow the id encoders with the ids in ``ratings`` (no training); return self.

        The first data the model observes also fixes the feature standardisation
        (unless ``feature_stats`` was passed).
        """
        check_ratings(ratings, "RatingModel.observe", need_rating=False)
        self.user_encoder.observe(ratings["user_id"])
        self.item_encoder.observe(ratings["item_id"])
        self._fit_stats_if_needed(ratings)
        self._touched = True
        return self

    def inputs(self, ratings: pd.DataFrame) -> dict[str, np.ndarray]:
        """The arrays ``keras_model`` eats for these rows (ids are not added to the encoders).

        Before the model has observed any data, the side features are standardised
        with the statistics of the whole side table (not stored); the first
        :meth:`observe` or :meth:`fit` then fixes the statistics for good.
        """
        check_ratings(ratings, "RatingModel.inputs", need_rating=False)
        user_stats, item_stats = self.user_stats, self.item_stats
        if not user_stats.is_fitted:  # nothing observed yet: whole side table, not stored
            user_stats = Standardizer().fit(self.user_table.X)
        if not item_stats.is_fitted:
            item_stats = Standardizer().fit(self.item_table.X)
        out = {
            "user_idx": self.user_encoder.transform(ratings["user_id"]).astype("int32"),
            "item_idx": self.item_encoder.transform(ratings["item_id"]).astype("int32"),
        }
        if self.user_table.n_features:
            out["user_features"] = user_stats.transform(
                self.user_table.lookup(ratings["user_id"])
            ).astype("float32")
        if self.item_table.n_features:
            out["item_features"] = item_stats.transform(
                self.item_table.lookup(ratings["item_id"])
            ).astype("float32")
        return out

    @staticmethod
    def targets(ratings: pd.DataFrame) -> np.ndarray:
        """Ratings as a float32 column of shape ``(n, 1)``, matching the model's output."""
        return ratings["rating"].to_numpy(dtype="float32").reshape(-1, 1)
