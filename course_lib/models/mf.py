r"""Biased matrix factorisation, fitted by alternating least squares or by SGD.

Explained in chapter 09 (``notebooks/09_incremental_updates.ipynb``): the
classic reference the neural model must match in the benchmark (``course
bench``), retrained from scratch or updated in place.  NumPy only.  The model predicts

.. math::  \hat r_{ui} = \mu + b_u + b_i + p_u^\top q_i

clipped to ``rating_range``.  Two solvers minimise two forms of the same
regularised squared error:

* ``solver="als"`` (alternating least squares): with the item side
  ``[q_i, b_i]`` fixed, the user side that minimises
  ``sum (r - mu - b_u - b_i - p_u . q_i)^2 + reg |p_u|^2 + reg_user_bias b_u^2``
  is one small ridge regression per user (and symmetrically per item).  Each
  step is exact, so the objective never rises.  ``partial_fit`` re-solves only
  the users and items of the new rows, each from all of its ratings
  (warm-started ALS): its cost grows with the new data and the histories
  they touch, not with the whole data set.
* ``solver="sgd"``: mini-batch stochastic gradient descent on the squared
  error with an L2 penalty ``reg`` per example.  ``partial_fit`` runs more
  epochs from the current weights (fine-tuning).

Ids are mapped to table rows by an :class:`~course_lib.data.features.IdEncoder`
(row 0 = an id never seen): an unknown id gets zero bias and a zero vector, so
its prediction falls back to :math:`\mu` plus the known side's bias.  The
tables grow when new users or items arrive.

>>> df = pd.DataFrame({"user_id": [1, 1, 2, 2, 3], "item_id": [10, 11, 10, 12, 11],
...                    "rating": [5.0, 3.0, 4.0, 1.0, 2.0]})
>>> sgd = MatrixFactorization(n_factors=2, solver="sgd", epochs=200, batch_size=2).fit(df)
>>> print(np.round(sgd.predict(df), 1))
[4.9 3.  3.9 1.2 2. ]
>>> print(np.round(sgd.predict(pd.DataFrame({"user_id": [99], "item_id": [98]})), 2))  # mu
[3.]
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pandas as pd

from course_lib.core.validation import (
    argument_error,
    as_generator,
    check_choice,
    check_int,
    check_number,
    check_rating_range,
)
from course_lib.data.features import IdEncoder
from course_lib.models._als import group_rows, group_some, ridge_rows
from course_lib.models._ratings import RATING_MAX, RATING_MIN, check_ratings
from course_lib.models._sgd import sgd_step

__all__ = ["MatrixFactorization"]

SOLVERS = ("als", "sgd")
_DEFAULT_REG = {"als": 5.0, "sgd": 0.05}
_DEFAULT_EPOCHS = {"als": 10, "sgd": 20}
_NAME = "MatrixFactorization"


class MatrixFactorization:
    """Biased matrix factorisation ``mu + b_u + b_i + p_u . q_i`` (see the module docstring).

    Parameters
    ----------
    n_factors : int
        Length of ``p_u`` and ``q_i``.
    solver : {"als", "sgd"}
        Alternating least squares (exact ridge steps) or mini-batch SGD.
    reg : float or None
        L2 penalty on the factors (and, unless set below, the biases).  ALS
        penalises sums over all ratings, SGD each example, so the scales
        differ: ``None`` takes 5.0 for ALS and 0.05 for SGD.
    epochs : int or None
        Passes of :meth:`fit`: ALS sweeps (``None``: 10) or SGD epochs (``None``: 20).
    learning_rate, batch_size : float, int
        SGD only.  In a mini-batch, a user or item that occurs several times
        moves by the mean of its examples' gradients.
    reg_user_bias, reg_item_bias : float or None
        ALS only: ridge penalties on the user and item biases (``None``: ``reg``).
        A user's bias is often estimated from few ratings and wants strong
        shrinkage; a popular item's does not.
    init_std : float
        Standard deviation of the initial factors (ALS: item factors only).
    seed : int or numpy.random.Generator
        Seeds the initial factors (and SGD's shuffling).
    rating_range : tuple of float
        Predictions are clipped to it (default 1..5; ``(0.5, 5.0)`` for half stars).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> u, i = rng.integers(0, 30, 600), rng.integers(0, 20, 600)
    >>> P, Q = rng.normal(size=(30, 2)), rng.normal(size=(20, 2))
    >>> df = pd.DataFrame({"user_id": u, "item_id": i,
    ...                    "rating": np.clip(3 + (P[u] * Q[i]).sum(1), 1, 5)})
    >>> mf = MatrixFactorization(n_factors=2, reg=1.0, epochs=15, seed=0).fit(df)
    >>> float(np.round(np.sqrt(np.mean((mf.predict(df) - df["rating"]) ** 2)), 3))
    0.123
    >>> new_user = pd.DataFrame({"user_id": [99] * 5, "item_id": range(5), "rating": 5.0})
    >>> float(np.round(mf.partial_fit(new_user).predict(new_user[:1])[0], 1))  # folded in
    4.8
    """

    def __init__(
        self,
        n_factors: int = 8,
        *,
        solver: str = "als",
        reg: float | None = None,
        epochs: int | None = None,
        learning_rate: float = 0.01,
        batch_size: int = 128,
        reg_user_bias: float | None = None,
        reg_item_bias: float | None = None,
        init_std: float = 0.1,
        seed: int | np.random.Generator = 0,
        rating_range: tuple[float, float] = (RATING_MIN, RATING_MAX),
    ) -> None:
        self.solver = check_choice(solver, "solver", _NAME, SOLVERS)
        self.n_factors = check_int(n_factors, "n_factors", _NAME, minimum=1)
        self.reg = _DEFAULT_REG[solver] if reg is None else check_number(reg, "reg", _NAME, low=0)
        self.epochs = (
            _DEFAULT_EPOCHS[solver]
            if epochs is None
            else check_int(epochs, "epochs", _NAME, minimum=1)
        )
        self.learning_rate = check_number(
            learning_rate, "learning_rate", _NAME, low=0, low_inclusive=False, fix="use e.g. 0.01"
        )
        self.batch_size = check_int(batch_size, "batch_size", _NAME, minimum=1)
        self.reg_user_bias = (
            self.reg
            if reg_user_bias is None
            else check_number(reg_user_bias, "reg_user_bias", _NAME, low=0)
        )
        self.reg_item_bias = (
            self.reg
            if reg_item_bias is None
            else check_number(reg_item_bias, "reg_item_bias", _NAME, low=0)
        )
        self.init_std = check_number(init_std, "init_std", _NAME, low=0)
        as_generator(seed, _NAME)  # a bad seed fails here, not at fit time
        self.seed = seed
        self.rating_range = check_rating_range(rating_range, _NAME)
        self._settings = {
            "n_factors": n_factors,
            "solver": solver,
            "reg": reg,
            "epochs": epochs,
            "learning_rate": learning_rate,
            "batch_size": batch_size,
            "reg_user_bias": reg_user_bias,
            "reg_item_bias": reg_item_bias,
            "init_std": init_std,
            "seed": seed,
            "rating_range": rating_range,
        }
        self._reset()

    # ------------------------------------------------------------------ state
    def _reset(self) -> None:
        """Forget everything learned (weights, ids, the mean)."""
        self.mu_: float | None = None
        self.user_encoder_ = IdEncoder()
        self.item_encoder_ = IdEncoder()
        k = self.n_factors
        # Row 0: the unknown id (always zero).  Columns 0..k-1: factors, column k: the bias.
        self.U_ = np.zeros((1, k + 1))
        self.V_ = np.zeros((1, k + 1))
        self._rng = as_generator(self.seed, _NAME)
        self._u = np.zeros(0, dtype=np.int64)  # ALS keeps the ratings for warm starts
        self._i = np.zeros(0, dtype=np.int64)
        self._r = np.zeros(0)

    def get_params(self) -> dict[str, Any]:
        """The constructor arguments (used by :meth:`clone`)."""
        return dict(self._settings)

    def clone(self) -> MatrixFactorization:
        """A new, unfitted model with the same settings."""
        return type(self)(**self.get_params())

    def copy(self) -> MatrixFactorization:
        """A copy with the fitted state (weights, id encoders, for SGD a new shuffling stream)."""
        twin = copy.deepcopy(self)
        if self.solver == "sgd" and self.mu_ is not None:
            twin._rng = np.random.default_rng(self._rng.bit_generator.random_raw())
        return twin

    @property
    def n_seen_users(self) -> int:
        return self.user_encoder_.n_seen

    @property
    def n_seen_items(self) -> int:
        return self.item_encoder_.n_seen

    @property
    def n_params(self) -> int:
        return 1 + (self.n_factors + 1) * (self.n_seen_users + self.n_seen_items)

    def observe(self, ratings: pd.DataFrame) -> MatrixFactorization:
        """Give the new ids of ``ratings`` a table row (no training); return self.

        ALS: zero rows (solved at the next sweep); SGD: zero bias and a small
        random vector (``N(0, init_std^2)``), users first, then items.
        """
        check_ratings(ratings, f"{_NAME}.observe", need_rating=False)
        self.U_ = self._grow(self.user_encoder_, ratings["user_id"], self.U_)
        self.V_ = self._grow(self.item_encoder_, ratings["item_id"], self.V_)
        return self

    def _grow(self, encoder: IdEncoder, ids: pd.Series, W: np.ndarray) -> np.ndarray:
        encoder.observe(ids)
        n_new = encoder.n_rows - len(W)
        if n_new <= 0:
            return W
        extra = np.zeros((n_new, self.n_factors + 1))
        if self.solver == "sgd":
            extra[:, : self.n_factors] = self._rng.normal(
                0.0, self.init_std, size=(n_new, self.n_factors)
            )
        return np.vstack([W, extra])

    # ------------------------------------------------------------------ learn
    def fit(
        self,
        ratings: pd.DataFrame,
        *,
        epochs: int | None = None,
        batch_size: int | None = None,
        learning_rate: float | None = None,
        clipnorm: float | None = None,
        verbose: int = 0,
    ) -> MatrixFactorization:
        """Forget what was learned and learn from ``ratings``; return self.

        ``epochs`` (``None``: the constructor's) ALS sweeps or SGD epochs; the
        SGD options ``batch_size``, ``learning_rate`` and ``clipnorm`` (the
        norm cap of each example's update) apply to this call only.
        """
        where = f"{_NAME}.fit"
        check_ratings(ratings, where)
        epochs = self.epochs if epochs is None else check_int(epochs, "epochs", where, minimum=1)
        self._reset()
        if self.solver == "als":
            self._check_no_sgd_options(where, learning_rate, clipnorm)
            return self._fit_als(ratings, epochs)
        return self._continue_sgd(ratings, epochs, batch_size, learning_rate, clipnorm)

    def partial_fit(
        self,
        ratings: pd.DataFrame,
        *,
        epochs: int | None = None,
        batch_size: int | None = None,
        learning_rate: float | None = None,
        clipnorm: float | None = None,
        verbose: int = 0,
    ) -> MatrixFactorization:
        """Continue learning from ``ratings`` (from scratch if never fitted); return self.

        ALS: warm-started sweeps (``epochs``, default 1) over the users and
        items of ``ratings`` only: new ids are folded in (solved in closed form
        against the other side's current factors), known ones re-solved from
        all of their ratings; ``mu`` stays the mean of the first ``fit``, and
        ``n_touched_`` counts the ratings the sweep read.  SGD: ``epochs``
        (default: the constructor's) more epochs from the current weights.
        """
        where = f"{_NAME}.partial_fit"
        if self.mu_ is None:
            return self.fit(
                ratings,
                epochs=epochs,
                batch_size=batch_size,
                learning_rate=learning_rate,
                clipnorm=clipnorm,
            )
        check_ratings(ratings, where)
        if self.solver == "als":
            self._check_no_sgd_options(where, learning_rate, clipnorm)
            n_sweeps = 1 if epochs is None else check_int(epochs, "epochs", where, minimum=1)
            return self._warm_als(ratings, n_sweeps)
        epochs = self.epochs if epochs is None else check_int(epochs, "epochs", where, minimum=1)
        return self._continue_sgd(ratings, epochs, batch_size, learning_rate, clipnorm)

    @staticmethod
    def _check_no_sgd_options(
        where: str, learning_rate: float | None, clipnorm: float | None
    ) -> None:
        for name, value in (("learning_rate", learning_rate), ("clipnorm", clipnorm)):
            if value is not None:
                raise argument_error(
                    where,
                    name,
                    value,
                    "None with solver='als' (each ALS step is an exact solve)",
                    "use solver='sgd' for a step size",
                )

    # ALS ---------------------------------------------------------------------------------
    def _fit_als(self, ratings: pd.DataFrame, n_sweeps: int) -> MatrixFactorization:
        rng = as_generator(self.seed, _NAME)
        self.user_encoder_.observe(ratings["user_id"])
        self.item_encoder_.observe(ratings["item_id"])
        self._u = self.user_encoder_.transform(ratings["user_id"])
        self._i = self.item_encoder_.transform(ratings["item_id"])
        self._r = ratings["rating"].to_numpy(dtype=float)
        self.mu_ = float(self._r.mean())
        k = self.n_factors
        n_u, n_i = self.user_encoder_.n_rows, self.item_encoder_.n_rows
        self.U_ = np.zeros((n_u, k + 1))
        self.V_ = np.zeros((n_i, k + 1))
        self.V_[1:, :k] = rng.normal(0.0, self.init_std, size=(n_i - 1, k))
        by_user, by_item = group_rows(self._u, n_u), group_rows(self._i, n_i)
        self.objective_history_: list[float] = []
        for _ in range(n_sweeps):
            self._sweep(by_user, by_item, range(1, n_u), range(1, n_i))
            self.objective_history_.append(self.objective(ratings))
        return self

    def _penalty(self, bias_reg: float) -> np.ndarray:
        return np.diag([self.reg] * self.n_factors + [bias_reg])

    def _sweep(self, by_user: Any, by_item: Any, user_rows: Any, item_rows: Any) -> None:
        """One ALS sweep over the given user rows, then the given item rows."""
        assert self.mu_ is not None
        k, u, i, r = self.n_factors, self._u, self._i, self._r
        X_items = np.hstack([self.V_[:, :k], np.ones((len(self.V_), 1))])
        ridge_rows(
            self.U_,
            by_user,
            X_items,
            i,
            r - self.mu_ - self.V_[i, k],
            self._penalty(self.reg_user_bias),
            user_rows,
        )
        X_users = np.hstack([self.U_[:, :k], np.ones((len(self.U_), 1))])
        ridge_rows(
            self.V_,
            by_item,
            X_users,
            u,
            r - self.mu_ - self.U_[u, k],
            self._penalty(self.reg_item_bias),
            item_rows,
        )

    def _warm_als(self, ratings: pd.DataFrame, n_sweeps: int) -> MatrixFactorization:
        self.observe(ratings)
        u_new = self.user_encoder_.transform(ratings["user_id"])
        i_new = self.item_encoder_.transform(ratings["item_id"])
        self._u = np.concatenate([self._u, u_new])
        self._i = np.concatenate([self._i, i_new])
        self._r = np.concatenate([self._r, ratings["rating"].to_numpy(dtype=float)])
        users, items = np.unique(u_new), np.unique(i_new)
        by_user, by_item = group_some(self._u, users), group_some(self._i, items)
        self.n_touched_ = sum(len(g) for g in by_user.values()) + sum(
            len(g) for g in by_item.values()
        )
        for _ in range(n_sweeps):
            self._sweep(by_user, by_item, users, items)
        return self

    # SGD ---------------------------------------------------------------------------------
    def _continue_sgd(
        self,
        ratings: pd.DataFrame,
        epochs: int,
        batch_size: int | None,
        learning_rate: float | None,
        clipnorm: float | None,
    ) -> MatrixFactorization:
        where = f"{_NAME}.partial_fit"
        batch = (
            self.batch_size
            if batch_size is None
            else check_int(batch_size, "batch_size", where, minimum=1)
        )
        lr = (
            self.learning_rate
            if learning_rate is None
            else check_number(learning_rate, "learning_rate", where, low=0, low_inclusive=False)
        )
        if clipnorm is not None:
            clipnorm = check_number(clipnorm, "clipnorm", where, low=0, low_inclusive=False)
        y = ratings["rating"].to_numpy(dtype=float)
        if self.mu_ is None:
            self.mu_ = float(y.mean())
        self.observe(ratings)
        users = self.user_encoder_.transform(ratings["user_id"])
        items = self.item_encoder_.transform(ratings["item_id"])
        for _ in range(epochs):
            order = self._rng.permutation(len(y))
            for start in range(0, len(y), batch):
                b = order[start : start + batch]
                sgd_step(
                    self.U_, self.V_, self.mu_, self.reg, users[b], items[b], y[b], lr, clipnorm
                )
        return self

    # ------------------------------------------------------------------ predict
    def _raw(self, ratings: pd.DataFrame) -> np.ndarray:
        u = self.user_encoder_.transform(ratings["user_id"])
        i = self.item_encoder_.transform(ratings["item_id"])
        k = self.n_factors
        return (
            self.mu_
            + self.U_[u, k]
            + self.V_[i, k]
            + np.sum(self.U_[u, :k] * self.V_[i, :k], axis=1)
        )

    def predict(self, ratings: pd.DataFrame) -> np.ndarray:
        """Predicted ratings, shape ``(n,)``, clipped to ``rating_range``."""
        where = f"{_NAME}.predict"
        if self.mu_ is None:
            raise RuntimeError(f"{where}: call fit(ratings) first.")
        check_ratings(ratings, where, need_rating=False)
        return np.clip(self._raw(ratings), *self.rating_range)

    def objective(self, ratings: pd.DataFrame) -> float:
        """The regularised squared error that ALS minimises (unclipped predictions)."""
        k = self.n_factors
        err = ratings["rating"].to_numpy(dtype=float) - self._raw(ratings)
        return float(
            np.sum(err**2)
            + self.reg * (np.sum(self.U_[:, :k] ** 2) + np.sum(self.V_[:, :k] ** 2))
            + self.reg_user_bias * np.sum(self.U_[:, k] ** 2)
            + self.reg_item_bias * np.sum(self.V_[:, k] ** 2)
        )

    # ------------------------------------------------------------------ weights
    def get_weights(self) -> list[np.ndarray]:
        """``[user_bias, item_bias, user_factors, item_factors]`` (copies; row 0 = unknown id)."""
        k = self.n_factors
        return [
            self.U_[:, k].copy(),
            self.V_[:, k].copy(),
            self.U_[:, :k].copy(),
            self.V_[:, :k].copy(),
        ]

    def set_weights(self, weights: list[np.ndarray]) -> MatrixFactorization:
        """Set the four arrays of :meth:`get_weights` (copied); return self."""
        user_bias, item_bias, user_factors, item_factors = (
            np.asarray(w, dtype=float) for w in weights
        )
        self.U_ = np.column_stack([user_factors, user_bias])
        self.V_ = np.column_stack([item_factors, item_bias])
        return self

    def __repr__(self) -> str:
        return (
            f"MatrixFactorization(n_factors={self.n_factors}, solver={self.solver!r}, "
            f"reg={self.reg:g}, epochs={self.epochs})"
        )
