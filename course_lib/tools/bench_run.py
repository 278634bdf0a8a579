"""One run of the benchmark's protocol: tuned settings, trained initial models, scored strategies.

:class:`BenchmarkRun` holds what :func:`course_lib.tools.bench.run_benchmark`
shares between strategies and seeds (the settings each model chose on the
initial period, the initial models trained once per seed) and runs one
strategy with one seed through the protocol of :mod:`course_lib.tools.bench`.
"""

from __future__ import annotations

import time
from typing import Any, TextIO

import numpy as np
import pandas as pd

from course_lib.tools.bench_strategies import (
    closed_form,
    make_strategy,
    network_model,
    tune,
    tune_network,
)

__all__: list[str] = []

_CLOSED = ("bias-retrain", "mf-retrain", "mf-warm")


def _kind(key: str) -> str:
    """``closed`` (bias / ALS), ``sgd`` (SGD factorisation) or ``nn`` (the Keras model)."""
    return "closed" if key in _CLOSED else "sgd" if key.startswith("mf-") else "nn"


class BenchmarkRun:
    """The state of one :func:`~course_lib.tools.bench.run_benchmark`: tuned settings, initial models."""

    def __init__(
        self,
        ratings: pd.DataFrame,
        users: pd.DataFrame,
        items: pd.DataFrame,
        initial: pd.DataFrame,
        chunks: list[pd.DataFrame],
        *,
        truth: Any,
        n_chunks: int,
        initial_epochs: int | None,
        seed: int,
        log: TextIO | None,
    ) -> None:
        self.ratings, self.users, self.items = ratings, users, items
        self.initial, self.chunks, self.truth = initial, chunks, truth
        self.n_chunks, self.initial_epochs, self.seed, self.log = (
            n_chunks,
            initial_epochs,
            seed,
            log,
        )
        self.n_test = sum(len(c) for c in chunks)
        rng = np.random.default_rng(seed)
        self.probe = initial.iloc[
            np.sort(rng.choice(len(initial), min(2000, len(initial)), replace=False))
        ]
        low, high = float(ratings["rating"].min()), float(ratings["rating"].max())
        if not low < high:
            low, high = low - 0.5, high + 0.5  # a single rating value: any range around it
        self.range = (low, high)
        self.bases: dict[tuple, tuple[Any, float]] = {}
        self.tuned: dict[str, tuple[dict, float]] = {}

    def say(self, text: str) -> None:
        if self.log is not None:
            print(text, file=self.log, flush=True)

    def params_for(self, key: str) -> dict:
        """The settings ``key`` chose on the initial period (tuned once, then cached)."""
        if key not in self.tuned:
            bias = self.params_for("bias-retrain") if key != "bias-retrain" else None
            self.tuned[key] = tune(
                key,
                self.initial,
                n_chunks=self.n_chunks,
                seed=self.seed,
                rating_range=self.range,
                bias_params=bias,
            )
            self.say(
                f"bench: {key} tuned on the initial period: {self.tuned[key][0]} "
                f"(rmse {self.tuned[key][1]:.4f} on its last 20 %)"
            )
        return self.tuned[key][0]

    def nn_design(self) -> dict:
        """The neural model's design chosen on the initial period (cached)."""
        if "nn" not in self.tuned:
            mf = self.params_for("mf-retrain")
            self.tuned["nn"] = tune_network(
                self.initial,
                self.users,
                self.items,
                self.ratings,
                mf,
                n_chunks=self.n_chunks,
                seed=self.seed,
                rating_range=self.range,
                epochs=self.initial_epochs,
                log=self.log,
            )
            self.say(
                "bench: neural design chosen on the initial period: "
                f"{self.tuned['nn'][0]['name']} (rmse {self.tuned['nn'][1]:.4f} on its "
                "last 20 %)"
            )
        return self.tuned["nn"][0]

    def _train_base(self, kind: str, run_seed: int, key: str) -> Any:
        from course_lib.models import MatrixFactorization

        if kind == "closed":
            return closed_form(key, self.params_for(key), run_seed, self.range).fit(self.initial)
        if kind == "sgd":
            return MatrixFactorization(
                n_factors=16, solver="sgd", epochs=15, rating_range=self.range, seed=run_seed
            ).fit(self.initial)
        design = self.nn_design()
        model = network_model(design, self.users, self.items, self.ratings, run_seed, self.range)
        return model.fit(self.initial, epochs=design["epochs"], batch_size=design["batch_size"])

    def base(self, kind: str, run_seed: int, key: str) -> tuple[Any, float]:
        """The initial model (trained once per kind and seed) and its training seconds."""
        cache = (kind if kind in ("sgd", "nn") else key, run_seed)
        if cache not in self.bases:
            if kind == "nn":  # tune first: the tuning time is not the model's training time
                self.nn_design()
            elif kind == "closed":
                self.params_for(key)
            t0 = time.perf_counter()
            model = self._train_base(kind, run_seed, key)
            self.bases[cache] = (model, time.perf_counter() - t0)
        return self.bases[cache]

    def run(self, key: str, run_seed: int, label: str) -> dict:
        """One strategy with one seed through the protocol: its numbers."""
        from course_lib.evaluation import prequential, rmse

        kind = _kind(key)
        model, initial_seconds = self.base(kind, run_seed, key)
        strategy = make_strategy(key, seed=run_seed)
        if key in ("retrain", "window"):  # from scratch: as the initial model was trained
            from course_lib.continual.strategies import FullRetrain

            assert isinstance(strategy, FullRetrain)  # SlidingWindow is one too
            strategy.epochs = self.nn_design()["epochs"]
            strategy.batch_size = self.nn_design()["batch_size"]
        label = f"{label} {strategy.name}, seed {run_seed}"
        strategy.start(model.copy(), self.initial)
        before = rmse(self.probe["rating"], strategy.predict(self.probe))
        result = prequential(
            strategy,
            self.chunks,
            truth=self.truth,
            rating_range=self.range,
            progress=lambda i, m: self.say(f"{label}: chunk {i + 1}/{m}"),
        )
        after = rmse(self.probe["rating"], strategy.predict(self.probe))
        run = {
            "strategy": strategy.name,
            "key": key,
            "rmse": result.rmse,
            "mae": result.mae,
            "forgetting": after - before,
            "seconds_per_update": result.seconds_per_update,
            "total_seconds": result.total_seconds,
            "examples_per_update": result.examples_per_update,
            "initial_train_seconds": initial_seconds,
            "n_test": self.n_test,
            "seed": run_seed,
        }
        if self.truth is not None:
            run["rmse_vs_truth"] = result.rmse_vs_truth
        if kind == "closed":
            run["params"] = self.params_for(key)
        elif kind == "nn":
            run["params"] = {k: v for k, v in self.nn_design().items() if k != "options"}
        return run
