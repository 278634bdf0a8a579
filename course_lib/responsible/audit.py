"""Responsible modelling tools in numpy/pandas: explain, audit, protect.

Explained in chapter 12 (``notebooks/12_beyond.ipynb``):

* :func:`permutation_importance` measures how much a model's error grows
  when one input column (or a group of columns) is shuffled, which breaks its
  link with the target while keeping its distribution;
* :func:`segment_report` and :func:`segment_gap` break an error down by a
  segment of customers (age band, region, new vs returning) and summarise
  the spread between the best- and the worst-served segment;
* :func:`clip_contributions` and :func:`laplace_mechanism` publish an
  aggregate (e.g. purchases per category) with epsilon-differential privacy:
  bound what one customer can add, then add Laplace noise of scale
  ``sensitivity / epsilon``.

Every random function takes ``seed`` (an int or an ``np.random.Generator``);
nothing touches NumPy's global random state, and no input is modified.

>>> X = pd.DataFrame({"signal": np.linspace(-1.0, 1.0, 200), "unused": np.arange(200.0)})
>>> y = 2.0 * X["signal"].to_numpy()
>>> imp = permutation_importance(lambda df: 2.0 * df["signal"].to_numpy(), X, y, seed=0)
>>> imp["importance"].round(2).to_dict()
{'signal': 1.62, 'unused': 0.0}
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
import pandas as pd

from course_lib.core.validation import as_generator as _rng

__all__ = ["permutation_importance", "segment_report", "segment_gap", "laplace_mechanism",
           "clip_contributions"]


def _rmse(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    return float(np.sqrt(np.mean((y_true - y_pred) ** 2)))


def _column_groups(X, columns, where: str) -> list[tuple[str, list]]:
    """Normalise ``columns`` into (name, [keys]) pairs and check the keys exist."""
    is_df = isinstance(X, pd.DataFrame)
    available = list(X.columns) if is_df else list(range(X.shape[1]))
    if columns is None:
        columns = available
    if isinstance(columns, (str, int, np.integer)):
        raise TypeError(f"{where}(columns={columns!r}): pass a list of columns, e.g. "
                        f"columns=[{columns!r}].")
    groups = []
    for entry in columns:
        keys = list(entry) if isinstance(entry, (list, tuple)) else [entry]
        if not keys:
            raise ValueError(f"{where}: an empty group of columns in columns={columns!r}.")
        missing = [k for k in keys if k not in available]
        if missing:
            raise KeyError(f"{where}: column(s) {missing} not in X; X has {available}.")
        groups.append(("+".join(str(k) for k in keys), keys))
    if not groups:
        raise ValueError(f"{where}(columns=[]): name at least one column to permute.")
    return groups


def permutation_importance(predict_fn: Callable, X, y, columns: Sequence | None = None, *,
                           n_repeats: int = 5, seed=0,
                           metric: Callable | None = None) -> pd.DataFrame:
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
        Default: RMSE.

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
    KeyError: "permutation_importance: column(s) ['c'] not in X; X has ['a', 'b']."
    """
    where = "permutation_importance"
    if not callable(predict_fn):
        raise TypeError(f"{where}(predict_fn={predict_fn!r}): pass a function X -> predictions, "
                        "e.g. model.predict.")
    if isinstance(X, pd.DataFrame):
        X_work = X.copy()
    else:
        X_arr = np.asarray(X)
        if X_arr.ndim != 2:
            raise ValueError(f"{where}: X must be a DataFrame or a 2-D array (n, n_features); "
                             f"got shape {X_arr.shape}. Reshape a single feature with "
                             "x.reshape(-1, 1).")
        X_work = X_arr.copy()
    y = np.asarray(y, dtype=float).ravel()
    if len(y) != len(X_work):
        raise ValueError(f"{where}: X has {len(X_work)} rows but y has {len(y)}; pass the "
                         "targets of the same rows.")
    if len(y) < 2:
        raise ValueError(f"{where}: need at least 2 rows to permute, got {len(y)}.")
    if isinstance(n_repeats, (bool, np.bool_)) or not isinstance(n_repeats, (int, np.integer)) \
            or n_repeats < 1:
        raise ValueError(f"{where}(n_repeats={n_repeats!r}): use an int >= 1, e.g. 5.")
    if metric is not None and not callable(metric):
        raise TypeError(f"{where}(metric={metric!r}): pass a function (y_true, y_pred) -> float.")
    score = metric or _rmse
    rng = _rng(seed, where)
    groups = _column_groups(X_work, columns, where)

    def _predict(data) -> np.ndarray:
        pred = np.asarray(predict_fn(data), dtype=float).ravel()
        if pred.shape != y.shape:
            raise ValueError(f"{where}: predict_fn returned {pred.shape[0]} predictions for "
                             f"{len(y)} rows; it must return one per row (shape (n,)).")
        return pred

    baseline = float(score(y, _predict(X_work)))
    rows = []
    for name, keys in groups:
        if isinstance(X_work, pd.DataFrame):
            original = X_work[keys].copy()
        else:
            original = X_work[:, keys].copy()
        losses = []
        for _ in range(n_repeats):
            perm = rng.permutation(len(y))
            if isinstance(X_work, pd.DataFrame):
                X_work[keys] = original.iloc[perm].to_numpy()
            else:
                X_work[:, keys] = original[perm]
            losses.append(float(score(y, _predict(X_work))) - baseline)
        if isinstance(X_work, pd.DataFrame):
            X_work[keys] = original.to_numpy()
        else:
            X_work[:, keys] = original
        rows.append((name, float(np.mean(losses)), float(np.std(losses)), baseline))
    out = pd.DataFrame(rows, columns=["column", "importance", "std", "baseline"])
    out = out.set_index("column").sort_values("importance", ascending=False, kind="mergesort")
    out.index.name = None
    return out


