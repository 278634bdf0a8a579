"""Receive and preprocess: clean one incoming batch of ratings, and make a dirty one for demos.

Explained in chapter 10 (``notebooks/10_incremental_pipeline.ipynb``), the first
step of :class:`~course_lib.continual.pipeline.UpdatePipeline`.  NumPy and pandas only.

* :func:`preprocess` -- drop rows that must not be learned from (missing or
  out-of-range ratings, missing ids, exact duplicate events), flag unknown
  ids, restore time order, and say what was dropped and why
  (:class:`PreprocessReport`);
* :func:`corrupt_batch` -- a dirty feed for demonstrations and tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from course_lib.core.validation import (
    as_generator,
    check_choice,
    check_frame,
    check_number,
    check_rating_range,
)

__all__ = ["DROP_REASONS", "PreprocessReport", "preprocess", "corrupt_batch"]

#: Why :func:`preprocess` drops a row, in the order the checks are applied.
DROP_REASONS = ("missing_id", "missing_rating", "out_of_range", "duplicate")
_ID_COLUMNS = ("user_id", "item_id")


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
    dropped: dict[str, int]
    flagged: dict[str, int]
    reordered: bool
    dropped_rows: pd.DataFrame = field(repr=False)

    @property
    def n_dropped(self) -> int:
        """Rows dropped, for every reason."""
        return int(sum(self.dropped.values()))

    def as_dict(self) -> dict[str, int | bool]:
        """One flat row for a log table."""
        return {
            "n_in": self.n_in,
            "n_out": self.n_out,
            "n_dropped": self.n_dropped,
            **{f"dropped_{k}": v for k, v in self.dropped.items()},
            **{f"flagged_{k}": v for k, v in self.flagged.items()},
            "reordered": self.reordered,
        }

    def summary(self) -> str:
        """A one-line human summary."""
        parts = [f"{v} {k.replace('_', ' ')}" for k, v in self.dropped.items() if v]
        flags = [f"{v} {k.replace('_', ' ')}" for k, v in self.flagged.items() if v]
        text = f"kept {self.n_out} of {self.n_in} rows"
        text += f"; dropped {', '.join(parts)}" if parts else "; dropped none"
        if flags:
            text += f"; flagged {', '.join(flags)}"
        return text + ("; restored time order" if self.reordered else "")


def _drop_reasons(df: pd.DataFrame, rating: np.ndarray, low: float, high: float) -> pd.Series:
    """One reason per row (``""`` = keep), checks in the order of :data:`DROP_REASONS`."""
    reason = pd.Series("", index=range(len(df)), dtype=object)
    reason[df[list(_ID_COLUMNS)].isna().any(axis=1).to_numpy()] = "missing_id"
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
    return reason


def _flag_unknown(
    df: pd.DataFrame,
    reason: pd.Series,
    users: pd.DataFrame | None,
    items: pd.DataFrame | None,
    drop: bool,
) -> dict[str, int]:
    """Count ids missing from the side tables (and mark them dropped when ``drop``)."""
    flagged = {}
    for key, col, table in (("unknown_user", "user_id", users), ("unknown_item", "item_id", items)):
        if table is None:
            continue
        unseen = (~df[col].isin(table.index)).to_numpy() & (reason == "").to_numpy()
        flagged[key] = int(unseen.sum())
        if drop:
            reason[unseen] = key
    return flagged


def _tidy(clean: pd.DataFrame) -> tuple[pd.DataFrame, bool]:
    """Integer ids again (a NaN in the raw column made them float) and time order."""
    for col in _ID_COLUMNS:
        if (
            pd.api.types.is_float_dtype(clean[col])
            and len(clean)
            and np.all(np.mod(clean[col].to_numpy(), 1) == 0)
        ):
            clean[col] = clean[col].astype("int64")
    if "timestamp" in clean.columns and not clean["timestamp"].is_monotonic_increasing:
        return clean.sort_values("timestamp", kind="stable"), True
    return clean, False


def preprocess(
    batch: pd.DataFrame,
    users: pd.DataFrame | None = None,
    items: pd.DataFrame | None = None,
    *,
    rating_range: tuple[float, float] = (1.0, 5.0),
    unknown: str = "keep",
) -> tuple[pd.DataFrame, PreprocessReport]:
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
    check_frame(batch, "batch", "preprocess", columns=(*_ID_COLUMNS, "rating"))
    check_choice(
        unknown,
        "unknown",
        "preprocess",
        ("keep", "drop"),
        fix="'keep' flags cold-start ids, 'drop' drops them",
    )
    low, high = check_rating_range(rating_range, "preprocess")
    for name, table in (("users", users), ("items", items)):
        if table is not None:
            check_frame(
                table,
                name,
                "preprocess",
                fix=f"give a side table indexed by {name[:-1]}_id (shop.{name}) or None",
            )

    df = batch.copy()
    rating = pd.to_numeric(df["rating"], errors="coerce").to_numpy(dtype=float)
    reason = _drop_reasons(df, rating, low, high)
    flagged = _flag_unknown(df, reason, users, items, drop=unknown == "drop")
    keep = (reason == "").to_numpy()
    dropped_counts = {r: int((reason == r).sum()) for r in DROP_REASONS}
    if unknown == "drop":
        dropped_counts.update({k: int((reason == k).sum()) for k in flagged})
    dropped_rows = batch[~keep].copy()
    dropped_rows["reason"] = reason[~keep].to_numpy()

    clean = df[keep].copy()
    clean["rating"] = rating[keep]
    clean, reordered = _tidy(clean)
    report = PreprocessReport(
        n_in=len(batch),
        n_out=len(clean),
        dropped=dropped_counts,
        flagged=flagged,
        reordered=reordered,
        dropped_rows=dropped_rows,
    )
    return clean, report


def corrupt_batch(
    batch: pd.DataFrame,
    *,
    seed: int | np.random.Generator = 0,
    duplicates: float = 0.05,
    missing: float = 0.02,
    out_of_range: float = 0.02,
    unknown_users: float = 0.0,
    flipped: float = 0.0,
) -> pd.DataFrame:
    """A dirty copy of a clean batch, as a real event feed delivers it (for demos and tests).

    Each fraction is of ``len(batch)``: ``duplicates`` rows are delivered twice,
    ``missing`` ratings are lost (NaN), ``out_of_range`` ratings arrive as
    percentages (20 x the stars, a client bug), ``unknown_users`` get a user id no side table knows,
    and ``flipped`` ratings are reversed (``6 - r`` on a 1-5 scale): corrupted
    labels that look perfectly valid, which no schema check can catch (only a
    change of the label distribution,
    :func:`~course_lib.continual.gate.label_shift`, can give them away).  The
    rows stay in time order; duplicated events keep their index label.

    >>> clean = pd.DataFrame({"user_id": range(100), "item_id": 1, "rating": 4.0,
    ...                       "timestamp": range(100)})
    >>> dirty = corrupt_batch(clean, seed=0, duplicates=0.1, missing=0.05, out_of_range=0.03)
    >>> len(dirty), int(dirty["rating"].isna().sum()), int((dirty["rating"] > 5).sum())
    (110, 5, 3)
    """
    check_frame(batch, "batch", "corrupt_batch", columns=("rating",))
    shares = {
        "missing": missing,
        "out_of_range": out_of_range,
        "unknown_users": unknown_users,
        "flipped": flipped,
    }
    for name, value in (("duplicates", duplicates), *shares.items()):
        check_number(
            value,
            name,
            "corrupt_batch",
            low=0,
            high=1,
            fix="give the share of rows to corrupt, e.g. 0.05",
        )
    rng = as_generator(seed, "corrupt_batch")
    df = batch.copy()
    n = len(df)
    df["rating"] = df["rating"].astype(float)
    positions = rng.permutation(n)
    take, start = {}, 0
    for name, frac in shares.items():
        k = int(round(frac * n))
        take[name] = np.sort(positions[start : start + k])
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
