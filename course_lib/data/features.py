"""Turning ids and side tables into model inputs that survive new users and items.

Explained in chapter 06 (``notebooks/06_keras_rating_predictor.ipynb``) and
used by every model from then on.  Three small pieces, numpy and pandas only:

* :class:`IdEncoder` maps raw ids (user 1047, item 88) to rows of an embedding
  table.  It *grows*: an id seen for the first time gets the next free row.
  Row 0 is reserved for "an id I have never seen" (or one that arrived after
  the table was full), so a model can always answer; that fallback is what
  makes incremental updating possible without changing the shape of a weight.
* :class:`~course_lib.data.standardizer.Standardizer` (in its own module)
  stores a mean and a scale, fitted in one go or updated batch by batch.
* :class:`FeatureTable` turns a side table (``users`` indexed by ``user_id``,
  ``items`` indexed by ``item_id``) into a numeric matrix: numeric columns as
  they are, text/categorical columns one-hot encoded with categories fixed at
  construction.  Lookups of unknown ids give a row of NaN, which the model
  replaces by the training mean (0 after standardisation).

>>> enc = IdEncoder(capacity=3).observe([10, 20, 10])
>>> enc.transform([20, 10, 99]).tolist()      # 99 was never seen: row 0
[2, 1, 0]
>>> enc.observe([30, 40]).transform([30, 40]).tolist()   # 40 does not fit any more
[3, 0]
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from course_lib.core.validation import argument_error, check_frame, check_int

__all__ = [
    "IdEncoder",
    "FeatureTable",
    "default_feature_columns",
    "HIDDEN_COLUMN_HINTS",
]

# Columns of a simulated world that a real shop could not observe (or that would
# let a model peek at the answer).  ``default_feature_columns`` leaves them out.
HIDDEN_COLUMN_HINTS = (
    "quality",
    "true_",
    "latent",
    "truth",
    "expected_",
    "taste",
    "pref_",
    "segment",
)
_TABLE_FIX = "pass a side table indexed by id, e.g. shop.users or shop.items"


def _as_id_array(ids: Iterable[Any], name: str, where: str) -> np.ndarray:
    """``ids`` as a 1-D array (a single id becomes an array of one)."""
    arr = np.asarray(ids.to_numpy() if isinstance(ids, (pd.Series, pd.Index)) else ids)
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1:  # ids may be text, so check_array (numbers only) does not apply
        raise argument_error(
            where,
            name,
            arr,
            f"a 1-D sequence of ids, got shape {arr.shape}",
            "pass e.g. df['user_id']",
        )
    return arr


class IdEncoder:
    """Map raw ids to embedding rows ``1..capacity``; row 0 means "unknown".

    Parameters
    ----------
    capacity : int or None
        How many distinct ids can get their own row (the embedding table then
        has ``capacity + 1`` rows).  ``None`` means unlimited, for uses where
        the table is sized after the fact.

    Attributes
    ----------
    ids_ : list
        The ids that own a row, in order of first appearance (``ids_[k]`` owns row ``k+1``).
    n_overflow_ : int
        How many distinct ids arrived after the table was full (they map to row 0).

    Examples
    --------
    >>> enc = IdEncoder().observe(np.array([7, 3, 7, 5]))
    >>> enc.ids_, enc.n_seen
    ([7, 3, 5], 3)
    >>> enc.transform([5, 3, 8]).tolist()
    [3, 2, 0]
    >>> IdEncoder.from_dict(enc.to_dict()).transform([5]).tolist()
    [3]
    """

    def __init__(self, capacity: int | None = None) -> None:
        if capacity is not None:
            capacity = check_int(
                capacity,
                "capacity",
                "IdEncoder",
                minimum=0,
                fix="pass the number of ids that get their own row, or None for no limit",
            )
        self.capacity = capacity
        self.ids_: list[Hashable] = []
        self._index: dict[Hashable, int] = {}
        self._overflow: set[Hashable] = set()

    @property
    def n_seen(self) -> int:
        """Number of ids that own a row."""
        return len(self.ids_)

    @property
    def n_overflow_(self) -> int:
        """How many distinct ids arrived after the table was full."""
        return len(self._overflow)

    @property
    def n_rows(self) -> int:
        """Rows an embedding table needs: ``capacity + 1`` (or ``n_seen + 1`` if unlimited)."""
        return (self.capacity if self.capacity is not None else self.n_seen) + 1

    def __len__(self) -> int:
        return self.n_seen

    def __contains__(self, raw_id: object) -> bool:
        return _key(raw_id) in self._index

    def observe(self, ids: Iterable[Any]) -> IdEncoder:
        """Give every new id the next free row (in order of first appearance); return self."""
        arr = _as_id_array(ids, "ids", "IdEncoder.observe")
        _, first = np.unique(arr, return_index=True)
        for raw in arr[np.sort(first)]:
            key = _key(raw)
            if key in self._index or key in self._overflow:
                continue
            if self.capacity is not None and self.n_seen >= self.capacity:
                self._overflow.add(key)
                continue
            self.ids_.append(key)
            self._index[key] = len(self.ids_)
        return self

    def transform(self, ids: Iterable[Any]) -> np.ndarray:
        """Rows of ``ids`` as an int64 array; unknown ids give 0.  Never grows."""
        arr = _as_id_array(ids, "ids", "IdEncoder.transform")
        if len(arr) == 0:
            return np.zeros(0, dtype=np.int64)
        uniq, inverse = np.unique(arr, return_inverse=True)
        rows = np.array([self._index.get(_key(u), 0) for u in uniq], dtype=np.int64)
        return rows[inverse.reshape(-1)]

    def copy(self) -> IdEncoder:
        """An independent copy (observing more ids does not change this one)."""
        return IdEncoder.from_dict(self.to_dict())

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable description (ids as Python ints/strings)."""
        return {
            "capacity": self.capacity,
            "ids": list(self.ids_),
            "overflow": sorted(self._overflow, key=str),
        }

    @classmethod
    def from_dict(cls, state: dict[str, Any]) -> IdEncoder:
        """The encoder :meth:`to_dict` described."""
        enc = cls(state["capacity"])
        for raw in state["ids"]:
            enc.ids_.append(raw)
            enc._index[raw] = len(enc.ids_)
        enc._overflow = set(state.get("overflow", []))
        return enc

    def __repr__(self) -> str:
        return f"IdEncoder(capacity={self.capacity}, n_seen={self.n_seen})"


