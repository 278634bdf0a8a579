"""The deployable update loop: receive, preprocess, update, validate, gate, deploy, monitor, roll back.

Explained in chapter 10 (``notebooks/10_incremental_pipeline.ipynb``).  NumPy and
pandas only: the model and the strategy bring TensorFlow if they need it.

The source articles draw the loop as *init model -> receive new data ->
preprocess -> update -> validate -> feedback/adjust -> deploy*.  Two things are missing from
that picture and matter most in a shop: an update can make the model
**worse** (bad data, a bad learning rate, an unlucky batch), so deployment has
to be *gated*; and a model that passed the gate can still misbehave on live
traffic, so the live error has to be *monitored* and a bad version *rolled
back*.  This module splits the loop into small steps that can each be tested:

* :func:`preprocess` -- drop rows that must not be learned from (missing or
  out-of-range ratings, missing ids, exact duplicate events), flag unknown
  ids, restore time order, and say what was dropped and why;
* :func:`split_recent` -- hold out the *newest* rows of a batch for the gate;
* :func:`label_shift` -- the PSI of a batch's ratings against recent accepted
  ratings (chapter 08's :func:`~course_lib.continual.drift.psi`): corrupted labels that
  are valid numbers still change the label distribution;
* :class:`ValidationGate` -- accept a candidate only if it is not worse than
  production on held-out *recent* data, does not regress on a *guard* slice of
  older data, predicts finite numbers, and its batch's labels did not shift
  too far;
* :class:`RollbackRule` -- after a deploy, roll back when the new version does
  worse than the previous one on the same live batch (if both got worse, the
  world changed, and rolling back would not help);
* :class:`UpdatePipeline` -- the loop itself, writing every candidate to a
  :class:`~course_lib.continual.registry.ModelRegistry` with its metrics and the gate's
  decision, and logging every step in a DataFrame;
* :func:`corrupt_batch` -- a dirty feed for demonstrations and tests.
"""

from __future__ import annotations

import copy
import math
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from course_lib.continual.drift import psi
from course_lib.evaluation.prequential import rmse as _rmse
from course_lib.core.validation import check_int, check_number, check_rating_range

__all__ = ["PreprocessReport", "preprocess", "corrupt_batch", "split_recent", "label_shift",
           "GateDecision", "ValidationGate", "RollbackDecision", "RollbackRule",
           "UpdatePipeline", "DROP_REASONS"]

#: Why :func:`preprocess` drops a row, in the order the checks are applied.
DROP_REASONS = ("missing_id", "missing_rating", "out_of_range", "duplicate")
_ID_COLUMNS = ("user_id", "item_id")
#: How a tolerance is checked: an RMSE difference >= 0; inf switches the check off.
_TOLERANCE = dict(low=0, allow_inf=True,
                  fix="give an RMSE difference, e.g. 0.02 (float('inf') switches the check off)")


# --------------------------------------------------------------------------- preprocess

@dataclass
class PreprocessReport:
    """What :func:`preprocess` did to one batch.

    Attributes
    ----------
    n_in, n_out : int
        Rows received and rows kept.
    dropped : dict
        ``{reason: count}`` for every reason in :data:`DROP_REASONS`.
    flagged : dict
        ``{"unknown_user": count, "unknown_item": count}``: rows kept although
        their id is not in the side table (cold start; the model's "unknown"
        row handles them), or dropped when ``unknown="drop"``.
    reordered : bool
        True if the rows did not arrive in time order.
    dropped_rows : DataFrame
        The dropped rows with a ``reason`` column, for inspection.
    """

    n_in: int
    n_out: int
    dropped: dict
    flagged: dict
    reordered: bool
    dropped_rows: pd.DataFrame = field(repr=False)

    @property
    def n_dropped(self) -> int:
        return int(sum(self.dropped.values()))

    def as_dict(self) -> dict:
        """One flat row for a log table."""
        return {"n_in": self.n_in, "n_out": self.n_out, "n_dropped": self.n_dropped,
                **{f"dropped_{k}": v for k, v in self.dropped.items()},
                **{f"flagged_{k}": v for k, v in self.flagged.items()},
                "reordered": self.reordered}

    def summary(self) -> str:
        """A one-line human summary."""
        parts = [f"{v} {k.replace('_', ' ')}" for k, v in self.dropped.items() if v]
        flags = [f"{v} {k.replace('_', ' ')}" for k, v in self.flagged.items() if v]
        text = f"kept {self.n_out} of {self.n_in} rows"
        text += f"; dropped {', '.join(parts)}" if parts else "; dropped none"
        if flags:
            text += f"; flagged {', '.join(flags)}"
        return text + ("; restored time order" if self.reordered else "")


