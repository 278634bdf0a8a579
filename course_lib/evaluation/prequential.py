"""Prequential evaluation (predict, then learn) and forgetting metrics for a stream.

Explained in chapters 08 and 09.  NumPy/pandas only (the strategy may use Keras).

On a stream there is no fixed test set: each batch is first used as *test*
data for the current model and only then as *training* data.  That is the
prequential protocol (Dawid, 1984), and it is how a shop lives: today's
ratings arrive before anyone retrains on them.

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
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = ["rmse", "mae", "holdout_split", "forgetting", "backward_transfer", "final_rmse",
           "PrequentialResult", "prequential"]


def rmse(y_true, y_pred) -> float:
    """Root mean squared error.

    >>> rmse(np.array([1.0, 3.0]), np.array([2.0, 5.0]))
    1.5811388300841898
    """
    y_true, y_pred = np.asarray(y_true, float), np.asarray(y_pred, float)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"rmse: y_true has shape {y_true.shape} but y_pred has shape "
                         f"{y_pred.shape}; pass 1-D arrays of the same length.")
    return float(np.sqrt(np.mean((y_true - y_pred) ** 2)))


def mae(y_true, y_pred) -> float:
    """Mean absolute error.

    >>> mae(np.array([1.0, 3.0]), np.array([2.0, 5.0]))
    1.5
    """
    y_true, y_pred = np.asarray(y_true, float), np.asarray(y_pred, float)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"mae: y_true has shape {y_true.shape} but y_pred has shape "
                         f"{y_pred.shape}; pass 1-D arrays of the same length.")
    return float(np.mean(np.abs(y_true - y_pred)))


def holdout_split(batches, frac: float = 0.1, seed: int = 0):
    """Split every batch into (train part, held-out part) with a seeded share ``frac``.

    Returns two lists of DataFrames of the same length as ``batches``.

    >>> df = pd.DataFrame({"rating": np.arange(20.0)})
    >>> train, held = holdout_split([df.iloc[:10], df.iloc[10:]], frac=0.2, seed=0)
    >>> [len(t) for t in train], [len(h) for h in held]
    ([8, 8], [2, 2])
    """
    if not 0 < frac < 1:
        raise ValueError(f"holdout_split(frac={frac!r}): use a share strictly between 0 and 1, "
                         "e.g. 0.1.")
    rng = np.random.default_rng(seed)
    train, held = [], []
    for batch in batches:
        n_hold = int(round(frac * len(batch)))
        mask = np.zeros(len(batch), dtype=bool)
        mask[rng.choice(len(batch), size=n_hold, replace=False)] = True
        train.append(batch[~mask])
        held.append(batch[mask])
    return train, held


def _last_row(R: np.ndarray) -> np.ndarray:
    R = np.asarray(R, dtype=float)
    if R.ndim != 2 or R.shape[0] != R.shape[1] or R.shape[0] < 1:
        raise ValueError(f"expected a square matrix R[i, j] (error on period j after update i), "
                         f"got shape {R.shape}.")
    return R[-1]


def final_rmse(R) -> float:
    """Mean error on every period's held-out slice after the last update."""
    return float(np.nanmean(_last_row(R)))


def forgetting(R) -> float:
    """Mean of ``R[T-1, j] - R[j, j]`` over the old periods ``j < T-1`` (0 for one period)."""
    last = _last_row(R)
    R = np.asarray(R, dtype=float)
    T = R.shape[0]
    if T < 2:
        return 0.0
    return float(np.mean([last[j] - R[j, j] for j in range(T - 1)]))


def backward_transfer(R) -> float:
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
    extra: dict = field(default_factory=dict)

    @property
    def rmse(self) -> float:
        """Prequential RMSE over every predicted rating."""
        return rmse(self.y_true, self.y_pred)

    @property
    def mae(self) -> float:
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

    def summary(self) -> dict:
        """One row for a results table."""
        row = {"strategy": self.name, "rmse": self.rmse, "mae": self.mae}
        if self.truth is not None:
            row["rmse_vs_truth"] = self.rmse_vs_truth
        if self.R is not None:
            row["final_rmse_old"] = final_rmse(self.R)
            row["forgetting"] = forgetting(self.R)
        row.update({"seconds_per_update": self.seconds_per_update,
                    "total_seconds": self.total_seconds,
                    "examples_per_update": self.examples_per_update})
        row.update(self.extra)
        return row


def prequential(strategy, batches, *, truth: pd.Series | np.ndarray | None = None,
                holdout=None, rating_range: tuple[float, float] = (1.0, 5.0),
                update: bool = True, progress=None) -> PrequentialResult:
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
        raise ValueError(f"prequential(holdout=...): got {len(holdout)} held-out slices for "
                         f"{len(batches)} batches; pass one slice per batch (holdout_split).")
    rows, ys, preds, truths = [], [], [], []
    R = np.full((len(batches), len(batches)), np.nan) if holdout is not None else None
    for i, batch in enumerate(batches):
        if progress is not None:
            progress(i, len(batches))
        y_pred = np.clip(np.asarray(strategy.predict(batch), dtype=float), *rating_range)
        y_true = batch["rating"].to_numpy(dtype=float)
        ys.append(y_true)
        preds.append(y_pred)
        row = {"batch": i, "first_day": int(batch["day"].min()) if "day" in batch else i,
               "n": len(batch), "rmse": rmse(y_true, y_pred), "mae": mae(y_true, y_pred)}
        if truth is not None:
            t = np.asarray(pd.Series(truth).loc[batch.index], dtype=float) \
                if isinstance(truth, pd.Series) else np.asarray(truth)[batch.index]
            truths.append(t)
            row["rmse_vs_truth"] = rmse(t, y_pred)
        seconds, n_examples = 0.0, 0
        if update:
            t0 = time.perf_counter()
            strategy.update(batch)
            seconds = time.perf_counter() - t0
            costs = getattr(strategy, "costs_", None)
            if costs:
                seconds, n_examples = costs[-1].seconds, costs[-1].n_examples
        row["seconds"], row["n_examples"] = seconds, n_examples
        if R is not None:
            for j in range(i + 1):
                if len(holdout[j]):
                    p = np.clip(np.asarray(strategy.predict(holdout[j]), float), *rating_range)
                    R[i, j] = rmse(holdout[j]["rating"].to_numpy(float), p)
        rows.append(row)
    return PrequentialResult(
        name=getattr(strategy, "name", type(strategy).__name__), per_batch=pd.DataFrame(rows),
        y_true=np.concatenate(ys) if ys else np.zeros(0),
        y_pred=np.concatenate(preds) if preds else np.zeros(0),
        truth=np.concatenate(truths) if truths else None, R=R)
