"""Benchmark of update strategies on a rating stream: ``python -m course_lib.tools.bench``.

Explained in chapter 09.  The protocol (so that numbers compare with published
incremental-recommendation results):

1. sort the ratings by timestamp;
2. train the initial model on the first 80 % of ratings;
3. split the remaining 20 % into 10 equal consecutive chunks;
4. for each chunk, predict every rating first (clipped to the rating scale),
   then let the strategy update on the chunk;
5. report the prequential RMSE and MAE over all of the 20 %, the seconds per
   update and in total, and *forgetting*: the RMSE on a fixed sample of the
   initial training data after the last update minus before the first one.

Every model chooses its hyper-parameters on the initial 80 % only, never on
the stream it is scored on: the first 80 % of the initial period trains, its
last 20 % is run through the same protocol (in ``--chunks`` chunks), and the
setting with the lowest RMSE there wins (:func:`tune`).  Anything random runs
with ``--seeds`` seeds; the table shows the mean and ``rmse_std``, the spread.

Strategies (``--strategies``, comma separated):

======================  ==================================================
``bias-retrain``        reference: ``mu + b_user + b_item`` (``baselines.BiasBaseline``),
                        regularisation tuned, retrained from scratch at every chunk
``mf-retrain``          reference: biased MF by ALS (``baselines.BiasedMF``), tuned,
                        retrained from scratch on all data at every chunk
``mf-warm``             the same MF, tuned the same way, updated by warm-started ALS:
                        a sweep over the chunk's users and items only, new ones
                        folded in in closed form (``continual.WarmStartALS``)
``mf-finetune``         SGD biased MF (:mod:`course_lib.models.mf`), fine-tuned on each chunk
``mf-replay``           the same with a reservoir replay buffer
``static``              the neural rating model, never updated
``finetune``            the neural rating model fine-tuned on each chunk
``replay``              ... with replay
``ewc``                 ... with EWC
``window``              ... retrained from scratch on the last 30 days
``retrain``             ... retrained from scratch on all data (not in the default list:
                        it costs more than all the other rows together)
======================  ==================================================

The neural rows share one design, chosen on the initial period like the
references (updates by fine-tuning, :func:`tune_network`) between chapter 06's (an MLP on the embeddings and the
side features) and the MF objective written in Keras (biases + dot product,
ids only, the penalties the tuned MF chose, ``RatingModel(regularization=
"table")``).  The updates of the SGD and neural rows use fixed settings.

Data (``--data``): ``shop`` (the shipped ShopSim world, default),
``movielens-100k`` (``--path`` to the unzipped ``ml-100k`` folder) or ``csv``
(``--path`` to any ratings file with a header and the columns
``user_id,item_id,rating,timestamp`` or MovieLens' ``userId,movieId,rating,
timestamp``; no side tables needed, the rating scale comes from the data, e.g.
half stars 0.5-5).  Progress (strategy, seed, chunk) goes to stderr.

Examples::

    python -m course_lib.tools.bench                                 # the shipped ShopSim world
    python -m course_lib.tools.bench --data movielens-100k --path ml-100k --json
    python -m course_lib.tools.bench --data csv --path ratings.csv --strategies bias-retrain,mf-warm
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings

import numpy as np
import pandas as pd

__all__ = ["STRATEGIES", "DEFAULT_STRATEGIES", "load_data", "read_ratings_csv", "make_strategy",
           "tune", "run_benchmark", "format_table", "main"]

STRATEGIES = ("bias-retrain", "mf-retrain", "mf-warm", "mf-finetune", "mf-replay", "static",
              "finetune", "replay", "ewc", "window", "retrain")
# "retrain" (the neural model from scratch at every chunk, about 10x the time of the
# whole default table) and "window" run only when named.
DEFAULT_STRATEGIES = ("bias-retrain", "mf-retrain", "mf-warm", "mf-finetune", "mf-replay",
                      "static", "finetune", "replay", "ewc")
COLUMNS = ("strategy", "rmse", "rmse_std", "mae", "forgetting", "seconds_per_update",
           "total_seconds")
# Below this many test ratings the RMSE is uncertain by more than about 7 % (1 / sqrt(2 n)).
MIN_TEST_RATINGS = 100
# Candidate settings tried on the initial period (see ``tune``).
BIAS_GRID = tuple({"reg_user": a, "reg_item": b} for a in (2.0, 5.0, 10.0, 25.0)
                  for b in (2.0, 5.0, 10.0, 25.0))
MF_REGS = (5.0, 10.0, 20.0)
DETERMINISTIC = ("bias-retrain",)     # no seed involved: run once, spread 0
NN_EPOCHS = 20                        # epochs of a neural model trained from scratch


class _ClosedForm:
    """Adapter: a closed-form model of :mod:`course_lib.models.baselines` behind the strategy protocol.

    ``fit`` solves from scratch (what a retrain needs; the training options of
    iterative models are ignored); ``partial_fit`` continues (warm-started ALS).
    """

    def __init__(self, make):
        self.make = make
        self.model = None

    def fit(self, df, **_ignored):
        self.model = self.make().fit(df)
        return self

    def partial_fit(self, df, n_sweeps: int = 1):
        self.model.partial_fit(df, n_sweeps=n_sweeps)
        return self

    @property
    def n_touched_(self):
        return self.model.n_touched_

    def predict(self, df):
        return self.model.predict(df)

    def clone(self, fresh: bool = False):
        twin = _ClosedForm(self.make)
        if not fresh and self.model is not None:
            twin.model = self.model.clone()
        return twin


# --------------------------------------------------------------------------- data

CSV_CONVENTIONS = ({"user_id": "user_id", "item_id": "item_id", "rating": "rating",
                    "timestamp": "timestamp"},
                   {"userId": "user_id", "movieId": "item_id", "rating": "rating",
                    "timestamp": "timestamp"})


def read_ratings_csv(path):
    """``(ratings, users, items)`` from a ratings CSV; users and items are empty side tables.

    The file needs a header with ``user_id,item_id,rating,timestamp`` (the
    course's names) or ``userId,movieId,rating,timestamp`` (MovieLens'
    ``ratings.csv``); other columns are ignored.  Ratings may be on any scale
    (half stars 0.5-5 too); timestamps are integer seconds.  Rows are sorted
    by time and get the ``day`` column of the ratings schema.

    Examples
    --------
    >>> import io
    >>> text = "userId,movieId,rating,timestamp\\n1,10,4.5,86400\\n2,10,0.5,0\\n"
    >>> ratings, users, items = read_ratings_csv(io.StringIO(text))
    >>> ratings.to_dict("list")
    {'user_id': [2, 1], 'item_id': [10, 10], 'rating': [0.5, 4.5], 'timestamp': [0, 86400], 'day': [0, 1]}
    >>> len(users.columns), users.index.name
    (0, 'user_id')
    """
    name = getattr(path, "name", path)
    try:
        df = pd.read_csv(path)
    except FileNotFoundError:
        raise FileNotFoundError(f"--path {name}: no such file; give the path of a ratings CSV.") \
            from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise ValueError(f"--path {name}: not a readable CSV ({exc}); give a comma-separated "
                         "file with a header line.") from None
    for names in CSV_CONVENTIONS:
        if set(names) <= set(df.columns):
            break
    else:
        raise ValueError(
            f"{name}: the CSV has the columns {list(df.columns)}, but needs "
            f"user_id,item_id,rating,timestamp (or MovieLens' userId,movieId,rating,timestamp); "
            f"rename the columns in the header line.")
    df = df[list(names)].rename(columns=names)
    for column in ("rating", "timestamp"):
        values = pd.to_numeric(df[column], errors="coerce")
        bad = ~np.isfinite(values.to_numpy(dtype=float))
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            value = df[column].iloc[row]
            shown = "empty" if pd.isna(value) else repr(str(value))
            raise ValueError(f"{name}, line {row + 2}: {column} is {shown}, not a number; fix "
                             "or drop that line.")
        df[column] = values
    if len(df) == 0:
        raise ValueError(f"{name}: the CSV has a header but no ratings.")
    df["rating"] = df["rating"].astype(float)
    df["timestamp"] = df["timestamp"].astype(np.int64)
    df = df.sort_values("timestamp", kind="mergesort").reset_index(drop=True)
    df["day"] = ((df["timestamp"] - df["timestamp"].min()) // 86400).astype(np.int64)
    users = pd.DataFrame(index=pd.Index(pd.unique(df["user_id"]), name="user_id"))
    items = pd.DataFrame(index=pd.Index(pd.unique(df["item_id"]), name="item_id"))
    return df, users, items


def load_data(name: str = "shop", path=None):
    """``(ratings, users, items, truth)`` for ``--data``; truth is None for real data."""
    if name == "shop":
        from course_lib.data.datasets import load_shop

        shop = load_shop(path) if path else load_shop()
        truth = shop.rating_truth["expected_rating"] if shop.rating_truth is not None else None
        return shop.ratings, shop.users, shop.items, truth
    if name == "movielens-100k":
        from course_lib.data.datasets import load_movielens_100k

        ml = load_movielens_100k(path=path)
        return ml.ratings, ml.users, ml.items, None
    if name == "csv":
        if path is None:
            raise ValueError("--data csv needs --path FILE.csv (a ratings file with a header).")
        ratings, users, items = read_ratings_csv(path)
        return ratings, users, items, None
    raise ValueError(f"--data {name!r}: use 'shop' (the shipped ShopSim world), "
                     "'movielens-100k' (with --path to the unzipped ml-100k folder) or 'csv' "
                     "(with --path to a ratings CSV).")


# --------------------------------------------------------------------------- strategies

def make_strategy(key: str, *, seed: int = 0, lr: float = 1e-3):
    """The strategy object for a ``--strategies`` key (see the module docstring)."""
    from course_lib.continual import strategies as c

    table = {
        "bias-retrain": lambda: c.FullRetrain(epochs=1, name="bias retrain (tuned)"),
        "mf-retrain": lambda: c.FullRetrain(epochs=1, name="MF retrain (ALS, tuned)"),
        "mf-warm": lambda: c.WarmStartALS(n_sweeps=1, name="MF warm-start ALS (tuned)"),
        "mf-finetune": lambda: c.FineTune(epochs=3, learning_rate=0.01, name="MF fine-tune"),
        "mf-replay": lambda: c.Replay(epochs=3, learning_rate=0.01, buffer_size=20000,
                                      seed=seed, name="MF replay"),
        "static": lambda: c.Static(name="NN static"),
        "finetune": lambda: c.FineTune(epochs=5, batch_size=512, learning_rate=lr,
                                       name="NN fine-tune"),
        "replay": lambda: c.Replay(epochs=3, batch_size=512, learning_rate=lr,
                                   buffer_size=20000, seed=seed, name="NN replay"),
        "ewc": lambda: c.EWC(epochs=5, batch_size=512, learning_rate=lr, lam=100.0, seed=seed,
                             name="NN EWC"),
        "window": lambda: c.SlidingWindow(window_days=30, epochs=NN_EPOCHS, batch_size=1024,
                                          name="NN window 30 d"),
        "retrain": lambda: c.FullRetrain(epochs=NN_EPOCHS, batch_size=1024,
                                         name="NN full retrain"),
    }
    if key not in table:
        raise ValueError(f"strategy {key!r} is unknown; choose from {', '.join(STRATEGIES)}.")
    return table[key]()


def _split(ratings: pd.DataFrame, initial_frac: float, n_chunks: int):
    from course_lib.data.stream import iter_batches, split_by_fraction

    initial, rest = split_by_fraction(ratings, initial_frac)
    return initial, list(iter_batches(rest, n_batches=n_chunks))


def _closed_form(key: str, params: dict, seed: int, rating_range):
    from course_lib.models.baselines import BiasBaseline, BiasedMF

    if key == "bias-retrain":
        return _ClosedForm(lambda: BiasBaseline(n_iter=15, rating_range=rating_range, **params))
    return _ClosedForm(lambda: BiasedMF(n_iter=10, seed=seed, rating_range=rating_range,
                                        **params))


def _grid(key: str, bias_params: dict | None) -> list[dict]:
    if key == "bias-retrain":
        return [dict(p) for p in BIAS_GRID]
    grid = []
    for reg in MF_REGS:
        grid.append({"n_factors": 8, "reg": reg})
        if bias_params is not None:
            grid.append({"n_factors": 8, "reg": reg, "reg_user_bias": bias_params["reg_user"],
                         "reg_item_bias": bias_params["reg_item"]})
    return grid


def tune(key: str, initial: pd.DataFrame, *, n_chunks: int = 10, seed: int = 0,
         rating_range=(1.0, 5.0), bias_params: dict | None = None, log=None):
    """Choose the hyper-parameters of a closed-form strategy on the initial period only.

    The first 80 % of ``initial`` trains, its last 20 % is run through the
    benchmark's protocol in ``n_chunks`` chunks; returns ``(params, rmse)`` of
    the candidate with the lowest RMSE there.  Candidates: ``BIAS_GRID`` for
    ``bias-retrain``; for ``mf-retrain`` and ``mf-warm``, 8 factors with each
    ``reg`` in ``MF_REGS``, and the same with the bias penalties that the bias
    model chose (``bias_params``), if given.
    """
    from course_lib.evaluation.prequential import prequential

    train, chunks = _split(initial, 0.8, n_chunks)
    grid = _grid(key, bias_params)
    if len(train) == 0 or sum(len(c) for c in chunks) < n_chunks:
        return grid[0], float("nan")      # too little data to choose: the first candidate
    best = None
    for params in grid:
        model = _closed_form(key, params, seed, rating_range).fit(train)
        strategy = make_strategy(key, seed=seed).start(model, train)
        score = prequential(strategy, chunks, rating_range=rating_range).rmse
        if log is not None:
            print(f"bench: tuning {key} on the initial period: {params} -> rmse {score:.4f}",
                  file=log)
        if best is None or score < best[1]:
            best = (params, score)
    return best


def _network_designs(mf_params: dict, epochs: int | None) -> list[dict]:
    """The two designs of the neural rating model that the benchmark chooses between."""
    return [
        {"name": "chapter 06: MLP on embeddings + side features", "epochs": epochs or 5,
         "batch_size": 256, "options": {"embedding_dim": 8, "hidden": (32,)}},
        {"name": "MF objective in Keras: biases + dot product, MF's penalties",
         "epochs": epochs or NN_EPOCHS, "batch_size": 1024,
         "options": {"embedding_dim": mf_params["n_factors"], "hidden": (),
                     "learning_rate": 5e-3, "regularization": "table", "l2": mf_params["reg"],
                     "bias_l2": (mf_params.get("reg_user_bias", mf_params["reg"]),
                                 mf_params.get("reg_item_bias", mf_params["reg"])),
                     "user_features": [], "item_features": []}},
    ]


def _nn_model(design: dict, users, items, ratings, seed: int, rating_range):
    from course_lib.models.neural import RatingModel

    return RatingModel(users, items, seed=seed, rating_range=rating_range,
                       user_capacity=max(1, ratings["user_id"].nunique()),
                       item_capacity=max(1, ratings["item_id"].nunique()), **design["options"])


def tune_network(initial, users, items, ratings, mf_params: dict, *, n_chunks: int = 10,
                 seed: int = 0, rating_range=(1.0, 5.0), epochs: int | None = None, log=None):
    """Choose the neural model's design on the initial period: ``(design, rmse)``.

    As :func:`tune`, but each design of :func:`_network_designs` is updated by
    fine-tuning (the ``finetune`` row) on the inner chunks: retraining a network
    at every inner chunk would cost more than the whole benchmark.
    """
    from course_lib.evaluation.prequential import prequential

    train, chunks = _split(initial, 0.8, n_chunks)
    designs = _network_designs(mf_params, epochs)
    if len(train) == 0 or sum(len(c) for c in chunks) < n_chunks:
        return designs[0], float("nan")
    best = None
    for design in designs:
        model = _nn_model(design, users, items, ratings, seed, rating_range)
        model.fit(train, epochs=design["epochs"], batch_size=design["batch_size"])
        strategy = make_strategy("finetune", seed=seed).start(model, train)
        score = prequential(strategy, chunks, rating_range=rating_range).rmse
        if log is not None:
            print(f"bench: tuning the neural model on the initial period: {design['name']} -> "
                  f"rmse {score:.4f}", file=log)
        if best is None or score < best[1]:
            best = (design, score)
    return best


def _aggregate(runs: list[dict]) -> dict:
    row = dict(runs[-1])
    for name in ("rmse", "mae", "forgetting", "seconds_per_update", "total_seconds",
                 "examples_per_update", "initial_train_seconds", "rmse_vs_truth"):
        if name in row:
            row[name] = float(np.mean([r[name] for r in runs]))
    row["rmse_std"] = float(np.std([r["rmse"] for r in runs], ddof=1)) if len(runs) > 1 else 0.0
    row["rmse_per_seed"] = [r["rmse"] for r in runs]
    row["seeds"] = [r["seed"] for r in runs]
    row.pop("seed")
    return row


def run_benchmark(ratings: pd.DataFrame, users: pd.DataFrame, items: pd.DataFrame, *,
                  truth: pd.Series | None = None, strategies=DEFAULT_STRATEGIES,
                  initial_frac: float = 0.8, n_chunks: int = 10,
                  initial_epochs: int | None = None,
                  seed: int = 0, n_seeds: int = 1, log=None) -> list[dict]:
    """Run the protocol of the module docstring; return one dict per strategy.

    Strategies that involve randomness run with seeds ``seed .. seed + n_seeds - 1``;
    their row holds the mean over seeds, ``rmse_std`` (the spread) and
    ``rmse_per_seed``.  ``log`` (a file such as ``sys.stderr``) receives progress lines.
    """
    from course_lib.models.mf import IncrementalMF
    from course_lib.evaluation.prequential import prequential, rmse
    from course_lib.core.validation import check_int, check_number

    strategies = list(strategies)
    if not strategies:
        raise ValueError(f"run_benchmark(strategies=[]): name at least one strategy; choose "
                         f"from {', '.join(STRATEGIES)}.")
    unknown = [s for s in strategies if s not in STRATEGIES]
    if unknown:
        raise ValueError(f"unknown strategies {unknown}; choose from {', '.join(STRATEGIES)}.")
    twice = sorted({s for s in strategies if strategies.count(s) > 1})
    if twice:
        raise ValueError(f"strategies {twice} are named more than once; name each once.")
    check_number(initial_frac, "initial_frac", "run_benchmark", low=0, high=1,
                 low_inclusive=False, high_inclusive=False,
                 fix="it is the share of ratings used for the initial training, e.g. 0.8")
    check_int(n_chunks, "n_chunks", "run_benchmark", minimum=1, fix="e.g. n_chunks=10")
    if initial_epochs is not None:
        check_int(initial_epochs, "initial_epochs", "run_benchmark", minimum=1,
                  fix="e.g. initial_epochs=5, or None for each design's own")
    check_int(n_seeds, "n_seeds", "run_benchmark", minimum=1, fix="e.g. n_seeds=3")
    initial, chunks = _split(ratings, initial_frac, n_chunks)
    n_test = sum(len(c) for c in chunks)
    if len(initial) == 0 or n_test < n_chunks:
        raise ValueError(
            f"run_benchmark: the data hold {len(ratings)} rating(s): {len(initial)} for the "
            f"initial training (initial_frac={initial_frac}) and {n_test} to test, but the "
            f"protocol needs at least one to train and one test rating per chunk "
            f"(n_chunks={n_chunks}); use more ratings (at least "
            f"{MIN_TEST_RATINGS / (1 - initial_frac):.0f} for reliable numbers) or fewer chunks.")
    if n_test < MIN_TEST_RATINGS:
        warnings.warn(
            f"run_benchmark: only {n_test} test ratings (the last {1 - initial_frac:.0%} of "
            f"{len(ratings)}); every RMSE below is uncertain by about "
            f"{100 / np.sqrt(2 * n_test):.0f} %, so differences between strategies may be "
            f"noise. Use at least {MIN_TEST_RATINGS} test ratings for numbers you can compare.",
            UserWarning, stacklevel=2)
    rng = np.random.default_rng(seed)
    probe = initial.iloc[np.sort(rng.choice(len(initial), min(2000, len(initial)),
                                            replace=False))]
    low, high = float(ratings["rating"].min()), float(ratings["rating"].max())
    if not low < high:
        low, high = low - 0.5, high + 0.5     # a single rating value: any range around it
    bases, tuned, rows = {}, {}, []

    def say(text: str) -> None:
        if log is not None:
            print(text, file=log, flush=True)

    def params_for(key: str) -> dict:
        if key not in tuned:
            bias = params_for("bias-retrain") if key != "bias-retrain" else None
            tuned[key] = tune(key, initial, n_chunks=n_chunks, seed=seed,
                              rating_range=(low, high), bias_params=bias)
            say(f"bench: {key} tuned on the initial period: {tuned[key][0]} "
                f"(rmse {tuned[key][1]:.4f} on its last 20 %)")
        return tuned[key][0]

    def nn_design() -> dict:
        if "nn" not in tuned:
            mf = params_for("mf-retrain")
            tuned["nn"] = tune_network(initial, users, items, ratings, mf, n_chunks=n_chunks,
                                       seed=seed,
                                       rating_range=(low, high), epochs=initial_epochs, log=log)
            say(f"bench: neural design chosen on the initial period: {tuned['nn'][0]['name']} "
                f"(rmse {tuned['nn'][1]:.4f} on its last 20 %)")
        return tuned["nn"][0]

    def base(kind: str, run_seed: int, key: str):
        cache = (kind if kind in ("sgd", "nn") else key, run_seed)
        if cache not in bases:
            if kind != "sgd":   # tune first: the tuning time is not the model's training time
                nn_design() if kind == "nn" else params_for(key)
            t0 = time.perf_counter()
            if kind == "closed":
                model = _closed_form(key, params_for(key), run_seed, (low, high)).fit(initial)
            elif kind == "sgd":
                model = IncrementalMF(n_factors=16, epochs=15, rating_range=(low, high),
                                      seed=run_seed).fit(initial)
            else:
                model = _nn_model(nn_design(), users, items, ratings, run_seed, (low, high))
                model.fit(initial, epochs=nn_design()["epochs"],
                          batch_size=nn_design()["batch_size"])
            bases[cache] = (model, time.perf_counter() - t0)
        return bases[cache]

    for n, key in enumerate(strategies, 1):
        kind = ("closed" if key in ("bias-retrain", "mf-retrain", "mf-warm")
                else "sgd" if key.startswith("mf-") else "nn")
        seeds = [seed] if key in DETERMINISTIC else [seed + k for k in range(n_seeds)]
        runs = []
        for run_seed in seeds:
            model, initial_seconds = base(kind, run_seed, key)
            strategy = make_strategy(key, seed=run_seed)
            if key in ("retrain", "window"):    # from scratch: as the initial model was trained
                strategy.epochs = nn_design()["epochs"]
                strategy.batch_size = nn_design()["batch_size"]
            label = f"bench: [{n}/{len(strategies)}] {strategy.name}, seed {run_seed}"
            strategy.start(model.clone(), initial)
            before = rmse(probe["rating"], strategy.predict(probe))
            result = prequential(strategy, chunks, truth=truth, rating_range=(low, high),
                                 progress=lambda i, m, label=label: say(
                                     f"{label}: chunk {i + 1}/{m}"))
            after = rmse(probe["rating"], strategy.predict(probe))
            run = {"strategy": strategy.name, "key": key, "rmse": result.rmse,
                   "mae": result.mae, "forgetting": after - before,
                   "seconds_per_update": result.seconds_per_update,
                   "total_seconds": result.total_seconds,
                   "examples_per_update": result.examples_per_update,
                   "initial_train_seconds": initial_seconds, "n_test": n_test,
                   "seed": run_seed}
            if truth is not None:
                run["rmse_vs_truth"] = result.rmse_vs_truth
            if kind == "closed":
                run["params"] = params_for(key)
            elif kind == "nn":
                run["params"] = {k: v for k, v in nn_design().items() if k != "options"}
            runs.append(run)
        row = _aggregate(runs)
        rows.append(row)
        say(f"bench: {row['strategy']}: rmse {row['rmse']:.4f} (spread {row['rmse_std']:.4f} "
            f"over {len(runs)} seed(s)), {row['total_seconds']:.2f} s of updates")
    return rows


def format_table(rows: list[dict]) -> str:
    """The rows as an aligned text table (the columns of ``COLUMNS`` plus truth if any)."""
    columns = list(COLUMNS) + (["rmse_vs_truth"] if rows and "rmse_vs_truth" in rows[0] else [])
    frame = pd.DataFrame(rows)[columns]
    return frame.to_string(index=False, float_format=lambda x: f"{x:.4f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m course_lib.tools.bench",
        description="Compare update strategies on a rating stream (prequential protocol: "
                    "first 80% to train, the rest in 10 chunks, predict then update).")
    parser.add_argument("--data", default="shop", choices=["shop", "movielens-100k", "csv"])
    parser.add_argument("--path", default=None, help="folder of the data (ml-100k files, or a "
                        "ShopSim folder) or, with --data csv, a ratings CSV (user_id,item_id,"
                        "rating,timestamp or userId,movieId,rating,timestamp); default: the "
                        "shipped ShopSim world")
    parser.add_argument("--strategies", default=",".join(DEFAULT_STRATEGIES),
                        help=f"comma-separated subset of: {', '.join(STRATEGIES)}")
    parser.add_argument("--chunks", type=int, default=10)
    parser.add_argument("--initial-frac", type=float, default=0.8)
    parser.add_argument("--epochs", type=int, default=None,
                        help="epochs of the initial NN training (default: 5 for the chapter 06 "
                        "design, 20 for the MF-objective design)")
    parser.add_argument("--seed", type=int, default=0, help="first seed")
    parser.add_argument("--seeds", type=int, default=3, help="seeds per random strategy "
                        "(the table shows the mean and the spread rmse_std)")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    args = parser.parse_args(argv)
    if args.seeds < 1:
        parser.error(f"argument --seeds: {args.seeds}; run at least one seed, e.g. --seeds 3")
    if args.seed < 0:
        parser.error(f"argument --seed: {args.seed} is negative; pass a non-negative int, "
                     "e.g. --seed 0")
    from course_lib.core.setup import setup_notebook

    setup_notebook(seed=args.seed)
    strategies = [s.strip() for s in args.strategies.split(",") if s.strip()]
    if not strategies:
        parser.error(f"argument --strategies: {args.strategies!r} names no strategy; pass a "
                     f"comma-separated subset of: {', '.join(STRATEGIES)}")
    try:
        ratings, users, items, truth = load_data(args.data, args.path)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", UserWarning)
            rows = run_benchmark(ratings, users, items, truth=truth, strategies=strategies,
                                 initial_frac=args.initial_frac, n_chunks=args.chunks,
                                 initial_epochs=args.epochs, seed=args.seed,
                                 n_seeds=args.seeds, log=sys.stderr)
    except (ValueError, FileNotFoundError, RuntimeError) as exc:
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return 2
    for warning in caught:
        if issubclass(warning.category, UserWarning) and "run_benchmark" in str(warning.message):
            print(f"warning: {warning.message}", file=sys.stderr)
        else:
            warnings.showwarning(warning.message, warning.category, warning.filename,
                                 warning.lineno)
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print(f"data: {args.data}, {len(ratings)} ratings; initial {args.initial_frac:.0%}, "
              f"then {rows[0]['n_test']} test ratings in {args.chunks} chunks; "
              f"{args.seeds} seed(s) per random strategy")
        print(format_table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
