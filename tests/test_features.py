"""Tests of course_lib.data.features and .standardizer: id encoder, standardiser, side tables."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest

from course_lib.data import FeatureTable, IdEncoder, Standardizer, default_feature_columns


def test_features_does_not_import_tensorflow():
    assert "course_lib.data.features" in sys.modules
    # importing the module must not pull TensorFlow in (numpy layer)
    import subprocess

    code = "import course_lib.data.features, sys; print('tensorflow' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# ---------------------------------------------------------------- IdEncoder
def test_encoder_rows_in_order_of_first_appearance():
    enc = IdEncoder().observe([5, 3, 5, 9])
    assert enc.ids_ == [5, 3, 9]
    assert enc.transform([9, 5, 3, 4]).tolist() == [3, 1, 2, 0]
    assert enc.n_rows == 4


def test_encoder_grows_and_keeps_old_rows():
    enc = IdEncoder(capacity=10).observe([1, 2])
    before = enc.transform([1, 2]).tolist()
    enc.observe([3, 1])
    assert enc.transform([1, 2, 3]).tolist() == before + [3]
    assert enc.n_rows == 11


def test_encoder_capacity_overflow_maps_to_zero():
    enc = IdEncoder(capacity=2).observe([1, 2, 3, 4, 3])
    assert enc.n_seen == 2 and enc.n_overflow_ == 2
    assert enc.transform([3, 4]).tolist() == [0, 0]


def test_encoder_numpy_and_python_ids_agree():
    enc = IdEncoder().observe(np.array([7, 8], dtype=np.int64))
    assert 7 in enc and np.int32(8) in enc
    assert enc.transform(pd.Series([8, 7])).tolist() == [2, 1]


def test_encoder_roundtrip_dict_is_json_safe():
    import json

    enc = IdEncoder(capacity=3).observe(np.array([4, 5, 6, 7]))
    state = json.loads(json.dumps(enc.to_dict()))
    back = IdEncoder.from_dict(state)
    assert back.transform([4, 5, 6, 7]).tolist() == enc.transform([4, 5, 6, 7]).tolist()
    assert back.n_overflow_ == 1


def test_encoder_empty_and_bad_input():
    assert IdEncoder().transform([]).shape == (0,)
    with pytest.raises(
        ValueError, match=r"IdEncoder\(capacity=-1\): capacity must be an int >= 0; .*or None"
    ):
        IdEncoder(capacity=-1)
    with pytest.raises(
        ValueError,
        match=r"IdEncoder.observe\(ids=array of shape \(2, 2\)\): "
        r"ids must be a 1-D sequence",
    ):
        IdEncoder().observe(np.zeros((2, 2)))


# ---------------------------------------------------------------- Standardizer
def test_standardizer_matches_numpy_population_std():
    X = np.random.default_rng(0).normal(3, 2, size=(50, 3))
    s = Standardizer().fit(X)
    np.testing.assert_allclose(s.mean_, X.mean(axis=0))
    np.testing.assert_allclose(s.scale_, X.std(axis=0, ddof=0))
    Z = s.transform(X)
    np.testing.assert_allclose(Z.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(Z.std(axis=0), 1, atol=1e-12)
    np.testing.assert_allclose(s.inverse_transform(Z), X)


def test_standardizer_running_equals_batch():
    X = np.random.default_rng(1).normal(size=(101, 2))
    running = Standardizer()
    for chunk in np.array_split(X, 7):
        running.partial_fit(chunk)
    full = Standardizer().fit(X)
    np.testing.assert_allclose(running.mean_, full.mean_, rtol=1e-12)
    np.testing.assert_allclose(running.var_, full.var_, rtol=1e-10)
    assert running.n_seen_ == 101


def test_standardizer_nan_ignored_and_mapped_to_mean():
    X = np.array([[1.0], [np.nan], [3.0]])
    s = Standardizer().fit(X)
    assert s.mean_.tolist() == [2.0]
    assert s.transform([[np.nan]]).tolist() == [[0.0]]


def test_standardizer_constant_column_scale_one():
    s = Standardizer().fit(np.ones((4, 1)))
    assert s.scale_.tolist() == [1.0]


def test_standardizer_roundtrip_and_errors():
    s = Standardizer().fit(np.arange(6.0).reshape(3, 2))
    back = Standardizer.from_dict(s.to_dict())
    np.testing.assert_allclose(back.transform([[1.0, 2.0]]), s.transform([[1.0, 2.0]]))
    with pytest.raises(RuntimeError, match="not fitted yet"):
        Standardizer().transform([[1.0]])
    with pytest.raises(
        ValueError, match=r"Standardizer.fit\(X=array of shape \(3,\)\): X must be 2-dim"
    ):
        Standardizer().fit(np.arange(3.0))
    with pytest.raises(
        ValueError, match=r"Standardizer.transform\(X=.*\): X must be an array with 2 columns"
    ):
        s.transform(np.ones((1, 3)))
    assert Standardizer.from_dict(Standardizer().to_dict()).is_fitted is False


# ---------------------------------------------------------------- FeatureTable
@pytest.fixture
def users():
    return pd.DataFrame(
        {
            "age": [20.0, 30.0, 40.0],
            "region": ["n", "s", "n"],
            "income": [1.0, np.nan, 3.0],
            "quality": [0.1, 0.2, 0.3],
            "signup_day": [0, 1, 2],
        },
        index=pd.Index([10, 11, 12], name="user_id"),
    )


def test_default_columns_skip_hidden_and_dates(users):
    assert default_feature_columns(users) == ["age", "region", "income"]


def test_feature_table_one_hot_and_lookup(users):
    ft = FeatureTable(users)
    assert ft.feature_names == ["age", "region=n", "region=s", "income"]
    got = ft.lookup([12, 10, 99])
    np.testing.assert_array_equal(got[0], [40.0, 1.0, 0.0, 3.0])
    assert np.isnan(got[2]).all()
    assert np.isnan(ft.lookup([11])[0, 3])


def test_feature_table_add_new_rows_and_unknown_category(users):
    ft = FeatureTable(users, ["age", "region"])
    new = pd.DataFrame(
        {"age": [50.0, 21.0], "region": ["w", "s"]}, index=pd.Index([13, 10], name="user_id")
    )
    ft.add(new)
    np.testing.assert_array_equal(ft.lookup([13, 10]), [[50.0, 0.0, 0.0], [21.0, 0.0, 1.0]])


def test_feature_table_state_roundtrip(users):
    ft = FeatureTable(users)
    cfg, arr = ft.to_state()
    back = FeatureTable.from_state(cfg, arr)
    np.testing.assert_array_equal(back.lookup([10, 12]), ft.lookup([10, 12]))


def test_feature_table_errors(users):
    with pytest.raises(
        TypeError, match=r"FeatureTable\(table=array of shape .*\): table must be a pandas "
    ):
        FeatureTable(users.to_numpy())
    with pytest.raises(
        ValueError, match=r"table must be a DataFrame with the column\(s\) \['height'\]"
    ):
        FeatureTable(users, ["height"])
    with pytest.raises(
        ValueError, match=r"FeatureTable\(table=.*\): table must be indexed by unique ids"
    ):
        FeatureTable(pd.concat([users, users]))


def test_feature_table_no_columns(users):
    ft = FeatureTable(users, [])
    assert ft.n_features == 0 and ft.lookup([10]).shape == (1, 0)
