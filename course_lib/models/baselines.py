"""Rating baselines in numpy: the bar every neural model must clear.

Explained in chapter 06 (``notebooks/06_keras_rating_predictor.ipynb``) and
used as references by the benchmark of chapter 09.  All three share the
ratings schema (``user_id``, ``item_id``, ``rating``) and the interface
``fit(ratings) -> self`` / ``predict(ratings) -> array of shape (n,)``,
clipped to [1, 5]:

* :class:`GlobalMean` predicts the mean training rating for everything;
* :class:`BiasBaseline` predicts ``mu + b_user + b_item``, the biases fitted by
  regularised least squares (alternating exact minimisation, which converges to
  the unique minimum of this convex problem);
* :class:`BiasedMF` adds a dot product of latent factors,
  ``mu + b_u + b_i + p_u . q_i``, fitted by alternating least squares (ALS),
  each step an exact ridge regression, seeded.

Users or items never seen in training get zero bias and zero factors, so the
prediction falls back to the mean (plus whichever side is known).

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

import numpy as np
import pandas as pd

from course_lib.data.features import IdEncoder
from course_lib.core.validation import as_generator, check_int, check_number, check_rating_range

__all__ = ["GlobalMean", "BiasBaseline", "BiasedMF", "rmse_of"]

RATING_MIN, RATING_MAX = 1.0, 5.0


def _check_ratings(df, where: str, need_rating: bool = True) -> None:
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"{where}: expected a ratings DataFrame (user_id, item_id, rating), got "
                        f"{type(df).__name__}.")
    need = ["user_id", "item_id"] + (["rating"] if need_rating else [])
    missing = [c for c in need if c not in df.columns]
    if missing:
        raise ValueError(f"{where}: the DataFrame lacks column(s) {missing}; it has "
                         f"{list(df.columns)}. Use the ratings schema (shop.ratings).")
    if need_rating:
        if len(df) == 0:
            raise ValueError(f"{where}: the ratings DataFrame is empty; nothing to fit.")
        if not np.all(np.isfinite(df["rating"].to_numpy(dtype=float))):
            raise ValueError(f"{where}: the rating column contains NaN or inf; drop those rows.")


def rmse_of(model, ratings: pd.DataFrame) -> float:
    """Root mean squared error of ``model.predict(ratings)`` against ``ratings.rating``.

    >>> df = pd.DataFrame({"user_id": [1, 2], "item_id": [1, 1], "rating": [2.0, 4.0]})
    >>> rmse_of(GlobalMean().fit(df), df)
    1.0
    """
    err = model.predict(ratings) - ratings["rating"].to_numpy(dtype=float)
    return float(np.sqrt(np.mean(err ** 2)))


class GlobalMean:
    """Predict the mean training rating for every (user, item).

    >>> df = pd.DataFrame({"user_id": [1, 2], "item_id": [1, 1], "rating": [2.0, 5.0]})
    >>> GlobalMean().fit(df).predict(df).tolist()
    [3.5, 3.5]
    """

    def __init__(self):
        self.mu_: float | None = None

    def fit(self, ratings: pd.DataFrame) -> "GlobalMean":
        _check_ratings(ratings, "GlobalMean.fit")
        self.mu_ = float(ratings["rating"].mean())
        return self

    def predict(self, ratings: pd.DataFrame) -> np.ndarray:
        if self.mu_ is None:
            raise RuntimeError("GlobalMean.predict: call fit(ratings) first.")
        _check_ratings(ratings, "GlobalMean.predict", need_rating=False)
        return np.full(len(ratings), float(np.clip(self.mu_, RATING_MIN, RATING_MAX)))

    @property
    def n_params(self) -> int:
        return 1


class _ClippedRatingModel:
    """Shared ``predict`` of the fitted baselines: the raw score clipped to 1..5."""

    mu_ = None
    rating_range = (RATING_MIN, RATING_MAX)

    def _raw(self, ratings: pd.DataFrame) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def predict(self, ratings: pd.DataFrame) -> np.ndarray:
        where = f"{type(self).__name__}.predict"
        if self.mu_ is None:
            raise RuntimeError(f"{where}: call fit(ratings) first.")
        _check_ratings(ratings, where, need_rating=False)
        return np.clip(self._raw(ratings), *self.rating_range)

    def clone(self, fresh: bool = False):
        """A copy: fitted state included, or (``fresh=True``) unfitted with the same settings."""
        twin = copy.deepcopy(self)
        if fresh:
            for name in [n for n in vars(twin) if n.endswith("_") and not n.startswith("__")]:
                delattr(twin, name)
            for name in ("_u", "_i", "_r"):
                twin.__dict__.pop(name, None)
            twin.mu_ = None
        return twin


class BiasBaseline(_ClippedRatingModel):
    """``mu + b_user + b_item`` fitted by regularised least squares.

    Minimises ``sum (r - mu - b_u - b_i)^2 + reg_user * sum b_u^2 + reg_item * sum b_i^2``
    with ``mu`` the mean rating, by alternating exact minimisation: with the
    item biases fixed, each user bias has the closed form
    ``b_u = sum_i (r_ui - mu - b_i) / (reg_user + n_u)``, and symmetrically for
    items.  The objective is convex, so this converges to its minimum; the
    regularisation shrinks the bias of a user with few ratings towards 0.

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
    """

    def __init__(self, reg_user: float = 5.0, reg_item: float = 5.0, n_iter: int = 10, *,
                 rating_range: tuple[float, float] = (RATING_MIN, RATING_MAX)):
        self.reg_user = check_number(reg_user, "reg_user", "BiasBaseline", low=0)
        self.reg_item = check_number(reg_item, "reg_item", "BiasBaseline", low=0)
        self.n_iter = check_int(n_iter, "n_iter", "BiasBaseline", minimum=1)
        self.rating_range = check_rating_range(rating_range, "BiasBaseline")
        self.mu_ = None

    def fit(self, ratings: pd.DataFrame) -> "BiasBaseline":
        _check_ratings(ratings, "BiasBaseline.fit")
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
        self.objective_history_ = []
        for _ in range(self.n_iter):
            bu = np.bincount(u, r - self.mu_ - bi[i], minlength=n_u) / np.maximum(
                self.reg_user + cnt_u, 1e-12)
            bi = np.bincount(i, r - self.mu_ - bu[u], minlength=n_i) / np.maximum(
                self.reg_item + cnt_i, 1e-12)
            bu[0], bi[0] = 0.0, 0.0   # row 0: unknown ids
            self.b_user_, self.b_item_ = bu, bi
            self.objective_history_.append(self.objective(ratings))
        return self

    def user_bias(self, user_ids) -> np.ndarray:
        return self.b_user_[self.user_encoder_.transform(user_ids)]

    def item_bias(self, item_ids) -> np.ndarray:
        return self.b_item_[self.item_encoder_.transform(item_ids)]

    def _raw(self, ratings: pd.DataFrame) -> np.ndarray:
        return self.mu_ + self.user_bias(ratings["user_id"]) + self.item_bias(ratings["item_id"])

    def objective(self, ratings: pd.DataFrame) -> float:
        """The regularised squared error that ``fit`` minimises (unclipped predictions)."""
        err = ratings["rating"].to_numpy(dtype=float) - self._raw(ratings)
        return float(np.sum(err ** 2) + self.reg_user * np.sum(self.b_user_ ** 2)
                     + self.reg_item * np.sum(self.b_item_ ** 2))

    @property
    def n_params(self) -> int:
        return 1 + self.user_encoder_.n_seen + self.item_encoder_.n_seen


class BiasedMF(_ClippedRatingModel):
    """Biased matrix factorisation ``mu + b_u + b_i + p_u . q_i``, fitted by ALS.

    Alternating least squares: with the item side ``[q_i, b_i]`` fixed, the
    user side ``[p_u, b_u]`` that minimises
    ``sum (r - mu - b_u - b_i - p_u . q_i)^2 + reg * |p_u|^2 + reg_user_bias * b_u^2``
    is one small ridge regression per user (and symmetrically per item).  Each
    step is exact, so the objective never increases.

    :meth:`partial_fit` continues from the current factors on new ratings
    (warm-started ALS, chapter 09): it re-solves only the users and items that
    occur in the new rows, each from all of its ratings, so its cost grows with
    the new data and the histories they touch, not with the whole data set.

    Parameters
    ----------
    n_factors : int
        Length of ``p_u`` and ``q_i``.
    reg : float
        Ridge penalty on the factors (and on the biases unless set below).
    n_iter : int
        Alternating sweeps of :meth:`fit`.
    reg_user_bias, reg_item_bias : float or None
        Ridge penalties on the user and item biases (``None``: ``reg``).  On
        real data they want different values: a user's bias is often estimated
        from a few ratings and needs strong shrinkage, a popular item's is not.
    init_std : float
        Standard deviation of the initial item factors.
    seed : int or numpy.random.Generator
        For the initial item factors (``N(0, init_std^2)``).
    rating_range : tuple of float
        Predictions are clipped to it (default 1..5; ``(0.5, 5.0)`` for half stars).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> u, i = rng.integers(0, 30, 600), rng.integers(0, 20, 600)
    >>> P, Q = rng.normal(size=(30, 2)), rng.normal(size=(20, 2))
    >>> df = pd.DataFrame({"user_id": u, "item_id": i,
    ...                    "rating": np.clip(3 + (P[u] * Q[i]).sum(1), 1, 5)})
    >>> mf = BiasedMF(n_factors=2, reg=1.0, n_iter=15, seed=0).fit(df)
    >>> bias = BiasBaseline().fit(df)
    >>> bool(rmse_of(mf, df) < 0.6 * rmse_of(bias, df))
    True
    >>> new_user = pd.DataFrame({"user_id": [99] * 5, "item_id": range(5), "rating": 5.0})
    >>> float(np.round(mf.partial_fit(new_user).predict(new_user[:1])[0], 1))  # folded in
    4.8
    """

    def __init__(self, n_factors: int = 8, reg: float = 5.0, n_iter: int = 10, *,
                 reg_user_bias: float | None = None, reg_item_bias: float | None = None,
                 init_std: float = 0.1, seed=0,
                 rating_range: tuple[float, float] = (RATING_MIN, RATING_MAX)):
        self.n_factors = check_int(n_factors, "n_factors", "BiasedMF", minimum=1)
        self.reg = check_number(reg, "reg", "BiasedMF", low=0)
        self.n_iter = check_int(n_iter, "n_iter", "BiasedMF", minimum=1)
        self.reg_user_bias = self.reg if reg_user_bias is None else check_number(
            reg_user_bias, "reg_user_bias", "BiasedMF", low=0)
        self.reg_item_bias = self.reg if reg_item_bias is None else check_number(
            reg_item_bias, "reg_item_bias", "BiasedMF", low=0)
        self.init_std = check_number(init_std, "init_std", "BiasedMF", low=0)
        as_generator(seed, "BiasedMF")  # a bad seed fails here, not at fit time
        self.seed = seed
        self.rating_range = check_rating_range(rating_range, "BiasedMF")
        self.mu_ = None

    def _penalty(self, bias_reg: float) -> np.ndarray:
        return np.diag([self.reg] * self.n_factors + [bias_reg])

    def fit(self, ratings: pd.DataFrame) -> "BiasedMF":
        _check_ratings(ratings, "BiasedMF.fit")
        rng = as_generator(self.seed, "BiasedMF")
        self.user_encoder_ = IdEncoder().observe(ratings["user_id"])
        self.item_encoder_ = IdEncoder().observe(ratings["item_id"])
        u = self.user_encoder_.transform(ratings["user_id"])
        i = self.item_encoder_.transform(ratings["item_id"])
        r = ratings["rating"].to_numpy(dtype=float)
        self.mu_ = float(r.mean())
        k = self.n_factors
        n_u, n_i = self.user_encoder_.n_rows, self.item_encoder_.n_rows
        # Columns 0..k-1: factors, column k: the bias.
        U = np.zeros((n_u, k + 1))
        V = np.zeros((n_i, k + 1))
        V[1:, :k] = rng.normal(0.0, self.init_std, size=(n_i - 1, k))
        by_user = _group_rows(u, n_u)
        by_item = _group_rows(i, n_i)
        self.U_, self.V_ = U, V
        self._u, self._i, self._r = u, i, r       # kept for partial_fit
        self.objective_history_ = []
        for _ in range(self.n_iter):
            self._sweep(by_user, by_item, range(1, n_u), range(1, n_i))
            self.objective_history_.append(self.objective(ratings))
        return self

    def _sweep(self, by_user, by_item, user_rows, item_rows) -> None:
        """One ALS sweep over the given user rows, then the given item rows."""
        k, u, i, r = self.n_factors, self._u, self._i, self._r
        X_items = np.hstack([self.V_[:, :k], np.ones((len(self.V_), 1))])
        _ridge_rows(self.U_, by_user, X_items, i, r - self.mu_ - self.V_[i, k],
                    self._penalty(self.reg_user_bias), user_rows)
        X_users = np.hstack([self.U_[:, :k], np.ones((len(self.U_), 1))])
        _ridge_rows(self.V_, by_item, X_users, u, r - self.mu_ - self.U_[u, k],
                    self._penalty(self.reg_item_bias), item_rows)

    def partial_fit(self, ratings: pd.DataFrame, n_sweeps: int = 1) -> BiasedMF:
        """Add ``ratings`` and re-solve only the users and items they touch; return self.

        Warm-started ALS: new users and items are folded in (their rows are
        solved in closed form against the other side's current factors), known
        ones are re-solved from all of their ratings.  ``mu`` stays the mean of
        the first ``fit``.  ``n_sweeps`` alternations (users, then items).
        """
        if self.mu_ is None:
            raise RuntimeError("BiasedMF.partial_fit: call fit(ratings) first.")
        _check_ratings(ratings, "BiasedMF.partial_fit")
        n_sweeps = check_int(n_sweeps, "n_sweeps", "BiasedMF.partial_fit", minimum=1)
        self.user_encoder_.observe(ratings["user_id"])
        self.item_encoder_.observe(ratings["item_id"])
        k = self.n_factors
        grow_u = self.user_encoder_.n_rows - len(self.U_)
        grow_i = self.item_encoder_.n_rows - len(self.V_)
        self.U_ = np.vstack([self.U_, np.zeros((grow_u, k + 1))])
        self.V_ = np.vstack([self.V_, np.zeros((grow_i, k + 1))])
        u_new = self.user_encoder_.transform(ratings["user_id"])
        i_new = self.item_encoder_.transform(ratings["item_id"])
        self._u = np.concatenate([self._u, u_new])
        self._i = np.concatenate([self._i, i_new])
        self._r = np.concatenate([self._r, ratings["rating"].to_numpy(dtype=float)])
        users, items = np.unique(u_new), np.unique(i_new)
        by_user = _group_some(self._u, users)
        by_item = _group_some(self._i, items)
        self.n_touched_ = sum(len(g) for g in by_user.values()) + sum(
            len(g) for g in by_item.values())
        for _ in range(n_sweeps):
            self._sweep(by_user, by_item, users, items)
        return self

    def _raw(self, ratings: pd.DataFrame) -> np.ndarray:
        u = self.user_encoder_.transform(ratings["user_id"])
        i = self.item_encoder_.transform(ratings["item_id"])
        k = self.n_factors
        return (self.mu_ + self.U_[u, k] + self.V_[i, k]
                + np.sum(self.U_[u, :k] * self.V_[i, :k], axis=1))

    def objective(self, ratings: pd.DataFrame) -> float:
        """Regularised squared error that ALS minimises (unclipped predictions)."""
        k = self.n_factors
        err = ratings["rating"].to_numpy(dtype=float) - self._raw(ratings)
        return float(np.sum(err ** 2) + self.reg * (np.sum(self.U_[:, :k] ** 2)
                                                    + np.sum(self.V_[:, :k] ** 2))
                     + self.reg_user_bias * np.sum(self.U_[:, k] ** 2)
                     + self.reg_item_bias * np.sum(self.V_[:, k] ** 2))

    @property
    def n_params(self) -> int:
        return 1 + (self.n_factors + 1) * (self.user_encoder_.n_seen + self.item_encoder_.n_seen)


def _group_rows(idx: np.ndarray, n_rows: int) -> list[np.ndarray]:
    """``groups[k]`` = positions where ``idx == k`` (one argsort, no Python scan)."""
    order = np.argsort(idx, kind="stable")
    bounds = np.searchsorted(idx[order], np.arange(n_rows + 1))
    return [order[bounds[k]:bounds[k + 1]] for k in range(n_rows)]


def _group_some(idx: np.ndarray, rows: np.ndarray) -> dict:
    """``{k: positions where idx == k}`` for the given rows only."""
    pos = np.flatnonzero(np.isin(idx, rows))
    order = pos[np.argsort(idx[pos], kind="stable")]
    keys, starts = np.unique(idx[order], return_index=True)
    return dict(zip(keys.tolist(), np.split(order, starts[1:])))


def _ridge_rows(W: np.ndarray, groups, X_other: np.ndarray, other_idx: np.ndarray,
                target: np.ndarray, penalty: np.ndarray, rows=None) -> None:
    """For each row k >= 1: W[k] = argmin |X w - t|^2 + w' penalty w over its ratings.

    The last column of ``W`` is the bias; the regression's design matrix is
    ``X_other[other_idx[rows]]`` (the other side's factors and a column of 1).
    ``penalty`` is the (diagonal) ridge matrix; ``rows`` the rows to solve.
    """
    d = W.shape[1]
    eye = penalty
    for k in (range(1, W.shape[0]) if rows is None else rows):
        if k == 0:
            continue
        mine = groups[k] if not isinstance(groups, dict) else groups.get(k, np.zeros(0, int))
        if len(mine) == 0:
            W[k] = 0.0
            continue
        X = X_other[other_idx[mine]]
        W[k] = np.linalg.solve(X.T @ X + eye + 1e-12 * np.eye(d), X.T @ target[mine])
