"""Tracking preferences with forgetting: per-user category counts that decay.

Explained in chapter 11 (``notebooks/11_preference_tracking.ipynb``, section
"A preference profile that forgets").  NumPy only.

:class:`CategoryPreferenceTracker` keeps, per user, exponentially *decayed*
counts of the categories they interact with: an event ``t`` days old weighs
``0.5 ** (t / half_life)`` (:func:`decay_factor`).  ``half_life=None`` keeps
all-time counts (never forgets).  The softmax that turns the shares into a
policy with a temperature is :func:`course_lib.foundations.softmax`.

Examples
--------
>>> tracker = CategoryPreferenceTracker(["books", "sports"], half_life=7.0)
>>> _ = tracker.update([1, 1], ["books", "sports"], days=[0, 7])
>>> np.round(tracker.counts([1], day=7), 3)      # the book is one half-life old
array([[0.5, 1. ]])
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from course_lib.core.validation import argument_error, check_array, check_int, check_number
from course_lib.foundations.activations import softmax

__all__ = ["decay_factor", "CategoryPreferenceTracker"]


def decay_factor(elapsed: ArrayLike, half_life: float | None) -> np.ndarray:
    """Weight ``0.5 ** (elapsed / half_life)`` of an event ``elapsed`` days old.

    ``half_life=None`` means no forgetting (weight 1 at any age).

    >>> np.round(decay_factor([0, 7, 14], half_life=7), 3)
    array([1.  , 0.5 , 0.25])
    >>> decay_factor([100.0], half_life=None)
    array([1.])
    """
    elapsed = np.asarray(elapsed, dtype=float)
    if half_life is None:
        return np.ones_like(elapsed)
    h = check_number(
        half_life,
        "half_life",
        "decay_factor",
        low=0,
        low_inclusive=False,
        fix="use a number of days, or None to never forget",
    )
    return np.power(0.5, elapsed / h)


def _category_names(categories: Sequence[Hashable] | int, owner: str) -> list:
    """The category names, or ``0..n-1`` when ``categories`` is a count."""
    if isinstance(categories, (int, np.integer)) and not isinstance(categories, bool):
        return list(range(check_int(categories, "categories", owner, minimum=2)))
    names = [categories] if isinstance(categories, bool) else list(categories)
    if len(names) < 2 or len(set(names)) != len(names):
        raise argument_error(
            owner,
            "categories",
            names,
            "at least two distinct names",
            "pass distinct category names, or their number as an int",
        )
    return names


class CategoryPreferenceTracker:
    """Per-user, exponentially decayed category counts (a preference profile).

    After events ``(category c_j, day d_j, weight w_j)`` of one user, the
    tracked count of category ``c`` on day ``d`` is

        n_c(d) = sum over j with c_j = c of  w_j * 0.5 ** ((d - d_j) / half_life)

    The update is exact and O(1) per event: counts are stored as of the user's
    last update day and multiplied by the decay of the elapsed time when the
    next event arrives (the sum above does not depend on the order events are
    added in).  :meth:`shares` adds a symmetric prior of ``prior`` pseudo-events
    spread evenly over the categories, so a new user starts at the uniform
    distribution instead of dividing by zero.

    Parameters
    ----------
    categories : sequence of str or int
        Category names (events may use names or their positions) or, if an
        int, the number of categories (events use positions 0..n-1).
    half_life : float or None, default None
        Days after which an event's weight has halved; ``None`` never forgets.
    prior : float, default 1.0
        Pseudo-count of the uniform prior used by :meth:`shares`; >= 0.

    Attributes
    ----------
    counts_ : np.ndarray, shape (n_users_seen, n_categories)
        Decayed counts as of ``last_day_`` of each row.
    last_day_ : np.ndarray, shape (n_users_seen,)
    user_index_ : dict
        user id -> row of ``counts_``.

    Examples
    --------
    >>> t = CategoryPreferenceTracker(["books", "sports"], half_life=10.0, prior=0.0)
    >>> _ = t.update([7, 7, 7], ["books", "books", "sports"], days=[0, 0, 10])
    >>> np.round(t.shares([7], day=10), 3)           # 2 books at weight 0.5 vs 1 sport
    array([[0.5, 0.5]])
    >>> np.round(t.shares([99], day=10), 3)          # an unknown user (prior 0 -> uniform)
    array([[0.5, 0.5]])
    """

    def __init__(
        self,
        categories: Sequence[Hashable] | int,
        half_life: float | None = None,
        prior: float = 1.0,
    ) -> None:
        owner = "CategoryPreferenceTracker"
        names = _category_names(categories, owner)
        self.categories = names
        self.n_categories = len(names)
        self._code = {name: i for i, name in enumerate(names)}
        self.half_life = (
            None
            if half_life is None
            else check_number(
                half_life,
                "half_life",
                owner,
                low=0,
                low_inclusive=False,
                fix="use a number of days, or None to never forget",
            )
        )
        self.prior = check_number(prior, "prior", owner, low=0)
        self.counts_ = np.zeros((0, self.n_categories))
        self.last_day_ = np.zeros(0)
        self.user_index_: dict[Any, int] = {}

    def _codes(self, categories: np.ndarray) -> np.ndarray:
        where = "CategoryPreferenceTracker.update"
        if categories.dtype.kind in "iu":
            codes = categories.astype(int)
            if np.any((codes < 0) | (codes >= self.n_categories)):
                raise argument_error(
                    where,
                    "categories",
                    categories,
                    f"category codes in 0..{self.n_categories - 1}, found "
                    f"{sorted(set(codes.tolist()))[:5]}",
                )
            return codes
        try:
            return np.array([self._code[c] for c in categories.tolist()], dtype=int)
        except KeyError as err:
            raise argument_error(
                where,
                "categories",
                categories,
                f"known to the tracker, found unknown category {err.args[0]!r}",
                f"the tracker knows {self.categories}",
            ) from None

    def _rows(self, user_ids: list, *, grow: bool) -> np.ndarray:
        rows = np.empty(len(user_ids), dtype=int)
        for j, u in enumerate(user_ids):
            r = self.user_index_.get(u)
            if r is None:
                if not grow:
                    rows[j] = -1
                    continue
                r = self.user_index_[u] = len(self.user_index_)
            rows[j] = r
        n = len(self.user_index_)
        if grow and n > len(self.counts_):
            extra = n - len(self.counts_)
            self.counts_ = np.vstack([self.counts_, np.zeros((extra, self.n_categories))])
            self.last_day_ = np.concatenate([self.last_day_, np.full(extra, -np.inf)])
        return rows

    def _events(
        self, user_ids: ArrayLike, categories: ArrayLike, days: ArrayLike, weights: ArrayLike | None
    ) -> tuple[list, np.ndarray, np.ndarray, np.ndarray]:
        """The events of :meth:`update` as four checked flat arrays of one length."""
        where = "CategoryPreferenceTracker.update"
        users = np.asarray(user_ids).ravel().tolist()
        codes = self._codes(np.asarray(categories).ravel())
        d = check_array(days, "days", where, allow_empty=True).ravel()
        w = (
            np.ones(1)
            if weights is None
            else check_array(weights, "weights", where, allow_empty=True).ravel()
        )
        d = np.repeat(d, len(users)) if d.size == 1 else d
        w = np.repeat(w, len(users)) if w.size == 1 else w
        if not len(users) == len(codes) == len(d) == len(w):
            raise argument_error(
                where,
                "days",
                d,
                "as long as user_ids, categories and weights (the same length),"
                f" got {len(users)}, {len(codes)}, {len(d)}, {len(w)}",
                "pass one value per event (or one day/weight for all)",
            )
        if np.any(~np.isfinite(d)):
            raise argument_error(where, "days", d, "finite numbers")
        if np.any(~np.isfinite(w)) or np.any(w < 0):
            raise argument_error(where, "weights", w, "finite and >= 0")
        return users, codes, d, w

    def update(
        self,
        user_ids: ArrayLike,
        categories: ArrayLike,
        days: ArrayLike,
        weights: ArrayLike | None = None,
    ) -> CategoryPreferenceTracker:
        """Add events (one per position of the arrays); returns ``self``.

        ``weights`` (default 1 per event) can say how much an event tells about
        taste, e.g. 1 for a view and 5 for a purchase, or the rating given.
        """
        users, codes, days_, w = self._events(user_ids, categories, days, weights)
        if len(users) == 0:
            return self
        rows = self._rows(users, grow=True)
        touched = np.unique(rows)
        # bring every touched user to a common reference day, then add the events there
        ref = max(float(days_.max()), float(np.max(self.last_day_[touched])))
        old = self.last_day_[touched]
        factor = np.where(
            np.isfinite(old),
            decay_factor(ref - np.where(np.isfinite(old), old, ref), self.half_life),
            0.0,
        )
        self.counts_[touched] *= factor[:, None]
        np.add.at(self.counts_, (rows, codes), w * decay_factor(ref - days_, self.half_life))
        self.last_day_[touched] = ref
        return self

    def counts(self, user_ids: ArrayLike, day: float) -> np.ndarray:
        """Decayed counts as of ``day``, shape (n_users, n_categories); zeros for unknown users."""
        where = "CategoryPreferenceTracker.counts"
        users = np.asarray(user_ids).ravel().tolist()
        day = check_number(day, "day", where)
        rows = self._rows(users, grow=False)
        out = np.zeros((len(users), self.n_categories))
        known = rows >= 0
        if np.any(self.last_day_[rows[known]] > day):
            raise argument_error(
                where,
                "day",
                day,
                "no earlier than the last update of the users asked about "
                f"(day {np.max(self.last_day_[rows[known]]):g})",
                "ask about today or later, the tracker cannot forget events it has already added",
            )
        out[known] = (
            self.counts_[rows[known]]
            * decay_factor(day - self.last_day_[rows[known]], self.half_life)[:, None]
        )
        return out

    def shares(self, user_ids: ArrayLike, day: float) -> np.ndarray:
        """Estimated share of each category, ``(n_c + prior/K) / (sum n + prior)``."""
        n = self.counts(user_ids, day)
        k = self.n_categories
        total = n.sum(axis=1, keepdims=True) + self.prior
        uniform = np.full_like(n, 1.0 / k)
        with np.errstate(invalid="ignore", divide="ignore"):
            p = (n + self.prior / k) / total
        return np.where(total > 0, p, uniform)

    def preferences(self, user_ids: ArrayLike, day: float, temperature: float = 1.0) -> np.ndarray:
        """``softmax(log(shares) / temperature)``: temperature 1 returns the shares,
        below 1 sharpens them (exploit), above 1 flattens them (explore)."""
        p = self.shares(user_ids, day)
        with np.errstate(divide="ignore"):
            return softmax(np.log(p), axis=1, temperature=temperature)