def _values(df: pd.DataFrame, ref, name: str, where: str) -> np.ndarray:
    if isinstance(ref, str):
        if ref not in df.columns:
            raise KeyError(f"{where}({name}={ref!r}): no such column; df has {list(df.columns)}.")
        arr = df[ref].to_numpy(dtype=float)
    else:
        arr = np.asarray(ref, dtype=float).ravel()
        if len(arr) != len(df):
            raise ValueError(f"{where}: {name} has {len(arr)} values but df has {len(df)} rows; "
                             "pass one value per row (or a column name).")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{where}: {name} contains NaN or inf; drop those rows first.")
    return arr


def segment_report(df: pd.DataFrame, y_true, y_pred, by) -> pd.DataFrame:
    """Error metrics per segment of rows (e.g. per age band or region).

    Parameters
    ----------
    df : pandas.DataFrame
        One row per prediction, holding the segment column(s).
    y_true, y_pred : str or array-like
        Column names of ``df`` or arrays of length ``len(df)``.
    by : str or list of str or array-like
        Segment column(s) of ``df``, or one label per row.

    Returns
    -------
    pandas.DataFrame
        One row per segment (sorted by segment label): ``n``, ``share`` (of
        rows), ``rmse``, ``mae`` and ``bias`` (mean of ``y_pred - y_true``;
        positive = the model over-predicts this segment).

    Examples
    --------
    >>> df = pd.DataFrame({"region": ["n", "n", "s", "s"], "rating": [4.0, 2.0, 5.0, 1.0],
    ...                    "pred": [4.0, 3.0, 3.0, 3.0]})
    >>> segment_report(df, "rating", "pred", by="region").round(3)
            n  share   rmse  mae  bias
    region
    n       2    0.5  0.707  0.5   0.5
    s       2    0.5  2.000  2.0   0.0
    >>> segment_report(df, "rating", "pred", by="age")
    Traceback (most recent call last):
    ...
    KeyError: "segment_report(by=['age']): no such column; df has ['region', 'rating', 'pred']."
    """
    where = "segment_report"
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"{where}: df must be a pandas DataFrame, got {type(df).__name__}.")
    if len(df) == 0:
        raise ValueError(f"{where}: df is empty; there is nothing to report.")
    t = _values(df, y_true, "y_true", where)
    p = _values(df, y_pred, "y_pred", where)
    if isinstance(by, str) or (isinstance(by, list) and all(isinstance(b, str) for b in by)):
        keys = [by] if isinstance(by, str) else list(by)
        missing = [k for k in keys if k not in df.columns]
        if missing:
            raise KeyError(f"{where}(by={missing}): no such column; df has {list(df.columns)}.")
        labels = df[keys[0]] if len(keys) == 1 else [df[k] for k in keys]
    else:
        labels = np.asarray(by)
        if labels.ndim != 1 or len(labels) != len(df):
            raise ValueError(f"{where}: by has shape {labels.shape}; pass a column name or one "
                             f"label per row ({len(df)}).")
        labels = pd.Series(labels, index=df.index, name="segment")
    err = pd.DataFrame({"e": p - t}, index=df.index)
    err["se"], err["ae"] = err["e"] ** 2, err["e"].abs()
    g = err.groupby(labels, observed=True, sort=True)
    out = pd.DataFrame({"n": g.size(), "rmse": np.sqrt(g["se"].mean()), "mae": g["ae"].mean(),
                        "bias": g["e"].mean()})
    out.insert(1, "share", out["n"] / len(df))
    return out


