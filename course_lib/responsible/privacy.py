"""Private releases: contribution bounding and the Laplace mechanism.

Explained in chapter 12 (``notebooks/12_beyond.ipynb``, section "Protect").
NumPy and pandas only.

:func:`clip_contributions` and :func:`laplace_mechanism` publish an aggregate
(e.g. purchases per category) with epsilon-differential privacy: bound what
one customer can add, then add Laplace noise of scale
``sensitivity / epsilon``.  Every random function takes ``seed`` (an int or
an ``np.random.Generator``); nothing touches NumPy's global random state, and
no input is modified.

>>> events = pd.DataFrame({"user_id": [1, 1, 1, 2], "category": ["a", "a", "b", "b"]})
>>> counts = clip_contributions(events, max_rows=1)["category"].value_counts()
>>> counts.to_dict()                                      # one row per customer
{'a': 1, 'b': 1}
>>> laplace_mechanism(counts.to_numpy(), sensitivity=1.0, epsilon=1.0, seed=0).round(2).tolist()
[1.32, 0.38]
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from course_lib.core.validation import (
    argument_error,
    as_generator,
    check_array,
    check_choice,
    check_frame,
    check_int,
    check_number,
)

__all__ = ["laplace_mechanism", "clip_contributions"]


def laplace_mechanism(
    values: ArrayLike, sensitivity: float, epsilon: float, seed: int | np.random.Generator = 0
) -> np.ndarray:
    """Release ``values`` with epsilon-differential privacy (Dwork et al., 2006).

    Adds independent Laplace noise of scale ``b = sensitivity / epsilon`` to every
    value. ``sensitivity`` must bound how much the whole vector ``values`` can
    change (in L1 norm) when one person's data are added or removed: 1 for a
    histogram in which each customer counts once, ``m`` if a customer may add
    up to ``m`` events (bound it with :func:`clip_contributions`). The noise's
    mean absolute value is ``b`` and its standard deviation ``sqrt(2) b``:
    smaller epsilon means more privacy and more error.

    Two rules the guarantee depends on. The *entries* of ``values`` must be fixed
    before looking at the data (e.g. every category of a public list, zeros
    included): releasing only the categories somebody bought reveals that,
    whatever the noise. And budgets add up: ``k`` releases about the same
    people are together ``k * epsilon``-private (sequential composition), so a
    weekly release needs a budget per person per year, not per release.

    Parameters
    ----------
    values : array-like of float
        The exact aggregate (e.g. purchases per category).
    sensitivity : float
        L1 sensitivity of ``values``, > 0.
    epsilon : float
        Privacy budget, > 0 (typical: 0.1 to 2).
    seed : int or numpy.random.Generator

    Returns
    -------
    numpy.ndarray
        Noisy values (float, same shape); a small count can come out negative.
        Post-processing (rounding, clipping at 0) does not weaken the guarantee.

    Examples
    --------
    >>> noisy = laplace_mechanism([120, 45, 3], sensitivity=1.0, epsilon=0.5, seed=0)
    >>> noisy.round(2).tolist()
    [120.64, 43.77, -2.0]
    >>> b = laplace_mechanism(np.zeros(20_000), sensitivity=2.0, epsilon=0.5, seed=1)
    >>> round(float(np.mean(np.abs(b))), 1)   # mean |noise| = sensitivity / epsilon = 4
    4.0
    >>> laplace_mechanism([1.0], sensitivity=1.0, epsilon=0.0)
    Traceback (most recent call last):
    ...
    ValueError: laplace_mechanism(epsilon=0.0): epsilon must be a positive number (> 0); smaller = more private, e.g. 1.0.
    """
    where = "laplace_mechanism"
    sensitivity = check_number(
        sensitivity,
        "sensitivity",
        where,
        low=0,
        low_inclusive=False,
        fix="how much one person can change the values, e.g. 1.0",
    )
    epsilon = check_number(
        epsilon,
        "epsilon",
        where,
        low=0,
        low_inclusive=False,
        fix="smaller = more private, e.g. 1.0",
    )
    arr = check_array(
        values, "values", where, allow_empty=True, fix="compute the exact aggregate first"
    )
    if not np.all(np.isfinite(arr)):
        raise argument_error(
            where, "values", arr, "finite, they contain inf", "compute the exact aggregate first"
        )
    rng = as_generator(seed, where)
    return arr + rng.laplace(0.0, float(sensitivity) / float(epsilon), size=arr.shape)


def clip_contributions(
    events: pd.DataFrame, key: str = "user_id", max_rows: int = 1, order_by: str | None = None
) -> pd.DataFrame:
    """Keep at most ``max_rows`` rows per ``key`` (contribution bounding).

    Before a differentially private count, each customer's influence must be
    bounded: after this, adding or removing one customer changes a histogram
    of the rows by at most ``max_rows`` in L1 norm, the sensitivity to pass to
    :func:`laplace_mechanism`. The rows kept are the first ones in the
    ``order_by`` column (default: the current row order), so the result is
    deterministic.

    >>> ev = pd.DataFrame({"user_id": [1, 1, 1, 2], "category": ["a", "b", "a", "b"]})
    >>> clip_contributions(ev, max_rows=2)["category"].tolist()
    ['a', 'b', 'b']
    """
    where = "clip_contributions"
    check_frame(events, "events", where, fix="pass one row per event, e.g. shop.purchases")
    check_choice(key, "key", where, list(events.columns))
    max_rows = check_int(max_rows, "max_rows", where, minimum=1)
    data = events
    if order_by is not None:
        check_choice(order_by, "order_by", where, list(events.columns))
        data = events.sort_values(order_by, kind="mergesort")
    kept = data[data.groupby(key, sort=False).cumcount() < max_rows]
    return kept.sort_index() if order_by is not None else kept