def preprocess(batch: pd.DataFrame, users: pd.DataFrame | None = None,
               items: pd.DataFrame | None = None, *, rating_range=(1.0, 5.0),
               unknown: str = "keep") -> tuple[pd.DataFrame, PreprocessReport]:
    """Clean one incoming batch of ratings; return ``(clean_batch, report)``.

    The checks run in this order, and a row dropped by one check is not
    counted again by a later one:

    1. ``missing_id``: ``user_id`` or ``item_id`` is missing;
    2. ``missing_rating``: the rating is missing or not a number.  Filling it
       with ``-1`` (as one of the source articles does) makes it a *wrong*
       rating the model would learn from, so the row is dropped instead;
    3. ``out_of_range``: the rating is outside ``rating_range`` (or infinite):
       typically another scale (0-10, 0-100) from a buggy client;
    4. ``duplicate``: an exact copy of an earlier row (same values in every
       column): the same event delivered twice, as at-least-once message
       queues do.  The first copy is kept.  Two ratings of the same item by the
       same user at *different* times are not duplicates.

    Ids that are not in ``users`` / ``items`` are *flagged* (counted) and kept
    by default: a customer who signed up after the side-table snapshot is cold
    start, not an error, and the model's "unknown" row predicts for her.  With
    ``unknown="drop"`` they are dropped (reasons ``unknown_user`` /
    ``unknown_item``).  Rows are returned in time order with their original
    index; the input is not modified.

    Parameters
    ----------
    batch : DataFrame
        Ratings schema: ``user_id``, ``item_id``, ``rating`` (``timestamp`` for
        the time order, optional).
    users, items : DataFrame, optional
        Side tables indexed by id; ``None`` skips the unknown-id check.
    rating_range : (float, float)
        Valid ratings, inclusive.
    unknown : {"keep", "drop"}
        What to do with ids missing from the side tables.

    Examples
    --------
    >>> raw = pd.DataFrame({"user_id": [1, 1, 2, 3, 2, 9],
    ...                     "item_id": [5, 5, 6, 5, 7, 5],
    ...                     "rating": [4.0, 4.0, np.nan, 0.0, 5.0, 3.0],
    ...                     "timestamp": [10, 10, 11, 12, 13, 14]})
    >>> users = pd.DataFrame(index=pd.Index([1, 2, 3], name="user_id"))
    >>> clean, report = preprocess(raw, users)
    >>> clean["rating"].tolist()
    [4.0, 5.0, 3.0]
    >>> report.dropped
    {'missing_id': 0, 'missing_rating': 1, 'out_of_range': 1, 'duplicate': 1}
    >>> report.summary()
    'kept 3 of 6 rows; dropped 1 missing rating, 1 out of range, 1 duplicate; flagged 1 unknown user'
    """
    if not isinstance(batch, pd.DataFrame):
        raise TypeError(f"preprocess(batch=...): expected a ratings DataFrame, got "
                        f"{type(batch).__name__}.")
    missing_cols = [c for c in (*_ID_COLUMNS, "rating") if c not in batch.columns]
    if missing_cols:
        raise ValueError(f"preprocess(batch=...): the batch lacks column(s) {missing_cols}; it "
                         f"has {list(batch.columns)}. Use the ratings schema "
                         "(user_id, item_id, rating, timestamp).")
    if unknown not in ("keep", "drop"):
        raise ValueError(f"preprocess(unknown={unknown!r}): use 'keep' (flag cold-start ids) or "
                         "'drop'.")
    low, high = check_rating_range(rating_range, "preprocess")
    for name, table in (("users", users), ("items", items)):
        if table is not None and not isinstance(table, pd.DataFrame):
            raise TypeError(f"preprocess({name}=...): expected a side table indexed by "
                            f"{name[:-1]}_id (shop.{name}) or None, got {type(table).__name__}.")

    df = batch.copy()
    reason = pd.Series("", index=range(len(df)), dtype=object)
    ids_missing = df[list(_ID_COLUMNS)].isna().any(axis=1).to_numpy()
    reason[ids_missing] = "missing_id"
    rating = pd.to_numeric(df["rating"], errors="coerce").to_numpy(dtype=float)
    free = (reason == "").to_numpy()
    reason[free & np.isnan(rating)] = "missing_rating"
    free = (reason == "").to_numpy()
    bad = ~np.isnan(rating) & ((rating < low) | (rating > high) | ~np.isfinite(rating))
    reason[free & bad] = "out_of_range"
    free = (reason == "").to_numpy()
    dup = np.zeros(len(df), dtype=bool)
    if free.any():
        dup[free] = df[free].duplicated(keep="first").to_numpy()
    reason[dup] = "duplicate"

    flagged = {}
    for key, col, table in (("unknown_user", "user_id", users), ("unknown_item", "item_id", items)):
        if table is None:
            continue
        unseen = (~df[col].isin(table.index)).to_numpy() & (reason == "").to_numpy()
        flagged[key] = int(unseen.sum())
        if unknown == "drop":
            reason[unseen] = key

    keep = (reason == "").to_numpy()
    dropped_counts = {r: int((reason == r).sum()) for r in DROP_REASONS}
    if unknown == "drop":
        dropped_counts.update({k: int((reason == k).sum()) for k in flagged})
    dropped_rows = batch[~keep].copy()
    dropped_rows["reason"] = reason[~keep].to_numpy()

    clean = df[keep].copy()
    clean["rating"] = rating[keep]
    for col in _ID_COLUMNS:   # a NaN in the raw column made it float: ids are ints
        if pd.api.types.is_float_dtype(clean[col]) and len(clean) \
                and np.all(np.mod(clean[col].to_numpy(), 1) == 0):
            clean[col] = clean[col].astype("int64")
    reordered = False
    if "timestamp" in clean.columns and not clean["timestamp"].is_monotonic_increasing:
        clean = clean.sort_values("timestamp", kind="stable")
        reordered = True
    report = PreprocessReport(n_in=len(batch), n_out=len(clean), dropped=dropped_counts,
                              flagged=flagged, reordered=reordered, dropped_rows=dropped_rows)
    return clean, report