def _key(raw: Any) -> Hashable:
    """Normalise numpy scalars to Python ones so that 5, np.int64(5) and 5.0 agree."""
    if isinstance(raw, (np.integer,)):
        return int(raw)
    if isinstance(raw, (float, np.floating)) and float(raw).is_integer():
        return int(raw)
    if isinstance(raw, np.str_):
        return str(raw)
    return raw


def default_feature_columns(table: pd.DataFrame, *, max_categories: int = 30) -> list[str]:
    """Columns of a side table that a model may use as features by default.

    Numeric and boolean columns, plus text/categorical columns with at most
    ``max_categories`` values, except columns whose name suggests a quantity a
    real shop cannot observe (see ``HIDDEN_COLUMN_HINTS``) or a date
    (``*_day``, ``timestamp``) that would extrapolate for new rows.

    >>> t = pd.DataFrame({"age": [30, 40], "region": ["n", "s"], "quality": [0.1, 0.9],
    ...                   "signup_day": [0, 5], "name": ["a", "b"]})
    >>> default_feature_columns(t, max_categories=1)
    ['age']
    >>> default_feature_columns(t)
    ['age', 'region', 'name']
    """
    cols = []
    for col in table.columns:
        name = str(col).lower()
        if (
            any(h in name for h in HIDDEN_COLUMN_HINTS)
            or name.endswith("_day")
            or name in ("day", "timestamp")
        ):
            continue
        s = table[col]
        if pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
            cols.append(col)
        elif s.nunique(dropna=True) <= max_categories:
            cols.append(col)
    return cols


