"""Tests of course_lib.models.baselines: closed forms against a direct least-squares solve."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from course_lib.core.roles import RatingEstimator
from course_lib.evaluation.metrics import rmse
from course_lib.models import BiasBaseline, GlobalMean


def make_ratings(seed=0, n_users=25, n_items=15, n=300, k=2):
    rng = np.random.default_rng(seed)
    u, i = rng.integers(0, n_users, n), rng.integers(0, n_items, n)
    P, Q = rng.normal(0, 0.8, (n_users, k)), rng.normal(0, 0.8, (n_items, k))
    bu, bi = rng.normal(0, 0.5, n_users), rng.normal(0, 0.5, n_items)
    r = np.clip(3.4 + bu[u] + bi[i] + (P[u] * Q[i]).sum(1) + rng.normal(0, 0.2, n), 1, 5)
    return pd.DataFrame({"user_id": u + 100, "item_id": i + 500, "rating": r})


def test_global_mean():
    df = make_ratings()
    m = GlobalMean().fit(df)
    assert np.allclose(m.predict(df), df["rating"].mean())
    assert np.isclose(rmse(df["rating"], m.predict(df)), df["rating"].std(ddof=0))


def test_bias_baseline_equals_direct_ridge_solution():
    df = make_ratings()
    reg_u, reg_i = 3.0, 2.0
    m = BiasBaseline(reg_user=reg_u, reg_item=reg_i, n_iter=300).fit(df)
    # direct solve: min |A b - (r - mu)|^2 + b' diag(reg) b, b = [b_users, b_items]
    users, items = np.unique(df["user_id"]), np.unique(df["item_id"])
    A = np.zeros((len(df), len(users) + len(items)))
    A[np.arange(len(df)), np.searchsorted(users, df["user_id"])] = 1
    A[np.arange(len(df)), len(users) + np.searchsorted(items, df["item_id"])] = 1
    D = np.diag([reg_u] * len(users) + [reg_i] * len(items))
    y = df["rating"].to_numpy() - df["rating"].mean()
    b = np.linalg.solve(A.T @ A + D, A.T @ y)
    np.testing.assert_allclose(m.user_bias(users), b[: len(users)], atol=1e-6)
    np.testing.assert_allclose(m.item_bias(items), b[len(users) :], atol=1e-6)


def test_bias_objective_decreases_and_beats_global_mean():
    df = make_ratings(1)
    m = BiasBaseline(n_iter=8).fit(df)
    h = np.array(m.objective_history_)
    assert np.all(np.diff(h) <= 1e-9)
    assert rmse(df["rating"], m.predict(df)) < rmse(df["rating"], GlobalMean().fit(df).predict(df))


def test_bias_unknown_ids_fall_back():
    df = make_ratings()
    m = BiasBaseline().fit(df)
    probe = pd.DataFrame({"user_id": [-1, 100], "item_id": [500, -7]})
    np.testing.assert_allclose(
        m.predict(probe), [m.mu_ + m.item_bias([500])[0], m.mu_ + m.user_bias([100])[0]]
    )


def test_errors():
    df = make_ratings()
    with pytest.raises(ValueError, match=r"reg_user=-1"):
        BiasBaseline(reg_user=-1)
    with pytest.raises(
        ValueError,
        match=r"GlobalMean.fit\(ratings=DataFrame of shape \(300, 2\)\): "
        r"ratings must be a DataFrame with the column\(s\) \['rating'\]",
    ):
        GlobalMean().fit(df.drop(columns="rating"))
    with pytest.raises(ValueError, match="ratings must be a table with at least one row"):
        BiasBaseline().fit(df[:0])
    with pytest.raises(RuntimeError, match="call fit"):
        BiasBaseline().predict(df)
    with pytest.raises(TypeError, match="ratings must be a pandas DataFrame, got ndarray"):
        GlobalMean().fit(df.to_numpy())


def test_errors_on_nan_ratings():
    df = make_ratings()
    df.loc[3, "rating"] = np.nan
    with pytest.raises(ValueError, match="found 1 NaN or inf"):
        BiasBaseline().fit(df)


@pytest.mark.parametrize(
    "make",
    [
        lambda: GlobalMean(rating_range=(0.5, 5.0)),
        lambda: BiasBaseline(reg_user=0.1, reg_item=0.1, rating_range=(0.5, 5.0)),
    ],
)
def test_half_star_range_clone_and_copy(make):
    df = make_ratings(6)
    df["rating"] = np.clip(df["rating"] - 2.5, 0.5, 5.0)
    model = make().fit(df)
    assert isinstance(model, RatingEstimator)
    assert model.predict(df).min() >= 0.5
    if isinstance(model, BiasBaseline):
        assert model.predict(df).min() < 1.0  # below the default range's floor
    twin = model.copy()
    np.testing.assert_array_equal(twin.predict(df), model.predict(df))
    fresh = model.clone()
    assert fresh.mu_ is None and fresh.rating_range == (0.5, 5.0)
    with pytest.raises(RuntimeError, match="call fit"):
        fresh.predict(df)


def test_global_mean_partial_fit_is_the_exact_running_mean():
    df = make_ratings(8)
    m = GlobalMean().partial_fit(df[:100])  # never fitted: from scratch
    m.partial_fit(df[100:250]).partial_fit(df[250:])
    assert np.isclose(m.mu_, df["rating"].mean())
    assert m.n_seen_ == len(df)
    assert m.fit(df[:10]).n_seen_ == 10  # fit forgets


def test_bias_baseline_partial_fit_equals_fit_on_the_union():
    df = make_ratings(9)
    whole = BiasBaseline(n_iter=30).fit(df)
    parts = BiasBaseline(n_iter=30).fit(df[:120]).partial_fit(df[120:200]).partial_fit(df[200:])
    np.testing.assert_allclose(parts.predict(df), whole.predict(df), atol=1e-12)
    again = parts.fit(df[:50])  # fit forgets the earlier rows
    assert len(again.seen_) == 50


def test_bad_rating_range_is_explained():
    with pytest.raises(
        ValueError,
        match=r"rating_range=\(5, 1\)\): give \(low, high\) with low "
        r"< high",
    ):
        BiasBaseline(rating_range=(5, 1))