def corrupt_batch(batch: pd.DataFrame, *, seed: int | np.random.Generator = 0,
                  duplicates: float = 0.05, missing: float = 0.02, out_of_range: float = 0.02,
                  unknown_users: float = 0.0, flipped: float = 0.0) -> pd.DataFrame:
    """A dirty copy of a clean batch, as a real event feed delivers it (for demos and tests).

    Each fraction is of ``len(batch)``: ``duplicates`` rows are delivered twice,
    ``missing`` ratings are lost (NaN), ``out_of_range`` ratings arrive as
    percentages (20 x the stars, a client bug), ``unknown_users`` get a user id no side table knows,
    and ``flipped`` ratings are reversed (``6 - r`` on a 1-5 scale): corrupted
    labels that look perfectly valid, which no schema check can catch (only a
    change of the label distribution, :func:`label_shift`, can give them away).  The
    rows stay in time order; duplicated events keep their index label.

    >>> clean = pd.DataFrame({"user_id": range(100), "item_id": 1, "rating": 4.0,
    ...                       "timestamp": range(100)})
    >>> dirty = corrupt_batch(clean, seed=0, duplicates=0.1, missing=0.05, out_of_range=0.03)
    >>> len(dirty), int(dirty["rating"].isna().sum()), int((dirty["rating"] > 5).sum())
    (110, 5, 3)
    """
    if not isinstance(batch, pd.DataFrame) or "rating" not in batch.columns:
        raise TypeError("corrupt_batch(batch=...): pass a ratings DataFrame (user_id, item_id, "
                        "rating, timestamp).")
    for name, value in (("duplicates", duplicates), ("missing", missing),
                        ("out_of_range", out_of_range), ("unknown_users", unknown_users),
                        ("flipped", flipped)):
        check_number(value, name, "corrupt_batch", low=0, high=1,
                     fix="give the share of rows to corrupt, e.g. 0.05")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    df = batch.copy()
    n = len(df)
    df["rating"] = df["rating"].astype(float)
    positions = rng.permutation(n)
    take = {}
    start = 0
    for name, frac in (("missing", missing), ("out_of_range", out_of_range),
                       ("unknown_users", unknown_users), ("flipped", flipped)):
        k = int(round(frac * n))
        take[name] = np.sort(positions[start:start + k])
        start += k
    col = df.columns.get_loc("rating")
    df.iloc[take["missing"], col] = np.nan
    df.iloc[take["out_of_range"], col] = 20.0 * df.iloc[take["out_of_range"], col]
    df.iloc[take["flipped"], col] = 6.0 - df.iloc[take["flipped"], col]
    if len(take["unknown_users"]):
        ucol = df.columns.get_loc("user_id")
        base = int(pd.to_numeric(batch["user_id"]).max()) + 1_000_000
        df.iloc[take["unknown_users"], ucol] = base + np.arange(len(take["unknown_users"]))
    k_dup = int(round(duplicates * n))
    if k_dup:
        copies = df.iloc[np.sort(rng.choice(n, size=k_dup, replace=False))]
        df = pd.concat([df, copies])
        if "timestamp" in df.columns:
            df = df.sort_values("timestamp", kind="stable")
    return df


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
    if not isinstance(batch, pd.DataFrame):
        raise TypeError(f"split_recent(batch=...): expected a ratings DataFrame, got "
                        f"{type(batch).__name__}.")
    check_number(frac, "frac", "split_recent", low=0, high=1, low_inclusive=False,
                 high_inclusive=False, fix="give the share held out, e.g. 0.2")
    if "timestamp" in batch.columns and not batch["timestamp"].is_monotonic_increasing:
        batch = batch.sort_values("timestamp", kind="stable")
    n_hold = int(round(frac * len(batch)))
    return batch.iloc[:len(batch) - n_hold], batch.iloc[len(batch) - n_hold:]


def label_shift(reference: pd.DataFrame, batch: pd.DataFrame) -> float:
    """The PSI of ``batch``'s ratings against ``reference``'s, one bin per star value.

    Flipped or mis-scaled stars are valid numbers, so :func:`preprocess` keeps
    them; but they change the *distribution* of the labels, which this
    measures with :func:`course_lib.continual.drift.psi` (chapter 08).  Real drift moves
    it too, usually much less: chapter 10 measures both.

    >>> ref = pd.DataFrame({"rating": [5.0] * 5 + [4.0] * 3 + [3.0, 2.0]})
    >>> print(round(label_shift(ref, ref), 3))
    0.0
    >>> print(round(label_shift(ref, ref.assign(rating=6 - ref["rating"])), 2))
    8.95
    """
    for name, df in (("reference", reference), ("batch", batch)):
        if not isinstance(df, pd.DataFrame) or "rating" not in df.columns or not len(df):
            raise TypeError(f"label_shift({name}=...): pass a non-empty ratings DataFrame "
                            "with a 'rating' column.")
    return psi(reference["rating"].to_numpy(float), batch["rating"].to_numpy(float),
               categorical=True)


# --------------------------------------------------------------------------- the gate

