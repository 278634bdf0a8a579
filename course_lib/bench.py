"""Benchmark of update strategies on a rating stream: ``python -m course_lib.bench``.

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

Strategies (``--strategies``, comma separated):

======================  ==================================================
``mf-retrain``          classical reference: biased MF (ALS, ``baselines``) retrained
                        from scratch on all data at every chunk
``mf-finetune``         SGD biased MF (:mod:`course_lib.mf`), fine-tuned on each chunk
``mf-replay``           the same with a reservoir replay buffer
``static``              the neural rating model, never updated
``finetune``            the neural rating model fine-tuned on each chunk
``replay``              ... with replay
``ewc``                 ... with EWC
``window``              ... retrained from scratch on the last 30 days
``retrain``             ... retrained from scratch on all data
======================  ==================================================

Examples::

    python -m course_lib.bench                                 # the shipped ShopSim world
    python -m course_lib.bench --data movielens-100k --path ml-100k --json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings

import numpy as np
import pandas as pd

__all__ = ["STRATEGIES", "DEFAULT_STRATEGIES", "load_data", "make_strategy", "run_benchmark",
           "format_table", "main"]

STRATEGIES = ("mf-retrain", "mf-finetune", "mf-replay", "static", "finetune", "replay", "ewc",
              "window", "retrain")
DEFAULT_STRATEGIES = ("mf-retrain", "mf-finetune", "mf-replay", "static", "finetune", "replay",
                      "ewc", "retrain")
COLUMNS = ("strategy", "rmse", "mae", "forgetting", "seconds_per_update", "total_seconds")
# Below this many test ratings the RMSE is uncertain by more than about 7 % (1 / sqrt(2 n)).
MIN_TEST_RATINGS = 100


class _ALSRetrain:
    """Adapter: the ALS biased MF of :mod:`course_lib.baselines` behind the strategy protocol.

    ALS has no "continue training": every ``fit`` solves from scratch, which is
    exactly what the retrain reference needs.
    """

    def __init__(self, n_factors: int = 8, reg: float = 5.0, n_iter: int = 10, seed: int = 0,
                 rating_range=(1.0, 5.0)):
        self.params = {"n_factors": n_factors, "reg": reg, "n_iter": n_iter, "seed": seed}
        self.rating_range = rating_range
        self.model = None

    def fit(self, df, **_ignored):
        from course_lib.baselines import BiasedMF

        self.model = BiasedMF(**self.params).fit(df)
        return self

    def predict(self, df):
        return np.clip(self.model.predict(df), *self.rating_range)

    def clone(self, fresh: bool = False):
        twin = _ALSRetrain(rating_range=self.rating_range, **self.params)
        if not fresh:
            twin.model = self.model
        return twin


def load_data(name: str = "shop", path=None):
    """``(ratings, users, items, truth)`` for ``--data``; truth is None for real data."""
    if name == "shop":
        from course_lib.datasets import load_shop

        shop = load_shop(path) if path else load_shop()
        truth = shop.rating_truth["expected_rating"] if shop.rating_truth is not None else None
        return shop.ratings, shop.users, shop.items, truth
    if name == "movielens-100k":
        from course_lib.datasets import load_movielens_100k

        ml = load_movielens_100k(path=path)
        return ml.ratings, ml.users, ml.items, None
    raise ValueError(f"--data {name!r}: use 'shop' (the shipped ShopSim world) or "
                     "'movielens-100k' (with --path to the unzipped ml-100k folder).")


def make_strategy(key: str, *, seed: int = 0, lr: float = 1e-3):
    """The strategy object for a ``--strategies`` key (see the module docstring)."""
    from course_lib import continual as c

    table = {
        "mf-retrain": lambda: c.FullRetrain(epochs=1, name="MF retrain (ALS, reference)"),
        "mf-finetune": lambda: c.FineTune(epochs=3, learning_rate=0.01, name="MF fine-tune"),
        "mf-replay": lambda: c.Replay(epochs=3, learning_rate=0.01, buffer_size=20000,
                                      seed=seed, name="MF replay"),
        "static": lambda: c.Static(name="NN static"),
        "finetune": lambda: c.FineTune(epochs=2, learning_rate=lr, clipnorm=1.0,
                                       name="NN fine-tune"),
        "replay": lambda: c.Replay(epochs=2, learning_rate=lr, clipnorm=1.0, buffer_size=20000,
                                   seed=seed, name="NN replay"),
        "ewc": lambda: c.EWC(epochs=2, learning_rate=lr, clipnorm=1.0, lam=100.0, seed=seed,
                             name="NN EWC"),
        "window": lambda: c.SlidingWindow(window_days=30, epochs=5, clipnorm=1.0,
                                          name="NN window 30 d"),
        "retrain": lambda: c.FullRetrain(epochs=5, clipnorm=1.0, name="NN full retrain"),
    }
    if key not in table:
        raise ValueError(f"strategy {key!r} is unknown; choose from {', '.join(STRATEGIES)}.")
    return table[key]()


def _split(ratings: pd.DataFrame, initial_frac: float, n_chunks: int):
    from course_lib.stream import iter_batches, split_by_fraction

    initial, rest = split_by_fraction(ratings, initial_frac)
    return initial, list(iter_batches(rest, n_batches=n_chunks))


def run_benchmark(ratings: pd.DataFrame, users: pd.DataFrame, items: pd.DataFrame, *,
                  truth: pd.Series | None = None, strategies=DEFAULT_STRATEGIES,
                  initial_frac: float = 0.8, n_chunks: int = 10, initial_epochs: int = 5,
                  seed: int = 0, log=None) -> list[dict]:
    """Run the protocol of the module docstring; return one dict per strategy."""
    from course_lib.mf import IncrementalMF
    from course_lib.prequential import prequential, rmse
    from course_lib.validation import check_int, check_number

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
    check_int(initial_epochs, "initial_epochs", "run_benchmark", minimum=1,
              fix="e.g. initial_epochs=5")
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
    bases, rows = {}, []

    def base(kind: str):
        if kind not in bases:
            t0 = time.perf_counter()
            if kind == "als":
                model = _ALSRetrain(seed=seed, rating_range=(low, high)).fit(initial)
            elif kind == "sgd":
                model = IncrementalMF(n_factors=16, epochs=15, rating_range=(low, high),
                                      seed=seed).fit(initial)
            else:
                from course_lib.models import RatingModel

                model = RatingModel(users, items, embedding_dim=8, hidden=(32,), seed=seed)
                model.fit(initial, epochs=initial_epochs, batch_size=256)
            bases[kind] = (model, time.perf_counter() - t0)
        return bases[kind]

    for key in strategies:
        kind = "als" if key == "mf-retrain" else "sgd" if key.startswith("mf-") else "nn"
        model, initial_seconds = base(kind)
        strategy = make_strategy(key, seed=seed)
        strategy.start(model.clone(), initial)
        before = rmse(probe["rating"], strategy.predict(probe))
        result = prequential(strategy, chunks, truth=truth, rating_range=(low, high))
        after = rmse(probe["rating"], strategy.predict(probe))
        row = {"strategy": strategy.name, "rmse": result.rmse, "mae": result.mae,
               "forgetting": after - before,
               "seconds_per_update": result.seconds_per_update,
               "total_seconds": result.total_seconds,
               "examples_per_update": result.examples_per_update,
               "initial_train_seconds": initial_seconds, "n_test": n_test, "key": key}
        if truth is not None:
            row["rmse_vs_truth"] = result.rmse_vs_truth
        rows.append(row)
        if log is not None:
            print(f"  {strategy.name}: rmse {row['rmse']:.4f}, "
                  f"{row['total_seconds']:.1f} s", file=log)
    return rows


def format_table(rows: list[dict]) -> str:
    """The rows as an aligned text table (the columns of ``COLUMNS`` plus truth if any)."""
    columns = list(COLUMNS) + (["rmse_vs_truth"] if rows and "rmse_vs_truth" in rows[0] else [])
    frame = pd.DataFrame(rows)[columns]
    return frame.to_string(index=False, float_format=lambda x: f"{x:.4f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m course_lib.bench",
        description="Compare update strategies on a rating stream (prequential protocol: "
                    "first 80% to train, the rest in 10 chunks, predict then update).")
    parser.add_argument("--data", default="shop", choices=["shop", "movielens-100k"])
    parser.add_argument("--path", default=None, help="folder of the data (ml-100k files, or a "
                        "ShopSim folder); default: the shipped ShopSim world")
    parser.add_argument("--strategies", default=",".join(DEFAULT_STRATEGIES),
                        help=f"comma-separated subset of: {', '.join(STRATEGIES)}")
    parser.add_argument("--chunks", type=int, default=10)
    parser.add_argument("--initial-frac", type=float, default=0.8)
    parser.add_argument("--epochs", type=int, default=5, help="epochs of the initial NN training")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    args = parser.parse_args(argv)
    if args.seed < 0:
        parser.error(f"argument --seed: {args.seed} is negative; pass a non-negative int, "
                     "e.g. --seed 0")
    from course_lib.setup import setup_notebook

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
                                 log=None if args.json else sys.stderr)
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
              f"then {rows[0]['n_test']} test ratings in {args.chunks} chunks")
        print(format_table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
