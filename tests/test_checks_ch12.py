"""Mutation tests: each chapter-12 check passes the solution and catches plausible mistakes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from course_lib.checks import CheckFailed
from course_lib.checks.ch12 import check_12_1, check_12_2, check_12_3, check_12_4


# ---- 12.1 -------------------------------------------------------------------------------
def laplace_counts(counts, sensitivity, epsilon, seed=0):
    counts = np.asarray(counts, dtype=float)
    return counts + np.random.default_rng(seed).laplace(0.0, sensitivity / epsilon, counts.shape)


def _lap_times(counts, sensitivity, epsilon, seed=0):
    counts = np.asarray(counts, dtype=float)
    return counts + np.random.default_rng(seed).laplace(0.0, sensitivity * epsilon, counts.shape)


def _lap_inverted(counts, sensitivity, epsilon, seed=0):
    counts = np.asarray(counts, dtype=float)
    return counts + np.random.default_rng(seed).laplace(0.0, epsilon / sensitivity, counts.shape)


def _gaussian(counts, sensitivity, epsilon, seed=0):
    counts = np.asarray(counts, dtype=float)
    return counts + np.random.default_rng(seed).normal(0.0, sensitivity / epsilon, counts.shape)


_GLOBAL = np.random.default_rng(123)


def _unseeded(counts, sensitivity, epsilon, seed=0):
    counts = np.asarray(counts, dtype=float)
    return counts + _GLOBAL.laplace(0.0, sensitivity / epsilon, counts.shape)


def _noise_only(counts, sensitivity, epsilon, seed=0):
    counts = np.asarray(counts, dtype=float)
    return np.random.default_rng(seed).laplace(0.0, sensitivity / epsilon, counts.shape)


def _one_draw(counts, sensitivity, epsilon, seed=0):
    counts = np.asarray(counts, dtype=float)
    return counts + np.random.default_rng(seed).laplace(0.0, sensitivity / epsilon)


def test_12_1_passes_solution(capsys):
    assert check_12_1(laplace_counts)
    assert "passed" in capsys.readouterr().out


@pytest.mark.parametrize(
    "mutant, message",
    [
        (_lap_times, "sensitivity \\* epsilon"),
        (_lap_inverted, "epsilon / sensitivity"),
        (_gaussian, "Gaussian"),
        (_unseeded, "seed=7"),
        (_noise_only, "ADDED"),
        (_one_draw, "same noise value"),
    ],
)
def test_12_1_catches_mistakes(mutant, message):
    with pytest.raises(CheckFailed, match=message):
        check_12_1(mutant)


# ---- 12.2 -------------------------------------------------------------------------------
def _rmse(a, b):
    return float(np.sqrt(np.mean((np.asarray(a) - np.asarray(b)) ** 2)))


def column_importance(predict_fn, df, y, column, n_repeats=5, seed=0):
    rng = np.random.default_rng(seed)
    base = _rmse(y, predict_fn(df))
    work = df.copy()
    out = []
    for _ in range(n_repeats):
        work[column] = df[column].to_numpy()[rng.permutation(len(df))]
        out.append(_rmse(y, predict_fn(work)) - base)
    return float(np.mean(out))


def _imp_mse(predict_fn, df, y, column, n_repeats=5, seed=0):
    rng = np.random.default_rng(seed)
    work = df.copy()
    base = _rmse(y, predict_fn(df)) ** 2
    work[column] = df[column].to_numpy()[rng.permutation(len(df))]
    return _rmse(y, predict_fn(work)) ** 2 - base


def _imp_ratio(predict_fn, df, y, column, n_repeats=5, seed=0):
    rng = np.random.default_rng(seed)
    work = df.copy()
    work[column] = df[column].to_numpy()[rng.permutation(len(df))]
    return _rmse(y, predict_fn(work)) / _rmse(y, predict_fn(df))


def _imp_permutes_y(predict_fn, df, y, column, n_repeats=5, seed=0):
    rng = np.random.default_rng(seed)
    return _rmse(np.asarray(y)[rng.permutation(len(y))], predict_fn(df)) - _rmse(y, predict_fn(df))


def _imp_in_place(predict_fn, df, y, column, n_repeats=5, seed=0):
    rng = np.random.default_rng(seed)
    base = _rmse(y, predict_fn(df))
    df[column] = df[column].to_numpy()[rng.permutation(len(df))]
    return _rmse(y, predict_fn(df)) - base


def _imp_aligned_series(predict_fn, df, y, column, n_repeats=5, seed=0):
    # the pandas pitfall: assigning a shuffled Series re-aligns it on the index (a no-op)
    y = np.asarray(y, dtype=float)
    base = _rmse(y, predict_fn(df))
    work = df.copy()
    work[column] = work[column].sample(frac=1.0, random_state=seed)
    return _rmse(y, predict_fn(work)) - base


def test_12_2_passes_solution(capsys):
    assert check_12_2(column_importance)
    assert "passed" in capsys.readouterr().out


@pytest.mark.parametrize(
    "mutant, message",
    [
        (_imp_mse, "MSE"),
        (_imp_ratio, "ratio"),
        (_imp_permutes_y, "expected 0"),
        (_imp_in_place, "modified"),
        (_imp_aligned_series, "aligned it back"),
    ],
)
def test_12_2_catches_mistakes(mutant, message):
    with pytest.raises(CheckFailed, match=message):
        check_12_2(mutant)


# ---- 12.3 -------------------------------------------------------------------------------
def rmse_gap(df, y_true, y_pred, by):
    sq = (df[y_pred] - df[y_true]) ** 2
    per = np.sqrt(sq.groupby(df[by]).mean())
    return float(per.max() - per.min()), per.idxmax()


def _gap_mse(df, y_true, y_pred, by):
    per = ((df[y_pred] - df[y_true]) ** 2).groupby(df[by]).mean()
    return float(per.max() - per.min()), per.idxmax()


def _gap_mae(df, y_true, y_pred, by):
    per = (df[y_pred] - df[y_true]).abs().groupby(df[by]).mean()
    return float(per.max() - per.min()), per.idxmax()


def _gap_best(df, y_true, y_pred, by):
    per = np.sqrt(((df[y_pred] - df[y_true]) ** 2).groupby(df[by]).mean())
    return float(per.max() - per.min()), per.idxmin()


def _gap_ratio(df, y_true, y_pred, by):
    per = np.sqrt(((df[y_pred] - df[y_true]) ** 2).groupby(df[by]).mean())
    return float(per.max() / per.min()), per.idxmax()


def _gap_std(df, y_true, y_pred, by):
    per = (df[y_pred] - df[y_true]).groupby(df[by]).std()
    return float(per.max() - per.min()), per.idxmax()


def test_12_3_passes_solution(capsys):
    assert check_12_3(rmse_gap)
    assert "passed" in capsys.readouterr().out


@pytest.mark.parametrize(
    "mutant, message",
    [
        (_gap_mse, "MSE"),
        (_gap_mae, "MAE"),
        (_gap_best, "LARGEST"),
        (_gap_ratio, "ratio"),
        (_gap_std, "standard deviation"),
    ],
)
def test_12_3_catches_mistakes(mutant, message):
    with pytest.raises(CheckFailed, match=message):
        check_12_3(mutant)


# ---- 12.4 -------------------------------------------------------------------------------
def _first_rows(purchases, max_per_user):
    ordered = purchases.sort_values("timestamp", kind="mergesort")
    return ordered[ordered.groupby("user_id").cumcount() < max_per_user]


def _release(counts, categories, max_per_user, epsilon, seed):
    noise = np.random.default_rng(seed).laplace(0.0, max_per_user / epsilon, len(counts))
    return pd.Series(counts.to_numpy(dtype=float) + noise, index=counts.index)


def private_category_counts(purchases, categories, max_per_user, epsilon, seed=0):
    counts = (
        _first_rows(purchases, max_per_user)["category"]
        .value_counts()
        .reindex(categories, fill_value=0)
    )
    return _release(counts, categories, max_per_user, epsilon, seed)


def _no_clip(purchases, categories, max_per_user, epsilon, seed=0):
    counts = purchases["category"].value_counts().reindex(categories, fill_value=0)
    return _release(counts, categories, max_per_user, epsilon, seed)


def _sensitivity_one(purchases, categories, max_per_user, epsilon, seed=0):
    counts = (
        _first_rows(purchases, max_per_user)["category"]
        .value_counts()
        .reindex(categories, fill_value=0)
    )
    return _release(counts, categories, 1, epsilon, seed)


def _per_category(purchases, categories, max_per_user, epsilon, seed=0):
    ordered = purchases.sort_values("timestamp", kind="mergesort")
    kept = ordered.groupby(["user_id", "category"]).head(max_per_user)
    counts = kept["category"].value_counts().reindex(categories, fill_value=0)
    return _release(counts, categories, max_per_user, epsilon, seed)


def _table_order(purchases, categories, max_per_user, epsilon, seed=0):
    kept = purchases.groupby("user_id").head(max_per_user)  # forgot to sort by time
    counts = kept["category"].value_counts().reindex(categories, fill_value=0)
    return _release(counts, categories, max_per_user, epsilon, seed)


def _data_dependent_categories(purchases, categories, max_per_user, epsilon, seed=0):
    counts = _first_rows(purchases, max_per_user)["category"].value_counts().sort_index()
    return _release(counts, categories, max_per_user, epsilon, seed)  # empty categories vanish


def _zeros_not_noised(purchases, categories, max_per_user, epsilon, seed=0):
    counts = _first_rows(purchases, max_per_user)["category"].value_counts().sort_index()
    noisy = _release(counts, categories, max_per_user, epsilon, seed)
    return noisy.reindex(categories, fill_value=0.0)  # 0 stays an exact 0


def _extra_category(purchases, categories, max_per_user, epsilon, seed=0):
    out = private_category_counts(purchases, categories, max_per_user, epsilon, seed)
    return pd.concat([out, pd.Series({"other": 0.0})])


def _sorted_order(purchases, categories, max_per_user, epsilon, seed=0):
    # the same release in another order is fine
    return private_category_counts(purchases, sorted(categories), max_per_user, epsilon, seed)


def test_12_4_passes_solution(capsys):
    assert check_12_4(private_category_counts)
    assert "passed" in capsys.readouterr().out


def test_12_4_accepts_another_order(capsys):
    assert check_12_4(_sorted_order)


@pytest.mark.parametrize(
    "mutant, message",
    [
        (_no_clip, "unclipped"),
        (_sensitivity_one, "sensitivity 1"),
        (_per_category, "per user AND category"),
        (_table_order, "sort by timestamp"),
        (_data_dependent_categories, r"\['garden'\] are missing.*must not depend on the data"),
        (_zeros_not_noised, "zeros included"),
        (_extra_category, "exactly once, and nothing else"),
    ],
)
def test_12_4_catches_mistakes(mutant, message):
    with pytest.raises(CheckFailed, match=message):
        check_12_4(mutant)


# ---- untouched stubs --------------------------------------------------------------------
@pytest.mark.parametrize("check", [check_12_1, check_12_2, check_12_3, check_12_4])
def test_untouched_stub_prints_not_started(check, capsys):
    def stub(*args, **kwargs):
        raise NotImplementedError("Exercise 12.x: ...")

    result = check(stub)
    assert not result and result.status == "not started"
    assert "not started yet" in capsys.readouterr().out


def test_not_a_function():
    with pytest.raises(CheckFailed, match="pass the function itself"):
        check_12_1(3.0)