class FeatureTable:
    """A side table (indexed by id) as a numeric matrix, with one-hot categoricals.

    Parameters
    ----------
    table : pandas.DataFrame
        Indexed by the id (``users`` by ``user_id``, ``items`` by ``item_id``).
    columns : sequence of str or None
        Columns to use; ``None`` uses :func:`default_feature_columns`.  An empty
        list gives a table with zero features (ids only).

    Examples
    --------
    >>> users = pd.DataFrame({"age": [20.0, 40.0], "region": ["north", "south"]},
    ...                      index=pd.Index([11, 12], name="user_id"))
    >>> ft = FeatureTable(users)
    >>> ft.feature_names
    ['age', 'region=north', 'region=south']
    >>> ft.lookup([12, 99]).tolist()     # 99 is not in the table: NaN, later the mean
    [[40.0, 0.0, 1.0], [nan, nan, nan]]
    """

    def __init__(self, table: pd.DataFrame, columns: Sequence[str] | None = None) -> None:
        check_frame(table, "table", "FeatureTable", fix=_TABLE_FIX)
        if table.index.has_duplicates:
            dup = table.index[table.index.duplicated()][:3].tolist()
            raise argument_error(
                "FeatureTable",
                "table",
                table,
                f"indexed by unique ids, but {dup} appear twice",
                "use table.drop_duplicates() or set_index('..._id')",
            )
        columns = default_feature_columns(table) if columns is None else list(columns)
        check_frame(
            table,
            "table",
            "FeatureTable",
            columns=columns,
            fix="pick columns= among the table's columns",
        )
        self.columns = columns
        self.categories: dict[str, list] = {}
        for col in columns:
            s = table[col]
            if not (pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s)):
                self.categories[col] = sorted(pd.unique(s.dropna()).tolist(), key=str)
        self.feature_names: list[str] = []
        for col in columns:
            if col in self.categories:
                self.feature_names += [f"{col}={v}" for v in self.categories[col]]
            else:
                self.feature_names.append(str(col))
        self.ids = np.asarray(table.index)
        self.X = self.encode(table)

    @property
    def n_features(self) -> int:
        """Number of columns of the matrix (one per numeric column, one per category)."""
        return len(self.feature_names)

    def encode(self, table: pd.DataFrame) -> np.ndarray:
        """Rows of ``table`` as a float matrix (unknown categories: all zeros; NaN kept)."""
        parts = []
        for col in self.columns:
            s = table[col]
            if col in self.categories:
                vals = s.to_numpy()
                parts.append(
                    np.stack([(vals == v) for v in self.categories[col]], axis=1).astype(float)
                    if self.categories[col]
                    else np.zeros((len(table), 0))
                )
                nan_rows = s.isna().to_numpy()
                parts[-1][nan_rows] = np.nan
            else:
                parts.append(s.to_numpy(dtype=float, na_value=np.nan).reshape(-1, 1))
        if not parts:
            return np.zeros((len(table), 0))
        return np.concatenate(parts, axis=1)

    def add(self, table: pd.DataFrame) -> FeatureTable:
        """Add or update rows (new users arriving with their demographics); return self."""
        check_frame(
            table,
            "table",
            "FeatureTable.add",
            columns=self.columns,
            fix="the new rows need the columns the table was built with",
        )
        new_X = self.encode(table)
        new_ids = np.asarray(table.index)
        pos = pd.Index(self.ids).get_indexer(new_ids)
        known = pos >= 0
        self.X[pos[known]] = new_X[known]
        self.ids = np.concatenate([self.ids, new_ids[~known]])
        self.X = np.concatenate([self.X, new_X[~known]], axis=0)
        return self

    def lookup(self, ids: Iterable[Any]) -> np.ndarray:
        """Feature rows for ``ids``; ids not in the table give rows of NaN."""
        arr = _as_id_array(ids, "ids", "FeatureTable.lookup")
        pos = pd.Index(self.ids).get_indexer(arr)
        out = np.full((len(arr), self.n_features), np.nan)
        found = pos >= 0
        out[found] = self.X[pos[found]]
        return out

    def to_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """``(config, arrays)``: JSON-able config and numpy arrays, for saving."""
        config = {
            "columns": [str(c) for c in self.columns],
            "categories": self.categories,
            "feature_names": self.feature_names,
        }
        return config, {"ids": self.ids, "X": self.X}

    @classmethod
    def from_state(cls, config: dict[str, Any], arrays: dict[str, np.ndarray]) -> FeatureTable:
        """The table :meth:`to_state` described."""
        ft = cls.__new__(cls)
        ft.columns = list(config["columns"])
        ft.categories = {k: list(v) for k, v in config["categories"].items()}
        ft.feature_names = list(config["feature_names"])
        ft.ids = np.asarray(arrays["ids"])
        ft.X = np.asarray(arrays["X"], dtype=float)
        return ft

    def __repr__(self) -> str:
        return f"FeatureTable(n_rows={len(self.ids)}, features={self.feature_names})"
