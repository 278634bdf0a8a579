"""Auditing a model by segment: who does it serve worse?

Explained in chapter 12 (``notebooks/12_beyond.ipynb``, section "Audit").
NumPy and pandas only.

:func:`segment_report` breaks an error down by a segment of customers (age
band, region, new vs returning) and :func:`segment_gap` summarises the spread
between the best- and the worst-served segment.

>>> df = pd.DataFrame({"region": ["n", "n", "s", "s"], "rating": [4.0, 2.0, 5.0, 1.0],
...                    "pred": [4.0, 3.0, 3.0, 3.0]})
>>> round(segment_gap(segment_report(df, "rating", "pred", by="region")), 3)
1.293
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from course_lib.core.validation import (
    argument_error,
    check_array,
    check_choice,
    check_frame,
    check_int,
)

__all__ = ["segment_report", "segment_gap"]

_FIX_DF = "pass one row per prediction, with the segment column(s)"


def _values(df: pd.DataFrame, ref: str | ArrayLike, name: str, where: str) -> np.ndarray:
    """A column of ``df`` (given by name) or an array with one value per row, as floats."""
    if isinstance(ref, str):
        check_choice(ref, name, where, list(df.columns))
        arr = check_array(df[ref].to_numpy(dtype=float), name, where)
    else:
        arr = check_array(ref, name, where).ravel()
        if len(arr) != len(df):
            raise argument_error(
                where,
                name,
                arr,
                f"an array of one value per row of df ({len(df)}), it has {len(arr)} values",
                "or pass a column name",
            )
    if not np.all(np.isfinite(arr)):
        raise argument_error(where, name, arr, "finite, it contains inf", "drop those rows first")
    return arr


def _labels(
    df: pd.DataFrame, by: str | Sequence[str] | ArrayLike, where: str
) -> pd.Series | list[pd.Series]:
    """The segment of every row: one column, several columns, or labels given per row."""
    if isinstance(by, str) or (isinstance(by, list) and all(isinstance(b, str) for b in by)):
        keys = [by] if isinstance(by, str) else list(by)
        for k in keys:
            check_choice(k, "by", where, list(df.columns))
        return df[keys[0]] if len(keys) == 1 else [df[k] for k in keys]
    labels = np.asarray(by)
    if labels.ndim != 1 or len(labels) != len(df):
        raise argument_error(
            where,
            "by",
            labels,
            f"a column name or one label per row ({len(df)}), got shape {labels.shape}",
        )
    return pd.Series(labels, index=df.index, name="segment")


def segment_report(
    df: pd.DataFrame,
    y_true: str | ArrayLike,
    y_pred: str | ArrayLike,
    by: str | Sequence[str] | ArrayLike,
) -> pd.DataFrame:
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
    ValueError: segment_report(by='age'): by must be one of 'region', 'rating', 'pred'.
    """
    where = "segment_report"
    check_frame(df, "df", where, fix=_FIX_DF)
    if len(df) == 0:
        raise argument_error(
            where, "df", df, "non-empty, there is nothing to report", "pass at least one row"
        )
    t = _values(df, y_true, "y_true", where)
    p = _values(df, y_pred, "y_pred", where)
    labels = _labels(df, by, where)
    err = pd.DataFrame({"e": p - t}, index=df.index)
    err["se"], err["ae"] = err["e"] ** 2, err["e"].abs()
    g = err.groupby(labels, observed=True, sort=True)
    out = pd.DataFrame(
        {
            "n": g.size(),
            "rmse": np.sqrt(g["se"].mean()),
            "mae": g["ae"].mean(),
            "bias": g["e"].mean(),
        }
    )
    out.insert(1, "share", out["n"] / len(df))
    return out


def segment_gap(
    report: pd.DataFrame, metric: Hashable = "rmse", *, min_n: int = 1, kind: str = "difference"
) -> float:
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
    check_frame(report, "report", where, fix="pass the result of segment_report")
    check_choice(metric, "metric", where, list(report.columns))
    check_choice(kind, "kind", where, ("difference", "ratio"))
    min_n = check_int(min_n, "min_n", where, minimum=0)
    rep = report[report["n"] >= min_n] if "n" in report.columns else report
    if len(rep) < 2:
        raise argument_error(
            where,
            "min_n",
            min_n,
            "small enough that at least 2 segments "
            f"have n >= min_n, fewer than 2 have n >= {min_n}",
            "lower min_n",
        )
    hi, lo = float(rep[metric].max()), float(rep[metric].min())
    return hi - lo if kind == "difference" else hi / lo
