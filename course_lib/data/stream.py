"""Time-ordered splits and batches: the only honest way to evaluate on a stream.

Explained in chapter 05 (``notebooks/05_shop_data.ipynb``).  A model in a shop
is trained on the past and used on the future, so it must be *evaluated* the
same way: train on what happened before a cut, test on what came after.  A
random split mixes tomorrow's ratings into today's training set and reports an
error the model will never achieve in production (chapter 05 measures the gap).
This module therefore offers no random split.

Every function keeps the original row index, so aligned tables (such as
``shop.rating_truth``) can be looked up with ``truth.loc[batch.index]``.

Examples
--------
>>> import pandas as pd
>>> df = pd.DataFrame({"timestamp": [10, 20, 30, 40, 50], "day": [0, 0, 1, 2, 2],
...                    "rating": [1.0, 2.0, 3.0, 4.0, 5.0]})
>>> train, test = split_by_day(df, 2)
>>> len(train), len(test)
(3, 2)
>>> train, test = split_by_fraction(df, 0.8)
>>> test["rating"].tolist()
[5.0]
>>> [int(batch["day"].iloc[0]) for batch in iter_batches(df, by="day")]
[0, 1, 2]
>>> [len(batch) for batch in iter_batches(df, n_batches=2)]
[3, 2]
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd

from course_lib.core.validation import (
    argument_error,
    check_choice,
    check_frame,
    check_int,
    check_number,
)

__all__ = ["split_by_day", "split_by_fraction", "iter_batches", "ensure_time_order"]

_BY_FIX = "use by='day', by='week', a number of days, or n_batches=N for N equal batches"


def ensure_time_order(df: pd.DataFrame) -> pd.DataFrame:
    """Return ``df`` sorted by ``timestamp`` (stable; the same object if already sorted).

    >>> df = pd.DataFrame({"timestamp": [3, 1, 2]})
    >>> ensure_time_order(df).index.tolist()
    [1, 2, 0]
    """
    check_frame(df, "df", "ensure_time_order", columns=("timestamp",))
    if df["timestamp"].is_monotonic_increasing:
        return df
    return df.sort_values("timestamp", kind="stable")


def split_by_day(df: pd.DataFrame, day: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split into ``(df[day < day], df[day >= day])``: the past and the future.

    Parameters
    ----------
    df : DataFrame with columns ``day`` and ``timestamp``
    day : int
        First day of the test part.

    >>> df = pd.DataFrame({"timestamp": [1, 2, 3], "day": [0, 1, 2]})
    >>> [len(part) for part in split_by_day(df, 1)]
    [1, 2]
    >>> split_by_day(df, 1.5)
    Traceback (most recent call last):
    ...
    course_lib.core.validation.ArgumentTypeError: split_by_day(day=1.5): day must be an int, ...
    """
    check_frame(df, "df", "split_by_day", columns=("timestamp", "day"))
    check_int(day, "day", "split_by_day", fix="pass the first test day, e.g. day=144")
    df = ensure_time_order(df)
    before = df["day"].to_numpy() < day
    return df[before], df[~before]


def split_by_fraction(df: pd.DataFrame, frac: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The first ``frac`` of the events in time order for training, the rest for testing.

    >>> df = pd.DataFrame({"timestamp": range(10), "day": range(10)})
    >>> [len(part) for part in split_by_fraction(df, 0.7)]
    [7, 3]
    >>> split_by_fraction(df, 70)
    Traceback (most recent call last):
    ...
    ValueError: split_by_fraction(frac=70): frac must be a number with 0 < frac < 1; ...
    """
    check_frame(df, "df", "split_by_fraction", columns=("timestamp",))
    check_number(
        frac,
        "frac",
        "split_by_fraction",
        low=0,
        high=1,
        low_inclusive=False,
        high_inclusive=False,
        fix="pass the share of events used for training, e.g. 0.8",
    )
    df = ensure_time_order(df)
    cut = int(round(frac * len(df)))
    return df.iloc[:cut], df.iloc[cut:]


def iter_batches(
    df: pd.DataFrame, by: str | int = "day", *, n_batches: int | None = None
) -> Iterator[pd.DataFrame]:
    """Yield the rows of ``df`` as consecutive, time-ordered batches.

    Parameters
    ----------
    df : DataFrame with ``timestamp`` (and ``day`` unless ``n_batches`` is given)
    by : {'day', 'week'} or int
        One batch per day, per week (days 0-6, 7-13, ...) or per ``by`` days.
        Periods without any row are skipped.
    n_batches : int, optional
        Instead of calendar periods, cut the rows into ``n_batches`` batches of
        (nearly) equal size in time order.

    Yields
    ------
    DataFrame
        A slice of ``df`` (original index kept).

    >>> df = pd.DataFrame({"timestamp": range(6), "day": [0, 3, 7, 8, 15, 20]})
    >>> [b["day"].tolist() for b in iter_batches(df, by="week")]
    [[0, 3], [7, 8], [15, 20]]
    >>> [len(b) for b in iter_batches(df, n_batches=4)]
    [2, 2, 1, 1]
    >>> next(iter_batches(df, by="month"))
    Traceback (most recent call last):
    ...
    ValueError: iter_batches(by='month'): by must be one of 'day', 'week'; use by='day', ...
    """
    check_frame(df, "df", "iter_batches", columns=("timestamp",))
    df = ensure_time_order(df)
    if n_batches is not None:
        check_int(n_batches, "n_batches", "iter_batches", minimum=1, fix="e.g. n_batches=10")
        for part in np.array_split(np.arange(len(df)), n_batches):
            if part.size:
                yield df.iloc[part[0] : part[-1] + 1]
        return
    if isinstance(by, str):
        width = {"day": 1, "week": 7}[
            check_choice(by, "by", "iter_batches", ("day", "week"), fix=_BY_FIX)
        ]
    else:
        width = check_int(by, "by", "iter_batches", minimum=1, fix=_BY_FIX)
    check_frame(df, "df", "iter_batches", columns=("timestamp", "day"))
    period = df["day"].to_numpy() // width
    if period.size == 0:
        return
    if np.any(np.diff(period) < 0):
        raise argument_error(
            "iter_batches",
            "df",
            df,
            "a table whose 'day' never decreases while 'timestamp' increases, "
            "but in df 'day' decreases while 'timestamp' increases",
            "the two columns disagree, fix 'day' (days since the first event)",
        )
    starts = np.flatnonzero(np.r_[True, period[1:] != period[:-1]])
    ends = np.r_[starts[1:], period.size]
    for s, e in zip(starts, ends, strict=True):
        yield df.iloc[s:e]
