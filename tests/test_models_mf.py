"""Tests of course_lib.models.mf.MatrixFactorization, both solvers.

The pinned numbers were produced by the two classes it replaces (``BiasedMF``,
ALS, and ``IncrementalMF``, SGD) with the same settings: the merge kept them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from course_lib.core.roles import RatingEstimator
from course_lib.evaluation.metrics import rmse
from course_lib.models import BiasBaseline, MatrixFactorization


def make_ratings(seed=0, n_users=25, n_items=15, n=300, k=2):
    rng = np.random.default_rng(seed)
    u, i = rng.integers(0, n_users, n), rng.integers(0, n_items, n)
    P, Q = rng.normal(0, 0.8, (n_users, k)), rng.normal(0, 0.8, (n_items, k))
    bu, bi = rng.normal(0, 0.5, n_users), rng.normal(0, 0.5, n_items)
    r = np.clip(3.4 + bu[u] + bi[i] + (P[u] * Q[i]).sum(1) + rng.normal(0, 0.2, n), 1, 5)
    return pd.DataFrame({"user_id": u + 100, "item_id": i + 500, "rating": r})


# ---------------------------------------------------------------- the old numbers are kept


def test_als_gives_the_numbers_of_biased_mf():
    df = make_ratings(7)
    mf = MatrixFactorization(n_factors=2, reg=1.0, epochs=5, seed=0).fit(df[:250])
    np.testing.assert_allclose(
        mf.predict(df[:5]),
        [4.3169577904, 3.2184502887, 3.5501523365, 1.6507663707, 4.1758183563],
        atol=1e-9,
    )
    mf.partial_fit(df[250:], epochs=1)
    np.testing.assert_allclose(
        mf.predict(df[:5]),
        [4.3167852355, 3.2411107695, 3.4980682378, 1.6406210977, 4.2574096143],
        atol=1e-9,
    )
    assert mf.n_touched_ == 569


def test_sgd_gives_the_numbers_of_incremental_mf():
    df = make_ratings(7)
    mf = MatrixFactorization(
        n_factors=3, solver="sgd", learning_rate=0.05, epochs=4, batch_size=16, seed=1
    ).fit(df[:250])
    np.testing.assert_allclose(
        mf.predict(df[:5]),
        [3.6468824652, 3.3366777096, 3.6891912439, 2.4368331878, 3.425516286],
        atol=1e-9,
    )
    mf.partial_fit(df[250:], epochs=2, clipnorm=0.3)
    np.testing.assert_allclose(
        mf.predict(df[:5]),
        [3.6572768155, 3.378448407, 3.6855353182, 2.451535961, 3.4632142703],
        atol=1e-9,
    )


# ---------------------------------------------------------------- ALS


def _assert_monotone_and_stationary(mf, df, cells):
    """The ALS objective never rose, and its finite-difference gradient at ``cells`` is ~0."""
    h = np.array(mf.objective_history_)
    assert np.all(np.diff(h) <= 1e-8 * h[0])
    eps = 1e-5
    for W in (mf.U_, mf.V_):
        for row, col in cells:
            old = W[row, col]
            W[row, col] = old + eps
            up = mf.objective(df)
            W[row, col] = old - eps
            down = mf.objective(df)
            W[row, col] = old
            assert abs((up - down) / (2 * eps)) < 1e-2, (row, col)


def test_als_objective_monotone_and_stationary():
    """ALS steps are exact minimisations: the objective never rises, and at the end the
    finite-difference gradient of the objective with respect to the parameters is ~0."""
    df = make_ratings(2)
    mf = MatrixFactorization(n_factors=2, reg=2.0, epochs=200, seed=0).fit(df)
    _assert_monotone_and_stationary(mf, df, [(1, 0), (2, 1), (3, 2), (5, 0)])


def test_als_with_separate_bias_penalties_is_stationary():
    df = make_ratings(4)
    mf = MatrixFactorization(
        n_factors=2, reg=2.0, reg_user_bias=8.0, reg_item_bias=0.5, epochs=200, seed=0
    ).fit(df)
    _assert_monotone_and_stationary(mf, df, [(1, 0), (2, 2), (3, 2), (4, 1)])
    # a strong user-bias penalty shrinks user biases more than item biases
    assert np.abs(mf.U_[1:, 2]).mean() < np.abs(mf.V_[1:, 2]).mean()


def test_als_beats_bias_and_is_seeded():
    df = make_ratings(3)
    a = MatrixFactorization(n_factors=2, reg=1.0, epochs=10, seed=4).fit(df)
    b = MatrixFactorization(n_factors=2, reg=1.0, epochs=10, seed=np.random.default_rng(4)).fit(df)
    np.testing.assert_allclose(a.predict(df), b.predict(df))
    assert rmse(df["rating"], a.predict(df)) < rmse(
        df["rating"], BiasBaseline().fit(df).predict(df)
    )
    assert a.n_params == 1 + 3 * (df["user_id"].nunique() + df["item_id"].nunique())


def test_als_partial_fit_with_the_training_data_again_changes_little():
    df = make_ratings(5)
    mf = MatrixFactorization(n_factors=2, reg=1.0, epochs=100, seed=0).fit(df)
    before = mf.predict(df)
    mf.partial_fit(df.iloc[:50], epochs=1)  # those 50 ratings now count twice
    assert mf.n_touched_ > 50
    assert np.abs(mf.predict(df) - before).max() < 0.5


def test_als_rejects_sgd_options():
    df = make_ratings()
    with pytest.raises(
        ValueError,
        match=r"learning_rate=0.1\): learning_rate must be None with "
        r"solver='als'",
    ):
        MatrixFactorization().fit(df, learning_rate=0.1)
    mf = MatrixFactorization(n_factors=2).fit(df)
    with pytest.raises(ValueError, match=r"clipnorm=1.0\): clipnorm must be None"):
        mf.partial_fit(df, clipnorm=1.0)


# ---------------------------------------------------------------- both solvers


@pytest.mark.parametrize("solver", ["als", "sgd"])
def test_fit_is_from_scratch_and_partial_fit_continues(solver):
    df = make_ratings(11)
    first, second = df[:150], df[150:]
    make = lambda: MatrixFactorization(n_factors=2, solver=solver, epochs=3, seed=0)  # noqa: E731
    model = make().fit(first).partial_fit(second)
    assert model.n_seen_users == df["user_id"].nunique()
    refit = model.fit(second)  # fit forgets `first`
    np.testing.assert_array_equal(refit.predict(df), make().fit(second).predict(df))
    assert refit.n_seen_users == second["user_id"].nunique()
    # partial_fit on a model never fitted starts from scratch
    np.testing.assert_array_equal(
        make().partial_fit(second).predict(df), make().fit(second).predict(df)
    )


@pytest.mark.parametrize("solver", ["als", "sgd"])
def test_clone_copy_and_role(solver):
    df = make_ratings(6)
    df["rating"] = np.clip(df["rating"] - 2.5, 0.5, 5.0)
    model = MatrixFactorization(
        n_factors=2, solver=solver, reg=0.1, rating_range=(0.5, 5.0), epochs=30, learning_rate=0.05
    ).fit(df)
    assert isinstance(model, RatingEstimator)
    assert model.predict(df).min() >= 0.5 and model.predict(df).min() < 1.0
    twin = model.copy()
    np.testing.assert_array_equal(twin.predict(df), model.predict(df))
    twin.partial_fit(df[:20])  # the copy is independent
    assert not np.array_equal(twin.predict(df), model.predict(df))
    fresh = model.clone()
    assert fresh.mu_ is None and fresh.rating_range == (0.5, 5.0) and fresh.solver == solver
    with pytest.raises(RuntimeError, match="call fit"):
        fresh.predict(df)
    np.testing.assert_array_equal(fresh.fit(df).predict(df), model.clone().fit(df).predict(df))


@pytest.mark.parametrize("solver", ["als", "sgd"])
def test_unknown_ids_fall_back_and_predictions_are_clipped(solver):
    df = make_ratings()
    mf = MatrixFactorization(n_factors=2, solver=solver, seed=0).fit(df)
    p = mf.predict(pd.DataFrame({"user_id": [-1, -1], "item_id": [-1, 500]}))
    assert np.isclose(p[0], np.clip(mf.mu_, 1, 5))
    assert np.isclose(p[1], np.clip(mf.mu_ + mf.V_[mf.item_encoder_.transform([500])[0], 2], 1, 5))
    assert ((mf.predict(df) >= 1) & (mf.predict(df) <= 5)).all()


# ---------------------------------------------------------------- SGD


def test_sgd_learns_and_grows_its_tables():
    df = pd.DataFrame(
        {
            "user_id": [1, 1, 2, 2, 3],
            "item_id": [10, 11, 10, 12, 11],
            "rating": [5.0, 3.0, 4.0, 1.0, 2.0],
        }
    )
    mf = MatrixFactorization(n_factors=2, solver="sgd", epochs=200, batch_size=2).fit(df)
    assert rmse(df["rating"], mf.predict(df)) < 0.15
    new = pd.DataFrame({"user_id": [4], "item_id": [13], "rating": [5.0]})
    mf.partial_fit(new, epochs=1)
    assert mf.n_seen_users == 4 and mf.n_seen_items == 4
    assert mf.get_weights()[2].shape == (5, 2)  # row 0 + four users


def test_sgd_get_and_set_weights_round_trip():
    df = make_ratings(1)
    mf = MatrixFactorization(n_factors=3, solver="sgd", epochs=2).fit(df)
    other = mf.copy()
    other.set_weights([w * 0 for w in mf.get_weights()])
    assert np.allclose(other.predict(df), np.clip(mf.mu_, 1, 5))
    other.set_weights(mf.get_weights())
    np.testing.assert_array_equal(other.predict(df), mf.predict(df))


def test_errors_name_the_argument():
    df = make_ratings()
    with pytest.raises(
        ValueError,
        match=r"MatrixFactorization\(solver='adam'\): solver must be one "
        r"of 'als', 'sgd'",
    ):
        MatrixFactorization(solver="adam")
    with pytest.raises(ValueError, match=r"n_factors=0"):
        MatrixFactorization(n_factors=0)
    with pytest.raises(ValueError, match=r"seed=-2"):
        MatrixFactorization(seed=-2)
    with pytest.raises(ValueError, match=r"learning_rate=0\): learning_rate must be a positive"):
        MatrixFactorization(solver="sgd", learning_rate=0)
    with pytest.raises(TypeError, match=r"epochs=2.0\): epochs must be an int"):
        MatrixFactorization(epochs=2.0)
    with pytest.raises(RuntimeError, match="call fit"):
        MatrixFactorization().predict(df)
    with pytest.raises(
        ValueError,
        match=r"MatrixFactorization.fit\(ratings=DataFrame of shape "
        r"\(0, 3\)\): ratings must be a table with at least one row",
    ):
        MatrixFactorization().fit(df[:0])
    with pytest.raises(TypeError, match=r"ratings must be a pandas DataFrame, got ndarray"):
        MatrixFactorization(solver="sgd").fit(df.to_numpy())
    with pytest.raises(ValueError, match=r"column\(s\) \['item_id'\]"):
        MatrixFactorization().fit(df).predict(df[["user_id"]])
