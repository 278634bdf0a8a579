"""The benchmark's strategies and how each chooses its settings on the initial period.

``make_strategy(key)`` builds the strategy of a ``course bench --strategies``
key; :func:`tune` and :func:`tune_network` choose the closed-form models'
penalties and the neural model's design on the initial 80 % only (see
:mod:`course_lib.tools.bench`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TextIO

import pandas as pd

from course_lib.core.roles import UpdateStrategy
from course_lib.core.validation import check_choice, check_number

__all__ = ["STRATEGIES", "DEFAULT_STRATEGIES", "make_strategy", "tune", "tune_network"]

STRATEGIES = (
    "bias-retrain",
    "mf-retrain",
    "mf-warm",
    "mf-finetune",
    "mf-replay",
    "static",
    "finetune",
    "replay",
    "ewc",
    "window",
    "retrain",
)
# "retrain" (the neural model from scratch at every chunk, about 10x the time of the
# whole default table) and "window" run only when named.
DEFAULT_STRATEGIES = tuple(s for s in STRATEGIES if s not in {"retrain", "window"})
# Candidate settings tried on the initial period (see ``tune``).
BIAS_GRID = tuple(
    {"reg_user": a, "reg_item": b} for a in (2.0, 5.0, 10.0, 25.0) for b in (2.0, 5.0, 10.0, 25.0)
)
MF_REGS = (5.0, 10.0, 20.0)
NN_EPOCHS = 20  # epochs of a neural model trained from scratch

RatingRange = tuple[float, float]


class _ClosedForm:
    """Adapter: a closed-form model (bias baseline, ALS factorisation) as a rating estimator.

    ``fit`` solves from scratch with the model's own settings (the training
    options a retraining strategy passes, ``epochs=`` and the like, are
    ignored); ``partial_fit`` continues (warm-started ALS, ``epochs`` sweeps).
    """

    def __init__(self, make: Callable[[], Any]) -> None:
        self.make = make
        self.model: Any = None

    def fit(self, df: pd.DataFrame, **_ignored: Any) -> _ClosedForm:
        self.model = self.make().fit(df)
        return self

    def partial_fit(self, df: pd.DataFrame, epochs: int = 1, **_ignored: Any) -> _ClosedForm:
        self.model.partial_fit(df, epochs=epochs)
        return self

    @property
    def n_touched_(self) -> Any:
        return self.model.n_touched_

    def predict(self, df: pd.DataFrame) -> Any:
        return self.model.predict(df)

    def clone(self) -> _ClosedForm:
        """A new, unfitted adapter with the same settings."""
        return _ClosedForm(self.make)

    def copy(self) -> _ClosedForm:
        """A copy with the fitted model."""
        twin = _ClosedForm(self.make)
        twin.model = None if self.model is None else self.model.copy()
        return twin


def make_strategy(key: str, *, seed: int = 0, learning_rate: float = 1e-3) -> UpdateStrategy:
    """The strategy object for a ``--strategies`` key (see :mod:`course_lib.tools.bench`).

    ``learning_rate`` is that of the neural rows' updates (``finetune``,
    ``replay``, ``ewc``); the SGD matrix factorisation rows use 0.01.

    >>> make_strategy("magic")
    Traceback (most recent call last):
    ...
    ValueError: make_strategy(key='magic'): key must be one of 'bias-retrain', ...
    """
    check_choice(
        key, "key", "make_strategy", STRATEGIES, fix="name one of the benchmark's strategies"
    )
    check_number(
        learning_rate,
        "learning_rate",
        "make_strategy",
        low=0,
        low_inclusive=False,
        fix="e.g. learning_rate=1e-3",
    )
    from course_lib.continual import strategies as c

    table = {
        "bias-retrain": lambda: c.FullRetrain(epochs=1, name="bias retrain (tuned)"),
        "mf-retrain": lambda: c.FullRetrain(epochs=1, name="MF retrain (ALS, tuned)"),
        "mf-warm": lambda: c.WarmStartALS(n_sweeps=1, name="MF warm-start ALS (tuned)"),
        "mf-finetune": lambda: c.FineTune(epochs=3, learning_rate=0.01, name="MF fine-tune"),
        "mf-replay": lambda: c.Replay(
            epochs=3, learning_rate=0.01, buffer_size=20000, seed=seed, name="MF replay"
        ),
        "static": lambda: c.Static(name="NN static"),
        "finetune": lambda: c.FineTune(
            epochs=5, batch_size=512, learning_rate=learning_rate, name="NN fine-tune"
        ),
        "replay": lambda: c.Replay(
            epochs=3,
            batch_size=512,
            learning_rate=learning_rate,
            buffer_size=20000,
            seed=seed,
            name="NN replay",
        ),
        "ewc": lambda: c.EWC(
            epochs=5,
            batch_size=512,
            learning_rate=learning_rate,
            lam=100.0,
            seed=seed,
            name="NN EWC",
        ),
        "window": lambda: c.SlidingWindow(
            window_days=30, epochs=NN_EPOCHS, batch_size=1024, name="NN window 30 d"
        ),
        "retrain": lambda: c.FullRetrain(epochs=NN_EPOCHS, batch_size=1024, name="NN full retrain"),
    }
    return table[key]()


def split_stream(
    ratings: pd.DataFrame, initial_frac: float, n_chunks: int
) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    """The first ``initial_frac`` of ``ratings`` (by time) and the rest in ``n_chunks`` chunks."""
    from course_lib.data import iter_batches, split_by_fraction

    initial, rest = split_by_fraction(ratings, initial_frac)
    return initial, list(iter_batches(rest, n_batches=n_chunks))


def closed_form(key: str, params: dict, seed: int, rating_range: RatingRange) -> _ClosedForm:
    """The closed-form model of ``key`` (bias baseline or ALS matrix factorisation)."""
    from course_lib.models import BiasBaseline, MatrixFactorization

    if key == "bias-retrain":
        return _ClosedForm(lambda: BiasBaseline(n_iter=15, rating_range=rating_range, **params))
    return _ClosedForm(
        lambda: MatrixFactorization(
            solver="als", epochs=10, seed=seed, rating_range=rating_range, **params
        )
    )


def grid(key: str, bias_params: dict | None) -> list[dict]:
    """The candidate settings of ``key`` (see :func:`tune`)."""
    if key == "bias-retrain":
        return [dict(p) for p in BIAS_GRID]
    candidates = []
    for reg in MF_REGS:
        candidates.append({"n_factors": 8, "reg": reg})
        if bias_params is not None:
            candidates.append(
                {
                    "n_factors": 8,
                    "reg": reg,
                    "reg_user_bias": bias_params["reg_user"],
                    "reg_item_bias": bias_params["reg_item"],
                }
            )
    return candidates


def tune(
    key: str,
    initial: pd.DataFrame,
    *,
    n_chunks: int = 10,
    seed: int = 0,
    rating_range: RatingRange = (1.0, 5.0),
    bias_params: dict | None = None,
    log: TextIO | None = None,
) -> tuple[dict, float]:
    """Choose the hyper-parameters of a closed-form strategy on the initial period only.

    The first 80 % of ``initial`` trains, its last 20 % is run through the
    benchmark's protocol in ``n_chunks`` chunks; returns ``(params, rmse)`` of
    the candidate with the lowest RMSE there.  Candidates: ``BIAS_GRID`` for
    ``bias-retrain``; for ``mf-retrain`` and ``mf-warm``, 8 factors with each
    ``reg`` in ``MF_REGS``, and the same with the bias penalties that the bias
    model chose (``bias_params``), if given.
    """
    from course_lib.evaluation import prequential

    check_choice(
        key,
        "key",
        "tune",
        ("bias-retrain", "mf-retrain", "mf-warm"),
        fix="only the closed-form strategies are tuned this way; see tune_network",
    )
    train, chunks = split_stream(initial, 0.8, n_chunks)
    candidates = grid(key, bias_params)
    if len(train) == 0 or sum(len(c) for c in chunks) < n_chunks:
        return candidates[0], float("nan")  # too little data to choose: the first candidate
    best: tuple[dict, float] | None = None
    for params in candidates:
        model = closed_form(key, params, seed, rating_range).fit(train)
        strategy = make_strategy(key, seed=seed).start(model, train)
        score = prequential(strategy, chunks, rating_range=rating_range).rmse
        if log is not None:
            print(
                f"bench: tuning {key} on the initial period: {params} -> rmse {score:.4f}", file=log
            )
        if best is None or score < best[1]:
            best = (params, score)
    assert best is not None
    return best


def network_designs(mf_params: dict, epochs: int | None) -> list[dict]:
    """The two designs of the neural rating model that the benchmark chooses between."""
    return [
        {
            "name": "chapter 06: MLP on embeddings + side features",
            "epochs": epochs or 5,
            "batch_size": 256,
            "options": {"embedding_dim": 8, "hidden": (32,)},
        },
        {
            "name": "MF objective in Keras: biases + dot product, MF's penalties",
            "epochs": epochs or NN_EPOCHS,
            "batch_size": 1024,
            "options": {
                "embedding_dim": mf_params["n_factors"],
                "hidden": (),
                "learning_rate": 5e-3,
                "regularization": "table",
                "l2": mf_params["reg"],
                "bias_l2": (
                    mf_params.get("reg_user_bias", mf_params["reg"]),
                    mf_params.get("reg_item_bias", mf_params["reg"]),
                ),
                "user_features": [],
                "item_features": [],
            },
        },
    ]


def network_model(
    design: dict,
    users: pd.DataFrame,
    items: pd.DataFrame,
    ratings: pd.DataFrame,
    seed: int,
    rating_range: RatingRange,
) -> Any:
    """A fresh neural rating model of ``design`` (not trained)."""
    from course_lib.models import RatingModel

    return RatingModel(
        users,
        items,
        seed=seed,
        rating_range=rating_range,
        user_capacity=max(1, ratings["user_id"].nunique()),
        item_capacity=max(1, ratings["item_id"].nunique()),
        **design["options"],
    )


def tune_network(
    initial: pd.DataFrame,
    users: pd.DataFrame,
    items: pd.DataFrame,
    ratings: pd.DataFrame,
    mf_params: dict,
    *,
    n_chunks: int = 10,
    seed: int = 0,
    rating_range: RatingRange = (1.0, 5.0),
    epochs: int | None = None,
    log: TextIO | None = None,
) -> tuple[dict, float]:
    """Choose the neural model's design on the initial period: ``(design, rmse)``.

    As :func:`tune`, but each design of :func:`network_designs` is updated by
    fine-tuning (the ``finetune`` row) on the inner chunks: retraining a network
    at every inner chunk would cost more than the whole benchmark.
    """
    from course_lib.evaluation import prequential

    train, chunks = split_stream(initial, 0.8, n_chunks)
    designs = network_designs(mf_params, epochs)
    if len(train) == 0 or sum(len(c) for c in chunks) < n_chunks:
        return designs[0], float("nan")
    best: tuple[dict, float] | None = None
    for design in designs:
        model = network_model(design, users, items, ratings, seed, rating_range)
        model.fit(train, epochs=design["epochs"], batch_size=design["batch_size"])
        strategy = make_strategy("finetune", seed=seed).start(model, train)
        score = prequential(strategy, chunks, rating_range=rating_range).rmse
        if log is not None:
            print(
                f"bench: tuning the neural model on the initial period: {design['name']} -> "
                f"rmse {score:.4f}",
                file=log,
            )
        if best is None or score < best[1]:
            best = (design, score)
    assert best is not None
    return best
