"""Time-based splits and batches."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from course_lib.data import iter_batches, split_by_day, split_by_fraction, stream


@pytest.fixture
def df():
    rng = np.random.default_rng(0)
    day = np.sort(rng.integers(0, 30, 500))
    day[day == 11] = 12  # an empty day
    ts = 1_700_000_000 + day * 86400 + rng.integers(0, 86400, 500)
    out = pd.DataFrame({"timestamp": ts, "day": day, "rating": rng.integers(1, 6, 500) * 1.0})
    return out.sort_values("timestamp", kind="stable").reset_index(drop=True)


def test_split_by_day_is_past_and_future(df):
    train, test = split_by_day(df, 20)
    assert train["day"].max() < 20 <= test["day"].min()
    assert len(train) + len(test) == len(df)
    assert train["timestamp"].max() <= test["timestamp"].min()


def test_split_by_fraction_keeps_time_order(df):
    shuffled = df.sample(frac=1.0, random_state=1)
    train, test = split_by_fraction(shuffled, 0.8)
    assert len(train) == 400 and len(test) == 100
    assert train["timestamp"].max() <= test["timestamp"].min()
    assert set(train.index) | set(test.index) == set(df.index)  # original index kept


def test_iter_batches_by_day_covers_everything_once(df):
    batches = list(iter_batches(df, by="day"))
    assert all(b["day"].nunique() == 1 for b in batches)
    assert [int(b["day"].iloc[0]) for b in batches] == sorted(set(df["day"]))
    assert 11 not in [int(b["day"].iloc[0]) for b in batches]  # empty days skipped
    assert np.array_equal(np.concatenate([b.index for b in batches]), df.index)


def test_iter_batches_by_week_and_by_n_days(df):
    weeks = list(iter_batches(df, by="week"))
    assert [sorted(set(b["day"] // 7)) for b in weeks] == [[w] for w in sorted(set(df["day"] // 7))]
    assert [len(b) for b in iter_batches(df, by=7)] == [len(b) for b in weeks]


def test_iter_batches_n_equal_batches(df):
    sizes = [len(b) for b in iter_batches(df, n_batches=7)]
    assert sum(sizes) == 500 and max(sizes) - min(sizes) <= 1
    last = None
    for b in iter_batches(df, n_batches=7):
        if last is not None:
            assert last <= b["timestamp"].min()
        last = b["timestamp"].max()


def test_aligned_tables_can_follow_batches(df):
    truth = pd.DataFrame({"x": np.arange(len(df))})
    for b in iter_batches(df, by="week"):
        assert np.array_equal(truth.loc[b.index, "x"], b.index)


def test_no_random_split_is_offered():
    assert not [name for name in stream.__all__ if "random" in name or "shuffle" in name]


@pytest.mark.parametrize(
    "call, error, match",
    [
        (
            lambda d: split_by_day(d, "20"),
            TypeError,
            r"split_by_day\(day='20'\): day must be an int",
        ),
        (
            lambda d: split_by_fraction(d, 1.0),
            ValueError,
            r"split_by_fraction\(frac=1.0\): frac must be a number with 0 < frac < 1",
        ),
        (lambda d: split_by_fraction(d, 0), ValueError, r"frac=0\)"),
        (
            lambda d: list(iter_batches(d, by="month")),
            ValueError,
            r"iter_batches\(by='month'\): by must be one of 'day', 'week'",
        ),
        (
            lambda d: list(iter_batches(d, by=0)),
            ValueError,
            r"iter_batches\(by=0\): by must be an int",
        ),
        (
            lambda d: list(iter_batches(d, n_batches=0)),
            ValueError,
            r"iter_batches\(n_batches=0\): n_batches must be an int >= 1",
        ),
        (
            lambda d: split_by_day(d.drop(columns="day"), 3),
            ValueError,
            r"split_by_day\(df=DataFrame of shape .*\): df must be a DataFrame with the column\(s\) "
            r"\['day'\]",
        ),
        (
            lambda d: split_by_day(d.to_numpy(), 3),
            TypeError,
            r"split_by_day\(df=array of shape .*\): df must be a pandas DataFrame, got ndarray",
        ),
    ],
)
def test_bad_arguments(df, call, error, match):
    with pytest.raises(error, match=match):
        call(df)


def test_inconsistent_day_column_is_reported(df):
    bad = df.copy()
    bad.loc[bad.index[-1], "day"] = 0
    with pytest.raises(ValueError, match="'day' decreases while 'timestamp' increases"):
        list(iter_batches(bad))