def segment_gap(report: pd.DataFrame, metric: str = "rmse", *, min_n: int = 1,
                kind: str = "difference") -> float:
    """Spread of a metric between the worst and the best segment of a report.

    ``kind="difference"`` gives ``max - min`` (in the metric's unit, e.g.
    stars), ``kind="ratio"`` gives ``max / min``. Segments with fewer than
    ``min_n`` rows are left out (a tiny segment's error is mostly noise).

    >>> rep = pd.DataFrame({"n": [50, 40, 3], "rmse": [0.9, 1.1, 2.0]}, index=["a", "b", "c"])
    >>> round(segment_gap(rep), 3), round(segment_gap(rep, min_n=10), 3)
    (1.1, 0.2)
    >>> round(segment_gap(rep, min_n=10, kind="ratio"), 3)
    1.222
    """
    where = "segment_gap"
    if not isinstance(report, pd.DataFrame) or metric not in report.columns:
        have = list(report.columns) if isinstance(report, pd.DataFrame) else type(report).__name__
        raise ValueError(f"{where}(metric={metric!r}): report must be a DataFrame from "
                         f"segment_report with that column; got {have}.")
    if kind not in ("difference", "ratio"):
        raise ValueError(f"{where}(kind={kind!r}): use 'difference' or 'ratio'.")
    rep = report[report["n"] >= min_n] if "n" in report.columns else report
    if len(rep) < 2:
        raise ValueError(f"{where}: fewer than 2 segments have n >= {min_n}; lower min_n.")
    hi, lo = float(rep[metric].max()), float(rep[metric].min())
    return hi - lo if kind == "difference" else hi / lo


