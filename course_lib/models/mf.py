"""Biased matrix factorisation trained by SGD that can keep learning (fine-tune, replay, retrain).

Explained in chapter 09 (``notebooks/09_incremental_updates.ipynb``) and used
by ``python -m course_lib.tools.bench`` as the "retrain from scratch at every chunk"
reference.  NumPy only.

The model predicts

.. math::  \\hat r_{ui} = \\mu + b_u + b_i + p_u^\\top q_i

and is trained by mini-batch SGD on the squared error with L2 regularisation
(``reg``) of the biases and factors.  An id never seen gets zero bias and a zero
vector, so its prediction falls back to :math:`\\mu` (plus the known side's
bias).  The id tables *grow* when new users or items arrive, and ``fit``
continues from the current weights, so the same object can be fine-tuned,
retrained (``clone(fresh=True)``) or updated with replay: it follows the same
small protocol as :class:`course_lib.models.neural.RatingModel`
(``fit``/``predict``/``observe``/``clone``/``get_weights``/``set_weights``).

>>> import pandas as pd
>>> df = pd.DataFrame({"user_id": [1, 1, 2, 2, 3], "item_id": [10, 11, 10, 12, 11],
...                    "rating": [5.0, 3.0, 4.0, 1.0, 2.0]})
>>> mf = IncrementalMF(n_factors=2, epochs=200, batch_size=2, seed=0).fit(df)
>>> print(np.round(mf.predict(df), 1))
[4.9 3.  3.9 1.2 2. ]
>>> print(np.round(mf.predict(pd.DataFrame({"user_id": [99], "item_id": [98]})), 2))  # mu
[3.]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["IncrementalMF"]


def _check_frame(df, where: str, need_rating: bool) -> None:
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"{where}: expected a pandas DataFrame in the ratings schema, got "
                        f"{type(df).__name__}.")
    need = ["user_id", "item_id"] + (["rating"] if need_rating else [])
    missing = [c for c in need if c not in df.columns]
    if missing:
        raise ValueError(f"{where}: the DataFrame has no column(s) {missing}; it has "
                         f"{list(df.columns)}. Use the ratings schema (user_id, item_id, rating).")


def _counts(rows: np.ndarray) -> np.ndarray:
    """For each entry, how many times its value occurs in ``rows``."""
    _, inverse, counts = np.unique(rows, return_inverse=True, return_counts=True)
    return counts[inverse].astype(float)


class IncrementalMF:
    """Biased matrix factorisation trained by mini-batch SGD (see module docstring).

    Parameters
    ----------
    n_factors : int
        Length of the user and item vectors.
    learning_rate : float
        SGD step size.  In a mini-batch, a user or item that occurs several
        times moves by the mean of its examples' gradients.
    reg : float
        L2 penalty on biases and factors.
    epochs, batch_size : int
        Defaults for :meth:`fit`.
    init_std : float
        Standard deviation of the initial factors.
    rating_range : tuple of float
        Predictions are clipped to this range.
    seed : int
        Seeds the initial factors and the shuffling.
    """

    def __init__(self, n_factors: int = 20, learning_rate: float = 0.01, reg: float = 0.05,
                 epochs: int = 20, batch_size: int = 128, init_std: float = 0.1,
                 rating_range: tuple[float, float] = (1.0, 5.0), seed: int = 0) -> None:
        for name, value in (("n_factors", n_factors), ("epochs", epochs),
                            ("batch_size", batch_size)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"IncrementalMF({name}={value!r}): {name} must be a positive int.")
        if not learning_rate > 0:
            raise ValueError(f"IncrementalMF(learning_rate={learning_rate!r}): use a positive step "
                             "size such as 0.01.")
        if reg < 0:
            raise ValueError(f"IncrementalMF(reg={reg!r}): reg must be >= 0.")
        low, high = rating_range
        if not low < high:
            raise ValueError(f"IncrementalMF(rating_range={rating_range!r}): use (low, high) with "
                             "low < high, e.g. (1, 5).")
        self.n_factors = int(n_factors)
        self.learning_rate = float(learning_rate)
        self.reg = float(reg)
        self.epochs = int(epochs)
        self.batch_size = int(batch_size)
        self.init_std = float(init_std)
        self.rating_range = (float(low), float(high))
        self.seed = seed
        self._reset()

    def _reset(self) -> None:
        self._rng = np.random.default_rng(self.seed)
        self.user_index_: dict = {}
        self.item_index_: dict = {}
        self.mu_: float | None = None
        self.user_bias_ = np.zeros(0)
        self.item_bias_ = np.zeros(0)
        self.user_factors_ = np.zeros((0, self.n_factors))
        self.item_factors_ = np.zeros((0, self.n_factors))

    # --- protocol shared with RatingModel -------------------------------------------------
    def get_params(self) -> dict:
        """Constructor arguments (used by :meth:`clone`)."""
        return {"n_factors": self.n_factors, "learning_rate": self.learning_rate,
                "reg": self.reg, "epochs": self.epochs, "batch_size": self.batch_size,
                "init_std": self.init_std, "rating_range": self.rating_range, "seed": self.seed}

    @property
    def n_seen_users(self) -> int:
        return len(self.user_index_)

    @property
    def n_seen_items(self) -> int:
        return len(self.item_index_)

    def observe(self, df: pd.DataFrame) -> "IncrementalMF":
        """Add rows for ids not seen before (zero bias, small random vector)."""
        _check_frame(df, "IncrementalMF.observe(df)", need_rating=False)
        self.user_bias_, self.user_factors_ = self._grow(self.user_index_, df["user_id"],
                                                         self.user_bias_, self.user_factors_)
        self.item_bias_, self.item_factors_ = self._grow(self.item_index_, df["item_id"],
                                                         self.item_bias_, self.item_factors_)
        return self

    def _grow(self, index: dict, ids, bias, factors):
        new = [i for i in pd.unique(np.asarray(ids)) if i not in index]
        if not new:
            return bias, factors
        for i in new:
            index[i] = len(index)
        extra = self._rng.normal(0.0, self.init_std, size=(len(new), self.n_factors))
        return np.r_[bias, np.zeros(len(new))], np.vstack([factors, extra])

    def _rows(self, index: dict, ids) -> np.ndarray:
        return np.fromiter((index.get(i, -1) for i in np.asarray(ids)), dtype=np.int64,
                           count=len(ids))

    def fit(self, df: pd.DataFrame, *, epochs: int | None = None, batch_size: int | None = None,
            learning_rate: float | None = None, clipnorm: float | None = None,
            verbose: int = 0) -> "IncrementalMF":
        """Continue training on ``df`` (grows the id tables first); return ``self``.

        ``clipnorm`` caps the norm of each example's update to its user and item
        parameters (gradient clipping, as in one of the source articles).
        """
        _check_frame(df, "IncrementalMF.fit(df)", need_rating=True)
        if len(df) == 0:
            return self
        epochs = self.epochs if epochs is None else epochs
        batch_size = self.batch_size if batch_size is None else batch_size
        lr = self.learning_rate if learning_rate is None else float(learning_rate)
        y = df["rating"].to_numpy(dtype=float)
        if self.mu_ is None:
            self.mu_ = float(y.mean())
        self.observe(df)
        users = self._rows(self.user_index_, df["user_id"])
        items = self._rows(self.item_index_, df["item_id"])
        for _ in range(int(epochs)):
            order = self._rng.permutation(len(y))
            for start in range(0, len(y), int(batch_size)):
                b = order[start:start + int(batch_size)]
                self._sgd_step(users[b], items[b], y[b], lr, clipnorm)
        return self

    def _sgd_step(self, u, i, y, lr, clipnorm) -> None:
        pu, qi = self.user_factors_[u], self.item_factors_[i]
        err = self.mu_ + self.user_bias_[u] + self.item_bias_[i] + np.sum(pu * qi, axis=1) - y
        g_bu = err + self.reg * self.user_bias_[u]
        g_bi = err + self.reg * self.item_bias_[i]
        g_pu = err[:, None] * qi + self.reg * pu
        g_qi = err[:, None] * pu + self.reg * qi
        if clipnorm is not None:
            norm = np.sqrt(g_bu**2 + g_bi**2 + np.sum(g_pu**2, 1) + np.sum(g_qi**2, 1))
            scale = np.minimum(1.0, clipnorm / np.maximum(norm, 1e-12))
            g_bu, g_bi = g_bu * scale, g_bi * scale
            g_pu, g_qi = g_pu * scale[:, None], g_qi * scale[:, None]
        # a row that appears c times in the batch gets the mean of its c gradients, so a
        # popular item does not take c full steps at once (that diverges)
        cu = _counts(u)
        ci = _counts(i)
        g_bu, g_pu = g_bu / cu, g_pu / cu[:, None]
        g_bi, g_qi = g_bi / ci, g_qi / ci[:, None]
        np.add.at(self.user_bias_, u, -lr * g_bu)
        np.add.at(self.item_bias_, i, -lr * g_bi)
        np.add.at(self.user_factors_, u, -lr * g_pu)
        np.add.at(self.item_factors_, i, -lr * g_qi)

    def predict(self, df: pd.DataFrame) -> np.ndarray:
        """Predicted ratings, shape ``(n,)``, clipped to ``rating_range``."""
        _check_frame(df, "IncrementalMF.predict(df)", need_rating=False)
        if self.mu_ is None:
            raise RuntimeError("IncrementalMF.predict: the model has not been fitted; call fit first.")
        u = self._rows(self.user_index_, df["user_id"])
        i = self._rows(self.item_index_, df["item_id"])
        known_u, known_i = u >= 0, i >= 0
        pred = np.full(len(df), self.mu_)
        pred[known_u] += self.user_bias_[u[known_u]]
        pred[known_i] += self.item_bias_[i[known_i]]
        both = known_u & known_i
        pred[both] += np.sum(self.user_factors_[u[both]] * self.item_factors_[i[both]], axis=1)
        return np.clip(pred, *self.rating_range)

    def clone(self, fresh: bool = False) -> "IncrementalMF":
        """A copy with the same weights, or (``fresh=True``) an untrained twin."""
        twin = IncrementalMF(**self.get_params())
        if not fresh:
            twin.user_index_ = dict(self.user_index_)
            twin.item_index_ = dict(self.item_index_)
            twin.mu_ = self.mu_
            twin.set_weights(self.get_weights())
            twin._rng = np.random.default_rng(self._rng.bit_generator.random_raw())
        return twin

    def get_weights(self) -> list[np.ndarray]:
        """``[user_bias, item_bias, user_factors, item_factors]`` (copies)."""
        return [w.copy() for w in (self.user_bias_, self.item_bias_, self.user_factors_,
                                   self.item_factors_)]

    def set_weights(self, weights: list[np.ndarray]) -> None:
        """Set the four weight arrays (copied)."""
        self.user_bias_, self.item_bias_, self.user_factors_, self.item_factors_ = (
            np.array(w, dtype=float) for w in weights)