@dataclass
class GateDecision:
    """The verdict of :class:`ValidationGate` on one candidate (truthy when accepted)."""

    accepted: bool
    reasons: list
    metrics: dict

    def __bool__(self) -> bool:
        return bool(self.accepted)

    def __str__(self) -> str:
        return ("ACCEPT" if self.accepted else "REJECT") + ": " + "; ".join(self.reasons)


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

    def __init__(self, tolerance: float = 0.02, guard_tolerance: float = 0.05, *,
                 min_rows: int = 10, max_label_psi: float = 0.25) -> None:
        self.tolerance = check_number(tolerance, "tolerance", "ValidationGate", **_TOLERANCE)
        self.guard_tolerance = check_number(guard_tolerance, "guard_tolerance", "ValidationGate",
                                            **_TOLERANCE)
        self.min_rows = check_int(min_rows, "min_rows", "ValidationGate", minimum=1,
                                  fix="e.g. 10")
        self.max_label_psi = check_number(
            max_label_psi, "max_label_psi", "ValidationGate", low=0, allow_inf=True,
            fix="give a PSI, e.g. 0.25 (float('inf') switches the check off)")

    def __repr__(self) -> str:
        return (f"ValidationGate(tolerance={self.tolerance}, guard_tolerance="
                f"{self.guard_tolerance}, min_rows={self.min_rows}, "
                f"max_label_psi={self.max_label_psi})")

    def decide(self, candidate_rmse: float, production_rmse: float, *,
               guard: tuple[float, float] | None = None, n_recent: int | None = None,
               finite: bool = True, label_psi: float | None = None) -> GateDecision:
        """The decision from the numbers alone.

        ``guard`` is ``(candidate_guard_rmse, production_guard_rmse)`` or None;
        ``n_recent`` the size of the recent slice (checked against ``min_rows``);
        ``finite`` False when a prediction was NaN or infinite; ``label_psi``
        the batch's :func:`label_shift` or None (not checked).
        """
        reasons, ok = [], True
        metrics = {"candidate_recent_rmse": float(candidate_rmse),
                   "production_recent_rmse": float(production_rmse)}
        if not finite or not np.isfinite(candidate_rmse):
            ok = False
            reasons.append("candidate predicts NaN or inf")
        if n_recent is not None and n_recent < self.min_rows:
            ok = False
            reasons.append(f"only {n_recent} recent rows (< min_rows={self.min_rows})")
        worse = not (candidate_rmse <= production_rmse + self.tolerance)  # NaN -> worse
        ok &= not worse
        reasons.append(f"recent: candidate {candidate_rmse:.3f} {'>' if worse else '<='} "
                       f"production {production_rmse:.3f} + {self.tolerance:g}")
        if guard is not None:
            cand_g, prod_g = (float(v) for v in guard)
            metrics.update(candidate_guard_rmse=cand_g, production_guard_rmse=prod_g)
            regress = not (cand_g <= prod_g + self.guard_tolerance)
            ok &= not regress
            reasons.append(f"guard: candidate {cand_g:.3f} {'>' if regress else '<='} "
                           f"production {prod_g:.3f} + {self.guard_tolerance:g}")
        if label_psi is not None:
            label_psi = float(label_psi)
            metrics["label_psi"] = label_psi
            shifted = not (label_psi <= self.max_label_psi)          # NaN -> shifted
            ok &= not shifted
            reasons.append(f"labels: PSI {label_psi:.3f} {'>' if shifted else '<='} "
                           f"{self.max_label_psi:g}"
                           + (" (the batch's star distribution moved too far)" if shifted else ""))
        return GateDecision(accepted=bool(ok), reasons=reasons, metrics=metrics)

    def evaluate(self, candidate, production, recent: pd.DataFrame,
                 guard: pd.DataFrame | None = None, *,
                 label_psi: float | None = None) -> GateDecision:
        """Score both models on ``recent`` (and ``guard``) and decide.

        ``candidate`` and ``production`` need ``predict(df)``; the slices need a
        ``rating`` column and must not have been trained on by the candidate.
        ``label_psi``: the batch's :func:`label_shift`, checked when given.
        """
        for name, model in (("candidate", candidate), ("production", production)):
            if not hasattr(model, "predict"):
                raise TypeError(f"ValidationGate.evaluate({name}=...): the model needs a "
                                f"predict(df) method; got {type(model).__name__}.")
        if not isinstance(recent, pd.DataFrame) or "rating" not in recent.columns:
            raise TypeError("ValidationGate.evaluate(recent=...): pass the held-out recent "
                            "ratings as a DataFrame with a 'rating' column.")
        finite = True

        def score(model, df):
            nonlocal finite
            pred = np.asarray(model.predict(df), dtype=float).reshape(-1)
            if model is candidate and not np.all(np.isfinite(pred)):
                finite = False
            return _rmse(df["rating"].to_numpy(dtype=float), pred) if len(df) else float("nan")

        cand_r, prod_r = score(candidate, recent), score(production, recent)
        g = None
        if guard is not None and len(guard):
            g = (score(candidate, guard), score(production, guard))
        decision = self.decide(cand_r, prod_r, guard=g, n_recent=len(recent), finite=finite,
                               label_psi=label_psi)
        decision.metrics["n_recent"] = len(recent)
        decision.metrics["n_guard"] = 0 if guard is None else len(guard)
        return decision


# --------------------------------------------------------------------------- rollback

@dataclass
class RollbackDecision:
    """The verdict of :class:`RollbackRule` (truthy when a rollback is due)."""

    rollback: bool
    reason: str

    def __bool__(self) -> bool:
        return bool(self.rollback)


