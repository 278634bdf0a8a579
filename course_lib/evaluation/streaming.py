"""Evaluation on a stream: the prequential (predict, then learn) loop and forgetting metrics.

Explained in chapters 08 and 09.  (The module is not called ``prequential``: that
is the name of its main function, which ``course_lib.evaluation`` exports.)  NumPy/pandas only (the strategy may use Keras).

On a stream there is no fixed test set: each batch is first used as *test*
data for the current model and only then as *training* data.  That is the
prequential protocol (Dawid, 1984), and it is how a shop lives: today's
ratings arrive before anyone retrains on them.

RMSE and MAE come from :mod:`course_lib.evaluation.metrics`, which raises on
an empty input; the loop reports ``nan`` for an empty batch itself.

Forgetting needs a second measurement.  :func:`holdout_split` keeps a seeded
share of every batch aside (never trained on); after each update the model is
scored on the held-out slice of every period learned so far.  That gives the
matrix ``R[i, j]`` = RMSE on period ``j``'s slice after update ``i``, from
which (adapting the accuracy-based metrics of Lopez-Paz & Ranzato, 2017, to an
error where lower is better)

* ``final_rmse`` = mean over ``j`` of ``R[T-1, j]``: how good the final model is
  on everything seen;
* ``forgetting`` = mean over ``j < T-1`` of ``R[T-1, j] - R[j, j]``: how much
  the error on an old period grew since just after learning it (positive =
  forgot; negative = later data helped, i.e. positive backward transfer);
* ``backward_transfer`` = ``-forgetting``.

>>> R = np.array([[1.0, np.nan], [1.2, 0.9]])
>>> print(round(forgetting(R), 3), round(final_rmse(R), 3))
0.2 1.05
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from course_lib.core.roles import UpdateStrategy
from course_lib.core.validation import argument_error, as_generator, check_array, check_number
from course_lib.evaluation.metrics import mae, rmse

__all__ = [
    "holdout_split",
    "forgetting",
    "backward_transfer",
    "final_rmse",
    "PrequentialResult",
    "prequential",
]


def holdout_split(
    batches: Iterable[pd.DataFrame], frac: float = 0.1, seed: int | np.random.Generator = 0
) -> tuple[list[pd.DataFrame], list[pd.DataFrame]]:
    """Split every batch into (train part, held-out part) with a seeded share ``frac``.

    Returns two lists of DataFrames of the same length as ``batches``.

    >>> df = pd.DataFrame({"rating": np.arange(20.0)})
    >>> train, held = holdout_split([df.iloc[:10], df.iloc[10:]], frac=0.2, seed=0)
    >>> [len(t) for t in train], [len(h) for h in held]
    ([8, 8], [2, 2])
    """
    frac = check_number(
        frac,
        "frac",
        "holdout_split",
        low=0,
        high=1,
        low_inclusive=False,
        high_inclusive=False,
        fix="use a share such as 0.1",
    )
    rng = as_generator(seed, "holdout_split")
    train, held = [], []
    for batch in batches:
        n_hold = int(round(frac * len(batch)))
        mask = np.zeros(len(batch), dtype=bool)
        mask[rng.choice(len(batch), size=n_hold, replace=False)] = True
        train.append(batch[~mask])
        held.append(batch[mask])
    return train, held


def _last_row(R: ArrayLike, where: str) -> np.ndarray:
    R = check_array(
        R,
        "R",
        where,
        ndim=2,
        allow_nan=True,
        fix="pass the square matrix R[i, j] (error on period j after update i)",
    )
    if R.shape[0] != R.shape[1]:
        raise argument_error(
            where,
            "R",
            R,
            f"a square matrix R[i, j] (error on period j after update i), got shape {R.shape}",
        )
    return R[-1]


def final_rmse(R: ArrayLike) -> float:
    """Mean error on every period's held-out slice after the last update."""
    return float(np.nanmean(_last_row(R, "final_rmse")))


def forgetting(R: ArrayLike) -> float:
    """Mean of ``R[T-1, j] - R[j, j]`` over the old periods ``j < T-1`` (0 for one period)."""
    last = _last_row(R, "forgetting")
    R = np.asarray(R, dtype=float)
    T = R.shape[0]
    if T < 2:
        return 0.0
    return float(np.mean([last[j] - R[j, j] for j in range(T - 1)]))


def backward_transfer(R: ArrayLike) -> float:
    """``-forgetting(R)``: positive when later learning improved old periods."""
    return -forgetting(R)


