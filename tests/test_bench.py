"""Tests of the benchmark CLI on a tiny MovieLens-format folder and a tiny ShopSim world."""

from __future__ import annotations

import json

import numpy as np
import pytest

from course_lib.data import ML100K_GENRES
from course_lib.tools import bench, bench_strategies


def write_movielens_fixture(folder, n_users=30, n_items=40, n_ratings=600, seed=0):
    """u.data, u.user, u.item in the MovieLens 100K formats (one rating per user and item)."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    pair = rng.choice(n_users * n_items, n_ratings, replace=False)
    u, i = pair // n_items + 1, pair % n_items + 1
    r = np.clip(np.round(3 + 0.3 * (u % 3) - 0.3 * (i % 3) + rng.normal(0, 0.7, n_ratings)), 1, 5)
    ts = 874_000_000 + np.sort(rng.integers(0, 200 * 86400, n_ratings))
    (folder / "u.data").write_text(
        "".join(f"{a}\t{b}\t{int(c)}\t{t}\n" for a, b, c, t in zip(u, i, r, ts, strict=True))
    )
    (folder / "u.user").write_text(
        "".join(
            f"{k}|{20 + k % 40}|{'MF'[k % 2]}|student|{10000 + k}\n" for k in range(1, n_users + 1)
        )
    )
    genres = len(ML100K_GENRES)
    (folder / "u.item").write_text(
        "".join(
            f"{k}|Movie {k} (1995)|01-Jan-1995||http://x|"
            + "|".join("1" if g == k % genres else "0" for g in range(genres))
            + "\n"
            for k in range(1, n_items + 1)
        ),
        encoding="latin-1",
    )
    return folder


QUICK = "mf-retrain,mf-finetune,mf-replay,static,finetune"


def test_cli_json_on_movielens_fixture(tmp_path, capsys):
    folder = write_movielens_fixture(tmp_path / "ml")
    code = bench.main(
        [
            "--data",
            "movielens-100k",
            "--path",
            str(folder),
            "--json",
            "--strategies",
            QUICK,
            "--epochs",
            "2",
            "--seeds",
            "1",
        ]
    )
    assert code == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["key"] for r in rows] == QUICK.split(",")
    for row in rows:
        assert {
            "strategy",
            "rmse",
            "mae",
            "seconds_per_update",
            "total_seconds",
            "forgetting",
        } <= set(row)
        assert 0 < row["rmse"] < 2.5 and row["mae"] <= row["rmse"]
    static = next(r for r in rows if r["key"] == "static")
    assert static["total_seconds"] < 0.01 and static["forgetting"] == 0.0


def test_cli_table_names_every_column(tmp_path, capsys):
    folder = write_movielens_fixture(tmp_path / "ml")
    assert (
        bench.main(
            [
                "--data",
                "movielens-100k",
                "--path",
                str(folder),
                "--strategies",
                "mf-retrain,mf-replay",
                "--seeds",
                "2",
            ]
        )
        == 0
    )
    out = " ".join(capsys.readouterr().out.split())
    for column in bench.COLUMNS:
        assert column in out
    assert "MF retrain (ALS, tuned)" in out and "2 seed(s) per random strategy" in out


def test_protocol_uses_ten_chunks_of_the_last_fifth(tmp_path):
    from course_lib.data import load_movielens_100k

    ml = load_movielens_100k(path=write_movielens_fixture(tmp_path / "ml"))
    initial, chunks = bench_strategies.split_stream(ml.ratings, 0.8, 10)
    assert len(initial) == 480 and len(chunks) == 10
    assert sum(len(c) for c in chunks) == 120 and {len(c) for c in chunks} == {12}
    assert initial["timestamp"].max() <= chunks[0]["timestamp"].min()


def test_run_benchmark_on_a_tiny_shop_reports_truth():
    from course_lib.data import simulate

    shop = simulate("sudden", seed=3, n_days=30, n_users=150, n_items=40)
    with pytest.warns(UserWarning, match=r"only 56 test ratings .* uncertain by about 9 %"):
        rows = bench.run_benchmark(
            shop.ratings,
            shop.users,
            shop.items,
            truth=shop.rating_truth["expected_rating"],
            strategies=["mf-retrain", "mf-replay"],
            n_chunks=5,
        )
    assert all(np.isfinite(r["rmse_vs_truth"]) for r in rows)
    # retraining from scratch processes far more examples per update than replay
    assert rows[0]["key"] == "mf-retrain"


def test_errors(tmp_path, capsys):
    assert bench.main(["--data", "movielens-100k", "--path", str(tmp_path)]) == 2
    assert "no u.data here" in capsys.readouterr().err
    with pytest.raises(
        ValueError, match=r"make_strategy\(key='magic'\): key must be one of 'bias-retrain'"
    ):
        bench.make_strategy("magic")
    with pytest.raises(
        ValueError,
        match=r"strategies=\['magic'\]\): strategies must be "
        r"names of known strategies",
    ):
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
    assert (
        bench.main(
            ["--data", "movielens-100k", "--path", str(folder), "--strategies", "mf-retrain"]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert (
        f"the data hold {n_ratings} rating(s): {n_train} for the initial training "
        f"(initial_frac=0.8) and {n_test} to test"
    ) in err
    assert "one test rating per chunk (n_chunks=10)" in err and "Traceback" not in err


def test_few_test_ratings_give_numbers_with_a_warning(tmp_path, capsys):
    folder = write_movielens_fixture(tmp_path / "ml", n_ratings=5)
    assert (
        bench.main(
            [
                "--data",
                "movielens-100k",
                "--path",
                str(folder),
                "--chunks",
                "1",
                "--strategies",
                "mf-retrain",
                "--seeds",
                "1",
            ]
        )
        == 0
    )
    captured = capsys.readouterr()
    assert (
        "warning: run_benchmark: only 1 test ratings (the last 20% of 5); every RMSE below "
        "is uncertain by about 71 %" in captured.err
    )
    assert "then 1 test ratings in 1 chunks" in captured.out


def test_enough_test_ratings_give_no_warning(tmp_path, capsys):
    folder = write_movielens_fixture(tmp_path / "ml", n_ratings=500)
    assert (
        bench.main(
            [
                "--data",
                "movielens-100k",
                "--path",
                str(folder),
                "--strategies",
                "mf-retrain",
                "--seeds",
                "1",
            ]
        )
        == 0
    )
    assert "warning" not in capsys.readouterr().err


@pytest.mark.parametrize("value", [",", "", " , ,"])
def test_strategies_naming_nothing_is_a_usage_error(value, capsys):
    with pytest.raises(SystemExit) as stop:
        bench.main(["--strategies", value])
    assert stop.value.code == 2
    assert "--strategies" in capsys.readouterr().err


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(strategies=[]), r"strategies=\[\]\): strategies must be a non-empty list"),
        (dict(strategies=["static", "static"]), r"\['static'\] appear more than once"),
        (
            dict(initial_frac=1.0),
            r"initial_frac=1.0\): initial_frac must be a number with 0 < "
            r"initial_frac < 1",
        ),
        (dict(n_chunks=0), r"n_chunks=0\): n_chunks must be an int >= 1"),
        (dict(initial_epochs=0), r"initial_epochs=0\): initial_epochs must be an int >= 1"),
    ],
)
def test_bad_arguments_are_explained(tmp_path, kwargs, match):
    from course_lib.data import load_movielens_100k

    ml = load_movielens_100k(path=write_movielens_fixture(tmp_path / "ml"))
    with pytest.raises(ValueError, match=match):
        bench.run_benchmark(ml.ratings, ml.users, ml.items, **kwargs)


@pytest.mark.parametrize(
    "args, match",
    [
        (["--chunks", "0"], "n_chunks=0"),
        (["--initial-frac", "1.5"], "initial_frac=1.5"),
        (["--strategies", "static,magic"], r"and \['magic'\] are not"),
    ],
)
def test_bad_cli_values_exit_2(tmp_path, capsys, args, match):
    import re

    folder = write_movielens_fixture(tmp_path / "ml")
    assert (
        bench.main(["--data", "movielens-100k", "--path", str(folder), "--seeds", "1", *args]) == 2
    )
    err = capsys.readouterr().err
    assert re.search(match, err) and "Traceback" not in err


def test_a_negative_seed_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as stop:
        bench.main(["--seed", "-1"])
    assert stop.value.code == 2 and "--seed: -1 is negative" in capsys.readouterr().err


def test_a_seed_count_below_one_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as stop:
        bench.main(["--seeds", "0"])
    assert stop.value.code == 2 and "--seeds: 0; run at least one seed" in capsys.readouterr().err


# --------------------------------------------------------------------------- any ratings CSV
def write_ratings_csv(
    path, *, header=("userId", "movieId", "rating", "timestamp"), n=400, half_stars=True, seed=0
):
    """A ratings file with no side tables; half stars 0.5..5 by default."""
    rng = np.random.default_rng(seed)
    u, i = rng.integers(1, 40, n), rng.integers(1, 50, n)
    r = 3 + 0.5 * (u % 3) - 0.5 * (i % 3) + rng.normal(0, 0.8, n)
    r = np.clip(np.round(r * 2) / 2, 0.5, 5.0) if half_stars else np.clip(np.round(r), 1, 5)
    r[:2] = [0.5, 5.0] if half_stars else [1.0, 5.0]  # the whole scale occurs
    ts = 1_000_000_000 + rng.permutation(n) * 3600  # not in time order
    lines = [",".join(header)] + [
        f"{a},{b},{c},{t}" for a, b, c, t in zip(u, i, r, ts, strict=True)
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize(
    "header",
    [("userId", "movieId", "rating", "timestamp"), ("user_id", "item_id", "rating", "timestamp")],
)
def test_csv_reader_accepts_both_column_conventions(tmp_path, header):
    path = write_ratings_csv(tmp_path / "r.csv", header=header)
    ratings, users, items = bench.read_ratings_csv(path)
    assert ratings.columns.tolist() == ["user_id", "item_id", "rating", "timestamp", "day"]
    assert len(ratings) == 400 and ratings["timestamp"].is_monotonic_increasing
    assert ratings["day"].iloc[0] == 0 and ratings["day"].dtype == np.int64
    # no side tables: one row per id, no feature columns
    assert users.shape == (ratings["user_id"].nunique(), 0) and users.index.name == "user_id"
    assert items.shape == (ratings["item_id"].nunique(), 0) and items.index.name == "item_id"


def test_csv_reader_keeps_half_stars_and_ignores_extra_columns(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("userId,movieId,rating,timestamp,tag\n1,2,0.5,20,x\n3,2,4.5,10,y\n")
    ratings, _, _ = bench.read_ratings_csv(path)
    assert ratings["rating"].tolist() == [4.5, 0.5] and "tag" not in ratings


@pytest.mark.parametrize(
    "text, match",
    [
        (
            "user,item,stars,time\n1,2,3,4\n",
            (
                r"has the columns \['user', 'item', 'stars', 'time'\], "
                r"but needs user_id,item_id,rating,timestamp \(or "
                r"MovieLens' userId,movieId,rating,timestamp\); rename "
                r"the columns"
            ),
        ),
        (
            "userId,movieId,rating,timestamp\n1,2,3,4\n1,3,four,5\n",
            r"line 3: rating is 'four', not a number",
        ),
        ("userId,movieId,rating,timestamp\n1,2,3,\n", r"line 2: timestamp is empty, not a number"),
        ("userId,movieId,rating,timestamp\n", r"header but no ratings"),
    ],
)
def test_csv_reader_explains_bad_files(tmp_path, text, match):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(ValueError, match=match):
        bench.read_ratings_csv(path)


def test_cli_on_a_half_star_csv_without_side_tables(tmp_path, capsys):
    path = write_ratings_csv(tmp_path / "r.csv")
    keys = "bias-retrain,mf-retrain,mf-warm,mf-replay,static,finetune"
    assert (
        bench.main(
            [
                "--data",
                "csv",
                "--path",
                str(path),
                "--json",
                "--strategies",
                keys,
                "--epochs",
                "2",
                "--seeds",
                "2",
            ]
        )
        == 0
    )
    captured = capsys.readouterr()
    rows = json.loads(captured.out)
    assert [r["key"] for r in rows] == keys.split(",")
    for row in rows:
        assert {
            "strategy",
            "key",
            "rmse",
            "mae",
            "seconds_per_update",
            "total_seconds",
            "rmse_std",
        } <= set(row)
        assert 0 < row["rmse"] < 2.5
    by_key = {r["key"]: r for r in rows}
    assert by_key["bias-retrain"]["rmse_std"] == 0.0 and by_key["static"]["seeds"] == [0, 1]
    assert set(by_key["bias-retrain"]["params"]) == {"reg_user", "reg_item"}
    # progress on stderr: which strategy, which seed, which chunk
    assert "bench: [3/6] MF warm-start ALS (tuned), seed 1: chunk 10/10" in captured.err


def test_half_star_predictions_use_the_data_scale(tmp_path):
    from course_lib.evaluation import prequential

    ratings, _, _ = bench.read_ratings_csv(write_ratings_csv(tmp_path / "r.csv"))
    low_user = ratings.loc[ratings["rating"] == 0.5, "user_id"].iloc[0]
    initial, chunks = bench_strategies.split_stream(ratings, 0.8, 5)
    model = bench_strategies.closed_form("mf-retrain", {"n_factors": 2, "reg": 0.01}, 0, (0.5, 5.0))
    strategy = bench.make_strategy("mf-retrain").start(model.fit(initial), initial)
    result = prequential(strategy, chunks, rating_range=(0.5, 5.0))
    assert result.y_pred.min() >= 0.5 and result.y_pred.max() <= 5.0
    assert strategy.predict(ratings[ratings["user_id"] == low_user]).min() < 1.0


def test_csv_errors_exit_2(tmp_path, capsys):
    assert bench.main(["--data", "csv", "--path", str(tmp_path / "nope.csv")]) == 2
    assert "no such file" in capsys.readouterr().err
    assert bench.main(["--data", "csv"]) == 2
    assert "--data csv needs --path FILE.csv" in capsys.readouterr().err


def test_tuning_uses_the_initial_period_only(tmp_path, monkeypatch):
    """tune() never sees the rows it will be scored on: poison them and nothing changes."""
    ratings, _, _ = bench.read_ratings_csv(write_ratings_csv(tmp_path / "r.csv"))
    initial, _ = bench_strategies.split_stream(ratings, 0.8, 10)
    params, score = bench_strategies.tune(
        "bias-retrain", initial, n_chunks=5, rating_range=(0.5, 5.0)
    )
    assert params in [dict(p) for p in bench_strategies.BIAS_GRID] and np.isfinite(score)
    grid = bench_strategies.grid("mf-warm", params)
    assert len(grid) == 2 * len(bench_strategies.MF_REGS)
    assert {
        "reg_user_bias": params["reg_user"],
        "reg_item_bias": params["reg_item"],
    }.items() <= grid[1].items()