class RollbackRule:
    """Roll back a fresh deploy when it does worse than the version it replaced.

    On the first batch after a deploy the pipeline knows:

    * ``live_rmse``: the new version's error on this batch (what customers got);
    * ``previous_rmse``: the replaced version's error on the *same* batch (it
      is still in the registry, so it is scored in the shadow);
    * ``pre_deploy_rmse``: the live error on the batch before the deploy (the
      level we were used to).

    The rule rolls back when the live error is not finite, or when the new
    version is worse than the previous one on the same batch by more than
    ``tolerance``.  ``pre_deploy_rmse`` does not decide, it only explains: a
    jump over the pre-deploy level that the previous version shares is the
    world changing (drift), and rolling back would not help.  Why not decide
    on the jump itself?  Because it compares two *different* batches: from one
    week to the next the error of an unchanged model moves by about as much as
    any sensible tolerance (chapter 10 measures it), so a jump rule either
    fires on noise and drift or misses a bad version.  Comparing two versions
    on the same rows removes the batch from the comparison.

    >>> rule = RollbackRule(tolerance=0.05)
    >>> rule.decide(live_rmse=1.30, previous_rmse=0.92, pre_deploy_rmse=0.90).rollback
    True
    >>> rule.decide(live_rmse=1.30, previous_rmse=1.31, pre_deploy_rmse=0.90).reason
    'live 1.300 vs previous 1.310 on this batch: keep (the error rose 0.400 over the pre-deploy level for both versions: the data changed, not the model)'
    """

    def __init__(self, tolerance: float = 0.05) -> None:
        self.tolerance = check_number(tolerance, "tolerance", "RollbackRule", **_TOLERANCE)

    def __repr__(self) -> str:
        return f"RollbackRule(tolerance={self.tolerance})"

    def decide(self, live_rmse: float, previous_rmse: float,
               pre_deploy_rmse: float = float("nan")) -> RollbackDecision:
        """Apply the rule to the errors (see the class docstring)."""
        live, prev, pre = (float(v) for v in (live_rmse, previous_rmse, pre_deploy_rmse))
        if not math.isfinite(live):
            return RollbackDecision(True, "live model's error is not finite")
        text = f"live {live:.3f} vs previous {prev:.3f} on this batch"
        if live > prev + self.tolerance:
            return RollbackDecision(True, f"{text}: the new version is worse by "
                                          f"{live - prev:.3f} > {self.tolerance:g}")
        note = ""
        if math.isfinite(pre) and live - pre > self.tolerance:
            note = (f" (the error rose {live - pre:.3f} over the pre-deploy level for both "
                    "versions: the data changed, not the model)")
        return RollbackDecision(False, f"{text}: keep{note}")


# --------------------------------------------------------------------------- the loop

def _clone(model):
    return model.clone() if hasattr(model, "clone") else copy.deepcopy(model)


