"""Explaining a model: permutation importance.

Explained in chapter 12 (``notebooks/12_beyond.ipynb``, section "Explain").
NumPy and pandas only.

:func:`permutation_importance` measures how much a model's error grows when
one input column (or a group of columns) is shuffled, which breaks its link
with the target while keeping its distribution.  Seeded by ``seed`` (an int
or an ``np.random.Generator``); the caller's ``X`` is never modified.

>>> X = pd.DataFrame({"signal": np.linspace(-1.0, 1.0, 200), "unused": np.arange(200.0)})
>>> y = 2.0 * X["signal"].to_numpy()
>>> imp = permutation_importance(lambda df: 2.0 * df["signal"].to_numpy(), X, y, seed=0)
>>> imp["importance"].round(2).to_dict()
{'signal': 1.62, 'unused': 0.0}
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from course_lib.core.validation import (
    ArgumentTypeError,
    argument_error,
    as_generator,
    check_array,
    check_choice,
    check_int,
)
from course_lib.evaluation.metrics import rmse

__all__ = ["permutation_importance"]

Table = Any  # a pandas DataFrame or a 2-D numpy array


def _column_groups(X: Table, columns: Sequence | None, where: str) -> list[tuple[str, list]]:
    """Normalise ``columns`` into (name, [keys]) pairs and check the keys exist."""
    available = list(X.columns) if isinstance(X, pd.DataFrame) else list(range(X.shape[1]))
    if columns is None:
        columns = available
    if isinstance(columns, (str, int, np.integer)):
        raise argument_error(
            where,
            "columns",
            columns,
            f"a list of columns, got {type(columns).__name__}",
            f"pass e.g. columns=[{columns!r}]",
            exc=ArgumentTypeError,
        )
    groups = []
    for entry in columns:
        keys = list(entry) if isinstance(entry, (list, tuple)) else [entry]
        if not keys:
            raise argument_error(
                where,
                "columns",
                columns,
                "a list without an empty group",
                "name at least one column per group",
            )
        for key in keys:
            check_choice(key, "columns", where, available)
        groups.append(("+".join(str(k) for k in keys), keys))
    if not groups:
        raise argument_error(
            where, "columns", columns, "a non-empty list", "name at least one column to permute"
        )
    return groups


def _working_copy(X: Table, where: str) -> Table:
    """A copy of ``X`` to permute in place: a DataFrame, or a 2-D float array."""
    if isinstance(X, pd.DataFrame):
        return X.copy()
    return check_array(
        X,
        "X",
        where,
        ndim=2,
        allow_nan=True,
        fix="pass a DataFrame or a 2-D array (n, n_features); reshape a single "
        "feature with x.reshape(-1, 1)",
    ).copy()


def _set_columns(X: Table, keys: list, values: Any) -> None:
    """Write ``values`` into the columns ``keys`` of ``X`` (a DataFrame or an array)."""
    if isinstance(X, pd.DataFrame):
        X[keys] = values
    else:
        X[:, keys] = values


def _importance_of(
    X: Table,
    keys: list,
    score: Callable[[np.ndarray], float],
    baseline: float,
    n_repeats: int,
    rng: np.random.Generator,
) -> list[float]:
    """The error increase of ``n_repeats`` permutations of the columns ``keys``."""
    is_df = isinstance(X, pd.DataFrame)
    original = X[keys].copy() if is_df else X[:, keys].copy()
    losses = []
    for _ in range(n_repeats):
        perm = rng.permutation(len(X))
        _set_columns(X, keys, original.iloc[perm].to_numpy() if is_df else original[perm])
        losses.append(score(X) - baseline)
    _set_columns(X, keys, original.to_numpy() if is_df else original)
    return losses


def permutation_importance(
    predict_fn: Callable[[Table], ArrayLike],
    X: Table,
    y: ArrayLike,
    columns: Sequence[Hashable | Sequence[Hashable]] | None = None,
    *,
    n_repeats: int = 5,
    seed: int | np.random.Generator = 0,
    metric: Callable[[np.ndarray, np.ndarray], float] | None = None,
) -> pd.DataFrame:
    """How much the error grows when a column is shuffled (Breiman, 2001).

    For each column (or group of columns), its values are permuted across rows,
    ``predict_fn`` is called on the permuted copy, and the importance is the
    increase of the error over the unpermuted baseline, averaged over
    ``n_repeats`` permutations. A column the model ignores scores exactly 0.

    Parameters
    ----------
    predict_fn : callable
        ``predict_fn(X) -> array of shape (n,)``; receives a permuted copy of ``X``
        (the caller's ``X`` is never modified).
    X : pandas.DataFrame or 2-D numpy.ndarray, shape (n, n_features)
        The inputs, e.g. a held-out period (importance on training data also
        rewards what the model memorised).
    y : array-like, shape (n,)
        True targets.
    columns : list, optional
        Columns to permute (names for a DataFrame, integer positions for an
        array). An entry that is a list or tuple is permuted *jointly* (the same
        row permutation), e.g. the one-hot columns of one categorical variable;
        its name in the result is the keys joined by ``"+"``. Default: every column.
    n_repeats : int
        Permutations per column (their spread shows how stable the estimate is).
    seed : int or numpy.random.Generator
        Seeds the permutations.
    metric : callable, optional
        ``metric(y_true, y_pred) -> float``, an error (lower is better).
        Default: :func:`course_lib.evaluation.rmse`.

    Returns
    -------
    pandas.DataFrame
        Indexed by column, sorted by decreasing importance: ``importance``
        (mean increase of the error), ``std`` (over the repeats), ``baseline``
        (the unpermuted error, the same on every row).

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> X = pd.DataFrame({"a": rng.normal(size=500), "b": rng.normal(size=500)})
    >>> y = 3.0 * X["a"].to_numpy() + 0.5 * X["b"].to_numpy()
    >>> f = lambda df: 3.0 * df["a"].to_numpy() + 0.5 * df["b"].to_numpy()
    >>> permutation_importance(f, X, y, n_repeats=3, seed=0).round(2)
       importance   std  baseline
    a        3.91  0.02       0.0
    b        0.75  0.02       0.0

    (For large n the expected values are ``sqrt(2 var(a)) * 3`` = 4.24 and 0.71;
    this sample's ``a`` has variance 0.83.)
    >>> permutation_importance(f, X, y, columns=["c"])
    Traceback (most recent call last):
    ...
    ValueError: permutation_importance(columns='c'): columns must be one of 'a', 'b'.
    """
    where = "permutation_importance"
    for name, fn in (("predict_fn", predict_fn), ("metric", metric)):
        if fn is not None and not callable(fn):
            raise argument_error(
                where,
                name,
                fn,
                f"a function, got {type(fn).__name__}",
                "pass e.g. model.predict (predict_fn) or a function "
                "(y_true, y_pred) -> float (metric)",
                exc=ArgumentTypeError,
            )
    X_work = _working_copy(X, where)
    y = check_array(y, "y", where).ravel()
    if len(y) != len(X_work):
        raise argument_error(
            where,
            "y",
            y,
            f"an array of one target per row of X ({len(X_work)} rows), it has {len(y)} values",
        )
    if len(y) < 2:
        raise argument_error(where, "y", y, "at least 2 rows long, to permute", "pass more rows")
    n_repeats = check_int(n_repeats, "n_repeats", where, minimum=1, fix="e.g. 5")
    metric_fn = metric or rmse
    rng = as_generator(seed, where)
    groups = _column_groups(X_work, columns, where)

    def score(data: Table) -> float:
        pred = np.asarray(predict_fn(data), dtype=float).ravel()
        if pred.shape != y.shape:
            raise argument_error(
                where,
                "predict_fn",
                predict_fn,
                f"a function that returns one prediction per row (shape "
                f"({len(y)},)), it returned {pred.shape[0]}",
            )
        return float(metric_fn(y, pred))

    baseline = score(X_work)
    rows = []
    for name, keys in groups:
        losses = _importance_of(X_work, keys, score, baseline, n_repeats, rng)
        rows.append((name, float(np.mean(losses)), float(np.std(losses)), baseline))
    out = pd.DataFrame(rows, columns=["column", "importance", "std", "baseline"])
    out = out.set_index("column").sort_values("importance", ascending=False, kind="mergesort")
    out.index.name = None
    return out
