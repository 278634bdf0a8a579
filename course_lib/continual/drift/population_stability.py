"""The population stability index (PSI): how far one feature's distribution moved, no labels needed.

Explained in chapter 08 (``notebooks/08_drift_detection.ipynb``).  NumPy only.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from course_lib.core.validation import check_array, check_int, check_number

__all__ = ["psi"]


def _sample(values: ArrayLike, name: str, categorical: bool) -> np.ndarray:
    """One feature's sample as a 1-D array: strings for a categorical feature, else floats."""
    fix = "pass one column of values, e.g. df['age']"
    if categorical:
        check_array(np.zeros(np.shape(values)), name, "psi", ndim=1, fix=fix)
        return np.asarray(values).astype(str)
    return check_array(
        values,
        name,
        "psi",
        ndim=1,
        allow_nan=True,
        fix=f"{fix}; for a categorical feature pass categorical=True",
    )


def psi(
    reference: ArrayLike,
    current: ArrayLike,
    bins: int = 10,
    *,
    categorical: bool = False,
    eps: float = 1e-4,
) -> float:
    r"""Population stability index of one feature: reference sample vs current sample.

    .. math::  \mathrm{PSI} = \sum_b (c_b - r_b)\,\ln\frac{c_b}{r_b}

    where :math:`r_b, c_b` are the shares of the reference and current samples
    in bin :math:`b`.  Numeric features use ``bins`` quantile bins of the
    reference (so each reference bin holds about the same share); categorical
    features use one bin per category.  Shares are floored at ``eps`` so an
    empty bin does not give ``log(0)``.  A common rule of thumb: < 0.1 stable,
    0.1-0.25 moderate shift, > 0.25 large shift (a convention, not a test).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> before = rng.normal(40, 10, 5000)          # shoppers' ages last month
    >>> print(round(psi(before, rng.normal(40, 10, 5000)), 3))
    0.005
    >>> print(round(psi(before, rng.normal(30, 10, 5000)), 3))
    0.922
    >>> print(round(psi(["a", "a", "b", "c"], ["a", "b", "b", "c"], categorical=True), 3))
    0.347
    """
    bins = check_int(bins, "bins", "psi", minimum=2, fix="e.g. bins=10")
    eps = check_number(eps, "eps", "psi", low=0, low_inclusive=False)
    ref = _sample(reference, "reference", categorical)
    cur = _sample(current, "current", categorical)
    if categorical:
        categories = np.unique(np.concatenate([ref, cur]))
        r = np.array([np.mean(ref == c) for c in categories])
        c = np.array([np.mean(cur == c) for c in categories])
    else:
        edges = np.unique(np.quantile(ref, np.linspace(0.0, 1.0, bins + 1))[1:-1])
        r = (
            np.bincount(np.searchsorted(edges, ref, side="right"), minlength=edges.size + 1)
            / ref.size
        )
        c = (
            np.bincount(np.searchsorted(edges, cur, side="right"), minlength=edges.size + 1)
            / cur.size
        )
    r = np.maximum(r, eps)
    c = np.maximum(c, eps)
    return float(np.sum((c - r) * np.log(c / r)))