class UpdatePipeline:
    """The gated, monitored update loop over a stream of batches.

    For every incoming batch, :meth:`process` runs these steps and writes one
    row to :attr:`log` (and one line per step to :attr:`events`):

    1. **receive / preprocess**: :func:`preprocess` (dropped rows are reported);
    2. **monitor**: score the *live* model on the clean batch *before* learning
       from it (prequential), feed the per-day error to a drift detector, and,
       with ``segment_by``, score it per segment (e.g. per item category): a
       drift confined to one segment hardly moves the overall error;
    3. **rollback**: on the first batch after a deploy, score the previous
       version on the same batch (shadow) and ask the :class:`RollbackRule`;
       a rollback moves the registry's production pointer back and forgets the
       rows the bad version learned from;
    4. **update**: split the batch into a training part and a held-out part,
       its newest ``holdout_frac`` of rows (:func:`split_recent`); a fresh copy
       of the strategy starts from a copy of the live model and the accepted
       history, and learns the training part.  Production is never touched, so
       a rejected update leaves nothing behind;
    5. **validate / gate**: :class:`ValidationGate` compares the candidate with
       the live model on the held-out part (recent) and on a guard slice of
       held-out rows of earlier accepted batches, and checks the batch's
       :func:`label_shift` against the ratings of recent accepted batches;
    6. **register / deploy**: every candidate is registered with its metrics
       and the gate's decision; only an accepted one is promoted, and its
       training rows join the history.

    Parameters
    ----------
    registry : course_lib.continual.registry.ModelRegistry
        Where every version is written (the only place files are written).
    strategy : course_lib.continual.strategies.Strategy
        An *unstarted* strategy used as a template: each update works on a deep
        copy of it, started on a copy of the live model.
    users, items : DataFrame, optional
        Side tables for the unknown-id check of :func:`preprocess`.
    gate : ValidationGate, optional
        Default ``ValidationGate()``.
    rollback_rule : RollbackRule or None
        Default ``RollbackRule()``; ``None`` never rolls back.
    detector : drift detector or None
        Anything with ``update(x) -> self`` and ``drift_detected`` (chapter 08),
        fed the live RMSE of each day; ``None`` switches drift monitoring off.
    holdout_frac : float
        Share of each batch held out for the gate (never trained on).
    guard_batches : int
        The guard slice is drawn from the held-out rows of this many most recent
        accepted batches (and of the initial data).
    guard_size : int
        At most this many guard rows (a seeded sample).
    level_batches : int
        The pre-deploy error level given to the rollback rule is the median
        live RMSE of this many batches up to the deploy (a median, so that one
        odd batch, e.g. one with corrupted labels, does not raise the bar).
    rating_range : (float, float)
        Valid ratings (for :func:`preprocess`).
    seed : int
        Fixes the guard samples.
    segment_by : str, optional
        Monitor the live RMSE per segment: a column of the batch or of
        ``items`` (e.g. ``"category"``).  Results in :attr:`segment_log`; the
        log's ``segment_alarms`` names the segments whose error rose more than
        ``segment_tolerance`` above their median of the previous
        ``level_batches`` batches.
    segment_tolerance : float
        See ``segment_by``.
    """

    def __init__(self, registry, strategy, *, users: pd.DataFrame | None = None,
                 items: pd.DataFrame | None = None, gate: ValidationGate | None = None,
                 rollback_rule: RollbackRule | None | str = "default", detector=None,
                 holdout_frac: float = 0.2, guard_batches: int = 6, guard_size: int = 2000,
                 level_batches: int = 3, rating_range=(1.0, 5.0), seed: int = 0,
                 segment_by: str | None = None, segment_tolerance: float = 0.15) -> None:
        for attr in ("register", "promote", "rollback", "production"):
            if not hasattr(registry, attr):
                raise TypeError(f"UpdatePipeline(registry=...): expected a "
                                f"course_lib.continual.registry.ModelRegistry, got {type(registry).__name__}.")
        self._check_strategy(strategy, "UpdatePipeline")
        check_number(holdout_frac, "holdout_frac", "UpdatePipeline", low=0, high=1,
                     low_inclusive=False, high_inclusive=False,
                     fix="give the share of each batch held out, e.g. 0.2")
        for name, value in (("guard_batches", guard_batches), ("guard_size", guard_size),
                            ("level_batches", level_batches)):
            check_int(value, name, "UpdatePipeline", minimum=1)
        check_int(seed, "seed", "UpdatePipeline", minimum=0)
        check_number(segment_tolerance, "segment_tolerance", "UpdatePipeline", **_TOLERANCE)
        if segment_by is not None and not isinstance(segment_by, str):
            raise TypeError(f"UpdatePipeline(segment_by={segment_by!r}): give a column name of "
                            "the batch or of items, e.g. 'category', or None.")
        if detector is not None and not hasattr(detector, "update"):
            raise TypeError(f"UpdatePipeline(detector=...): expected a drift detector with "
                            f"update(x) (course_lib.continual.drift), got {type(detector).__name__}.")
        self.registry = registry
        self.strategy = strategy
        self.users, self.items = users, items
        self.gate = gate if gate is not None else ValidationGate()
        self.rollback_rule = RollbackRule() if rollback_rule == "default" else rollback_rule
        self.detector = detector
        self.holdout_frac = float(holdout_frac)
        self.guard_batches = int(guard_batches)
        self.guard_size = int(guard_size)
        self.level_batches = int(level_batches)
        self.rating_range = check_rating_range(rating_range, "UpdatePipeline")
        self.seed = int(seed)
        self.segment_by = segment_by
        self.segment_tolerance = float(segment_tolerance)
        self._segment_rows: list = []
        self._models: dict = {}           # promoted version -> model in memory
        self._history: list = []          # (batch number or -1, version, training rows)
        self._holdouts: list = []         # (batch number or -1, version, held-out rows)
        self._watch = None                # fresh deploy awaiting its first live batch
        self._rows: list = []
        self._events: list = []
        self._step = 0

    @staticmethod
    def _check_strategy(strategy, where: str) -> None:
        for attr in ("start", "update"):
            if not hasattr(strategy, attr):
                raise TypeError(f"{where}(strategy=...): expected a strategy from "
                                f"course_lib.continual.strategies (FineTune(), Replay(), ...), got "
                                f"{type(strategy).__name__}.")
        if getattr(strategy, "model_", None) is not None:
            raise ValueError(f"{where}(strategy=...): pass an unstarted strategy (a template); "
                             "the pipeline starts a fresh copy of it for every update.")

    # -- state -------------------------------------------------------------------------------
    @property
    def production_version(self) -> str | None:
        return self.registry.production

    @property
    def production_model(self):
        """The live model (the in-memory copy of the registry's production version)."""
        version = self.registry.production
        if version is None:
            raise RuntimeError("UpdatePipeline: call start(model, history) first.")
        return self._models[version]

    def history(self) -> pd.DataFrame:
        """Every training row learned by a live version (initial data included)."""
        return pd.concat([rows for _, _, rows in self._history]) if self._history \
            else pd.DataFrame()

    def guard(self, step: int | None = None) -> pd.DataFrame:
        """The guard slice: a seeded sample of recent accepted held-out rows."""
        parts = [rows for _, _, rows in self._holdouts[-self.guard_batches:] if len(rows)]
        if not parts:
            return pd.DataFrame()
        rows = pd.concat(parts)
        if len(rows) > self.guard_size:
            rng = np.random.default_rng([self.seed, 7, self._step if step is None else step])
            rows = rows.iloc[np.sort(rng.choice(len(rows), size=self.guard_size, replace=False))]
        return rows

    @property
    def log(self) -> pd.DataFrame:
        """One row per processed batch (see :meth:`process`)."""
        return pd.DataFrame(self._rows)

    @property
    def segment_log(self) -> pd.DataFrame:
        """One row per batch and segment: ``batch``, ``first_day``, ``segment``, ``n``,
        ``live_rmse``, ``level`` (median of the segment's previous batches), ``alarm``."""
        return pd.DataFrame(self._segment_rows, columns=["batch", "first_day", "segment", "n",
                                                         "live_rmse", "level", "alarm"])

    def label_reference(self) -> pd.DataFrame:
        """Training rows of the most recent accepted batches (``guard_batches`` of them):
        the label distribution a new batch is compared with."""
        parts = [rows for _, _, rows in self._history[-self.guard_batches:] if len(rows)]
        return pd.concat(parts) if parts else pd.DataFrame(columns=["rating"])

    def _segments(self, clean: pd.DataFrame) -> np.ndarray:
        if self.segment_by in clean.columns:
            return clean[self.segment_by].to_numpy()
        if self.items is None or self.segment_by not in self.items.columns:
            raise ValueError(f"UpdatePipeline(segment_by={self.segment_by!r}): no such column in "
                             f"the batch ({list(clean.columns)}) or in items; give one of them, "
                             "e.g. segment_by='category' with items=shop.items.")
        labels = self.items[self.segment_by].reindex(clean["item_id"].to_numpy())
        return labels.fillna("unknown").astype(str).to_numpy()

    def _monitor_segments(self, row: dict, clean: pd.DataFrame, y, pred) -> list:
        alarms = []
        segments = self._segments(clean)
        for seg in sorted(pd.unique(segments), key=str):
            mask = segments == seg
            err = _rmse(y[mask], pred[mask])
            past = [r["live_rmse"] for r in self._segment_rows if r["segment"] == seg]
            level = float(np.median(past[-self.level_batches:])) if past else float("nan")
            alarm = bool(math.isfinite(level) and err > level + self.segment_tolerance)
            if alarm:
                alarms.append(str(seg))
            self._segment_rows.append({"batch": self._step, "first_day": row["first_day"],
                                       "segment": seg, "n": int(mask.sum()), "live_rmse": err,
                                       "level": level, "alarm": alarm})
        return alarms

    @property
    def events(self) -> pd.DataFrame:
        """One row per step: ``batch``, ``step``, ``version``, ``detail``."""
        return pd.DataFrame(self._events, columns=["batch", "step", "version", "detail"])

    def _event(self, step: str, detail: str, version: str | None = None) -> None:
        self._events.append({"batch": self._step, "step": step, "version": version,
                             "detail": detail})

    # -- start -------------------------------------------------------------------------------
    def start(self, model, history: pd.DataFrame, *, holdout: pd.DataFrame | None = None,
              notes: str = "initial model") -> str:
        """Register ``model`` (already trained on ``history``) and put it in production.

        ``holdout``: rows of the same period that the model was *not* trained
        on; they seed the guard slice (without it, a sample of ``history`` is
        used, which flatters the initial model).  Returns the version name.
        """
        if not hasattr(model, "predict") or not hasattr(model, "save"):
            raise TypeError(f"UpdatePipeline.start(model=...): the model needs predict(df) and "
                            f"save(path) (RatingModel has both); got {type(model).__name__}.")
        if not isinstance(history, pd.DataFrame) or "rating" not in history.columns:
            raise TypeError("UpdatePipeline.start(history=...): pass the ratings DataFrame the "
                            "model was trained on.")
        if self._models:
            raise RuntimeError("UpdatePipeline.start: already started; make a new pipeline "
                               "(and registry) to start again.")
        if holdout is None:
            rng = np.random.default_rng([self.seed, 1])
            n = min(len(history), self.guard_size)
            holdout = history.iloc[np.sort(rng.choice(len(history), size=n, replace=False))]
        metrics = {}
        if len(holdout):
            metrics["holdout_rmse"] = _rmse(holdout["rating"].to_numpy(float),
                                            np.asarray(model.predict(holdout), float))
        version = self.registry.register(model, metrics=metrics, notes=notes,
                                         extra={"batch": None, "accepted": True,
                                                "reasons": ["initial model"]})
        self.registry.promote(version)
        self._models[version] = model
        self._history.append((-1, version, history))
        self._holdouts.append((-1, version, holdout))
        self._event("start", f"registered and promoted the initial model "
                             f"({len(history)} training rows)", version)
        return version

    # -- one batch ---------------------------------------------------------------------------
    def process(self, batch: pd.DataFrame, *, strategy=None) -> dict:
        """Run every step on one incoming batch; return its log row.

        ``strategy`` overrides the pipeline's template for this batch only
        (used to inject a deliberately bad update in chapter 10).
        """
        if not self._models:
            raise RuntimeError("UpdatePipeline.process: call start(model, history) first.")
        if strategy is not None:
            self._check_strategy(strategy, "UpdatePipeline.process")
        template = strategy if strategy is not None else self.strategy
        t_start = time.perf_counter()
        step = self._step
        row = {"batch": step}
        if isinstance(batch, pd.DataFrame) and "day" in batch.columns and len(batch):
            row.update(first_day=int(np.nanmin(batch["day"])), last_day=int(np.nanmax(batch["day"])))
        else:
            row.update(first_day=np.nan, last_day=np.nan)

        # 1. receive + preprocess
        clean, report = preprocess(batch, self.users, self.items, rating_range=self.rating_range)
        row.update(n_raw=report.n_in, n_clean=report.n_out, n_dropped=report.n_dropped)
        self._event("preprocess", report.summary())

        live_version = self.registry.production
        live = self._models[live_version]
        row.update(live_version=live_version, live_rmse=np.nan, previous_rmse=np.nan,
                   pre_deploy_rmse=np.nan, label_psi=np.nan, segment_alarms="",
                   drift_alarm=False, rolled_back=False, rollback_to=None,
                   candidate_version=None, accepted=False)
        if len(clean) == 0:
            self._event("skip", "no clean rows: nothing to monitor or learn", live_version)
            row.update(production_after=live_version, reasons="no clean rows",
                       seconds=time.perf_counter() - t_start)
            self._finish(row)
            return row

        # 2. monitor: predict first (prequential), then learn
        y = clean["rating"].to_numpy(dtype=float)
        pred = np.asarray(live.predict(clean), dtype=float)
        live_rmse = _rmse(y, pred) if np.all(np.isfinite(pred)) else float("nan")
        row["live_rmse"] = live_rmse
        if self.detector is not None:
            by_day = clean["day"].to_numpy() if "day" in clean.columns else np.zeros(len(clean))
            for d in np.unique(by_day):
                mask = by_day == d
                err = float(np.sqrt(np.mean((y[mask] - pred[mask]) ** 2)))
                if self.detector.update(err).drift_detected:
                    row["drift_alarm"] = True
        row["segment_alarms"] = ""
        if self.segment_by is not None and np.all(np.isfinite(pred)):
            row["segment_alarms"] = ", ".join(self._monitor_segments(row, clean, y, pred))
        self._event("monitor", f"live {live_version} RMSE {live_rmse:.3f} on {len(clean)} rows"
                    + ("; drift alarm" if row["drift_alarm"] else "")
                    + (f"; segment alarm: {row['segment_alarms']}" if row["segment_alarms"]
                       else ""), live_version)

        # 3. rollback check on the first batch after a deploy
        if self._watch is not None and self._watch["version"] == live_version:
            previous_version = self._watch["previous"]
            previous = self._models[previous_version]
            prev_pred = np.asarray(previous.predict(clean), dtype=float)
            previous_rmse = _rmse(y, prev_pred)
            row["previous_rmse"] = previous_rmse
            row["pre_deploy_rmse"] = self._watch["pre_deploy_rmse"]
            verdict = self.rollback_rule.decide(live_rmse, previous_rmse,
                                                self._watch["pre_deploy_rmse"])
            if verdict.rollback:
                restored = self.registry.rollback(reason=verdict.reason)
                self._history = [h for h in self._history if h[1] != live_version]
                self._holdouts = [h for h in self._holdouts if h[1] != live_version]
                row.update(rolled_back=True, rollback_to=restored)
                self._event("rollback", f"{live_version} -> {restored}: {verdict.reason}",
                            restored)
                live_version, live = restored, self._models[restored]
                live_rmse = previous_rmse     # the restored version's level, for the next watch
            else:
                self._event("rollback", verdict.reason, live_version)
        self._watch = None

        # 4. update: a fresh strategy on a copy of the live model
        train, recent = split_recent(clean, self.holdout_frac)
        n_hold = len(recent)
        worker = copy.deepcopy(template)
        t0 = time.perf_counter()
        worker.start(_clone(live), self.history())
        worker.update(train)
        candidate = worker.model_
        row["update_seconds"] = time.perf_counter() - t0
        self._event("update", f"{getattr(worker, 'name', type(worker).__name__)} on "
                              f"{len(train)} rows ({n_hold} held out)")

        # 5. validate + gate
        reference = self.label_reference()
        label_psi = label_shift(reference, clean) if len(reference) else None
        row["label_psi"] = np.nan if label_psi is None else label_psi
        decision = self.gate.evaluate(candidate, live, recent, self.guard(step),
                                      label_psi=label_psi)
        row.update({k: v for k, v in decision.metrics.items()})
        self._event("gate", str(decision))

        # 6. register every candidate; promote only accepted ones
        metrics = dict(decision.metrics, live_rmse=live_rmse, n_train=len(train))
        version = self.registry.register(
            candidate, metrics=metrics, parent=live_version,
            notes=f"batch {step}: {'accepted' if decision else 'rejected'}",
            extra={"batch": step, "accepted": bool(decision), "reasons": decision.reasons,
                   "days": [row["first_day"], row["last_day"]],
                   "strategy": getattr(worker, "name", type(worker).__name__)})
        row.update(candidate_version=version, accepted=bool(decision),
                   reasons="; ".join(decision.reasons))
        self._event("register", f"candidate registered as {version}", version)
        if decision:
            self.registry.promote(version)
            self._models[version] = candidate
            self._history.append((step, version, train))
            self._holdouts.append((step, version, recent))
            if self.rollback_rule is not None:
                recent_levels = [r["live_rmse"] for r in self._rows[-(self.level_batches - 1):]
                                 if self.level_batches > 1] + [live_rmse]
                level = float(np.nanmedian(recent_levels))
                self._watch = {"version": version, "previous": live_version,
                               "pre_deploy_rmse": level}
            self._event("deploy", f"promoted {version} (was {live_version})", version)
        else:
            self._event("deploy", f"kept {live_version}; {version} stays in the registry "
                                  "for inspection", live_version)
        row["production_after"] = self.registry.production
        row["seconds"] = time.perf_counter() - t_start
        self._finish(row)
        return row

    def _finish(self, row: dict) -> None:
        self._rows.append(row)
        self._step += 1

    def run(self, batches) -> pd.DataFrame:
        """:meth:`process` every batch in order; return :attr:`log`."""
        for batch in batches:
            self.process(batch)
        return self.log
