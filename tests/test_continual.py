"""Tests of course_lib.continual (strategies, buffers, ewc): each strategy's defining behaviour."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from course_lib.continual import (
    EWC,
    FineTune,
    FullRetrain,
    Replay,
    ReservoirBuffer,
    SlidingWindow,
    Static,
    WarmStartALS,
    canonical_order,
    ewc_gradient,
    ewc_penalty,
)
from course_lib.core.roles import UpdateStrategy
from course_lib.models import MatrixFactorization


def tiny_stream(n_days: int = 12, per_day: int = 40, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = n_days * per_day
    day = np.repeat(np.arange(n_days), per_day)
    users = rng.integers(0, 15 + 2 * day)  # new users keep arriving
    items = rng.integers(0, 10 + day)  # and new items
    rating = np.clip(
        np.round(3 + 0.1 * (users % 5) - 0.1 * (items % 4) + rng.normal(0, 0.5, n)), 1, 5
    )
    return pd.DataFrame(
        {
            "user_id": users,
            "item_id": items,
            "rating": rating.astype(float),
            "timestamp": day * 86400 + np.arange(n),
            "day": day,
        }
    )


def batches_of(df):
    return [g for _, g in df[df["day"] >= 6].groupby("day")]


def mf(seed=0):
    return MatrixFactorization(n_factors=3, solver="sgd", epochs=5, batch_size=32, seed=seed)


# --- reservoir --------------------------------------------------------------------------------


def test_reservoir_keeps_at_most_capacity_and_counts_everything():
    buf = ReservoirBuffer(50, seed=0)
    for k in range(10):
        buf.add(pd.DataFrame({"x": np.arange(k * 30, k * 30 + 30)}))
    assert len(buf) == 50 and buf.n_seen == 300
    assert buf.frame()["x"].is_unique


def test_reservoir_sample_is_uniform_over_the_stream():
    # each of 100 rows should be kept with probability 10/100; average over many seeds
    counts = np.zeros(100)
    n_runs = 2000
    for seed in range(n_runs):
        buf = ReservoirBuffer(10, seed=seed)
        for start in range(0, 100, 25):
            buf.add(pd.DataFrame({"x": np.arange(start, start + 25)}))
        counts[buf.frame()["x"].to_numpy()] += 1
    freq = counts / n_runs
    assert abs(freq.mean() - 0.1) < 1e-12
    # early and late rows equally likely (binomial sd per row ~ 0.0067)
    assert abs(freq[:50].mean() - freq[50:].mean()) < 0.01
    assert np.all(np.abs(freq - 0.1) < 0.035)


def test_reservoir_matches_the_sequential_algorithm():
    """The vectorised add equals Algorithm R applied row by row with the same draws."""
    rng_a = np.random.default_rng(7)
    buf = ReservoirBuffer(5, seed=rng_a)
    buf.add(pd.DataFrame({"x": np.arange(40)}))
    rng_b = np.random.default_rng(7)
    slots = list(range(5))
    draws = rng_b.random(35)
    for k, t in enumerate(range(5, 40)):
        j = int(np.floor(draws[k] * (t + 1)))
        if j < 5:
            slots[j] = t
    assert buf.frame()["x"].tolist() == slots


def test_reservoir_sample_without_replacement_and_errors():
    buf = ReservoirBuffer(20, seed=0).add(pd.DataFrame({"x": range(20)}))
    s = buf.sample(8)
    assert len(s) == 8 and s["x"].is_unique
    assert len(buf.sample(100)) == 20
    with pytest.raises(ValueError, match=r"ReservoirBuffer\(capacity=0\)"):
        ReservoirBuffer(0)
    with pytest.raises(ValueError, match=r"sample\(n=-1\)"):
        buf.sample(-1)
    with pytest.raises(
        TypeError,
        match=r"ReservoirBuffer.add\(df=\[1, 2\]\): df must be a pandas "
        "DataFrame",
    ):
        buf.add([1, 2])


# --- EWC maths --------------------------------------------------------------------------------


def test_ewc_gradient_matches_finite_differences():
    rng = np.random.default_rng(0)
    shapes = [(3, 2), (4,)]
    w = [rng.normal(size=s) for s in shapes]
    a = [rng.normal(size=s) for s in shapes]
    f = [rng.random(size=s) for s in shapes]
    grad = ewc_gradient(w, a, f, lam=3.0)
    eps = 1e-6
    for k, s in enumerate(shapes):
        for idx in np.ndindex(s):
            wp = [x.copy() for x in w]
            wm = [x.copy() for x in w]
            wp[k][idx] += eps
            wm[k][idx] -= eps
            num = (ewc_penalty(wp, a, f, 3.0) - ewc_penalty(wm, a, f, 3.0)) / (2 * eps)
            assert num == pytest.approx(grad[k][idx], rel=1e-6, abs=1e-8)


def test_ewc_penalty_is_zero_at_the_anchor_and_with_lambda_zero():
    w = [np.ones(3)]
    assert ewc_penalty(w, w, [np.ones(3)], lam=5.0) == 0.0
    assert ewc_penalty(w, [np.zeros(3)], [np.ones(3)], lam=0.0) == 0.0


def test_ewc_shape_errors():
    with pytest.raises(
        ValueError,
        match=r"ewc_penalty\(anchor\[0\]=array of shape \(2,\)\): "
        r"anchor\[0\] must be of the shape of weights\[0\] \(3,\)",
    ):
        ewc_penalty([np.ones(3)], [np.ones(2)], [np.ones(3)], 1.0)
    with pytest.raises(
        ValueError,
        match=r"ewc_gradient\(anchor=\[\]\): anchor must be a list of "
        r"as many arrays as weights \(1\), got 0",
    ):
        ewc_gradient([np.ones(3)], [], [], 1.0)
    with pytest.raises(ValueError, match=r"ewc_penalty\(lam=-1\): lam must be a number >= 0"):
        ewc_penalty([np.ones(3)], [np.ones(3)], [np.ones(3)], -1)


# --- strategies on a numpy model ------------------------------------------------------------


def started(strategy, df, seed=0):
    init = df[df["day"] < 6]
    return strategy.start(mf(seed).fit(init), init)


def test_static_never_changes():
    df = tiny_stream()
    s = started(Static(), df)
    probe = df.iloc[:50]
    before = s.predict(probe)
    for b in batches_of(df):
        s.update(b)
    assert np.array_equal(before, s.predict(probe))
    assert all(c.n_examples == 0 for c in s.costs_)


def test_finetune_trains_on_the_batch_only_and_handles_new_ids():
    df = tiny_stream()
    s = started(FineTune(epochs=2, learning_rate=0.05), df)
    n_users = s.model_.n_seen_users
    b = batches_of(df)[-1]
    s.update(b)
    assert s.costs_[-1].n_examples == 2 * len(b)
    assert s.model_.n_seen_users > n_users  # the growing encoder took the newcomers


def test_full_retrain_is_independent_of_update_order():
    df = tiny_stream()
    bs = batches_of(df)
    a = started(FullRetrain(epochs=3), df)
    b = started(FullRetrain(epochs=3), df)
    for batch in bs:
        a.update(batch)
    for batch in reversed(bs):
        b.update(batch)
    probe = df.sample(100, random_state=0)
    np.testing.assert_allclose(a.predict(probe), b.predict(probe))
    assert a.costs_[-1].n_examples == 3 * len(df)  # all history, every time


def test_full_retrain_starts_from_fresh_weights():
    df = tiny_stream()
    s = started(FullRetrain(epochs=3), df)
    old = s.model_
    s.update(batches_of(df)[0])
    assert s.model_ is not old


def test_sliding_window_uses_only_the_last_days():
    df = tiny_stream()
    s = started(SlidingWindow(window_days=3, epochs=1), df)
    for b in batches_of(df):
        s.update(b)
    assert set(s.training_set()["day"]) == {9, 10, 11}
    assert s.costs_[-1].n_examples == 3 * 40


def test_replay_mixes_old_rows_and_its_buffer_is_bounded():
    df = tiny_stream()
    s = started(Replay(buffer_size=100, replay_ratio=0.5, epochs=1, seed=0), df)
    b = batches_of(df)[0]
    s.update(b)
    assert s.costs_[-1].n_examples == len(b) + 20
    assert len(s.buffer) == 100 and s.buffer.n_seen == 6 * 40 + len(b)


def test_replay_with_ratio_zero_equals_finetune():
    df = tiny_stream()
    r = started(Replay(replay_ratio=0.0, epochs=2, learning_rate=0.05), df)
    f = started(FineTune(epochs=2, learning_rate=0.05), df)
    for b in batches_of(df):
        r.update(b)
        f.update(b)
    np.testing.assert_allclose(r.predict(df), f.predict(df))


def test_replay_forgets_less_than_finetune_when_the_world_flips():
    rng = np.random.default_rng(1)
    n = 600
    old = pd.DataFrame(
        {
            "user_id": rng.integers(0, 20, n),
            "item_id": rng.integers(0, 10, n),
            "timestamp": np.arange(n),
            "day": np.arange(n) // 100,
        }
    )
    old["rating"] = np.where(old["item_id"] < 5, 1.0, 5.0)
    new = pd.DataFrame(
        {
            "user_id": rng.integers(0, 20, n),
            "item_id": rng.integers(5, 10, n),
            "timestamp": n + np.arange(n),
            "day": 6 + np.arange(n) // 100,
        }
    )
    new["rating"] = 5.0  # only the good items 5-9 are rated lately; items 0-4 stay bad
    test_old = old[old["item_id"] < 5]

    def run(strategy):
        strategy.start(
            MatrixFactorization(
                n_factors=2, solver="sgd", epochs=20, learning_rate=0.05, seed=0
            ).fit(old),
            old,
        )
        for _, b in new.groupby("day"):
            strategy.update(b)
        return float(np.sqrt(np.mean((strategy.predict(test_old) - 1.0) ** 2)))

    ft = run(FineTune(epochs=20, learning_rate=0.05))
    rp = run(Replay(epochs=20, learning_rate=0.05, buffer_size=300, seed=0))
    assert rp < ft - 0.1


def test_strategy_protocol_errors():
    with pytest.raises(RuntimeError, match=r"FineTune.predict: call start\(model, history\)"):
        FineTune().predict(pd.DataFrame())
    with pytest.raises(
        TypeError,
        match=r"FineTune.start\(model=.*\): model must be a "
        r"RatingEstimator \(clone, copy, fit, partial_fit, predict\), got object; "
        "use RatingModel or MatrixFactorization",
    ):
        FineTune().start(object(), pd.DataFrame())
    with pytest.raises(
        TypeError,
        match=r"FineTune.start\(history=\[\]\): history must be a "
        "pandas DataFrame",
    ):
        FineTune().start(mf(), [])
    s = started(FineTune(), tiny_stream())
    with pytest.raises(
        ValueError,
        match=r"FineTune.update\(batch=.*\): batch must be a "
        r"DataFrame with the column\(s\) \['rating'\]",
    ):
        s.update(tiny_stream().drop(columns="rating"))
    with pytest.raises(
        ValueError,
        match=r"FineTune\(learning_rate=0\): learning_rate must be a "
        r"positive number",
    ):
        FineTune(learning_rate=0)
    with pytest.raises(ValueError, match=r"FineTune\(epochs=0\)"):
        FineTune(epochs=0)
    with pytest.raises(ValueError, match=r"Replay\(replay_ratio=-1\)"):
        Replay(replay_ratio=-1)
    with pytest.raises(ValueError, match=r"EWC\(lam=-1\)"):
        EWC(lam=-1)
    with pytest.raises(ValueError, match=r"EWC\(decay=2\): decay must be a number with 0 <= "):
        EWC(decay=2)
    with pytest.raises(TypeError, match="EWC needs a Keras model"):
        EWC().start(mf().fit(tiny_stream()), tiny_stream())


def test_every_strategy_plays_the_update_strategy_role():
    df = tiny_stream()
    for strategy in (
        Static(),
        FineTune(),
        Replay(),
        EWC(),
        FullRetrain(),
        SlidingWindow(),
        WarmStartALS(),
    ):
        assert isinstance(strategy, UpdateStrategy), type(strategy).__name__
        assert isinstance(strategy.name, str)
    s = FineTune()
    assert s.start(mf().fit(df), df) is s and s.update(batches_of(df)[0]) is s


def test_canonical_order_ignores_arrival_order():
    df = tiny_stream()
    shuffled = df.sample(frac=1.0, random_state=3)
    pd.testing.assert_frame_equal(canonical_order(df), canonical_order(shuffled))


# --- EWC with the Keras rating model -----------------------------------------------------------


@pytest.fixture(scope="module")
def keras_setup():
    from course_lib import setup_notebook

    setup_notebook(seed=0)
    from course_lib.models import RatingModel

    df = tiny_stream(n_days=8, per_day=60)
    users = pd.DataFrame({"age": np.arange(40.0)}, index=pd.RangeIndex(40, name="user_id"))
    items = pd.DataFrame({"price": np.arange(30.0)}, index=pd.RangeIndex(30, name="item_id"))
    init = df[df["day"] < 5]

    def fresh_model():
        return RatingModel(
            users, items, embedding_dim=4, hidden=(8,), seed=0, unknown_rate=0.0
        ).fit(init, epochs=2, batch_size=64)

    return df, init, fresh_model


def test_ewc_with_lambda_zero_equals_finetune(keras_setup):
    df, init, fresh_model = keras_setup
    e = EWC(lam=0.0, epochs=1, batch_size=64, learning_rate=1e-2, clipnorm=1.0, seed=0)
    f = FineTune(epochs=1, batch_size=64, learning_rate=1e-2, clipnorm=1.0)
    e.start(fresh_model(), init)
    f.start(fresh_model(), init)
    for _, b in df[df["day"] >= 5].groupby("day"):
        e.update(b)
        f.update(b)
    for we, wf in zip(e.model_.get_weights(), f.model_.get_weights(), strict=False):
        np.testing.assert_allclose(we, wf, rtol=1e-5, atol=1e-6)


def test_ewc_keras_penalty_equals_numpy_and_pulls_toward_the_anchor(keras_setup):
    import keras

    df, init, fresh_model = keras_setup
    e = EWC(lam=50.0, epochs=3, batch_size=64, learning_rate=1e-2, seed=0).start(
        fresh_model(), init
    )
    f = FineTune(epochs=3, batch_size=64, learning_rate=1e-2).start(fresh_model(), init)
    anchor = [a.copy() for a in e.anchor_]
    batch = df[df["day"] >= 5]
    e.model_.partial_fit(batch, epochs=1, batch_size=64)  # move away from the anchor
    keras_penalty = sum(
        float(keras.ops.convert_to_numpy(reg(v)))
        for reg, v in zip(e.regularizers_, e.model_.trainable_variables, strict=False)
    )
    assert e.penalty() > 0
    assert keras_penalty == pytest.approx(e.penalty(), rel=1e-4)
    # EWC moves the weights less than fine-tuning does on the same data
    e2 = EWC(lam=1e4, epochs=3, batch_size=64, learning_rate=1e-2, seed=0).start(
        fresh_model(), init
    )
    fisher0 = [x.copy() for x in e2.fisher_]
    e2.update(batch)
    f.update(batch)
    dist = lambda s: sum(
        float(np.sum(fisher0[k] * (w.numpy() - anchor[k]) ** 2))  # noqa
        for k, w in enumerate(s.model_.trainable_variables)
    )
    assert dist(e2) < dist(f)


# --------------------------------------------------------------------------- warm-start ALS
def _ridge(X, t, penalty):
    return np.linalg.solve(X.T @ X + penalty, X.T @ t)


def test_warm_start_als_touches_only_the_batch_users_and_items():

    df = tiny_stream()
    history = df[df["day"] < 6]
    model = MatrixFactorization(n_factors=2, reg=1.0, epochs=5, seed=0).fit(history)
    strategy = WarmStartALS().start(model, history)
    batch = batches_of(df)[0].iloc[:12]
    U0, V0 = model.U_.copy(), model.V_.copy()
    strategy.update(batch)
    touched_u = model.user_encoder_.transform(batch["user_id"])
    touched_i = model.item_encoder_.transform(batch["item_id"])
    untouched_u = np.setdiff1d(np.arange(1, len(U0)), touched_u)
    untouched_i = np.setdiff1d(np.arange(1, len(V0)), touched_i)
    assert len(untouched_u) and len(untouched_i)
    np.testing.assert_array_equal(model.U_[untouched_u], U0[untouched_u])
    np.testing.assert_array_equal(model.V_[untouched_i], V0[untouched_i])
    assert not np.allclose(
        model.U_[np.intersect1d(touched_u, np.arange(1, len(U0)))],
        U0[np.intersect1d(touched_u, np.arange(1, len(U0)))],
    )
    # cost: the touched users' and items' ratings (history + batch), once per sweep
    every = pd.concat([history, batch])
    n_touched = (
        every["user_id"].isin(batch["user_id"]).sum()
        + every["item_id"].isin(batch["item_id"]).sum()
    )
    assert strategy.costs_[0].n_examples == n_touched < 2 * len(every)


def test_warm_start_als_folds_a_new_user_in_in_closed_form():
    """A new user's factors and bias are the ridge solution against the current items."""

    df = tiny_stream()
    history = df[df["day"] < 6]
    model = MatrixFactorization(n_factors=2, reg=0.5, epochs=5, reg_user_bias=3.0, seed=0).fit(
        history
    )
    items = history["item_id"].unique()[:4]
    batch = pd.DataFrame({"user_id": 999, "item_id": items, "rating": [5.0, 4.0, 1.0, 2.0]})
    V_before = model.V_.copy()
    # the user step comes first, against the items' factors before this update
    i = model.item_encoder_.transform(batch["item_id"])
    X = np.hstack([V_before[i, :2], np.ones((4, 1))])
    t = batch["rating"].to_numpy() - model.mu_ - V_before[i, 2]
    expected = _ridge(X, t, np.diag([0.5, 0.5, 3.0]))
    WarmStartALS().start(model, history).update(batch)
    row = model.user_encoder_.transform([999])[0]
    np.testing.assert_allclose(model.U_[row], expected, atol=1e-10)


def test_warm_start_als_needs_an_als_model():

    with pytest.raises(TypeError, match=r"model must be an ALS matrix factorisation"):
        WarmStartALS().start(mf().fit(tiny_stream()), tiny_stream())
    with pytest.raises(ValueError, match=r"n_sweeps=0"):
        WarmStartALS(n_sweeps=0)


def test_warm_start_tracks_a_full_retrain_closely():
    """One sweep per batch stays within a few per cent of re-solving everything from scratch."""

    df = tiny_stream(n_days=16)
    history, stream = df[df["day"] < 8], [g for _, g in df[df["day"] >= 8].groupby("day")]
    warm = WarmStartALS().start(
        MatrixFactorization(n_factors=2, reg=2.0, seed=0).fit(history), history
    )
    seen = history
    for batch in stream:
        warm.update(batch)
        seen = pd.concat([seen, batch])
    retrained = MatrixFactorization(n_factors=2, reg=2.0, seed=0).fit(seen)

    def err(m):
        return np.sqrt(np.mean((m.predict(seen) - seen["rating"]) ** 2))

    assert err(warm.model_) < 1.05 * err(retrained)
