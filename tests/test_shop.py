"""ShopSim: schema, determinism, ground truth and every drift scenario."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from course_lib.data import (
    CATEGORIES,
    SCENARIOS,
    expected_rating_from_mu,
    make_config,
    simulate,
)
from course_lib.data import shop as shopmod

SMALL = dict(n_days=40, n_users=400, n_items=120)


@pytest.fixture(scope="module")
def worlds():
    """Every scenario at the default (shipped) size; ~0.5 s each."""
    return {name: simulate(name) for name in SCENARIOS}


@pytest.fixture(scope="module")
def small():
    return simulate("all", seed=7, **SMALL)


def test_schema_and_dtypes(small):
    r = small.ratings
    assert r.columns.tolist() == ["user_id", "item_id", "rating", "timestamp", "day"]
    assert [str(t) for t in r.dtypes] == ["int64", "int64", "float64", "int64", "int64"]
    assert r["timestamp"].is_monotonic_increasing and r.index.equals(pd.RangeIndex(len(r)))
    assert set(np.unique(r["rating"])) <= {1.0, 2.0, 3.0, 4.0, 5.0}
    assert r["day"].min() == 0 and r["day"].max() < small.n_days
    assert np.array_equal(
        r["day"], (r["timestamp"] - r["timestamp"].min() // 86400 * 86400) // 86400
    )
    assert not r.duplicated(["user_id", "item_id"]).any()
    assert small.users.index.name == "user_id" and small.items.index.name == "item_id"
    assert {"age", "income", "education", "region", "signup_day"} <= set(small.users.columns)
    assert {"category", "price", "quality", "brand", "launch_day"} <= set(small.items.columns)
    assert set(small.items["category"]) == set(CATEGORIES)
    assert small.rating_truth.columns.tolist() == ["expected_rating"]
    assert len(small.rating_truth) == len(r)
    inter = small.interactions
    assert {"user_id", "item_id", "event", "price", "timestamp", "day"} <= set(inter.columns)
    assert inter["timestamp"].is_monotonic_increasing
    assert set(inter["event"]) == {"view", "cart", "purchase"}
    assert len(small.views) == (inter["event"] == "view").sum() == len(small.view_truth)
    assert {"purchased", "carted", "price", "discount", "category", "hour", "weekday"} <= set(
        small.views.columns
    )
    assert ((small.views["purchased"] == 1) <= (small.views["carted"] == 1)).all()


def test_logged_ids_exist_and_respect_arrival(small):
    r = small.ratings
    assert r["user_id"].isin(small.users.index).all() and r["item_id"].isin(small.items.index).all()
    assert (r["day"].to_numpy() >= small.users["signup_day"].reindex(r["user_id"]).to_numpy()).all()
    assert (r["day"].to_numpy() >= small.items["launch_day"].reindex(r["item_id"]).to_numpy()).all()
    assert (small.users["signup_day"] > 0).any() and (small.items["launch_day"] > 0).any()


def test_same_seed_same_world_different_seed_different_world():
    a, b = simulate("all", seed=3, **SMALL), simulate("all", seed=3, **SMALL)
    for attr in ("ratings", "rating_truth", "users", "items", "interactions", "view_truth"):
        pd.testing.assert_frame_equal(getattr(a, attr), getattr(b, attr))
    c = simulate("all", seed=4, **SMALL)
    assert not a.users.equals(c.users)
    assert len(a.ratings) != len(c.ratings) or not a.ratings.equals(c.ratings)


def test_no_global_numpy_state_used():
    np.random.seed(0)
    before = np.random.get_state()[1].copy()
    simulate("stable", seed=1, **SMALL)
    assert np.array_equal(before, np.random.get_state()[1])


def test_truth_recomputes_logged_truth(small):
    r = small.ratings
    e = small.truth.expected_rating(r["user_id"], r["item_id"], r["day"])
    np.testing.assert_allclose(np.round(e, 4), small.rating_truth["expected_rating"], atol=1e-9)
    v = small.views
    p = small.truth.purchase_prob(v["user_id"], v["item_id"], v["day"], v["discount"])
    np.testing.assert_allclose(np.round(p, 4), small.view_truth["purchase_prob"], atol=1e-9)


def test_expected_rating_formula_matches_monte_carlo():
    rng = np.random.default_rng(0)
    for mu in (0.7, 2.2, 3.5, 4.6, 6.0):
        draws = np.clip(np.floor(mu + rng.normal(0, 0.9, 400_000) + 0.5), 1, 5)
        assert abs(expected_rating_from_mu(np.array([mu]), 0.9)[0] - draws.mean()) < 0.006


def test_ratings_scatter_around_truth_and_purchases_are_calibrated(worlds):
    w = worlds["all"]
    resid = w.ratings["rating"] - w.rating_truth["expected_rating"]
    assert abs(resid.mean()) < 0.02  # truth is the conditional mean
    floor = float(np.sqrt(np.mean(resid**2)))
    assert 0.75 < floor < 0.95  # the noise floor the course quotes
    assert abs(w.views["purchased"].mean() - w.view_truth["purchase_prob"].mean()) < 0.005


def _bias_baseline(train, test, lam=5.0, n_iter=10):
    mu = train["rating"].mean()
    bu = pd.Series(0.0, index=train["user_id"].unique())
    bi = pd.Series(0.0, index=train["item_id"].unique())
    for _ in range(n_iter):
        res = train["rating"] - mu - bi.reindex(train["item_id"]).to_numpy()
        bu = res.groupby(train["user_id"]).sum() / (res.groupby(train["user_id"]).count() + lam)
        res = train["rating"] - mu - bu.reindex(train["user_id"]).to_numpy()
        bi = res.groupby(train["item_id"]).sum() / (res.groupby(train["item_id"]).count() + lam)
    return np.clip(
        mu
        + bu.reindex(test["user_id"]).fillna(0).to_numpy()
        + bi.reindex(test["item_id"]).fillna(0).to_numpy(),
        1,
        5,
    )


def test_signal_is_learnable_on_a_time_split(worlds):
    w = worlds["all"]
    cut = int(0.8 * len(w.ratings))
    train, test = w.ratings.iloc[:cut], w.ratings.iloc[cut:]
    rmse = lambda p: float(np.sqrt(np.mean((test["rating"].to_numpy() - p) ** 2)))  # noqa: E731
    rmse_mean = rmse(np.full(len(test), train["rating"].mean()))
    rmse_bias = rmse(_bias_baseline(train, test))
    rmse_truth = rmse(w.rating_truth["expected_rating"].to_numpy()[cut:])
    assert rmse_bias < rmse_mean - 0.05
    assert rmse_truth < rmse_bias - 0.1  # room for features and embeddings


def test_sizes_fit_the_course_budget(worlds):
    w = worlds["all"]
    assert 40_000 <= len(w.ratings) <= 70_000
    assert 150_000 <= len(w.views) <= 320_000
    assert len(w.users) == 3000 and len(w.items) == 500 and w.n_days == 180


def _window_mean(df, truth, mask, start, stop):
    days = df["day"].to_numpy()
    sel = mask & (days >= start) & (days < stop)
    assert sel.sum() > 30, "too few events in the window to measure a shift"
    return float(truth[sel].mean())


def _view_mask(w, category, region=None):
    mask = (w.views["category"] == category).to_numpy()
    if region is not None:
        mask = mask & (w.users["region"].reindex(w.views["user_id"]) == region).to_numpy()
    return mask


def test_drift_events_by_scenario(worlds):
    kinds = {name: w.drift_events["kind"].tolist() for name, w in worlds.items()}
    assert kinds["stable"] == []
    assert kinds["sudden"] == ["sudden"]
    assert kinds["seasonal"] == ["seasonal_start", "seasonal_end"]
    assert kinds["gradual"] == ["gradual_start", "gradual_end"]
    assert kinds["all"] == [
        "gradual_start",
        "gradual_end",
        "sudden",
        "seasonal_start",
        "seasonal_end",
    ]
    assert worlds["all"].drift_events.columns.tolist() == [
        "day",
        "kind",
        "category",
        "region",
        "magnitude",
        "description",
    ]


@pytest.mark.parametrize("scenario", ["sudden", "all"])
def test_sudden_change_point_is_visible(worlds, scenario):
    w = worlds[scenario]
    ev = w.drift_events.set_index("kind").loc["sudden"]
    truth = w.view_truth["expected_rating"].to_numpy()
    mask = _view_mask(w, ev["category"])
    before = _window_mean(w.views, truth, mask, ev["day"] - 7, ev["day"])
    after = _window_mean(w.views, truth, mask, ev["day"], ev["day"] + 7)
    assert after < before - 0.7  # a clear step down on the recorded day
    # ... and the day before the event looks like the week before it (no early leak)
    just_before = _window_mean(w.views, truth, mask, ev["day"] - 2, ev["day"])
    assert abs(just_before - before) < 0.15
    share = w.views.assign(is_cat=mask).groupby(w.views["day"] >= ev["day"])["is_cat"].mean()
    assert share[True] < 0.8 * share[False]  # demand drops too


@pytest.mark.parametrize("scenario", ["seasonal", "all"])
def test_seasonal_change_points_are_visible(worlds, scenario):
    w = worlds[scenario]
    events = w.drift_events.set_index("kind")
    start, end = int(events.loc["seasonal_start", "day"]), int(events.loc["seasonal_end", "day"])
    truth = w.view_truth["expected_rating"].to_numpy()
    for cat in ("toys", "electronics"):
        mask = _view_mask(w, cat)
        pre = _window_mean(w.views, truth, mask, start - 7, start)
        during = _window_mean(w.views, truth, mask, start, start + 7)
        post = _window_mean(w.views, truth, mask, end, w.n_days)
        assert during > pre + 0.4 and post < during - 0.4
    per_day = w.views.groupby("day").size()
    assert per_day.loc[start : end - 1].mean() > 1.2 * per_day.loc[start - 14 : start - 1].mean()


@pytest.mark.parametrize("scenario", ["gradual", "all"])
def test_gradual_migration_is_visible(worlds, scenario):
    w = worlds[scenario]
    events = w.drift_events.set_index("kind")
    start, end = int(events.loc["gradual_start", "day"]), int(events.loc["gradual_end", "day"])
    region = events.loc["gradual_start", "region"]
    truth = w.view_truth["expected_rating"].to_numpy()
    books = _view_mask(w, "books", region)
    sports = _view_mask(w, "sports", region)
    mid = (start + end) // 2
    b0, b1, b2 = (
        _window_mean(w.views, truth, books, a, b)
        for a, b in ((start - 14, start), (mid - 3, mid + 4), (end, end + 14))
    )
    assert b0 - 0.2 > b1 > b2 + 0.2  # declines step by step, not at once
    s0 = _window_mean(w.views, truth, sports, start - 14, start)
    s2 = _window_mean(w.views, truth, sports, end, end + 14)
    assert s2 > s0 + 0.8
    # other regions do not move
    other = _view_mask(w, "books") & ~books
    assert (
        abs(
            _window_mean(w.views, truth, other, start - 14, start)
            - _window_mean(w.views, truth, other, end, end + 14)
        )
        < 0.15
    )


def test_stable_world_truth_does_not_move(worlds):
    w = worlds["stable"]
    truth = w.view_truth["expected_rating"].to_numpy()
    for cat in CATEGORIES:
        mask = _view_mask(w, cat)
        first = _window_mean(w.views, truth, mask, 20, 50)
        last = _window_mean(w.views, truth, mask, 140, 170)
        assert abs(first - last) < 0.15, cat


def test_overrides_move_the_change_point():
    w = simulate(
        "sudden",
        seed=5,
        n_days=60,
        n_users=600,
        n_items=150,
        sudden_day=20,
        sudden_category="books",
    )
    ev = w.drift_events.iloc[0]
    assert (ev["day"], ev["category"]) == (20, "books")
    appeal = w.truth.timeline.query("category == 'books' and region == 'north'")["appeal"]
    assert appeal.iloc[19] == 0 and appeal.iloc[20] == pytest.approx(-1.4)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (
            dict(scenario="winter"),
            ValueError,
            r"simulate\(scenario='winter'\): scenario must be one of 'stable'",
        ),
        (dict(seed=-1), ValueError, r"simulate\(seed=-1\): seed must be an int >= 0; pass e.g."),
        (dict(seed=1.5), TypeError, r"simulate\(seed=1.5\): seed must be an int >= 0, got float"),
        (dict(n_users=0), ValueError, r"simulate\(n_users=0\): n_users must be an int >= 1"),
        (
            dict(n_days=10),
            ValueError,
            r"n_days=10\): n_days must be an int >= 14; simulate at least",
        ),
        (
            dict(colour="red"),
            TypeError,
            r"simulate\(colour='red'\): colour must be a knob of ShopConfig, but \['colour'\] "
            r"are unknown override\(s\); the knobs are",
        ),
        (
            dict(sudden_day=500),
            ValueError,
            r"simulate\(sudden_day=500\): sudden_day must be an int with 1 <= sudden_day <= 179",
        ),
        (
            dict(sudden_category="cars"),
            ValueError,
            r"simulate\(sudden_category='cars'\): sudden_category must be one of 'electronics'",
        ),
        (
            dict(seasonal_categories=("toys", "cars")),
            ValueError,
            r"seasonal_categories must be one of .*got \('toys', 'cars'\)",
        ),
        (dict(gradual_region="mars"), ValueError, r"gradual_region='mars'\): gradual_region must"),
        (
            dict(seasonal_start=150, seasonal_end=140),
            ValueError,
            r"seasonal_start=150\): seasonal_start must be smaller than seasonal_end=140; a drift",
        ),
        (
            dict(rating_prob=1.5),
            ValueError,
            r"rating_prob=1.5\): rating_prob must be a number with 0 < rating_prob <= 1",
        ),
        (
            dict(seasonal_demand=0),
            ValueError,
            r"seasonal_demand=0\): seasonal_demand must be a "
            r"positive number",
        ),
    ],
)
def test_bad_arguments_are_explained(kwargs, error, match):
    with pytest.raises(error, match=match):
        make_config(**kwargs)


def test_cli_writes_a_world(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(
        shopmod, "simulate", lambda scenario, seed: simulate(scenario, seed=seed, **SMALL)
    )
    assert shopmod.main(["--out", str(tmp_path), "--scenario", "sudden", "--seed", "1"]) == 0
    assert (tmp_path / "manifest.json").is_file() and (tmp_path / "ratings.csv.gz").is_file()
    assert "scenario='sudden'" in capsys.readouterr().out
