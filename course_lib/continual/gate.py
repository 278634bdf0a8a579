"""Validate and gate: may a candidate model replace production?

Explained in chapter 10 (``notebooks/10_incremental_pipeline.ipynb``, section 4 shows
the few lines of the gate's rule and asserts they decide as :class:`ValidationGate`).
NumPy and pandas only.

* :func:`split_recent` -- hold out the *newest* rows of a batch for the gate.
  (Not to be confused with :func:`course_lib.evaluation.holdout_split`,
  which holds out a seeded *random* share of every batch, to measure forgetting:
  two concepts, one definition each.);
* :func:`label_shift` -- the PSI of a batch's ratings against recent accepted
  ratings (chapter 08's :func:`~course_lib.continual.psi`): corrupted labels that
  are valid numbers still change the label distribution;
* :class:`ValidationGate` -- accept a candidate only if it is not worse than
  production on held-out *recent* data, does not regress on a *guard* slice of
  older data, predicts finite numbers, and its batch's labels did not shift
  too far; the verdict is a :class:`GateDecision`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from course_lib.continual._checks import check_estimator, check_share, check_tolerance
from course_lib.continual.drift.population_stability import psi
from course_lib.core.roles import RatingEstimator
from course_lib.core.validation import (
    check_array,
    check_frame,
    check_int,
    check_number,
)
from course_lib.evaluation.metrics import rmse

__all__ = ["split_recent", "label_shift", "GateDecision", "ValidationGate"]


def split_recent(batch: pd.DataFrame, frac: float = 0.2) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split a batch into ``(train, recent)``: ``recent`` is its newest ``frac`` of rows.

    The gate should judge a candidate on data *after* what it learned, as it
    will be used: a random slice of the same week would let it be judged on
    rows interleaved with its training rows.  Rows are ordered by
    ``timestamp`` (stable) when the column exists, else kept in their order;
    ``round(frac * len(batch))`` rows are held out.

    >>> batch = pd.DataFrame({"rating": [4.0, 3.0, 5.0, 2.0, 1.0], "timestamp": [5, 1, 2, 3, 4]})
    >>> train, recent = split_recent(batch, frac=0.4)
    >>> train["timestamp"].tolist(), recent["timestamp"].tolist()
    ([1, 2, 3], [4, 5])
    """
    check_frame(batch, "batch", "split_recent")
    check_share(frac, "frac", "split_recent")
    if "timestamp" in batch.columns and not batch["timestamp"].is_monotonic_increasing:
        batch = batch.sort_values("timestamp", kind="stable")
    n_hold = int(round(frac * len(batch)))
    return batch.iloc[: len(batch) - n_hold], batch.iloc[len(batch) - n_hold :]


def label_shift(reference: pd.DataFrame, batch: pd.DataFrame) -> float:
    """The PSI of ``batch``'s ratings against ``reference``'s, one bin per star value.

    Flipped or mis-scaled stars are valid numbers, so
    :func:`~course_lib.continual.cleaning.preprocess` keeps them; but they change the
    *distribution* of the labels, which this measures with
    :func:`course_lib.continual.psi` (chapter 08).  Real drift moves it too,
    usually much less: chapter 10 measures both.

    >>> ref = pd.DataFrame({"rating": [5.0] * 5 + [4.0] * 3 + [3.0, 2.0]})
    >>> print(round(label_shift(ref, ref), 3))
    0.0
    >>> print(round(label_shift(ref, ref.assign(rating=6 - ref["rating"])), 2))
    8.95
    """
    stars = []
    for name, df in (("reference", reference), ("batch", batch)):
        check_frame(df, name, "label_shift", columns=("rating",))
        stars.append(
            check_array(
                df["rating"],
                name,
                "label_shift",
                fix="pass a non-empty ratings DataFrame without NaN ratings",
            )
        )
    return psi(stars[0], stars[1], categorical=True)


