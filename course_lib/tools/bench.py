"""Benchmark of update strategies on a rating stream: ``course bench``.

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
``mf-retrain``          reference: biased MF by ALS (``models.MatrixFactorization``), tuned,
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
references (updates by fine-tuning,
:func:`~course_lib.tools.bench_strategies.tune_network`) between chapter 06's (an MLP on the embeddings and the
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

    course bench                                 # the shipped ShopSim world
    course bench --data movielens-100k --path ml-100k --json
    course bench --data csv --path ratings.csv --strategies bias-retrain,mf-warm

(``python -m course_lib.tools.bench`` is the same command.)  The strategies and
their tuning live in :mod:`course_lib.tools.bench_strategies`, the data in
:mod:`course_lib.tools.bench_data`, one run of the protocol in
:mod:`course_lib.tools.bench_run`.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from collections.abc import Iterable
from typing import TextIO

import numpy as np
import pandas as pd

from course_lib.core.validation import (
    argument_error,
    check_frame,
    check_int,
    check_number,
)
from course_lib.tools.bench_data import load_data, read_ratings_csv  # noqa: F401 - re-exported
from course_lib.tools.bench_run import BenchmarkRun
from course_lib.tools.bench_strategies import (  # noqa: F401 - some re-exported
    DEFAULT_STRATEGIES,
    STRATEGIES,
    make_strategy,
    split_stream,
    tune,
    tune_network,
)

__all__ = ["run_benchmark", "format_table", "main"]

COLUMNS = (
    "strategy",
    "rmse",
    "rmse_std",
    "mae",
    "forgetting",
    "seconds_per_update",
    "total_seconds",
)
# Below this many test ratings the RMSE is uncertain by more than about 7 % (1 / sqrt(2 n)).
MIN_TEST_RATINGS = 100
DETERMINISTIC = ("bias-retrain",)  # no seed involved: run once, spread 0


def _aggregate(runs: list[dict]) -> dict:
    row = dict(runs[-1])
    for name in (
        "rmse",
        "mae",
        "forgetting",
        "seconds_per_update",
        "total_seconds",
        "examples_per_update",
        "initial_train_seconds",
        "rmse_vs_truth",
    ):
        if name in row:
            row[name] = float(np.mean([r[name] for r in runs]))
    row["rmse_std"] = float(np.std([r["rmse"] for r in runs], ddof=1)) if len(runs) > 1 else 0.0
    row["rmse_per_seed"] = [r["rmse"] for r in runs]
    row["seeds"] = [r["seed"] for r in runs]
    row.pop("seed")
    return row


def _check_strategies(strategies: Iterable[str]) -> list[str]:
    strategies = list(strategies)
    known = ", ".join(STRATEGIES)
    if not strategies:
        raise argument_error(
            "run_benchmark",
            "strategies",
            strategies,
            "a non-empty list of strategy names",
            f"choose from {known}",
        )
    unknown = [s for s in strategies if s not in STRATEGIES]
    if unknown:
        raise argument_error(
            "run_benchmark",
            "strategies",
            strategies,
            f"names of known strategies, and {unknown} are not",
            f"choose from {known}",
        )
    twice = sorted({s for s in strategies if strategies.count(s) > 1})
    if twice:
        raise argument_error(
            "run_benchmark",
            "strategies",
            strategies,
            f"names without repeats, but {twice} appear more than once",
            "name each strategy once",
        )
    return strategies


def _check_arguments(
    ratings: pd.DataFrame,
    strategies: Iterable[str],
    initial_frac: float,
    n_chunks: int,
    initial_epochs: int | None,
    n_seeds: int,
) -> list[str]:
    """Check :func:`run_benchmark`'s arguments; return the strategies as a list."""
    strategies = _check_strategies(strategies)
    check_frame(ratings, "ratings", "run_benchmark", columns=("user_id", "item_id", "rating"))
    check_number(
        initial_frac,
        "initial_frac",
        "run_benchmark",
        low=0,
        high=1,
        low_inclusive=False,
        high_inclusive=False,
        fix="it is the share of ratings used for the initial training, e.g. 0.8",
    )
    check_int(n_chunks, "n_chunks", "run_benchmark", minimum=1, fix="e.g. n_chunks=10")
    if initial_epochs is not None:
        check_int(
            initial_epochs,
            "initial_epochs",
            "run_benchmark",
            minimum=1,
            fix="e.g. initial_epochs=5, or None for each design's own",
        )
    check_int(n_seeds, "n_seeds", "run_benchmark", minimum=1, fix="e.g. n_seeds=3")
    return strategies


