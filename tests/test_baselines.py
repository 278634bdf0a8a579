"""Tests of course_lib.models.baselines: closed forms against a direct least-squares solve."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from course_lib.models.baselines import BiasBaseline, BiasedMF, GlobalMean, rmse_of


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
    assert np.isclose(rmse_of(m, df), df["rating"].std(ddof=0))


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
    np.testing.assert_allclose(m.user_bias(users), b[:len(users)], atol=1e-6)
    np.testing.assert_allclose(m.item_bias(items), b[len(users):], atol=1e-6)


def test_bias_objective_decreases_and_beats_global_mean():
    df = make_ratings(1)
    m = BiasBaseline(n_iter=8).fit(df)
    h = np.array(m.objective_history_)
    assert np.all(np.diff(h) <= 1e-9)
    assert rmse_of(m, df) < rmse_of(GlobalMean().fit(df), df)


def test_bias_unknown_ids_fall_back():
    df = make_ratings()
    m = BiasBaseline().fit(df)
    probe = pd.DataFrame({"user_id": [-1, 100], "item_id": [500, -7]})
    np.testing.assert_allclose(m.predict(probe), [m.mu_ + m.item_bias([500])[0],
                                                  m.mu_ + m.user_bias([100])[0]])


def _assert_monotone_and_stationary(mf, df, cells):
    """The ALS objective never rose, and its finite-difference gradient at ``cells`` is ~0."""
    h = np.array(mf.objective_history_)
    assert np.all(np.diff(h) <= 1e-8 * h[0])
    eps = 1e-5
    for W in (mf.U_, mf.V_):
        for (row, col) in cells:
            old = W[row, col]
            W[row, col] = old + eps
            up = mf.objective(df)
            W[row, col] = old - eps
            down = mf.objective(df)
            W[row, col] = old
            assert abs((up - down) / (2 * eps)) < 1e-2, (row, col)


def test_mf_objective_monotone_and_stationary():
    """ALS steps are exact minimisations: the objective never rises, and at the end the
    finite-difference gradient of the objective with respect to the parameters is ~0."""
    df = make_ratings(2)
    mf = BiasedMF(n_factors=2, reg=2.0, n_iter=200, seed=0).fit(df)
    _assert_monotone_and_stationary(mf, df, [(1, 0), (2, 1), (3, 2), (5, 0)])


def test_mf_beats_bias_and_is_seeded():
    df = make_ratings(3)
    a = BiasedMF(n_factors=2, reg=1.0, n_iter=10, seed=4).fit(df)
    b = BiasedMF(n_factors=2, reg=1.0, n_iter=10, seed=np.random.default_rng(4)).fit(df)
    np.testing.assert_allclose(a.predict(df), b.predict(df))
    assert rmse_of(a, df) < rmse_of(BiasBaseline().fit(df), df)
    assert a.n_params == 1 + 3 * (df["user_id"].nunique() + df["item_id"].nunique())


def test_mf_unknown_ids_and_clipping():
    df = make_ratings()
    mf = BiasedMF(n_factors=2, seed=0).fit(df)
    p = mf.predict(pd.DataFrame({"user_id": [-1], "item_id": [-1]}))
    assert np.allclose(p, np.clip(mf.mu_, 1, 5))
    assert ((mf.predict(df) >= 1) & (mf.predict(df) <= 5)).all()


def test_errors():
    df = make_ratings()
    with pytest.raises(ValueError, match=r"reg_user=-1"):
        BiasBaseline(reg_user=-1)
    with pytest.raises(ValueError, match=r"n_factors=0"):
        BiasedMF(n_factors=0)
    with pytest.raises(ValueError, match=r"seed=-2"):
        BiasedMF(seed=-2)
    with pytest.raises(ValueError, match=r"lacks column\(s\) \['rating'\]"):
        GlobalMean().fit(df.drop(columns="rating"))
    with pytest.raises(ValueError, match="empty"):
        BiasBaseline().fit(df[:0])
    with pytest.raises(RuntimeError, match="call fit"):
        BiasedMF().predict(df)
    with pytest.raises(TypeError, match="expected a ratings DataFrame"):
        GlobalMean().fit(df.to_numpy())


def test_mf_with_separate_bias_penalties_is_stationary():
    """reg_user_bias / reg_item_bias: the objective ALS minimises has a zero gradient at the end."""
    df = make_ratings(4)
    mf = BiasedMF(n_factors=2, reg=2.0, reg_user_bias=8.0, reg_item_bias=0.5, n_iter=200,
                  seed=0).fit(df)
    _assert_monotone_and_stationary(mf, df, [(1, 0), (2, 2), (3, 2), (4, 1)])
    # a strong user-bias penalty shrinks user biases more than item biases
    assert np.abs(mf.U_[1:, 2]).mean() < np.abs(mf.V_[1:, 2]).mean()


def test_partial_fit_with_the_training_data_again_changes_little():
    df = make_ratings(5)
    mf = BiasedMF(n_factors=2, reg=1.0, n_iter=100, seed=0).fit(df)
    before = mf.predict(df)
    mf.partial_fit(df.iloc[:50], n_sweeps=1)   # those 50 ratings now count twice
    assert mf.n_touched_ > 50
    assert np.abs(mf.predict(df) - before).max() < 0.5


@pytest.mark.parametrize("make", [
    lambda: BiasBaseline(reg_user=0.1, reg_item=0.1, rating_range=(0.5, 5.0)),
    lambda: BiasedMF(n_factors=2, reg=0.1, rating_range=(0.5, 5.0))])
def test_half_star_range_and_clone(make):
    df = make_ratings(6)
    df["rating"] = np.clip(df["rating"] - 2.5, 0.5, 5.0)
    model = make().fit(df)
    assert model.predict(df).min() >= 0.5 and model.predict(df).min() < 1.0
    twin = model.clone()
    np.testing.assert_array_equal(twin.predict(df), model.predict(df))
    fresh = model.clone(fresh=True)
    assert fresh.mu_ is None and fresh.rating_range == (0.5, 5.0)
    with pytest.raises(RuntimeError, match="call fit"):
        fresh.predict(df)


def test_bad_rating_range_is_explained():
    with pytest.raises(ValueError, match=r"rating_range=\(5, 1\)\): give \(low, high\) with low "
                                         r"< high"):
        BiasBaseline(rating_range=(5, 1))
    with pytest.raises(RuntimeError, match="partial_fit: call fit"):
        BiasedMF().partial_fit(make_ratings())