@dataclass
class GateDecision:
    """The verdict of :class:`ValidationGate` on one candidate (truthy when accepted)."""

    accepted: bool
    reasons: list[str]
    metrics: dict[str, float]

    def __bool__(self) -> bool:
        return bool(self.accepted)

    def __str__(self) -> str:
        return ("ACCEPT" if self.accepted else "REJECT") + ": " + "; ".join(self.reasons)


def _score(model: RatingEstimator, rows: pd.DataFrame) -> tuple[float, bool]:
    """``(RMSE of model on rows, all predictions finite)``; the RMSE is NaN when a
    prediction is NaN or there are no rows (no score, which the gate reads as worse)."""
    pred = np.asarray(model.predict(rows), dtype=float).reshape(-1)
    finite = bool(np.all(np.isfinite(pred)))
    if not len(rows) or np.isnan(pred).any():
        return float("nan"), finite
    with np.errstate(over="ignore", invalid="ignore"):  # inf predictions: an inf RMSE
        return rmse(rows["rating"].to_numpy(dtype=float), pred), finite


class ValidationGate:
    """Decide whether a candidate model may replace production.

    A candidate is accepted only if **all** of these hold:

    * its predictions on both slices are finite (no NaN or inf: a diverged
      update often produces NaN, and a NaN compares False with everything, so
      ``not (nan > x)`` would wave it through);
    * on held-out **recent** data, its RMSE is at most production's plus
      ``tolerance``;
    * on a **guard** slice of older data, its RMSE is at most production's plus
      ``guard_tolerance`` (an update that fits the new week by breaking what
      the model knew is caught here; the tolerance is looser because drift
      legitimately makes old data less relevant);
    * the recent slice has at least ``min_rows`` rows (too few rows cannot
      tell a better model from luck);
    * when the caller gives the batch's ``label_psi`` (:func:`label_shift`),
      it is at most ``max_label_psi``: a batch whose star distribution moved
      that far is more likely broken (a reversed star widget, another scale)
      than a changed world, and both slices above can be fooled by it.

    Parameters
    ----------
    tolerance, guard_tolerance : float
        Allowed increase of RMSE (absolute, in stars).  ``float('inf')``
        switches a check off.
    min_rows : int
        Smallest recent slice the gate will judge.
    max_label_psi : float
        Largest label PSI accepted (default 0.25, the usual "large shift"
        threshold of the PSI); ``float('inf')`` switches the check off.

    Examples
    --------
    >>> gate = ValidationGate(tolerance=0.02, guard_tolerance=0.05)
    >>> print(gate.decide(0.91, 0.92, guard=(0.93, 0.85)))
    REJECT: recent: candidate 0.910 <= production 0.920 + 0.02; guard: candidate 0.930 > production 0.850 + 0.05
    >>> gate.decide(float("nan"), 0.92).accepted
    False
    >>> print(gate.decide(0.80, 0.92, label_psi=1.4))
    REJECT: recent: candidate 0.800 <= production 0.920 + 0.02; labels: PSI 1.400 > 0.25 (the batch's star distribution moved too far)
    """

    def __init__(
        self,
        tolerance: float = 0.02,
        guard_tolerance: float = 0.05,
        *,
        min_rows: int = 10,
        max_label_psi: float = 0.25,
    ) -> None:
        self.tolerance = check_tolerance(tolerance, "tolerance", "ValidationGate")
        self.guard_tolerance = check_tolerance(guard_tolerance, "guard_tolerance", "ValidationGate")
        self.min_rows = check_int(min_rows, "min_rows", "ValidationGate", minimum=1, fix="e.g. 10")
        self.max_label_psi = check_number(
            max_label_psi,
            "max_label_psi",
            "ValidationGate",
            low=0,
            allow_inf=True,
            fix="give a PSI, e.g. 0.25 (float('inf') switches the check off)",
        )

    def __repr__(self) -> str:
        return (
            f"ValidationGate(tolerance={self.tolerance}, guard_tolerance="
            f"{self.guard_tolerance}, min_rows={self.min_rows}, "
            f"max_label_psi={self.max_label_psi})"
        )

    def decide(
        self,
        candidate_rmse: float,
        production_rmse: float,
        *,
        guard: tuple[float, float] | None = None,
        n_recent: int | None = None,
        finite: bool = True,
        label_psi: float | None = None,
    ) -> GateDecision:
        """The decision from the numbers alone.

        ``guard`` is ``(candidate_guard_rmse, production_guard_rmse)`` or None;
        ``n_recent`` the size of the recent slice (checked against ``min_rows``);
        ``finite`` False when a prediction was NaN or infinite; ``label_psi``
        the batch's :func:`label_shift` or None (not checked).  Every test is
        written ``<=`` so that a NaN fails it.
        """
        reasons, ok = [], True
        metrics = {
            "candidate_recent_rmse": float(candidate_rmse),
            "production_recent_rmse": float(production_rmse),
        }
        if not finite or not np.isfinite(candidate_rmse):
            ok = False
            reasons.append("candidate predicts NaN or inf")
        if n_recent is not None and n_recent < self.min_rows:
            ok = False
            reasons.append(f"only {n_recent} recent rows (< min_rows={self.min_rows})")
        worse = not (candidate_rmse <= production_rmse + self.tolerance)  # NaN -> worse
        ok &= not worse
        reasons.append(
            f"recent: candidate {candidate_rmse:.3f} {'>' if worse else '<='} "
            f"production {production_rmse:.3f} + {self.tolerance:g}"
        )
        if guard is not None:
            cand_g, prod_g = (float(v) for v in guard)
            metrics.update(candidate_guard_rmse=cand_g, production_guard_rmse=prod_g)
            regress = not (cand_g <= prod_g + self.guard_tolerance)
            ok &= not regress
            reasons.append(
                f"guard: candidate {cand_g:.3f} {'>' if regress else '<='} "
                f"production {prod_g:.3f} + {self.guard_tolerance:g}"
            )
        if label_psi is not None:
            label_psi = float(label_psi)
            metrics["label_psi"] = label_psi
            shifted = not (label_psi <= self.max_label_psi)  # NaN -> shifted
            ok &= not shifted
            reasons.append(
                f"labels: PSI {label_psi:.3f} {'>' if shifted else '<='} "
                f"{self.max_label_psi:g}"
                + (" (the batch's star distribution moved too far)" if shifted else "")
            )
        return GateDecision(accepted=bool(ok), reasons=reasons, metrics=metrics)

    def evaluate(
        self,
        candidate: RatingEstimator,
        production: RatingEstimator,
        recent: pd.DataFrame,
        guard: pd.DataFrame | None = None,
        *,
        label_psi: float | None = None,
    ) -> GateDecision:
        """Score both models on ``recent`` (and ``guard``) and decide.

        ``candidate`` and ``production`` play the RatingEstimator role (only
        ``predict`` is used); the slices need a ``rating`` column and must not
        have been trained on by the candidate.  ``label_psi``: the batch's
        :func:`label_shift`, checked when given.
        """
        for name, model in (("candidate", candidate), ("production", production)):
            check_estimator(model, name, "ValidationGate.evaluate")
        check_frame(
            recent,
            "recent",
            "ValidationGate.evaluate",
            columns=("rating",),
            fix="pass the held-out recent ratings (split_recent(batch)[1])",
        )
        (cand_r, finite), (prod_r, _) = _score(candidate, recent), _score(production, recent)
        g = None
        if guard is not None:
            check_frame(
                guard,
                "guard",
                "ValidationGate.evaluate",
                columns=("rating",),
                fix="pass held-out ratings of earlier batches, or None",
            )
        if guard is not None and len(guard):
            (cand_g, finite_g), (prod_g, _) = _score(candidate, guard), _score(production, guard)
            finite &= finite_g
            g = (cand_g, prod_g)
        decision = self.decide(
            cand_r, prod_r, guard=g, n_recent=len(recent), finite=finite, label_psi=label_psi
        )
        decision.metrics["n_recent"] = len(recent)
        decision.metrics["n_guard"] = 0 if guard is None else len(guard)
        return decision