def _check_sizes(
    ratings: pd.DataFrame, initial: pd.DataFrame, n_test: int, initial_frac: float, n_chunks: int
) -> None:
    if len(initial) == 0 or n_test < n_chunks:
        raise argument_error(
            "run_benchmark",
            "ratings",
            ratings,
            "enough for the protocol, at least one to train and one test rating per chunk "
            f"(n_chunks={n_chunks}), but the data hold {len(ratings)} rating(s): "
            f"{len(initial)} for the initial training (initial_frac={initial_frac}) and "
            f"{n_test} to test",
            f"use more ratings (at least {MIN_TEST_RATINGS / (1 - initial_frac):.0f} for "
            "reliable numbers) or fewer chunks",
        )
    if n_test < MIN_TEST_RATINGS:
        warnings.warn(
            f"run_benchmark: only {n_test} test ratings (the last {1 - initial_frac:.0%} of "
            f"{len(ratings)}); every RMSE below is uncertain by about "
            f"{100 / np.sqrt(2 * n_test):.0f} %, so differences between strategies may be "
            f"noise. Use at least {MIN_TEST_RATINGS} test ratings for numbers you can compare.",
            UserWarning,
            stacklevel=3,
        )


def run_benchmark(
    ratings: pd.DataFrame,
    users: pd.DataFrame,
    items: pd.DataFrame,
    *,
    truth: pd.Series | None = None,
    strategies: Iterable[str] = DEFAULT_STRATEGIES,
    initial_frac: float = 0.8,
    n_chunks: int = 10,
    initial_epochs: int | None = None,
    seed: int = 0,
    n_seeds: int = 1,
    log: TextIO | None = None,
) -> list[dict]:
    """Run the protocol of the module docstring; return one dict per strategy.

    Strategies that involve randomness run with seeds ``seed .. seed + n_seeds - 1``;
    their row holds the mean over seeds, ``rmse_std`` (the spread) and
    ``rmse_per_seed``.  ``log`` (a file such as ``sys.stderr``) receives progress lines.
    """
    strategies = _check_arguments(
        ratings, strategies, initial_frac, n_chunks, initial_epochs, n_seeds
    )
    initial, chunks = split_stream(ratings, initial_frac, n_chunks)
    _check_sizes(ratings, initial, sum(len(c) for c in chunks), initial_frac, n_chunks)
    bench = BenchmarkRun(
        ratings,
        users,
        items,
        initial,
        chunks,
        truth=truth,
        n_chunks=n_chunks,
        initial_epochs=initial_epochs,
        seed=seed,
        log=log,
    )
    rows = []
    for n, key in enumerate(strategies, 1):
        seeds = [seed] if key in DETERMINISTIC else [seed + k for k in range(n_seeds)]
        runs = [bench.run(key, run_seed, f"bench: [{n}/{len(strategies)}]") for run_seed in seeds]
        row = _aggregate(runs)
        rows.append(row)
        bench.say(
            f"bench: {row['strategy']}: rmse {row['rmse']:.4f} (spread "
            f"{row['rmse_std']:.4f} over {len(runs)} seed(s)), "
            f"{row['total_seconds']:.2f} s of updates"
        )
    return rows


