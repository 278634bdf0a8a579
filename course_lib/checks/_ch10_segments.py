"""The cases of exercise 10.2 (a gate per segment): ratings and two models' predictions built
so that each segment's RMSE is exactly a chosen offset, the table of cases with the hint each
one teaches, and the reference gate.

Private to :mod:`course_lib.checks.ch10`.
"""

from __future__ import annotations

import numpy as np

from course_lib.evaluation.metrics import rmse

_SEGMENT_SIZES = {"books": 40, "fashion": 12, "garden": 6}


def _segment_data(
    seed: int,
    cand_off: dict[str, float],
    prod_off: dict[str, float],
    bad: dict[str, float] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Stars and two predictions whose RMSE in each segment is exactly its offset.

    The offsets alternate in sign, so each segment's mean error is 0 and its RMSE
    ``|offset|``; offsets are dyadic (0.25, 0.5 ...), exact in binary floating point.
    ``bad`` puts NaN or inf into the candidate's first row of a segment.
    """
    rng = np.random.default_rng(seed)
    segments = np.repeat(list(_SEGMENT_SIZES), list(_SEGMENT_SIZES.values()))
    rng.shuffle(segments)
    y = rng.integers(1, 6, len(segments)).astype(float)
    sign = np.where(np.arange(len(y)) % 2 == 0, 1.0, -1.0)
    cand = y + sign * np.array([cand_off[s] for s in segments])
    prod = y + sign * np.array([prod_off[s] for s in segments])
    for seg, value in (bad or {}).items():
        cand[np.flatnonzero(segments == seg)[0]] = value
    return y, cand, prod, segments


def _segment_gate_ref(
    y_true: np.ndarray,
    candidate_pred: np.ndarray,
    production_pred: np.ndarray,
    segments: np.ndarray,
    tolerance: float,
    min_rows: int,
) -> bool:
    if not np.all(np.isfinite(candidate_pred)):
        return False
    for seg in np.unique(segments):
        mask = segments == seg
        if mask.sum() >= min_rows and not (
            rmse(y_true[mask], candidate_pred[mask])
            <= rmse(y_true[mask], production_pred[mask]) + tolerance
        ):
            return False
    return True


_EVEN = {"books": 0.5, "fashion": 0.5, "garden": 0.5}
_SEGMENT_CASES: list[
    tuple[dict[str, float], dict[str, float], float, int, dict[str, float] | None, str]
] = [
    # (candidate offsets, production offsets, tolerance, min_rows, bad values, hint if wrong)
    (
        {"books": 0.25, "fashion": 0.25, "garden": 0.25},
        _EVEN,
        0.0625,
        10,
        None,
        "the candidate is better in every segment: lower RMSE is better; accept when the "
        "candidate's RMSE is at most production's + tolerance",
    ),
    (
        {"books": 0.25, "fashion": 0.75, "garden": 0.25},
        _EVEN,
        0.0625,
        10,
        None,
        "the candidate is better over all rows but worse on fashion by 0.25: compare the "
        "RMSEs per segment (rows where segments == seg), not over all rows",
    ),
    (
        {"books": 0.25, "fashion": 0.25, "garden": 1.0},
        _EVEN,
        0.0625,
        10,
        None,
        "garden is worse, but it has only 6 rows (< min_rows=10): skip segments with fewer "
        "than min_rows rows, too few to tell a worse model from luck",
    ),
    (
        {"books": 0.25, "fashion": 0.25, "garden": 1.0},
        _EVEN,
        0.0625,
        6,
        None,
        "garden has exactly min_rows=6 rows, so it is judged (mask.sum() >= min_rows), and "
        "there the candidate is worse",
    ),
    (
        {"books": 0.5, "fashion": 0.75, "garden": 0.5},
        _EVEN,
        0.25,
        10,
        None,
        "on fashion the candidate is exactly at the tolerance (0.75 = 0.5 + 0.25): the "
        "comparison is <=, not <",
    ),
    (
        {"books": 0.5, "fashion": 0.5625, "garden": 0.5},
        _EVEN,
        0.125,
        10,
        None,
        "on fashion the candidate is worse by 0.0625, within tolerance=0.125: candidate <= "
        "production + tolerance",
    ),
    (
        {"books": 0.25, "fashion": 2.0, "garden": 0.25},
        _EVEN,
        float("inf"),
        10,
        None,
        "tolerance=inf switches the check off: every segment passes",
    ),
    (
        {"books": 0.25, "fashion": 0.25, "garden": 0.25},
        _EVEN,
        0.0625,
        10,
        {"fashion": float("nan")},
        "a candidate that predicts NaN must be rejected; a NaN compares False with "
        "everything, so `not (nan > x)` is True: check np.isfinite(candidate_pred).all() first",
    ),
    (
        {"books": 0.25, "fashion": 0.25, "garden": 0.25},
        _EVEN,
        0.0625,
        10,
        {"garden": float("nan")},
        "a NaN prediction in a small (skipped) segment still means a broken model: check "
        "that every prediction is finite before looking at segments",
    ),
    (
        {"books": 0.25, "fashion": 0.25, "garden": 0.25},
        _EVEN,
        0.0625,
        10,
        {"garden": float("inf")},
        "an infinite prediction is as broken as a NaN: use np.isfinite, not only np.isnan",
    ),
]
