"""The shipped ShopSim files: regenerable bit for bit, validated on load."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from course_lib import datasets
from course_lib.datasets import DATA_DIR, SHOP_FILES, DatasetError, load_shop, save_shop
from course_lib.shop import simulate

FILES = [*SHOP_FILES, "manifest.json"]


@pytest.fixture(scope="module")
def manifest():
    return json.loads((DATA_DIR / "manifest.json").read_text())


@pytest.fixture(scope="module")
def shipped():
    return load_shop()


@pytest.fixture
def copy(tmp_path):
    dst = tmp_path / "datasets"
    shutil.copytree(DATA_DIR, dst, ignore=shutil.ignore_patterns("README.md"))
    return dst


def test_shipped_files_regenerate_byte_identically(tmp_path, manifest):
    shop = simulate(manifest["scenario"], seed=manifest["seed"])
    save_shop(shop, tmp_path)
    for name in FILES:
        assert (tmp_path / name).read_bytes() == (DATA_DIR / name).read_bytes(), (
            f"{name} differs from a fresh regeneration: run `python -m course_lib.shop "
            "--out datasets` and commit the result")


def test_shipped_size_is_small(manifest):
    total = sum((DATA_DIR / name).stat().st_size for name in FILES)
    assert total < 20e6
    assert manifest["command"] == "python -m course_lib.shop --out datasets --scenario all --seed 2024"


def test_load_shop_equals_the_simulation(shipped, manifest):
    sim = simulate(manifest["scenario"], seed=manifest["seed"])
    for attr in ("ratings", "rating_truth", "users", "items", "interactions", "views",
                 "view_truth", "drift_events"):
        pd.testing.assert_frame_equal(getattr(shipped, attr), getattr(sim, attr),
                                      check_index_type=False)
    assert (shipped.n_days, shipped.scenario, shipped.seed) == (180, "all", 2024)
    r = shipped.ratings.head(200)
    pd.testing.assert_series_equal(
        pd.Series(shipped.truth.expected_rating(r["user_id"], r["item_id"], r["day"])),
        pd.Series(sim.truth.expected_rating(r["user_id"], r["item_id"], r["day"])))


def test_contract_columns(shipped):
    assert shipped.ratings.columns.tolist() == ["user_id", "item_id", "rating", "timestamp", "day"]
    assert shipped.ratings["rating"].dtype == "float64"
    assert shipped.ratings["timestamp"].is_monotonic_increasing
    assert shipped.rating_truth.columns.tolist() == ["expected_rating"]
    assert shipped.users.index.name == "user_id" and shipped.items.index.name == "item_id"
    assert {"purchased"} <= set(shipped.views.columns)
    assert shipped.view_truth.columns.tolist() == ["purchase_prob", "expected_rating"]


def test_missing_file_says_how_to_regenerate(copy):
    (copy / "ratings.csv.gz").unlink()
    with pytest.raises(DatasetError, match=r"ratings.csv.gz: file not found\. Regenerate .*"
                                           r"python -m course_lib.shop --out datasets"):
        load_shop(copy)


def test_missing_manifest(copy):
    (copy / "manifest.json").unlink()
    with pytest.raises(DatasetError, match=r"manifest.json: file not found"):
        load_shop(copy)


def test_truncated_file_is_a_checksum_error(copy):
    path = copy / "interactions.csv.gz"
    path.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(DatasetError, match=r"interactions.csv.gz: checksum mismatch .*Regenerate"):
        load_shop(copy)
    with pytest.raises(DatasetError, match=r"interactions.csv.gz: cannot be read"):
        load_shop(copy, verify=False)


def test_wrong_schema_is_named(copy):
    path = copy / "users.csv.gz"
    df = pd.read_csv(path).drop(columns="income")
    path.write_bytes(gzip.compress(df.to_csv(index=False).encode(), mtime=0))
    with pytest.raises(DatasetError, match=r"users.csv.gz: missing column\(s\) \['income'\]"):
        load_shop(copy, verify=False)


def test_a_failed_save_leaves_old_files_intact(copy, monkeypatch):
    before = {name: (copy / name).read_bytes() for name in FILES}
    calls = {"n": 0}
    real = datasets._csv_bytes

    def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 4:
            raise RuntimeError("disk full")
        return real(*args, **kwargs)

    monkeypatch.setattr(datasets, "_csv_bytes", flaky)
    with pytest.raises(RuntimeError, match="disk full"):
        save_shop(simulate("stable", seed=1, n_days=20, n_users=100, n_items=40), copy)
    assert {name: (copy / name).read_bytes() for name in FILES} == before
    assert not [p for p in Path(copy).rglob("*.tmp")]


def test_save_requires_a_simulated_world(shipped):
    from course_lib.shop import ShopData

    with pytest.raises(ValueError, match=r"only a simulated world"):
        save_shop(ShopData(ratings=shipped.ratings, users=shipped.users, items=shipped.items),
                  "unused")