def format_table(rows: list[dict]) -> str:
    """The rows as an aligned text table (the columns of ``COLUMNS`` plus truth if any)."""
    columns = list(COLUMNS) + (["rmse_vs_truth"] if rows and "rmse_vs_truth" in rows[0] else [])
    frame = pd.DataFrame(rows)[columns]
    return frame.to_string(index=False, float_format=lambda x: f"{x:.4f}")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="course bench",
        description="Compare update strategies on a rating stream (prequential protocol: "
        "first 80% to train, the rest in 10 chunks, predict then update).",
    )
    parser.add_argument("--data", default="shop", choices=["shop", "movielens-100k", "csv"])
    parser.add_argument(
        "--path",
        default=None,
        help="folder of the data (ml-100k files, or a "
        "ShopSim folder) or, with --data csv, a ratings CSV (user_id,item_id,"
        "rating,timestamp or userId,movieId,rating,timestamp); default: the "
        "shipped ShopSim world",
    )
    parser.add_argument(
        "--strategies",
        default=",".join(DEFAULT_STRATEGIES),
        help=f"comma-separated subset of: {', '.join(STRATEGIES)}",
    )
    parser.add_argument("--chunks", type=int, default=10)
    parser.add_argument("--initial-frac", type=float, default=0.8)
    parser.add_argument(
        "--epochs",
        type=int,
        default=None,
        help="epochs of the initial NN training (default: 5 for the chapter 06 "
        "design, 20 for the MF-objective design)",
    )
    parser.add_argument("--seed", type=int, default=0, help="first seed")
    parser.add_argument(
        "--seeds",
        type=int,
        default=3,
        help="seeds per random strategy (the table shows the mean and the spread rmse_std)",
    )
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    return parser


def _arguments(
    parser: argparse.ArgumentParser, argv: list[str] | None
) -> tuple[argparse.Namespace, list[str]]:
    args = parser.parse_args(argv)
    if args.seeds < 1:
        parser.error(f"argument --seeds: {args.seeds}; run at least one seed, e.g. --seeds 3")
    if args.seed < 0:
        parser.error(
            f"argument --seed: {args.seed} is negative; pass a non-negative int, e.g. --seed 0"
        )
    strategies = [s.strip() for s in args.strategies.split(",") if s.strip()]
    if not strategies:
        parser.error(
            f"argument --strategies: {args.strategies!r} names no strategy; pass a "
            f"comma-separated subset of: {', '.join(STRATEGIES)}"
        )
    return args, strategies


def _show_warnings(caught: list[warnings.WarningMessage]) -> None:
    for warning in caught:
        if issubclass(warning.category, UserWarning) and "run_benchmark" in str(warning.message):
            print(f"warning: {warning.message}", file=sys.stderr)
        else:
            warnings.showwarning(
                warning.message, warning.category, warning.filename, warning.lineno
            )


def main(argv: list[str] | None = None) -> int:
    """``course bench``: run the benchmark and print the table (or ``--json``)."""
    parser = _parser()
    args, strategies = _arguments(parser, argv)
    from course_lib.core.notebook_setup import setup_notebook

    setup_notebook(seed=args.seed)
    try:
        ratings, users, items, truth = load_data(args.data, args.path)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", UserWarning)
            rows = run_benchmark(
                ratings,
                users,
                items,
                truth=truth,
                strategies=strategies,
                initial_frac=args.initial_frac,
                n_chunks=args.chunks,
                initial_epochs=args.epochs,
                seed=args.seed,
                n_seeds=args.seeds,
                log=sys.stderr,
            )
    except (ValueError, FileNotFoundError, RuntimeError) as exc:
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return 2
    _show_warnings(caught)
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print(
            f"data: {args.data}, {len(ratings)} ratings; initial {args.initial_frac:.0%}, "
            f"then {rows[0]['n_test']} test ratings in {args.chunks} chunks; "
            f"{args.seeds} seed(s) per random strategy"
        )
        print(format_table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
