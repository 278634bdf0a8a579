"""Tests of the benchmark CLI on a tiny MovieLens-format folder and a tiny ShopSim world."""

from __future__ import annotations

import json

import numpy as np
import pytest

from course_lib import bench
from course_lib.datasets import ML100K_GENRES


def write_movielens_fixture(folder, n_users=30, n_items=20, n_ratings=600, seed=0):
    """u.data, u.user, u.item in the MovieLens 100K formats."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    u = rng.integers(1, n_users + 1, n_ratings)
    i = rng.integers(1, n_items + 1, n_ratings)
    r = np.clip(np.round(3 + 0.3 * (u % 3) - 0.3 * (i % 3) + rng.normal(0, 0.7, n_ratings)), 1, 5)
    ts = 874_000_000 + np.sort(rng.integers(0, 200 * 86400, n_ratings))
    (folder / "u.data").write_text("".join(f"{a}\t{b}\t{int(c)}\t{t}\n"
                                           for a, b, c, t in zip(u, i, r, ts)))
    (folder / "u.user").write_text("".join(
        f"{k}|{20 + k % 40}|{'MF'[k % 2]}|student|{10000 + k}\n" for k in range(1, n_users + 1)))
    genres = len(ML100K_GENRES)
    (folder / "u.item").write_text("".join(
        f"{k}|Movie {k} (1995)|01-Jan-1995||http://x|" + "|".join(
            "1" if g == k % genres else "0" for g in range(genres)) + "\n"
        for k in range(1, n_items + 1)), encoding="latin-1")
    return folder


QUICK = "mf-retrain,mf-finetune,mf-replay,static,finetune"


def test_cli_json_on_movielens_fixture(tmp_path, capsys):
    folder = write_movielens_fixture(tmp_path / "ml")
    code = bench.main(["--data", "movielens-100k", "--path", str(folder), "--json",
                       "--strategies", QUICK, "--epochs", "2"])
    assert code == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["key"] for r in rows] == QUICK.split(",")
    for row in rows:
        assert {"strategy", "rmse", "mae", "seconds_per_update", "total_seconds",
                "forgetting"} <= set(row)
        assert 0 < row["rmse"] < 2.5 and row["mae"] <= row["rmse"]
    static = next(r for r in rows if r["key"] == "static")
    assert static["total_seconds"] < 0.01 and static["forgetting"] == 0.0


def test_cli_table_names_every_column(tmp_path, capsys):
    folder = write_movielens_fixture(tmp_path / "ml")
    assert bench.main(["--data", "movielens-100k", "--path", str(folder),
                       "--strategies", "mf-retrain,mf-replay"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    for column in bench.COLUMNS:
        assert column in out
    assert "MF retrain (ALS, reference)" in out


def test_protocol_uses_ten_chunks_of_the_last_fifth(tmp_path):
    from course_lib.datasets import load_movielens_100k

    ml = load_movielens_100k(path=write_movielens_fixture(tmp_path / "ml"))
    initial, chunks = bench._split(ml.ratings, 0.8, 10)
    assert len(initial) == 480 and len(chunks) == 10
    assert sum(len(c) for c in chunks) == 120 and {len(c) for c in chunks} == {12}
    assert initial["timestamp"].max() <= chunks[0]["timestamp"].min()


def test_run_benchmark_on_a_tiny_shop_reports_truth():
    from course_lib.shop import simulate

    shop = simulate("sudden", seed=3, n_days=30, n_users=150, n_items=40)
    rows = bench.run_benchmark(shop.ratings, shop.users, shop.items,
                               truth=shop.rating_truth["expected_rating"],
                               strategies=["mf-retrain", "mf-replay"], n_chunks=5)
    assert all(np.isfinite(r["rmse_vs_truth"]) for r in rows)
    # retraining from scratch processes far more examples per update than replay
    assert rows[0]["key"] == "mf-retrain"


def test_errors(tmp_path, capsys):
    assert bench.main(["--data", "movielens-100k", "--path", str(tmp_path)]) == 2
    assert "no u.data here" in capsys.readouterr().err
    with pytest.raises(ValueError, match="strategy 'magic' is unknown"):
        bench.make_strategy("magic")
    with pytest.raises(ValueError, match=r"unknown strategies \['magic'\]"):
        bench.run_benchmark(None, None, None, strategies=["magic"])


def test_help_shows_a_single_percent_sign(capsys):
    # argparse does not %-format the description: "80%%" would be printed as is
    with pytest.raises(SystemExit):
        bench.main(["--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "first 80% to train" in out and "%%" not in out
