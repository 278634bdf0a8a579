"""Ranking metrics: how good a top-k list is against the items that were relevant.

Explained in chapter 11 (``notebooks/11_preference_tracking.ipynb``, section
"Top-k recommendation").  Pure Python and NumPy.

* :func:`precision_at_k` -- share of the ``k`` recommendations that are relevant;
* :func:`recall_at_k` -- share of the relevant items found in the first ``k``;
* :func:`ndcg_at_k` -- like recall, but a hit near the top counts more;
* :func:`ranking_scores` -- the three, averaged over users.

A recommendation list may be padded with ``-1`` (too few candidates, see
:func:`course_lib.recsys.top_k`); padding never counts as a hit.

>>> rec, rel = [10, 20, 30, 40], {20, 40, 50}
>>> precision_at_k(rec, rel, k=4), round(recall_at_k(rec, rel, k=4), 3)
(0.5, 0.667)
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Sequence

import numpy as np
from numpy.typing import ArrayLike

from course_lib.core.validation import ArgumentTypeError, argument_error, check_int

__all__ = ["precision_at_k", "recall_at_k", "ndcg_at_k", "ranking_scores"]


def _check_ranking(
    recommended: ArrayLike, relevant: Collection, k: int, func: str
) -> tuple[list, set, int]:
    """The first ``k`` recommendations, the relevant set and ``k``, all checked."""
    k = check_int(k, "k", func, minimum=1, fix="e.g. k=10")
    rec = list(np.asarray(recommended).ravel().tolist())
    if isinstance(relevant, (str, bytes)) or not hasattr(relevant, "__iter__"):
        raise argument_error(
            func,
            "relevant",
            relevant,
            f"a collection of item ids, got {type(relevant).__name__}",
            "pass a set or a list, e.g. {3, 7}",
            exc=ArgumentTypeError,
        )
    rel = set(np.asarray(list(relevant)).ravel().tolist())
    top = rec[:k]
    shown = [r for r in top if r != -1]
    if len(set(shown)) != len(shown):
        raise argument_error(
            func,
            "recommended",
            top,
            f"a list of distinct items, it contains duplicates in its first {k}",
            "a list recommends each item once",
        )
    return top, rel, k


def _require_relevant(rel: set, func: str, what: str) -> None:
    if not rel:
        raise argument_error(
            func,
            "relevant",
            rel,
            f"non-empty ({what} is undefined without relevant items)",
            "skip this user",
        )


def precision_at_k(recommended: ArrayLike, relevant: Collection, k: int) -> float:
    """Share of the first ``k`` recommendations that are relevant (divides by ``k``).

    >>> precision_at_k([5, 3, 8, 1], relevant={3, 1, 9}, k=3)
    0.3333333333333333
    """
    top, rel, k = _check_ranking(recommended, relevant, k, "precision_at_k")
    return sum(1 for r in top if r in rel) / k


def recall_at_k(recommended: ArrayLike, relevant: Collection, k: int) -> float:
    """Share of the relevant items found in the first ``k`` recommendations.

    >>> recall_at_k([5, 3, 8, 1], relevant={3, 1, 9}, k=4)
    0.6666666666666666
    """
    top, rel, k = _check_ranking(recommended, relevant, k, "recall_at_k")
    _require_relevant(rel, "recall_at_k", "recall")
    return sum(1 for r in top if r in rel) / len(rel)


def ndcg_at_k(recommended: ArrayLike, relevant: Collection, k: int) -> float:
    """Normalised discounted cumulative gain with binary relevance.

    ``DCG = sum over hits at rank i (1-based) of 1 / log2(i + 1)``, divided by
    the DCG of the best possible list (all relevant items first), so a perfect
    list scores 1 and a hit at rank 1 counts more than one at rank 10.

    >>> round(ndcg_at_k([5, 3, 8], relevant={3}, k=3), 4)       # 1/log2(3)
    0.6309
    """
    top, rel, k = _check_ranking(recommended, relevant, k, "ndcg_at_k")
    _require_relevant(rel, "ndcg_at_k", "NDCG")
    dcg = sum(1.0 / math.log2(i + 2) for i, r in enumerate(top) if r in rel)
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(k, len(rel))))
    return dcg / ideal


def ranking_scores(
    recommended: Iterable[ArrayLike], relevant: Iterable[Collection], k: int
) -> dict[str, float]:
    """Mean precision@k, recall@k and NDCG@k over users.

    ``recommended`` has one row per user; ``relevant`` one collection per user.

    >>> ranking_scores([[1, 2], [3, 4]], [{1}, {9}], k=2)
    {'precision': 0.25, 'recall': 0.5, 'ndcg': 0.5}
    """
    rec: Sequence = list(recommended)
    rel: Sequence = list(relevant)
    if len(rec) != len(rel) or not rec:
        raise argument_error(
            "ranking_scores",
            "relevant",
            rel,
            f"a list of one collection per recommendation list, got {len(rel)} for "
            f"{len(rec)} lists",
            "pass one of each per user (at least one user)",
        )
    p = [precision_at_k(a, b, k) for a, b in zip(rec, rel, strict=True)]
    r = [recall_at_k(a, b, k) for a, b in zip(rec, rel, strict=True)]
    n = [ndcg_at_k(a, b, k) for a, b in zip(rec, rel, strict=True)]
    return {"precision": float(np.mean(p)), "recall": float(np.mean(r)), "ndcg": float(np.mean(n))}
