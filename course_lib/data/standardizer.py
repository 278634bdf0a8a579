"""Standardising features with statistics fitted once or updated batch by batch.

Explained in chapter 06 (``notebooks/06_keras_rating_predictor.ipynb``), with the
other model inputs of :mod:`course_lib.data.features`.  :class:`Standardizer`
stores a mean and a scale, fitted in one go (:meth:`Standardizer.fit`) or
updated batch by batch (:meth:`Standardizer.partial_fit`, exact running
moments), and saved as a plain dict.  It uses the population standard
deviation (``ddof=0``), like ``keras.layers.Normalization``; pandas'
``DataFrame.std()`` uses ``ddof=1``.  Numpy only.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from course_lib.core.validation import argument_error, check_array

__all__ = ["Standardizer"]


class Standardizer:
    """``(X - mean_) / scale_`` with statistics fitted once or updated in batches.

    Columns with zero variance get ``scale_ = 1`` so that nothing divides by 0.

    Examples
    --------
    >>> X = np.array([[1.0, 10.0], [3.0, 10.0], [5.0, 10.0]])
    >>> s = Standardizer().fit(X)
    >>> s.mean_.tolist(), np.round(s.scale_, 4).tolist()
    ([3.0, 10.0], [1.633, 1.0])
    >>> running = Standardizer().partial_fit(X[:1]).partial_fit(X[1:])
    >>> bool(np.allclose(running.mean_, s.mean_) and np.allclose(running.scale_, s.scale_))
    True
    >>> np.round(s.transform([[5.0, 10.0]]), 4).tolist()
    [[1.2247, 0.0]]
    """

    def __init__(self) -> None:
        self.mean_: np.ndarray | None = None
        self.var_: np.ndarray | None = None
        self.n_seen_: int = 0

    @property
    def is_fitted(self) -> bool:
        """Whether ``fit`` or ``partial_fit`` has seen data."""
        return self.mean_ is not None

    @property
    def scale_(self) -> np.ndarray:
        """The standard deviation per column, 1 where it is (almost) 0."""
        self._require_fitted("scale_")
        std = np.sqrt(np.asarray(self.var_))
        return np.where(std > 1e-12, std, 1.0)

    @staticmethod
    def _check_X(X: ArrayLike, where: str, n_columns: int | None = None) -> np.ndarray:
        """``X`` as a 2-D float array (NaN allowed: a missing value), of ``n_columns`` columns."""
        where = f"Standardizer.{where}"
        arr = check_array(
            X,
            "X",
            where,
            ndim=2,
            allow_empty=True,
            allow_nan=True,
            fix="pass (n_samples, n_features); for one feature use X.reshape(-1, 1)",
        )
        if n_columns is not None and arr.shape[1] != n_columns:
            raise argument_error(
                where,
                "X",
                arr,
                f"an array with {n_columns} columns, like the data the statistics were fitted on",
                "pass the same columns",
            )
        return arr

    def _require_fitted(self, what: str) -> None:
        if not self.is_fitted:
            raise RuntimeError(
                f"Standardizer.{what}: not fitted yet; call fit(X) or partial_fit(X) first."
            )

    def fit(self, X: ArrayLike) -> Standardizer:
        """Fit mean and variance on ``X`` (NaN entries are ignored); return self."""
        arr = self._check_X(X, "fit")
        self.mean_, self.var_, self.n_seen_ = None, None, 0
        return self.partial_fit(arr)

    def partial_fit(self, X: ArrayLike) -> Standardizer:
        """Merge the moments of a new batch into the running ones (Chan et al.); return self."""
        arr = self._check_X(X, "partial_fit", len(self.mean_) if self.mean_ is not None else None)
        n_b = np.sum(~np.isnan(arr), axis=0).astype(float)
        if arr.shape[0] == 0 or np.all(n_b == 0):
            if not self.is_fitted:
                self.mean_ = np.zeros(arr.shape[1])
                self.var_ = np.ones(arr.shape[1])
                self._counts = np.zeros(arr.shape[1])
            return self
        with np.errstate(invalid="ignore"):
            mean_b = np.where(n_b > 0, np.nansum(arr, axis=0) / np.maximum(n_b, 1), 0.0)
            m2_b = np.nansum((arr - mean_b) ** 2, axis=0)
        if not self.is_fitted:
            n_a, mean_a, m2_a = np.zeros_like(n_b), np.zeros_like(mean_b), np.zeros_like(m2_b)
        else:
            n_a, mean_a = self._counts, np.asarray(self.mean_)
            m2_a = np.asarray(self.var_) * n_a
        n = n_a + n_b
        delta = mean_b - mean_a
        safe_n = np.maximum(n, 1)
        self.mean_ = mean_a + delta * n_b / safe_n
        m2 = m2_a + m2_b + delta**2 * n_a * n_b / safe_n
        self.var_ = np.where(n > 0, m2 / safe_n, 1.0)
        self._counts = n
        self.n_seen_ += arr.shape[0]
        return self

    def transform(self, X: ArrayLike) -> np.ndarray:
        """Standardise ``X``; NaN (a missing value) becomes 0, i.e. the mean."""
        self._require_fitted("transform")
        assert self.mean_ is not None
        arr = self._check_X(X, "transform", len(self.mean_))
        return np.nan_to_num((arr - self.mean_) / self.scale_, nan=0.0)

    def inverse_transform(self, Z: ArrayLike) -> np.ndarray:
        """Undo :meth:`transform`: ``Z * scale_ + mean_``."""
        self._require_fitted("inverse_transform")
        assert self.mean_ is not None
        return self._check_X(Z, "inverse_transform", len(self.mean_)) * self.scale_ + self.mean_

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable description of the statistics."""
        if self.mean_ is None or self.var_ is None:
            return {"fitted": False}
        return {
            "fitted": True,
            "mean": self.mean_.tolist(),
            "var": self.var_.tolist(),
            "counts": self._counts.tolist(),
            "n_seen": int(self.n_seen_),
        }

    @classmethod
    def from_dict(cls, state: dict[str, Any]) -> Standardizer:
        """The standardiser :meth:`to_dict` described."""
        s = cls()
        if state.get("fitted"):
            s.mean_ = np.asarray(state["mean"], dtype=float)
            s.var_ = np.asarray(state["var"], dtype=float)
            s._counts = np.asarray(state["counts"], dtype=float)
            s.n_seen_ = int(state["n_seen"])
        return s

    def __repr__(self) -> str:
        return f"Standardizer(fitted={self.is_fitted}, n_seen={self.n_seen_})"
