"""Top-k recommendation: rank candidate items with any scoring function.

Explained in chapter 11 (``notebooks/11_preference_tracking.ipynb``, section
"Top-k recommendation").  NumPy only.  The metrics that score a list
(precision@k, recall@k, NDCG@k) are in :mod:`course_lib.evaluation.ranking`.

>>> top_k(np.array([0.1, 0.9, 0.5]), k=2)
array([1, 2])
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Hashable, Mapping

import numpy as np
from numpy.typing import ArrayLike

from course_lib.core.validation import ArgumentTypeError, argument_error, check_array, check_int

__all__ = ["top_k", "recommend_top_k"]


def top_k(scores: ArrayLike, k: int, exclude: ArrayLike | None = None) -> np.ndarray:
    """Positions of the ``k`` highest scores per row, best first (ties: lower position first).

    ``exclude`` is a boolean mask of the same shape; excluded positions are
    never returned.  If a row has fewer than ``k`` allowed positions, it is
    padded with ``-1``.

    >>> top_k(np.array([0.1, 0.9, 0.5, 0.9]), k=2)
    array([1, 3])
    >>> top_k(np.array([[3.0, 2.0, 1.0]]), k=2, exclude=np.array([[True, False, False]]))
    array([[1, 2]])
    """
    s = check_array(scores, "scores", "top_k", min_ndim=1, fix="a ranking needs comparable numbers")
    k = check_int(k, "k", "top_k", minimum=1, fix="e.g. k=10")
    one_d = s.ndim == 1
    s = np.atleast_2d(s)
    if s.ndim != 2:
        raise argument_error(
            "top_k",
            "scores",
            s,
            f"1-D or 2-D, got shape {s.shape}",
            "pass one row of scores per user",
        )
    allowed = np.ones(s.shape, dtype=bool)
    if exclude is not None:
        ex = np.atleast_2d(np.asarray(exclude, dtype=bool))
        if ex.shape != s.shape:
            raise argument_error(
                "top_k",
                "exclude",
                ex,
                f"of the shape of scores {np.shape(scores)}",
                "pass a boolean mask of the same shape",
            )
        allowed = ~ex
    order = np.argsort(np.where(allowed, -s, np.inf), axis=1, kind="stable")[:, :k]
    ok = np.take_along_axis(allowed, order, axis=1)
    out = np.where(ok, order, -1)
    if out.shape[1] < k:
        out = np.hstack([out, np.full((out.shape[0], k - out.shape[1]), -1)])
    return out[0] if one_d else out


def _exclusion_mask(
    users: np.ndarray, items: np.ndarray, exclude: Mapping[Hashable, Collection]
) -> np.ndarray:
    """Boolean (n_users, n_items) mask of the pairs ``exclude`` forbids."""
    pos = {item: j for j, item in enumerate(items.tolist())}
    mask = np.zeros((users.size, items.size), dtype=bool)
    for r, u in enumerate(users.tolist()):
        for item in exclude.get(u, ()):
            j = pos.get(item)
            if j is not None:
                mask[r, j] = True
    return mask


def recommend_top_k(
    score_fn: Callable[[np.ndarray, np.ndarray, int], ArrayLike],
    user_ids: ArrayLike,
    item_ids: ArrayLike,
    day: int,
    k: int,
    exclude: Mapping[Hashable, Collection] | None = None,
) -> np.ndarray:
    """Rank ``item_ids`` for every user with ``score_fn`` and keep the best ``k``.

    Parameters
    ----------
    score_fn : callable
        ``score_fn(users, items, day) -> scores`` on flat arrays of equal
        length (every user paired with every item), higher is better.  The
        truth's ``shop.truth.expected_rating`` has exactly this signature.
    user_ids, item_ids : array_like
        The users to serve and the candidate items (e.g. items on sale).
    day : int
    k : int
    exclude : dict, optional
        ``{user_id: set of item_ids}`` never to recommend (already bought).

    Returns
    -------
    np.ndarray, shape (n_users, k), of item ids (``-1`` if too few candidates).

    Examples
    --------
    >>> def score(users, items, day):
    ...     return items * 1.0                     # prefers large item ids
    >>> recommend_top_k(score, [1, 2], [10, 20, 30], day=0, k=2, exclude={2: {30}})
    array([[30, 20],
           [20, 10]])
    """
    where = "recommend_top_k"
    if not callable(score_fn):
        raise argument_error(
            where,
            "score_fn",
            score_fn,
            f"callable, got {type(score_fn).__name__}",
            "pass a function (users, items, day) -> scores, e.g. shop.truth.expected_rating",
            exc=ArgumentTypeError,
        )
    users = np.asarray(user_ids).ravel()
    items = np.asarray(item_ids).ravel()
    for name, ids in (("user_ids", users), ("item_ids", items)):
        if ids.size == 0:
            raise argument_error(where, name, ids, "non-empty", "pass at least one id")
    uu = np.repeat(users, items.size)
    ii = np.tile(items, users.size)
    scores = np.asarray(score_fn(uu, ii, day), dtype=float)
    if scores.shape != uu.shape:
        raise argument_error(
            where,
            "score_fn",
            score_fn,
            f"a function that returns one score per (user, item) pair, shape "
            f"{uu.shape}, it returned shape {scores.shape}",
        )
    scores = scores.reshape(users.size, items.size)
    mask = _exclusion_mask(users, items, exclude) if exclude else None
    idx = top_k(scores, k, exclude=mask)
    return np.where(idx >= 0, items[np.maximum(idx, 0)], -1)