@dataclass
class PrequentialResult:
    """Everything one prequential run measured (see :func:`prequential`)."""

    name: str
    per_batch: pd.DataFrame
    y_true: np.ndarray
    y_pred: np.ndarray
    truth: np.ndarray | None = None
    R: np.ndarray | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def rmse(self) -> float:
        """Prequential RMSE over every predicted rating."""
        return rmse(self.y_true, self.y_pred)

    @property
    def mae(self) -> float:
        """Prequential MAE over every predicted rating."""
        return mae(self.y_true, self.y_pred)

    @property
    def rmse_vs_truth(self) -> float:
        """RMSE against the true expected rating (ShopSim only; nan otherwise)."""
        return float("nan") if self.truth is None else rmse(self.truth, self.y_pred)

    @property
    def seconds_per_update(self) -> float:
        return float(self.per_batch["seconds"].mean())

    @property
    def total_seconds(self) -> float:
        return float(self.per_batch["seconds"].sum())

    @property
    def examples_per_update(self) -> float:
        return float(self.per_batch["n_examples"].mean())

    def summary(self) -> dict[str, Any]:
        """One row for a results table."""
        row = {"strategy": self.name, "rmse": self.rmse, "mae": self.mae}
        if self.truth is not None:
            row["rmse_vs_truth"] = self.rmse_vs_truth
        if self.R is not None:
            row["final_rmse_old"] = final_rmse(self.R)
            row["forgetting"] = forgetting(self.R)
        row.update(
            {
                "seconds_per_update": self.seconds_per_update,
                "total_seconds": self.total_seconds,
                "examples_per_update": self.examples_per_update,
            }
        )
        row.update(self.extra)
        return row


def _batch_row(
    i: int, batch: pd.DataFrame, y_true: np.ndarray, y_pred: np.ndarray, truth: np.ndarray | None
) -> dict[str, Any]:
    """The scores of one batch; ``nan`` for an empty one (metrics.rmse raises on empty input)."""
    empty = len(batch) == 0
    nan = float("nan")
    row = {
        "batch": i,
        "first_day": int(batch["day"].min()) if "day" in batch and not empty else i,
        "n": len(batch),
        "rmse": nan if empty else rmse(y_true, y_pred),
        "mae": nan if empty else mae(y_true, y_pred),
    }
    if truth is not None:
        row["rmse_vs_truth"] = nan if empty else rmse(truth, y_pred)
    return row


def _truth_of(truth: pd.Series | np.ndarray, batch: pd.DataFrame) -> np.ndarray:
    """The true expected rating of every row of ``batch`` (looked up by index)."""
    if isinstance(truth, pd.Series):
        return np.asarray(truth.loc[batch.index], dtype=float)
    return np.asarray(truth)[batch.index]


def prequential(
    strategy: UpdateStrategy,
    batches: Iterable[pd.DataFrame],
    *,
    truth: pd.Series | np.ndarray | None = None,
    holdout: Sequence[pd.DataFrame] | None = None,
    rating_range: tuple[float, float] = (1.0, 5.0),
    update: bool = True,
    progress: Callable[[int, int], Any] | None = None,
) -> PrequentialResult:
    """Run the predict-then-learn loop of ``strategy`` over ``batches``.

    Parameters
    ----------
    strategy
        A started strategy from :mod:`course_lib.continual.strategies` (or anything with
        ``predict(df)``, ``update(df)`` and, optionally, ``costs_``).
    batches : sequence of DataFrame
        Time-ordered batches in the ratings schema.
    truth : Series, optional
        True expected rating indexed like the batches' rows (ShopSim's
        ``shop.rating_truth["expected_rating"]``), to score against the truth.
    holdout : sequence of DataFrame, optional
        Held-out slice of each batch's period (:func:`holdout_split`); fills ``R``.
    rating_range
        Predictions are clipped to it before scoring.
    update : bool
        False scores a static model (predict only).
    progress : callable, optional
        Called as ``progress(i, n_batches)`` before batch ``i`` (e.g. to print
        where a long run is).
    """
    batches = list(batches)
    if holdout is not None and len(holdout) != len(batches):
        raise argument_error(
            "prequential",
            "holdout",
            holdout,
            f"a list of one slice per batch, got {len(holdout)} for {len(batches)} batches",
            "use holdout_split",
        )
    rows, ys, preds, truths = [], [], [], []
    R = np.full((len(batches), len(batches)), np.nan) if holdout is not None else None
    for i, batch in enumerate(batches):
        if progress is not None:
            progress(i, len(batches))
        y_pred = np.clip(np.asarray(strategy.predict(batch), dtype=float), *rating_range)
        y_true = batch["rating"].to_numpy(dtype=float)
        ys.append(y_true)
        preds.append(y_pred)
        t = None if truth is None else _truth_of(truth, batch)
        if t is not None:
            truths.append(t)
        row = _batch_row(i, batch, y_true, y_pred, t)
        seconds, n_examples = 0.0, 0
        if update:
            t0 = time.perf_counter()
            strategy.update(batch)
            seconds = time.perf_counter() - t0
            costs = getattr(strategy, "costs_", None)
            if costs:
                seconds, n_examples = costs[-1].seconds, costs[-1].n_examples
        row["seconds"], row["n_examples"] = seconds, n_examples
        if R is not None and holdout is not None:
            for j in range(i + 1):
                if len(holdout[j]):
                    p = np.clip(
                        np.asarray(strategy.predict(holdout[j]), dtype=np.float64), *rating_range
                    )
                    R[i, j] = rmse(holdout[j]["rating"].to_numpy(float), p)
        rows.append(row)
    return PrequentialResult(
        name=getattr(strategy, "name", type(strategy).__name__),
        per_batch=pd.DataFrame(rows),
        y_true=np.concatenate(ys) if ys else np.zeros(0),
        y_pred=np.concatenate(preds) if preds else np.zeros(0),
        truth=np.concatenate(truths) if truths else None,
        R=R,
    )
