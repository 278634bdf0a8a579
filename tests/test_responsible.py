"""Tests of course_lib.responsible: importance (explain), segment reports (segments), privacy."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from course_lib.responsible import (
    clip_contributions,
    laplace_mechanism,
    permutation_importance,
    segment_gap,
    segment_report,
)


def _linear_data(n=5000, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {"a": rng.normal(size=n), "b": rng.normal(size=n), "unused": rng.normal(size=n)}
    )
    y = 2.0 * X["a"].to_numpy() + 0.5 * X["b"].to_numpy() + rng.normal(0, 0.1, n)
    return X, y


def _f(df):
    return 2.0 * df["a"].to_numpy() + 0.5 * df["b"].to_numpy()


# ---- permutation importance ----------------------------------------------------------------
def test_unused_column_has_zero_importance_and_order_is_right():
    X, y = _linear_data()
    imp = permutation_importance(_f, X, y, n_repeats=3, seed=0)
    assert list(imp.index) == ["a", "b", "unused"]
    assert imp.loc["unused", "importance"] == 0.0 and imp.loc["unused", "std"] == 0.0
    # E[RMSE permuted] ~ sqrt(2 * 4 + 0.01) for a, sqrt(2 * 0.25 + 0.01) for b
    assert imp.loc["a", "importance"] == pytest.approx(np.sqrt(8.01) - 0.1, abs=0.1)
    assert imp.loc["b", "importance"] == pytest.approx(np.sqrt(0.51) - 0.1, abs=0.05)
    assert np.allclose(imp["baseline"], 0.1, atol=0.01)


def test_does_not_modify_input_and_is_deterministic():
    X, y = _linear_data(500)
    before = X.copy()
    a = permutation_importance(_f, X, y, seed=3)
    b = permutation_importance(_f, X, y, seed=np.random.default_rng(3))
    pd.testing.assert_frame_equal(X, before)
    pd.testing.assert_frame_equal(a, b)
    c = permutation_importance(_f, X, y, seed=4)
    assert not np.isclose(a.loc["a", "importance"], c.loc["a", "importance"])


def test_groups_numpy_input_and_custom_metric():
    X, y = _linear_data(2000)
    grouped = permutation_importance(_f, X, y, columns=[["a", "b"], "unused"], n_repeats=2, seed=0)
    assert list(grouped.index) == ["a+b", "unused"]
    arr = X.to_numpy()
    imp = permutation_importance(
        lambda x: 2.0 * x[:, 0] + 0.5 * x[:, 1],
        arr,
        y,
        columns=[0, 2],
        seed=0,
        metric=lambda t, p: float(np.mean(np.abs(t - p))),
    )
    assert imp.loc["2", "importance"] == 0.0 and imp.loc["0", "importance"] > 1.0
    assert np.array_equal(arr, X.to_numpy())


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"predict_fn": 3}, TypeError, "predict_fn=3"),
        (
            {"columns": ["zzz"]},
            ValueError,
            r"columns='zzz'\): columns must be one of 'a', 'b', 'unused'",
        ),
        ({"columns": "a"}, TypeError, r"columns=\['a'\]"),
        ({"columns": []}, ValueError, "at least one column"),
        ({"n_repeats": 0}, ValueError, "n_repeats=0"),
        ({"seed": -1}, ValueError, "seed=-1"),
        (
            {"y": np.zeros(3)},
            ValueError,
            r"y must be an array of one target per row of X \(50 rows\), it has 3",
        ),
        ({"X": np.zeros(5)}, ValueError, "2-D array"),
        ({"predict_fn": lambda df: np.zeros(2)}, ValueError, "one prediction per row"),
    ],
)
def test_permutation_importance_bad_input(kwargs, error, match):
    X, y = _linear_data(50)
    args = {"predict_fn": _f, "X": X, "y": y} | kwargs
    with pytest.raises(error, match=match):
        permutation_importance(args.pop("predict_fn"), args.pop("X"), args.pop("y"), **args)


# ---- segment report and gap ----------------------------------------------------------------
def test_segment_report_matches_hand_computation():
    df = pd.DataFrame(
        {
            "seg": ["a", "a", "b", "b", "b"],
            "t": [1.0, 3.0, 2.0, 2.0, 5.0],
            "p": [2.0, 3.0, 2.0, 4.0, 5.0],
        }
    )
    rep = segment_report(df, "t", "p", by="seg")
    assert rep.loc["a", "n"] == 2 and rep.loc["b", "share"] == pytest.approx(0.6)
    assert rep.loc["a", "rmse"] == pytest.approx(np.sqrt(0.5))
    assert rep.loc["b", "mae"] == pytest.approx(2 / 3)
    assert rep.loc["b", "bias"] == pytest.approx(2 / 3)
    same = segment_report(df, df["t"].to_numpy(), df["p"].to_numpy(), by=df["seg"].to_numpy())
    assert np.allclose(
        same[["rmse", "mae", "bias"]].to_numpy(), rep[["rmse", "mae", "bias"]].to_numpy()
    )
    two = segment_report(df.assign(k=[0, 1, 0, 1, 0]), "t", "p", by=["seg", "k"])
    assert len(two) == 4 and two["n"].sum() == 5
    assert segment_gap(rep) == pytest.approx(rep["rmse"].max() - rep["rmse"].min())


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"df": [1, 2]}, TypeError, "pandas DataFrame"),
        (
            {"by": "nope"},
            ValueError,
            r"segment_report\(by='nope'\): by must be one of 's', 't', 'p'",
        ),
        ({"y_true": "nope"}, ValueError, "y_true='nope'"),
        ({"y_pred": np.zeros(2)}, ValueError, "it has 2 values"),
        ({"y_pred": np.array([1.0, np.nan, 1.0])}, ValueError, "NaN"),
        ({"by": np.zeros((3, 2))}, ValueError, "one label per row"),
    ],
)
def test_segment_report_bad_input(kwargs, error, match):
    df = pd.DataFrame({"s": ["a", "b", "a"], "t": [1.0, 2.0, 3.0], "p": [1.0, 2.0, 2.0]})
    args = {"df": df, "y_true": "t", "y_pred": "p", "by": "s"} | kwargs
    with pytest.raises(error, match=match):
        segment_report(**args)


def test_segment_gap_bad_input():
    rep = pd.DataFrame({"n": [5, 1], "rmse": [1.0, 2.0]})
    with pytest.raises(ValueError, match="metric='auc'"):
        segment_gap(rep, "auc")
    with pytest.raises(ValueError, match="kind='max'"):
        segment_gap(rep, kind="max")
    with pytest.raises(
        ValueError,
        match=r"min_n=3\): min_n must be small enough that at least 2 "
        r"segments have n >= min_n",
    ):
        segment_gap(rep, min_n=3)


# ---- Laplace mechanism and contribution bounding ---------------------------------------------
@pytest.mark.parametrize("sensitivity, epsilon", [(1.0, 1.0), (3.0, 0.5), (1.0, 10.0)])
def test_laplace_noise_scale_is_sensitivity_over_epsilon(sensitivity, epsilon):
    noise = laplace_mechanism(np.zeros(100_000), sensitivity, epsilon, seed=0)
    b = sensitivity / epsilon
    # mean |X| = b and sd = sqrt(2) b for Laplace(0, b); 100k draws -> ~0.5 % error
    assert np.mean(np.abs(noise)) == pytest.approx(b, rel=0.02)
    assert np.std(noise) == pytest.approx(np.sqrt(2) * b, rel=0.02)
    assert abs(np.mean(noise)) < 0.02 * b
    # the Laplace tail: P(|X| > t) = exp(-t / b)
    assert np.mean(np.abs(noise) > 2 * b) == pytest.approx(np.exp(-2), abs=0.005)


def test_laplace_keeps_shape_is_seeded_and_does_not_modify_input():
    values = np.array([[10.0, 20.0], [30.0, 40.0]])
    a = laplace_mechanism(values, 1.0, 1.0, seed=5)
    assert a.shape == (2, 2) and values[0, 0] == 10.0
    assert np.array_equal(a, laplace_mechanism(values, 1.0, 1.0, seed=np.random.default_rng(5)))
    assert not np.array_equal(a, laplace_mechanism(values, 1.0, 1.0, seed=6))


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"epsilon": 0.0}, ValueError, "epsilon=0.0"),
        ({"epsilon": float("inf")}, ValueError, "epsilon=inf"),
        ({"sensitivity": -1.0}, ValueError, "sensitivity=-1.0"),
        ({"epsilon": True}, ValueError, "epsilon=True"),
        ({"values": [1.0, np.nan]}, ValueError, "NaN"),
        ({"values": ["a", "b"]}, TypeError, "numbers"),
        ({"seed": 1.5}, ValueError, "seed=1.5"),
    ],
)
def test_laplace_bad_input(kwargs, error, match):
    args = {"values": [1.0, 2.0], "sensitivity": 1.0, "epsilon": 1.0, "seed": 0} | kwargs
    with pytest.raises(error, match=match):
        laplace_mechanism(**args)


def test_clip_contributions_bounds_each_key():
    ev = pd.DataFrame({"user_id": [1, 1, 1, 2, 2], "t": [3, 1, 2, 5, 4], "c": list("abcde")})
    kept = clip_contributions(ev, "user_id", 2, order_by="t")
    assert kept.groupby("user_id").size().max() == 2
    assert sorted(kept["c"]) == ["b", "c", "d", "e"]  # the two earliest of user 1
    assert list(kept.index) == sorted(kept.index)
    assert len(clip_contributions(ev, max_rows=10)) == 5
    with pytest.raises(ValueError, match="max_rows=0"):
        clip_contributions(ev, max_rows=0)
    with pytest.raises(ValueError, match="key='uid'"):
        clip_contributions(ev, key="uid")
    with pytest.raises(ValueError, match="order_by='x'"):
        clip_contributions(ev, order_by="x")
    with pytest.raises(TypeError, match="DataFrame"):
        clip_contributions([1, 2])


def test_permutation_importance_uses_the_one_rmse():
    from course_lib.evaluation.metrics import rmse

    X, y = _linear_data(200)
    imp = permutation_importance(_f, X, y, n_repeats=1, seed=0)
    assert imp["baseline"].iloc[0] == pytest.approx(rmse(y, _f(X)))
    import course_lib.responsible.explain as explain

    assert not hasattr(explain, "_rmse")
