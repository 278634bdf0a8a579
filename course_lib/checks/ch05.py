"""Self-checks for chapter 05 (the ShopSim data): exercises 5.1-5.3."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from course_lib.checks._core import CheckResult, fail, passed, require_callable, show_value
from course_lib.checks._core import call_student as _call

__all__ = ["check_5_1", "check_5_2", "check_5_3"]


def _toy_ratings(n: int = 40, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    ts = np.sort(rng.choice(np.arange(1_000, 100_000), size=n, replace=False))
    df = pd.DataFrame(
        {
            "user_id": rng.integers(1, 6, n),
            "item_id": rng.integers(1, 9, n),
            "rating": rng.integers(1, 6, n).astype(float),
            "timestamp": ts,
            "day": (ts - 1_000) // 10_000,
        },
        index=100 + 3 * rng.permutation(n),
    )  # index labels NOT in time order
    return df.sample(frac=1.0, random_state=seed)  # and the rows arrive shuffled


def check_5_1(time_split: Callable[..., Any]) -> CheckResult:
    """Exercise 5.1: ``time_split(ratings, frac) -> (train, test)`` in time order."""
    require_callable("5.1", time_split, "time_split")
    cases = [(_toy_ratings(40, 0), 0.75), (_toy_ratings(31, 1), 0.8), (_toy_ratings(10, 2), 0.5)]
    for df, frac in cases:
        call = f"time_split(<{len(df)} shuffled ratings>, frac={frac})"
        got = _call("5.1", time_split, df.copy(), frac)
        if not isinstance(got, tuple) or len(got) != 2:
            fail("5.1", call, f"{show_value(got)}", hint="return two DataFrames: train, test")
        train, test = got
        sizes = {int(np.floor(frac * len(df))), int(round(frac * len(df)))}
        if len(train) + len(test) != len(df):
            fail(
                "5.1",
                call,
                f"{len(train)} + {len(test)} rows instead of {len(df)}",
                hint="every rating goes to exactly one side",
            )
        if len(train) not in sizes:
            fail(
                "5.1",
                call,
                f"a train part of {len(train)} rows",
                expected=min(sizes),
                got=len(train),
                hint="the train part is the first frac of the events"
                + (" (did you swap train and test?)" if len(test) in sizes else ""),
            )
        if train["timestamp"].max() > test["timestamp"].min():
            by_index = df.sort_index().index[: len(train)]
            hint = (
                "sort by timestamp before cutting; a random split leaks the future"
                if sorted(train.index) != sorted(by_index)
                else "sorting by the index is not sorting by time: here the index labels are "
                "not in time order; sort by the timestamp column"
            )
            fail(
                "5.1", call, "a train part that contains events later than the test part", hint=hint
            )
        if sorted(train.index.tolist() + test.index.tolist()) != sorted(df.index.tolist()):
            fail(
                "5.1",
                call,
                "rows whose index changed",
                hint="keep the original index (do not reset it) so truth tables still align",
            )
    return passed("5.1", getattr(time_split, "__name__", "time_split"), len(cases))


def _toy_views(seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    days = np.repeat(np.arange(5, 12), rng.integers(3, 12, 7))
    cats = rng.choice(["books", "fashion", "toys"], size=days.size, p=[0.5, 0.3, 0.2])
    return pd.DataFrame({"day": days, "category": cats, "user_id": rng.integers(1, 9, days.size)})


def check_5_2(category_share_by_day: Callable[..., Any]) -> CheckResult:
    """Exercise 5.2: per-day share of each category in the views (rows sum to 1)."""
    require_callable("5.2", category_share_by_day, "category_share_by_day")
    cases = [_toy_views(0), _toy_views(1)]
    for views in cases:
        call = f"category_share_by_day(<{len(views)} views over days 5-11>)"
        expected = pd.crosstab(views["day"], views["category"], normalize="index")
        got = _call("5.2", category_share_by_day, views.copy())
        if not isinstance(got, pd.DataFrame):
            fail(
                "5.2",
                call,
                f"a {type(got).__name__}",
                hint="return a DataFrame: one row per day, one column per category",
            )
        if sorted(map(int, got.index)) != sorted(expected.index.tolist()):
            fail("5.2", call, f"rows {list(got.index)[:8]}", hint="index the rows by day")
        if sorted(map(str, got.columns)) != sorted(expected.columns.tolist()):
            fail("5.2", call, f"columns {list(got.columns)}", hint="one column per category")
        got_v = got.reindex(index=expected.index, columns=expected.columns).fillna(0.0)
        got_v = got_v.to_numpy(dtype=float)
        if not np.allclose(got_v, expected.to_numpy(), atol=1e-9):
            counts = pd.crosstab(views["day"], views["category"]).to_numpy()
            hint = ""
            if np.allclose(got_v, counts):
                hint = "these are counts: divide each row by the number of views that day"
            elif np.allclose(got_v.sum(axis=0), 1.0):
                hint = (
                    "your columns sum to 1: you divided by each category's total; divide by "
                    "each day's total instead (normalize='index')"
                )
            fail(
                "5.2",
                call,
                "shares that differ from the expected ones",
                expected=expected.to_numpy()[0],
                got=got_v[0],
                hint=hint or "first row shown; each row should be the day's category mix",
            )
    return passed(
        "5.2", getattr(category_share_by_day, "__name__", "category_share_by_day"), len(cases)
    )


def _reference_change_day(daily: pd.Series, min_size: int) -> int:
    values = daily.to_numpy(dtype=float)
    best, best_gap = None, -1.0
    for k in range(min_size, len(values) - min_size + 1):
        gap = abs(values[k:].mean() - values[:k].mean())
        if gap > best_gap:
            best, best_gap = k, gap
    return int(daily.index[best])


def _toy_series(start: int, n: int, change: int, step: float, seed: int) -> pd.Series:
    rng = np.random.default_rng(seed)
    days = np.arange(start, start + n)
    values = 3.5 + rng.normal(0, 0.15, n) + np.where(days >= change, step, 0.0)
    values[n // 5] += 1.5  # one outlier day
    return pd.Series(values, index=pd.Index(days, name="day"))


def check_5_3(find_change_day: Callable[..., Any]) -> CheckResult:
    """Exercise 5.3: the first day of the new regime (largest before/after mean gap)."""
    require_callable("5.3", find_change_day, "find_change_day")
    cases = [
        (_toy_series(50, 100, 103, -0.6, 0), 7),
        (_toy_series(0, 60, 20, 0.5, 1), 7),
        (_toy_series(10, 40, 37, -0.8, 2), 5),
    ]
    for daily, min_size in cases:
        call = (
            f"find_change_day(<daily series, days {daily.index[0]}-{daily.index[-1]}>, "
            f"min_size={min_size})"
        )
        expected = _reference_change_day(daily, min_size)
        got = _call("5.3", find_change_day, daily.copy(), min_size=min_size)
        try:
            got_day = int(got)
        except (TypeError, ValueError):
            fail("5.3", call, show_value(got), hint="return the day as an int")
        if got_day != expected:
            pos = daily.index.get_indexer([expected])[0]
            hint = ""
            if got_day == expected - 1:
                hint = "off by one: return the FIRST day of the new regime, not the last old one"
            elif got_day == pos:
                hint = "you returned a position; return the day label, daily.index[k]"
            elif got_day == int(daily.index[np.argmax(np.abs(np.diff(daily.to_numpy()))) + 1]):
                hint = (
                    "the largest jump between two neighbouring days is noise (an outlier); "
                    "compare the MEAN before and the MEAN after each candidate day"
                )
            elif got_day < daily.index[0] + min_size or got_day > daily.index[-1] - min_size + 1:
                hint = f"keep at least min_size={min_size} days on each side"
            fail("5.3", call, f"day {got_day}", expected=expected, got=got_day, hint=hint)
    return passed("5.3", getattr(find_change_day, "__name__", "find_change_day"), len(cases))
