"""Each chapter-05 check passes the solution and fails plausible mistakes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from course_lib.checks import CheckFailed
from course_lib.checks.ch05 import check_5_1, check_5_2, check_5_3


# ---------------------------------------------------------------- 5.1 time split
def time_split(ratings, frac):
    ordered = ratings.sort_values("timestamp", kind="stable")
    cut = int(round(frac * len(ordered)))
    return ordered.iloc[:cut], ordered.iloc[cut:]


def random_split(ratings, frac):
    shuffled = ratings.sample(frac=1.0, random_state=0)
    cut = int(round(frac * len(shuffled)))
    return shuffled.iloc[:cut], shuffled.iloc[cut:]


def unsorted_split(ratings, frac):
    cut = int(round(frac * len(ratings)))
    return ratings.iloc[:cut], ratings.iloc[cut:]


def index_sorted_split(ratings, frac):
    ordered = ratings.sort_index()
    cut = int(round(frac * len(ordered)))
    return ordered.iloc[:cut], ordered.iloc[cut:]


def swapped_split(ratings, frac):
    train, test = time_split(ratings, frac)
    return test, train


def reset_index_split(ratings, frac):
    train, test = time_split(ratings.reset_index(drop=True), frac)
    return train, test


def test_5_1(capsys):
    assert check_5_1(time_split)
    assert "Exercise 5.1 passed" in capsys.readouterr().out


@pytest.mark.parametrize(
    "wrong, match",
    [
        (random_split, "leaks the future"),
        (unsorted_split, "sort by timestamp"),
        (swapped_split, "swap train and test"),
        (reset_index_split, "original index"),
        (index_sorted_split, "sorting by the index is not sorting by time"),
    ],
)
def test_5_1_mutants(wrong, match):
    with pytest.raises(CheckFailed, match=match):
        check_5_1(wrong)


# ---------------------------------------------------------------- 5.2 category shares
def category_share_by_day(views):
    counts = views.groupby(["day", "category"]).size().unstack(fill_value=0)
    return counts.div(counts.sum(axis=1), axis=0)


def counts_only(views):
    return views.groupby(["day", "category"]).size().unstack(fill_value=0)


def normalised_by_category(views):
    counts = counts_only(views)
    return counts / counts.sum(axis=0)


def test_5_2():
    assert check_5_2(category_share_by_day)


@pytest.mark.parametrize(
    "wrong, match",
    [
        (counts_only, "these are counts"),
        (normalised_by_category, "each category's total"),
        (lambda v: v["category"].value_counts(normalize=True), "a Series"),
    ],
)
def test_5_2_mutants(wrong, match):
    with pytest.raises(CheckFailed, match=match):
        check_5_2(wrong)


# ---------------------------------------------------------------- 5.3 change day
def find_change_day(daily, min_size=7):
    values = daily.to_numpy(dtype=float)
    best, best_gap = None, -1.0
    for k in range(min_size, len(values) - min_size + 1):
        gap = abs(values[k:].mean() - values[:k].mean())
        if gap > best_gap:
            best, best_gap = k, gap
    return int(daily.index[best])


def biggest_jump(daily, min_size=7):
    return int(daily.index[np.argmax(np.abs(np.diff(daily.to_numpy()))) + 1])


def off_by_one(daily, min_size=7):
    return find_change_day(daily, min_size) - 1


def position_not_day(daily, min_size=7):
    return int(daily.index.get_loc(find_change_day(daily, min_size)))


def test_5_3():
    assert check_5_3(find_change_day)


@pytest.mark.parametrize(
    "wrong, match",
    [
        (biggest_jump, "outlier"),
        (off_by_one, "off by one"),
        (position_not_day, "a position"),
    ],
)
def test_5_3_mutants(wrong, match):
    with pytest.raises(CheckFailed, match=match):
        check_5_3(wrong)


@pytest.mark.parametrize("check", [check_5_1, check_5_2, check_5_3])
def test_untouched_stub_passes_through(check):
    def stub(*args, **kwargs):
        raise NotImplementedError("Exercise 5.x")

    with pytest.raises(NotImplementedError):  # the raw check lets it through ...
        check.__wrapped_check__(stub)
    assert not check(stub)  # ... the exported one prints one line


def test_crash_is_explained():
    def crashes(ratings, frac):
        return ratings["no_such_column"], None

    with pytest.raises(CheckFailed, match="raised KeyError"):
        check_5_1(crashes)
    assert isinstance(pd.DataFrame(), pd.DataFrame)
