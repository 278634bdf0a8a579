"""The ridge solves of alternating least squares (private to ``course_lib.models.mf``).

Explained in chapter 09 with :class:`course_lib.models.mf.MatrixFactorization`.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def group_rows(idx: np.ndarray, n_rows: int) -> list[np.ndarray]:
    """``groups[k]`` = positions where ``idx == k`` (one argsort, no Python scan).

    >>> [g.tolist() for g in group_rows(np.array([1, 0, 1]), 3)]
    [[1], [0, 2], []]
    """
    order = np.argsort(idx, kind="stable")
    bounds = np.searchsorted(idx[order], np.arange(n_rows + 1))
    return [order[bounds[k] : bounds[k + 1]] for k in range(n_rows)]


def group_some(idx: np.ndarray, rows: np.ndarray) -> dict[int, np.ndarray]:
    """``{k: positions where idx == k}`` for the given rows only.

    >>> {k: v.tolist() for k, v in group_some(np.array([1, 0, 1, 2]), np.array([1])).items()}
    {1: [0, 2]}
    """
    pos = np.flatnonzero(np.isin(idx, rows))
    order = pos[np.argsort(idx[pos], kind="stable")]
    keys, starts = np.unique(idx[order], return_index=True)
    return dict(zip(keys.tolist(), np.split(order, starts[1:]), strict=True))


def ridge_rows(
    W: np.ndarray,
    groups: Any,
    X_other: np.ndarray,
    other_idx: np.ndarray,
    target: np.ndarray,
    penalty: np.ndarray,
    rows: Any = None,
) -> None:
    """For each row k >= 1: ``W[k] = argmin |X w - t|^2 + w' penalty w`` over its ratings.

    The last column of ``W`` is the bias; the regression's design matrix is
    ``X_other[other_idx[rows]]`` (the other side's factors and a column of 1).
    ``penalty`` is the (diagonal) ridge matrix; ``rows`` the rows to solve
    (``None``: all); ``groups`` a list or dict of each row's rating positions.
    """
    d = W.shape[1]
    for k in range(1, W.shape[0]) if rows is None else rows:
        if k == 0:
            continue
        mine = groups[k] if not isinstance(groups, dict) else groups.get(k, np.zeros(0, int))
        if len(mine) == 0:
            W[k] = 0.0
            continue
        X = X_other[other_idx[mine]]
        W[k] = np.linalg.solve(X.T @ X + penalty + 1e-12 * np.eye(d), X.T @ target[mine])