def laplace_mechanism(values, sensitivity: float, epsilon: float, seed=0) -> np.ndarray:
    """Release ``values`` with epsilon-differential privacy (Dwork et al., 2006).

    Adds independent Laplace noise of scale ``b = sensitivity / epsilon`` to every
    value. ``sensitivity`` must bound how much the whole vector ``values`` can
    change (in L1 norm) when one person's data are added or removed: 1 for a
    histogram in which each customer counts once, ``m`` if a customer may add
    up to ``m`` events (bound it with :func:`clip_contributions`). The noise's
    mean absolute value is ``b`` and its standard deviation ``sqrt(2) b``:
    smaller epsilon means more privacy and more error.

    Two rules the guarantee depends on. The *entries* of ``values`` must be fixed
    before looking at the data (e.g. every category of a public list, zeros
    included): releasing only the categories somebody bought reveals that,
    whatever the noise. And budgets add up: ``k`` releases about the same
    people are together ``k * epsilon``-private (sequential composition), so a
    weekly release needs a budget per person per year, not per release.

    Parameters
    ----------
    values : array-like of float
        The exact aggregate (e.g. purchases per category).
    sensitivity : float
        L1 sensitivity of ``values``, > 0.
    epsilon : float
        Privacy budget, > 0 (typical: 0.1 to 2).
    seed : int or numpy.random.Generator

    Returns
    -------
    numpy.ndarray
        Noisy values (float, same shape); a small count can come out negative.
        Post-processing (rounding, clipping at 0) does not weaken the guarantee.

    Examples
    --------
    >>> noisy = laplace_mechanism([120, 45, 3], sensitivity=1.0, epsilon=0.5, seed=0)
    >>> noisy.round(2).tolist()
    [120.64, 43.77, -2.0]
    >>> b = laplace_mechanism(np.zeros(20_000), sensitivity=2.0, epsilon=0.5, seed=1)
    >>> round(float(np.mean(np.abs(b))), 1)   # mean |noise| = sensitivity / epsilon = 4
    4.0
    >>> laplace_mechanism([1.0], sensitivity=1.0, epsilon=0.0)
    Traceback (most recent call last):
    ...
    ValueError: laplace_mechanism(epsilon=0.0): use a finite float > 0 (smaller = more private, e.g. 1.0).
    """
    where = "laplace_mechanism"
    for name, value in (("sensitivity", sensitivity), ("epsilon", epsilon)):
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)) \
                or not np.isfinite(value) or value <= 0:
            hint = " (smaller = more private, e.g. 1.0)" if name == "epsilon" else \
                " (how much one person can change the values, e.g. 1.0)"
            raise ValueError(f"{where}({name}={value!r}): use a finite float > 0{hint}.")
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"{where}: values must be numbers, got {values!r}.") from None
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{where}: values contain NaN or inf; compute the exact aggregate first.")
    rng = _rng(seed, where)
    return arr + rng.laplace(0.0, float(sensitivity) / float(epsilon), size=arr.shape)


def clip_contributions(events: pd.DataFrame, key: str = "user_id", max_rows: int = 1,
                       order_by: str | None = None) -> pd.DataFrame:
    """Keep at most ``max_rows`` rows per ``key`` (contribution bounding).

    Before a differentially private count, each customer's influence must be
    bounded: after this, adding or removing one customer changes a histogram
    of the rows by at most ``max_rows`` in L1 norm, the sensitivity to pass to
    :func:`laplace_mechanism`. The rows kept are the first ones in the
    ``order_by`` column (default: the current row order), so the result is
    deterministic.

    >>> ev = pd.DataFrame({"user_id": [1, 1, 1, 2], "category": ["a", "b", "a", "b"]})
    >>> clip_contributions(ev, max_rows=2)["category"].tolist()
    ['a', 'b', 'b']
    """
    where = "clip_contributions"
    if not isinstance(events, pd.DataFrame):
        raise TypeError(f"{where}: events must be a DataFrame, got {type(events).__name__}.")
    if key not in events.columns:
        raise KeyError(f"{where}(key={key!r}): no such column; events has {list(events.columns)}.")
    if isinstance(max_rows, (bool, np.bool_)) or not isinstance(max_rows, (int, np.integer)) \
            or max_rows < 1:
        raise ValueError(f"{where}(max_rows={max_rows!r}): use an int >= 1.")
    data = events
    if order_by is not None:
        if order_by not in events.columns:
            raise KeyError(f"{where}(order_by={order_by!r}): no such column.")
        data = events.sort_values(order_by, kind="mergesort")
    kept = data[data.groupby(key, sort=False).cumcount() < max_rows]
    return kept.sort_index() if order_by is not None else kept
