"""Rating baselines in numpy: the bar every neural model must clear.

Explained in chapter 06 (``notebooks/06_keras_rating_predictor.ipynb``) and
used as references by the benchmark of chapter 09.  Both share the ratings
schema (``user_id``, ``item_id``, ``rating``) and the role
:class:`~course_lib.core.roles.RatingEstimator`: ``fit`` (from scratch),
``partial_fit`` (continue), ``predict`` (clipped to ``rating_range``),
``clone`` (unfitted twin) and ``copy`` (fitted copy).

* :class:`GlobalMean` predicts the mean training rating for everything;
  ``partial_fit`` updates the running mean exactly.
* :class:`BiasBaseline` predicts ``mu + b_user + b_item``, the biases fitted by
  regularised least squares (alternating exact minimisation, which converges to
  the unique minimum of this convex problem); ``partial_fit`` refits on every
  row seen so far plus the new ones.

The matrix factorisation ``mu + b_u + b_i + p_u . q_i`` is
:class:`course_lib.models.mf.MatrixFactorization`.  Users or items never seen
in training get zero bias, so the prediction falls back to the mean (plus
whichever side is known).

>>> ratings = pd.DataFrame({"user_id": [1, 1, 2, 2], "item_id": [10, 20, 10, 20],
...                         "rating": [5.0, 3.0, 4.0, 2.0]})
>>> model = BiasBaseline(reg_user=0.0, reg_item=0.0).fit(ratings)
>>> np.round(model.predict(ratings), 3).tolist()
[5.0, 3.0, 4.0, 2.0]
>>> np.round(model.predict(pd.DataFrame({"user_id": [3], "item_id": [10]})), 3).tolist()
[4.5]
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from course_lib.core.validation import check_int, check_number, check_rating_range
from course_lib.data.features import IdEncoder
from course_lib.models._ratings import RATING_MAX, RATING_MIN, check_ratings

__all__ = ["GlobalMean", "BiasBaseline"]


class GlobalMean:
    """Predict the mean training rating for every (user, item).

    ``partial_fit`` updates the mean exactly (a running mean over every rating
    seen), so ``fit(a).partial_fit(b)`` equals ``fit(concat([a, b]))``.

    >>> df = pd.DataFrame({"user_id": [1, 2], "item_id": [1, 1], "rating": [2.0, 5.0]})
    >>> GlobalMean().fit(df).predict(df).tolist()
    [3.5, 3.5]
    >>> GlobalMean().fit(df[:1]).partial_fit(df[1:]).mu_
    3.5
    """

    def __init__(self, *, rating_range: tuple[float, float] = (RATING_MIN, RATING_MAX)) -> None:
        self.rating_range = check_rating_range(rating_range, "GlobalMean")
        self.mu_: float | None = None
        self.n_seen_ = 0

    def fit(self, ratings: pd.DataFrame) -> GlobalMean:
        """Forget the mean and compute it on ``ratings``; return self."""
        check_ratings(ratings, "GlobalMean.fit")
        self.mu_ = float(ratings["rating"].mean())
        self.n_seen_ = len(ratings)
        return self

    def partial_fit(self, ratings: pd.DataFrame) -> GlobalMean:
        """Fold ``ratings`` into the running mean (from scratch if never fitted); return self."""
        if self.mu_ is None:
            return self.fit(ratings)
        check_ratings(ratings, "GlobalMean.partial_fit")
        total = self.mu_ * self.n_seen_ + float(ratings["rating"].sum())
        self.n_seen_ += len(ratings)
        self.mu_ = total / self.n_seen_
        return self

    def predict(self, ratings: pd.DataFrame) -> np.ndarray:
        """The mean, clipped to ``rating_range``, once per row."""
        if self.mu_ is None:
            raise RuntimeError("GlobalMean.predict: call fit(ratings) first.")
        check_ratings(ratings, "GlobalMean.predict", need_rating=False)
        return np.full(len(ratings), float(np.clip(self.mu_, *self.rating_range)))

    def clone(self) -> GlobalMean:
        """A new, unfitted model with the same settings."""
        return GlobalMean(rating_range=self.rating_range)

    def copy(self) -> GlobalMean:
        """A copy with the fitted mean."""
        return copy.deepcopy(self)

    @property
    def n_params(self) -> int:
        return 1


class BiasBaseline:
    """``mu + b_user + b_item`` fitted by regularised least squares.

    Minimises ``sum (r - mu - b_u - b_i)^2 + reg_user * sum b_u^2 + reg_item * sum b_i^2``
    with ``mu`` the mean rating, by alternating exact minimisation: with the
    item biases fixed, each user bias has the closed form
    ``b_u = sum_i (r_ui - mu - b_i) / (reg_user + n_u)``, and symmetrically for
    items.  The objective is convex, so this converges to its minimum; the
    regularisation shrinks the bias of a user with few ratings towards 0.

    :meth:`partial_fit` refits on every rating seen so far plus the new ones
    (the model keeps them): the result is exactly ``fit`` on the union.

    Parameters
    ----------
    reg_user, reg_item : float
        Ridge penalties (in "pseudo-ratings": ``reg=5`` acts like five extra
        ratings equal to the mean).
    n_iter : int
        Alternating sweeps (each one lowers the objective).
    rating_range : tuple of float
        Predictions are clipped to it (default 1..5; e.g. ``(0.5, 5.0)`` for half stars).

    Examples
    --------
    >>> df = pd.DataFrame({"user_id": [1, 1, 2], "item_id": [7, 8, 7], "rating": [5.0, 4.0, 2.0]})
    >>> m = BiasBaseline(reg_user=1.0, reg_item=1.0, n_iter=20).fit(df)
    >>> round(m.mu_, 3), np.round(m.user_bias([1, 2, 3]), 3).tolist()
    (3.667, [0.619, -0.81, 0.0])
    >>> m2 = BiasBaseline(reg_user=1.0, reg_item=1.0, n_iter=20).fit(df[:2]).partial_fit(df[2:])
    >>> bool(np.allclose(m2.predict(df), m.predict(df)))
    True
    """

    def __init__(
        self,
        reg_user: float = 5.0,
        reg_item: float = 5.0,
        n_iter: int = 10,
        *,
        rating_range: tuple[float, float] = (RATING_MIN, RATING_MAX),
    ) -> None:
        self.reg_user = check_number(reg_user, "reg_user", "BiasBaseline", low=0)
        self.reg_item = check_number(reg_item, "reg_item", "BiasBaseline", low=0)
        self.n_iter = check_int(n_iter, "n_iter", "BiasBaseline", minimum=1)
        self.rating_range = check_rating_range(rating_range, "BiasBaseline")
        self.mu_: float | None = None

    def fit(self, ratings: pd.DataFrame) -> BiasBaseline:
        """Forget what was learned and fit the biases on ``ratings``; return self."""
        check_ratings(ratings, "BiasBaseline.fit")
        self.seen_ = ratings[["user_id", "item_id", "rating"]].reset_index(drop=True)
        self.user_encoder_ = IdEncoder().observe(ratings["user_id"])
        self.item_encoder_ = IdEncoder().observe(ratings["item_id"])
        u = self.user_encoder_.transform(ratings["user_id"])
        i = self.item_encoder_.transform(ratings["item_id"])
        r = ratings["rating"].to_numpy(dtype=float)
        self.mu_ = float(r.mean())
        n_u, n_i = self.user_encoder_.n_rows, self.item_encoder_.n_rows
        cnt_u = np.bincount(u, minlength=n_u)
        cnt_i = np.bincount(i, minlength=n_i)
        bu, bi = np.zeros(n_u), np.zeros(n_i)
        self.objective_history_: list[float] = []
        for _ in range(self.n_iter):
            bu = np.bincount(u, r - self.mu_ - bi[i], minlength=n_u) / np.maximum(
                self.reg_user + cnt_u, 1e-12
            )
            bi = np.bincount(i, r - self.mu_ - bu[u], minlength=n_i) / np.maximum(
                self.reg_item + cnt_i, 1e-12
            )
            bu[0], bi[0] = 0.0, 0.0  # row 0: unknown ids
            self.b_user_, self.b_item_ = bu, bi
            self.objective_history_.append(self.objective(ratings))
        return self

    def partial_fit(self, ratings: pd.DataFrame) -> BiasBaseline:
        """Refit on every rating seen so far plus ``ratings``; return self."""
        if self.mu_ is None:
            return self.fit(ratings)
        check_ratings(ratings, "BiasBaseline.partial_fit")
        new = ratings[["user_id", "item_id", "rating"]]
        return self.fit(pd.concat([self.seen_, new], ignore_index=True))

    def user_bias(self, user_ids: Iterable[Any]) -> np.ndarray:
        """``b_user`` of each id (0 for an id never seen)."""
        return self.b_user_[self.user_encoder_.transform(user_ids)]

    def item_bias(self, item_ids: Iterable[Any]) -> np.ndarray:
        """``b_item`` of each id (0 for an id never seen)."""
        return self.b_item_[self.item_encoder_.transform(item_ids)]

    def _raw(self, ratings: pd.DataFrame) -> np.ndarray:
        return self.mu_ + self.user_bias(ratings["user_id"]) + self.item_bias(ratings["item_id"])

    def predict(self, ratings: pd.DataFrame) -> np.ndarray:
        """``mu + b_user + b_item`` per row, clipped to ``rating_range``."""
        if self.mu_ is None:
            raise RuntimeError("BiasBaseline.predict: call fit(ratings) first.")
        check_ratings(ratings, "BiasBaseline.predict", need_rating=False)
        return np.clip(self._raw(ratings), *self.rating_range)

    def objective(self, ratings: pd.DataFrame) -> float:
        """The regularised squared error that ``fit`` minimises (unclipped predictions)."""
        err = ratings["rating"].to_numpy(dtype=float) - self._raw(ratings)
        return float(
            np.sum(err**2)
            + self.reg_user * np.sum(self.b_user_**2)
            + self.reg_item * np.sum(self.b_item_**2)
        )

    def clone(self) -> BiasBaseline:
        """A new, unfitted model with the same settings."""
        return BiasBaseline(
            self.reg_user, self.reg_item, self.n_iter, rating_range=self.rating_range
        )

    def copy(self) -> BiasBaseline:
        """A copy with the fitted biases."""
        return copy.deepcopy(self)

    @property
    def n_params(self) -> int:
        return 1 + self.user_encoder_.n_seen + self.item_encoder_.n_seen
