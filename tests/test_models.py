"""Tests of the Keras models (course_lib.models networks, batches, rating_model) on tiny data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

keras = pytest.importorskip("keras")

from course_lib.core.roles import RatingEstimator  # noqa: E402
from course_lib.models import (  # noqa: E402
    RatingModel,
    ShuffledBatches,
    TableL2,
    build_feature_mlp,
    build_purchase_model,
    build_rating_network,
)


def make_world(seed=0, n_users=30, n_items=12, n_ratings=400):
    """A small world in the ratings schema, with a learnable user/item structure."""
    rng = np.random.default_rng(seed)
    users = pd.DataFrame(
        {
            "age": rng.integers(18, 70, n_users).astype(float),
            "income": rng.normal(50_000, 15_000, n_users),
            "region": rng.choice(["north", "south"], n_users),
        },
        index=pd.RangeIndex(n_users, name="user_id"),
    )
    items = pd.DataFrame(
        {
            "price": rng.uniform(5, 80, n_items),
            "category": rng.choice(["books", "toys", "food"], n_items),
        },
        index=pd.RangeIndex(n_items, name="item_id"),
    )
    u = rng.integers(0, n_users - 5, n_ratings)  # the last 5 users never rate
    i = rng.integers(0, n_items - 2, n_ratings)  # the last 2 items are never rated
    bu, bi = rng.normal(0, 0.7, n_users), rng.normal(0, 0.7, n_items)
    rating = np.clip(np.round(3.5 + bu[u] + bi[i] + rng.normal(0, 0.3, n_ratings)), 1, 5)
    ratings = pd.DataFrame(
        {
            "user_id": u,
            "item_id": i,
            "rating": rating,
            "timestamp": np.arange(n_ratings) * 600,
            "day": np.arange(n_ratings) * 600 // 86400,
        }
    )
    return users, items, ratings


@pytest.fixture(scope="module")
def world():
    return make_world()


@pytest.fixture(scope="module")
def trained(world):
    users, items, ratings = world
    m = RatingModel(users, items, embedding_dim=4, hidden=(8,), seed=0, learning_rate=1e-2)
    return m.fit(ratings, epochs=3, batch_size=64)


# ---------------------------------------------------------------- builders
def test_feature_mlp_shape_and_normalisation_on_train_only():
    X = np.random.default_rng(0).normal(10.0, 3.0, size=(200, 3))
    m = build_feature_mlp(X[:100], seed=0)
    assert m.output_shape == (None, 1)
    assert m.count_params() == 3 * 64 + 64 + 64 * 32 + 32 + 33 + 7  # + mean, var, count
    norm = m.get_layer("normalization")
    np.testing.assert_allclose(np.asarray(norm.mean).ravel(), X[:100].mean(axis=0), rtol=1e-4)


def test_feature_mlp_same_seed_same_weights():
    X = np.random.default_rng(0).normal(size=(20, 3))
    w1, w2 = build_feature_mlp(X, seed=3).get_weights(), build_feature_mlp(X, seed=3).get_weights()
    assert all(np.array_equal(a, b) for a, b in zip(w1, w2, strict=True))
    w3 = build_feature_mlp(X, seed=4).get_weights()
    assert not all(np.array_equal(a, b) for a, b in zip(w1, w3, strict=True))


def test_builders_validate_arguments():
    X = np.zeros((5, 2))
    with pytest.raises(
        ValueError,
        match=r"build_feature_mlp\(X_train=array of shape \(5,\)\): "
        r"X_train must be 2-dimensional",
    ):
        build_feature_mlp(np.zeros(5))
    with pytest.raises(ValueError, match=r"seed=-1"):
        build_feature_mlp(X, seed=-1)
    with pytest.raises(ValueError, match="learning_rate=0"):
        build_purchase_model(X, learning_rate=0)
    with pytest.raises(
        ValueError,
        match=r"hidden=\(0,\)\): hidden must be a sequence of layer "
        r"widths, every layer width >= 1",
    ):
        build_feature_mlp(X, hidden=(0,))
    with pytest.raises(
        ValueError,
        match=r"build_rating_network\(n_user_rows=0\): n_user_rows "
        r"must be an int >= 1",
    ):
        build_rating_network(0, 3, 0, 0)


def test_purchase_model_probabilities_and_bias():
    X = np.random.default_rng(0).normal(size=(30, 10))
    p0 = 0.05
    m = build_purchase_model(X, seed=0, output_bias=float(np.log(p0 / (1 - p0))))
    p = m.predict(X, verbose=0)
    assert p.shape == (30, 1) and ((p > 0) & (p < 1)).all()
    assert abs(float(np.median(p)) - p0) < 0.05


def test_rating_network_without_side_features():
    net = build_rating_network(5, 4, 0, 0, embedding_dim=2, hidden=(), seed=0)
    assert sorted(i.name for i in net.inputs) == ["item_idx", "user_idx"]
    out = net({"user_idx": np.array([1, 2], "int32"), "item_idx": np.array([0, 3], "int32")})
    assert tuple(out.shape) == (2, 1)


def test_shuffled_batches_cover_every_row_once_per_epoch():
    ds = ShuffledBatches(
        {"user_idx": np.arange(10), "item_idx": np.arange(10)},
        np.arange(10.0).reshape(-1, 1),
        batch_size=4,
        rng=np.random.default_rng(0),
        unknown_rate=0.5,
    )
    seen = np.concatenate([ds[k][1].ravel() for k in range(len(ds))])
    assert sorted(seen.tolist()) == list(range(10))
    zeros = np.concatenate([ds[k][0]["user_idx"] for k in range(len(ds))]) == 0
    assert 0 < zeros.sum() < 10
    first = seen.copy()
    ds.on_epoch_end()
    again = np.concatenate([ds[k][1].ravel() for k in range(len(ds))])
    assert not np.array_equal(first, again)


# ---------------------------------------------------------------- RatingModel
def test_rating_model_shapes(trained, world):
    _, _, ratings = world
    X = trained.inputs(ratings[:7])
    assert set(X) == {"user_idx", "item_idx", "user_features", "item_features"}
    assert X["user_idx"].shape == (7,) and X["user_idx"].dtype == np.int32
    assert X["user_features"].shape == (7, 4)  # age, income, region=north/south
    assert X["item_features"].shape == (7, 4)  # price + 3 categories
    assert trained.keras_model.output_shape == (None, 1)
    assert trained.targets(ratings[:7]).shape == (7, 1)
    p = trained.predict(ratings[:7])
    assert p.shape == (7,) and ((p >= 1) & (p <= 5)).all()


def test_rating_model_learns_something(trained, world):
    _, _, ratings = world
    rmse = np.sqrt(np.mean((trained.predict(ratings) - ratings["rating"].to_numpy()) ** 2))
    baseline = ratings["rating"].std(ddof=0)
    assert rmse < 0.9 * baseline


def test_new_user_and_item_after_training_get_predictions(trained, world):
    users, items, ratings = world
    fresh = pd.DataFrame({"user_id": [29, 29, 999, 3], "item_id": [11, 0, 10, 555]})
    assert 29 not in trained.user_encoder and 11 not in trained.item_encoder
    p = trained.predict(fresh)
    assert p.shape == (4,) and np.isfinite(p).all() and ((p >= 1) & (p <= 5)).all()
    # a new user in the table (with demographics) and one without any row both use row 0
    assert trained.inputs(fresh)["user_idx"].tolist() == [
        0,
        0,
        0,
        trained.user_encoder.transform([3])[0],
    ]
    # demographics matter for a new user: two new users with different features differ
    X = trained.inputs(pd.DataFrame({"user_id": [25, 26], "item_id": [0, 0]}))
    assert not np.allclose(X["user_features"][0], X["user_features"][1])


def test_partial_fit_grows_encoders_and_keeps_weight_shapes(world):
    users, items, ratings = world
    m = RatingModel(users, items, embedding_dim=3, hidden=(4,), seed=1)
    shapes = [w.shape for w in m.get_weights()]
    m.fit(ratings[:100], epochs=1, batch_size=50)
    n_users_first = m.n_seen_users
    m.partial_fit(ratings[100:], epochs=1, batch_size=50)
    assert m.n_seen_users >= n_users_first
    assert m.n_seen_users == ratings["user_id"].nunique()
    assert [w.shape for w in m.get_weights()] == shapes


def test_capacity_overflow_uses_unknown_row(world):
    users, items, ratings = world
    m = RatingModel(users, items, user_capacity=3, embedding_dim=2, hidden=(), seed=0)
    m.observe(ratings)
    assert m.n_seen_users == 3
    idx = m.inputs(ratings)["user_idx"]
    assert idx.max() == 3 and (idx == 0).any()
    assert m.keras_model.get_layer("user_embedding").get_weights()[0].shape == (4, 2)


def test_partial_fit_continues_from_current_weights(world):
    users, items, ratings = world
    m = RatingModel(users, items, embedding_dim=3, hidden=(4,), seed=2)
    m.fit(ratings, epochs=1, batch_size=100)
    w1 = m.get_weights()
    m.partial_fit(ratings[:50], epochs=1, batch_size=50, learning_rate=1e-9)  # ~no movement
    w2 = m.get_weights()
    assert max(float(np.max(np.abs(a - b))) for a, b in zip(w1, w2, strict=True)) < 1e-4
    # the call's learning rate was temporary
    assert np.isclose(m.learning_rate, 1e-3)


def test_fit_with_clipnorm_and_validation(world):
    users, items, ratings = world
    m = RatingModel(users, items, embedding_dim=3, hidden=(4,), seed=0)
    m.fit(ratings[:300], epochs=2, batch_size=100, clipnorm=0.5, validation_data=ratings[300:])
    assert set(m.history_.history) >= {"loss", "rmse", "val_loss", "val_rmse"}
    assert m.clipnorm is None and m.keras_model.optimizer.clipnorm is None


def test_same_seed_same_result(world):
    users, items, ratings = world
    a = RatingModel(users, items, embedding_dim=3, hidden=(4,), seed=5).fit(ratings, batch_size=100)
    b = RatingModel(users, items, embedding_dim=3, hidden=(4,), seed=5).fit(ratings, batch_size=100)
    np.testing.assert_allclose(a.predict(ratings), b.predict(ratings), rtol=1e-6)


def test_first_fit_starts_from_the_mean_rating(world):
    users, items, ratings = world
    m = RatingModel(users, items, embedding_dim=2, hidden=(2,), seed=0)
    m.fit(ratings, epochs=1, batch_size=400, learning_rate=1e-9)
    assert abs(float(np.mean(m.predict(ratings))) - ratings["rating"].mean()) < 0.2


def test_unknown_row_is_trained_by_id_dropout(world):
    users, items, ratings = world
    m = RatingModel(users, items, embedding_dim=3, hidden=(4,), seed=0, unknown_rate=0.2)
    before = m.keras_model.get_layer("user_bias").get_weights()[0][0].copy()
    m.fit(ratings, epochs=1, batch_size=50, learning_rate=1e-2)
    after = m.keras_model.get_layer("user_bias").get_weights()[0][0]
    assert not np.allclose(before, after)
    off = RatingModel(users, items, embedding_dim=3, hidden=(4,), seed=0, unknown_rate=0.0)
    off.fit(ratings, epochs=1, batch_size=50)
    assert np.allclose(off.keras_model.get_layer("user_bias").get_weights()[0][0], 0.0)


def test_copy_and_clone(trained, world):
    users, items, ratings = world
    assert isinstance(trained, RatingEstimator)
    copy = trained.copy()
    np.testing.assert_allclose(copy.predict(ratings), trained.predict(ratings), rtol=1e-6)
    assert copy.n_seen_users == trained.n_seen_users
    copy.partial_fit(ratings[:64], batch_size=64)  # the original is untouched
    assert copy.user_encoder is not trained.user_encoder
    fresh = trained.clone()
    assert fresh.n_seen_users == 0 and not fresh.trained
    new = RatingModel(users, items, embedding_dim=4, hidden=(8,), seed=0, learning_rate=1e-2)
    assert all(
        np.array_equal(a, b) for a, b in zip(fresh.get_weights(), new.get_weights(), strict=True)
    )


def test_get_set_weights(trained, world):
    _, _, ratings = world
    other = trained.clone()
    other.observe(ratings)
    other.user_encoder = trained.user_encoder.copy()
    other.item_encoder = trained.item_encoder.copy()
    other.set_weights(trained.get_weights())
    np.testing.assert_allclose(other.predict(ratings), trained.predict(ratings), rtol=1e-6)


def test_save_load_identical_predictions(trained, world, tmp_path):
    _, _, ratings = world
    path = trained.save(tmp_path / "rating_model")
    assert sorted(p.name for p in path.iterdir()) == ["model.keras", "state.json", "tables.npz"]
    back = RatingModel.load(path)
    probe = pd.concat(
        [
            ratings[:20],
            pd.DataFrame({"user_id": [29, 999], "item_id": [11, 3], "rating": [3.0, 3.0]}),
        ]
    )
    np.testing.assert_array_equal(back.predict(probe), trained.predict(probe))
    assert back.n_seen_users == trained.n_seen_users
    assert back.hyper == trained.hyper
    back.partial_fit(ratings[:64], batch_size=64)  # a loaded model keeps learning


def test_save_overwrites_atomically(trained, tmp_path):
    path = tmp_path / "m"
    trained.save(path)
    trained.save(path)
    assert [p.name for p in tmp_path.iterdir()] == ["m"]


def test_rating_model_errors(world):
    users, items, ratings = world
    with pytest.raises(
        TypeError,
        match=r"RatingModel\(users=array of shape \(30, 3\)\): users must "
        r"be a pandas DataFrame, got ndarray; pass shop.users",
    ):
        RatingModel(users.to_numpy(), items)
    with pytest.raises(ValueError, match="user_capacity=0"):
        RatingModel(users, items, user_capacity=0)
    with pytest.raises(ValueError, match="unknown_rate=1.5"):
        RatingModel(users, items, unknown_rate=1.5)
    m = RatingModel(users, items, embedding_dim=2, hidden=(), seed=0)
    with pytest.raises(
        ValueError,
        match=r"RatingModel.fit\(ratings=DataFrame of shape \(400, 4\)\): "
        r"ratings must be a DataFrame with the column\(s\) \['rating'\]",
    ):
        m.fit(ratings.drop(columns="rating"))
    with pytest.raises(
        ValueError, match=r"RatingModel.partial_fit\(epochs=0\): epochs must be an int >= 1"
    ):
        m.fit(ratings, epochs=0)
    with pytest.raises(ValueError, match="ratings must be a table with at least one row"):
        m.fit(ratings[:0])
    with pytest.raises(ValueError, match=r"clipnorm=-1\): clipnorm must be a positive number"):
        m.set_clipnorm(-1)
    with pytest.raises(ValueError, match="path must be a directory name"):
        m.save("model.keras")
    with pytest.raises(FileNotFoundError, match="no state.json"):
        RatingModel.load("does-not-exist")


def test_feature_stats_fitted_on_first_data_and_passed_in(world):
    users, items, ratings = world
    m = RatingModel(users, items, embedding_dim=2, hidden=(), seed=0)
    m.observe(ratings[:50])
    seen = pd.unique(ratings[:50]["user_id"])
    np.testing.assert_allclose(m.user_stats.mean_[0], users.loc[seen, "age"].mean())
    m2 = RatingModel(
        users,
        items,
        embedding_dim=2,
        hidden=(),
        seed=0,
        feature_stats={"user": m.user_stats, "item": m.item_stats.to_dict()},
    )
    m2.observe(ratings[50:])
    np.testing.assert_allclose(m2.user_stats.mean_, m.user_stats.mean_)


def test_inputs_before_any_data_do_not_fix_the_statistics(world):
    users, items, ratings = world
    m = RatingModel(users, items, embedding_dim=2, hidden=(), seed=0)
    m.inputs(ratings[:2])
    assert not m.user_stats.is_fitted
    m.observe(ratings)
    assert m.user_stats.is_fitted


# --------------------------------------------------------------------------- MF-style penalty
def test_table_regularization_is_the_mf_penalty_over_the_number_of_ratings(world):
    import keras

    users, items, ratings = world
    m = RatingModel(
        users,
        items,
        embedding_dim=3,
        hidden=(),
        seed=0,
        regularization="table",
        l2=4.0,
        bias_l2=(10.0, 0.5),
        user_features=[],
        item_features=[],
    )
    m.fit(ratings, epochs=1)
    assert m.n_ratings_learned == len(ratings)
    layers = {layer.name: layer for layer in m.keras_model.layers}
    strengths = {
        name: layers[name].embeddings_regularizer.l2
        for name in ("user_embedding", "item_embedding", "user_bias", "item_bias")
    }
    assert strengths == {
        "user_embedding": 4.0,
        "item_embedding": 4.0,
        "user_bias": 10.0,
        "item_bias": 0.5,
    }
    table = layers["user_bias"].embeddings_regularizer
    W = layers["user_bias"].embeddings.numpy()
    assert isinstance(table, TableL2) and layers["user_bias"].activity_regularizer is None
    np.testing.assert_allclose(
        float(table(keras.ops.convert_to_tensor(W))), 10.0 / len(ratings) * np.sum(W**2), rtol=1e-5
    )
    m.partial_fit(ratings.iloc[:100], epochs=1)  # continuing: the prior of all data so far
    assert float(table.scale.numpy()) == pytest.approx(1 / (len(ratings) + 100))


def test_table_regularization_survives_save_load_and_clone(world, tmp_path):
    users, items, ratings = world
    m = RatingModel(
        users,
        items,
        embedding_dim=3,
        hidden=(),
        seed=0,
        regularization="table",
        l2=4.0,
        bias_l2=(10.0, 0.5),
    ).fit(ratings, epochs=1)
    back = RatingModel.load(m.save(tmp_path / "m"))
    np.testing.assert_allclose(back.predict(ratings), m.predict(ratings), atol=1e-6)
    assert back.n_ratings_learned == m.n_ratings_learned == m.copy().n_ratings_learned
    back.partial_fit(ratings.iloc[:50], epochs=1)  # still trainable after loading


def test_rating_range_clips_half_stars(world):
    users, items, ratings = world
    ratings = ratings.assign(rating=np.clip(ratings["rating"] - 2.0, 0.5, 5.0))
    m = RatingModel(
        users,
        items,
        embedding_dim=3,
        hidden=(),
        seed=0,
        learning_rate=0.05,
        rating_range=(0.5, 5.0),
    ).fit(ratings, epochs=5)
    p = m.predict(ratings)
    assert p.min() >= 0.5 and p.min() < 1.0
    with pytest.raises(ValueError, match=r"rating_range=\(3, 3\)\): give \(low, high\)"):
        RatingModel(users, items, rating_range=(3, 3))
    with pytest.raises(
        ValueError,
        match=r"regularization='rows'\): regularization must be one of "
        r"'batch', 'table'",
    ):
        RatingModel(users, items, regularization="rows")


# --------------------------------------------------------------------------- fit vs partial_fit
def test_fit_is_from_scratch(world):
    users, items, ratings = world
    make = lambda: RatingModel(users, items, embedding_dim=3, hidden=(4,), seed=3)  # noqa: E731
    m = make().fit(ratings[:200], epochs=2, batch_size=50)
    m.fit(ratings[200:], epochs=1, batch_size=50)  # forgets the first fit
    ref = make().fit(ratings[200:], epochs=1, batch_size=50)
    np.testing.assert_allclose(m.predict(ratings), ref.predict(ratings), atol=1e-6)
    assert m.n_seen_users == ratings[200:]["user_id"].nunique()
    assert m.n_ratings_learned == 200
    twin = m.clone().fit(ratings[200:], epochs=1, batch_size=50)
    np.testing.assert_allclose(twin.predict(ratings), ref.predict(ratings), atol=1e-6)
    # partial_fit on a new model equals fit
    first = make().partial_fit(ratings[200:], epochs=1, batch_size=50)
    np.testing.assert_allclose(first.predict(ratings), ref.predict(ratings), atol=1e-6)


def test_clipnorm_and_learning_rate_settings(world):
    users, items, ratings = world
    m = RatingModel(users, items, embedding_dim=2, hidden=(), seed=0)
    assert m.set_clipnorm(0.5) is m and m.clipnorm == 0.5
    m.fit(ratings[:100], epochs=1, batch_size=50)
    assert m.keras_model.optimizer.clipnorm == 0.5  # kept by fit (a setting)
    m.partial_fit(ratings[:100], batch_size=50, clipnorm=2.0)  # this call only
    assert m.keras_model.optimizer.clipnorm == 0.5
    assert m.clone().clipnorm == 0.5 and m.copy().clipnorm == 0.5
    m.learning_rate = 0.02
    assert np.isclose(m.learning_rate, 0.02) and m.hyper["learning_rate"] == 0.02
    assert np.isclose(m.clone().learning_rate, 0.02)


def test_weight_penalties_change_training_and_can_be_removed(world):
    import keras

    users, items, ratings = world
    base = RatingModel(users, items, embedding_dim=2, hidden=(), seed=0).fit(
        ratings[:200], epochs=1, batch_size=50
    )
    anchors = base.get_trainable_weights()
    free, tied = base.copy(), base.copy()
    penalties = [(lambda w, a=a: 1e4 * keras.ops.sum(keras.ops.square(w - a))) for a in anchors]
    tied.set_weight_penalties(penalties)
    free.partial_fit(ratings[200:], epochs=2, batch_size=50, learning_rate=0.05)
    tied.partial_fit(ratings[200:], epochs=2, batch_size=50, learning_rate=0.05)
    moved = lambda m: sum(
        float(np.sum((w - a) ** 2))  # noqa: E731
        for w, a in zip(m.get_trainable_weights(), anchors, strict=True)
    )
    assert moved(tied) < 0.5 * moved(free)
    tied.set_weight_penalties(None)
    assert [v.regularizer for v in tied.trainable_variables] == tied._base_regularizers
    with pytest.raises(ValueError, match="one entry per trainable variable"):
        tied.set_weight_penalties([None])
