"""One mini-batch SGD step of biased matrix factorisation (private to ``course_lib.models.mf``).

Explained in chapter 09 with :class:`course_lib.models.mf.MatrixFactorization`.
"""

from __future__ import annotations

import numpy as np


def _counts(rows: np.ndarray) -> np.ndarray:
    """For each entry, how many times its value occurs in ``rows``."""
    _, inverse, counts = np.unique(rows, return_inverse=True, return_counts=True)
    return counts[inverse].astype(float)


def sgd_step(
    U: np.ndarray,
    V: np.ndarray,
    mu: float,
    reg: float,
    u: np.ndarray,
    i: np.ndarray,
    y: np.ndarray,
    learning_rate: float,
    clipnorm: float | None,
) -> None:
    """Update the user table ``U`` and item table ``V`` in place on one mini-batch.

    Columns ``0..k-1`` of a table are the factors, column ``k`` the bias; ``u``
    and ``i`` are the rows of the batch's users and items, ``y`` its ratings.
    The loss per example is ``(mu + b_u + b_i + p_u . q_i - y)^2 / 2`` plus
    ``reg / 2`` times the squared parameters it uses.  ``clipnorm`` caps the
    norm of each example's update.

    >>> U, V = np.zeros((2, 2)), np.zeros((2, 2))       # one factor + bias, row 0 unknown
    >>> sgd_step(U, V, 3.0, 0.0, np.array([1]), np.array([1]), np.array([5.0]), 0.5, None)
    >>> U[1].tolist(), V[1].tolist()                    # both biases move 0.5 * 2 stars
    ([0.0, 1.0], [0.0, 1.0])
    """
    k = U.shape[1] - 1
    P, Q = U[:, :k], V[:, :k]  # views: updated in place
    bu, bi = U[:, k], V[:, k]
    pu, qi = P[u], Q[i]
    err = mu + bu[u] + bi[i] + np.sum(pu * qi, axis=1) - y
    g_bu, g_bi = err + reg * bu[u], err + reg * bi[i]
    g_pu, g_qi = err[:, None] * qi + reg * pu, err[:, None] * pu + reg * qi
    if clipnorm is not None:
        norm = np.sqrt(g_bu**2 + g_bi**2 + np.sum(g_pu**2, 1) + np.sum(g_qi**2, 1))
        scale = np.minimum(1.0, clipnorm / np.maximum(norm, 1e-12))
        g_bu, g_bi = g_bu * scale, g_bi * scale
        g_pu, g_qi = g_pu * scale[:, None], g_qi * scale[:, None]
    # a row that appears c times in the batch gets the mean of its c gradients, so a
    # popular item does not take c full steps at once (that diverges)
    cu, ci = _counts(u), _counts(i)
    lr = learning_rate
    np.add.at(bu, u, -lr * (g_bu / cu))
    np.add.at(bi, i, -lr * (g_bi / ci))
    np.add.at(P, u, -lr * (g_pu / cu[:, None]))
    np.add.at(Q, i, -lr * (g_qi / ci[:, None]))
