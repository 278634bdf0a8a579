"""Tests of the benchmark CLI on a tiny MovieLens-format folder and a tiny ShopSim world."""

from __future__ import annotations

import json

import numpy as np
import pytest

from course_lib import bench
from course_lib.datasets import ML100K_GENRES


def write_movielens_fixture(folder, n_users=30, n_items=40, n_ratings=600, seed=0):
    """u.data, u.user, u.item in the MovieLens 100K formats (one rating per user and item)."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    pair = rng.choice(n_users * n_items, n_ratings, replace=False)
    u, i = pair // n_items + 1, pair % n_items + 1
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
    with pytest.warns(UserWarning, match=r"only 56 test ratings .* uncertain by about 9 %"):
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


# --------------------------------------------------------------------------- edge cases
@pytest.mark.parametrize("n_ratings, n_train, n_test", [(1, 1, 0), (5, 4, 1), (40, 32, 8)])
def test_too_few_ratings_is_a_clear_error(tmp_path, capsys, n_ratings, n_train, n_test):
    folder = write_movielens_fixture(tmp_path / "ml", n_ratings=n_ratings)
    assert bench.main(["--data", "movielens-100k", "--path", str(folder),
                       "--strategies", "mf-retrain"]) == 2
    err = capsys.readouterr().err
    assert (f"the data hold {n_ratings} rating(s): {n_train} for the initial training "
            f"(initial_frac=0.8) and {n_test} to test") in err
    assert "one test rating per chunk (n_chunks=10)" in err and "Traceback" not in err


def test_few_test_ratings_give_numbers_with_a_warning(tmp_path, capsys):
    folder = write_movielens_fixture(tmp_path / "ml", n_ratings=5)
    assert bench.main(["--data", "movielens-100k", "--path", str(folder), "--chunks", "1",
                       "--strategies", "mf-retrain"]) == 0
    captured = capsys.readouterr()
    assert "warning: run_benchmark: only 1 test ratings (the last 20% of 5); every RMSE below " \
           "is uncertain by about 71 %" in captured.err
    assert "then 1 test ratings in 1 chunks" in captured.out


def test_enough_test_ratings_give_no_warning(tmp_path, capsys):
    folder = write_movielens_fixture(tmp_path / "ml", n_ratings=500)
    assert bench.main(["--data", "movielens-100k", "--path", str(folder),
                       "--strategies", "mf-retrain"]) == 0
    assert "warning" not in capsys.readouterr().err


@pytest.mark.parametrize("value", [",", "", " , ,"])
def test_strategies_naming_nothing_is_a_usage_error(value, capsys):
    with pytest.raises(SystemExit) as stop:
        bench.main(["--strategies", value])
    assert stop.value.code == 2
    assert "--strategies" in capsys.readouterr().err


@pytest.mark.parametrize("kwargs, match", [
    (dict(strategies=[]), r"strategies=\[\]\): name at least one strategy"),
    (dict(strategies=["static", "static"]), r"\['static'\] are named more than once"),
    (dict(initial_frac=1.0), r"initial_frac=1.0\): initial_frac must be a number with 0 < "
                             r"initial_frac < 1"),
    (dict(n_chunks=0), r"n_chunks=0\): n_chunks must be an int >= 1"),
    (dict(initial_epochs=0), r"initial_epochs=0\): initial_epochs must be an int >= 1"),
])
def test_bad_arguments_are_explained(tmp_path, kwargs, match):
    from course_lib.datasets import load_movielens_100k

    ml = load_movielens_100k(path=write_movielens_fixture(tmp_path / "ml"))
    with pytest.raises(ValueError, match=match):
        bench.run_benchmark(ml.ratings, ml.users, ml.items, **kwargs)


@pytest.mark.parametrize("args, match", [
    (["--chunks", "0"], "n_chunks=0"), (["--initial-frac", "1.5"], "initial_frac=1.5"),
    (["--strategies", "static,magic"], r"unknown strategies \['magic'\]"),
])
def test_bad_cli_values_exit_2(tmp_path, capsys, args, match):
    import re

    folder = write_movielens_fixture(tmp_path / "ml")
    assert bench.main(["--data", "movielens-100k", "--path", str(folder), *args]) == 2
    err = capsys.readouterr().err
    assert re.search(match, err) and "Traceback" not in err


def test_a_negative_seed_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as stop:
        bench.main(["--seed", "-1"])
    assert stop.value.code == 2 and "--seed: -1 is negative" in capsys.readouterr().err
