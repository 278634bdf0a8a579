"""Tracking preferences, ranking items, and learning what to recommend by trial.

Explained in chapter 11 (``notebooks/11_preference_tracking.ipynb``).  NumPy
only (pandas only to read a ShopSim world in the two ``shop_*`` helpers).

Three ideas, each small:

* **Preference tracking with forgetting.**  :class:`CategoryPreferenceTracker`
  keeps, per user, exponentially *decayed* counts of the categories they
  interact with: an event ``t`` days old weighs ``0.5 ** (t / half_life)``.
  ``half_life=None`` keeps all-time counts (never forgets).
  :func:`softmax` (numerically stable, with a temperature) turns scores into a
  distribution over categories.
* **Top-k recommendation.**  :func:`recommend_top_k` ranks items with *any*
  scoring function ``score_fn(user_ids, item_ids, day)`` and skips items the
  user already bought; :func:`precision_at_k`, :func:`recall_at_k` and
  :func:`ndcg_at_k` score a list against the relevant items.
* **Learning by trial.**  :class:`EpsilonGreedy`, :class:`SoftmaxBandit`,
  :class:`UCB1` and :class:`ThompsonSampling` choose a category to recommend
  and learn from the reward (a purchase); they share ``select()`` and
  ``update(arm, reward)``, so :func:`run_bandit` plays any of them.
  :class:`QLearningAgent` adds a state and the future.  ``step_size=None``
  averages all rewards ever seen (``1/n``); a constant ``step_size`` (or, for
  UCB1 and Thompson sampling, a ``discount`` below 1) weighs recent rewards
  more and keeps tracking a world that changes.
  :class:`SessionEnv` is a small shopping-session MDP whose purchase
  probabilities come from ShopSim's ground truth, and :func:`optimal_q` /
  :func:`policy_value` solve it exactly, so regret can be measured.

Examples
--------
>>> tracker = CategoryPreferenceTracker(["books", "sports"], half_life=7.0)
>>> _ = tracker.update([1, 1], ["books", "sports"], days=[0, 7])
>>> np.round(tracker.counts([1], day=7), 3)      # the book is one half-life old
array([[0.5, 1. ]])
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

import numpy as np

from course_lib.core.validation import check_int, check_number, as_generator as _rng

__all__ = ["softmax", "decay_factor", "CategoryPreferenceTracker",
           "top_k", "recommend_top_k", "precision_at_k", "recall_at_k", "ndcg_at_k",
           "ranking_scores", "EpsilonGreedy", "SoftmaxBandit", "UCB1", "ThompsonSampling",
           "run_bandit",
           "QLearningAgent", "SessionEnv", "optimal_q", "policy_value", "run_q_learning",
           "shop_category_probs", "shop_purchase_table"]


# --------------------------------------------------------------------------- validation
# --------------------------------------------------------------------------- softmax, decay
def softmax(logits, temperature: float = 1.0, axis: int = -1) -> np.ndarray:
    """Numerically stable softmax of ``logits / temperature`` along ``axis``.

    ``exp`` of a large logit overflows to ``inf`` and ``inf / inf`` is NaN, so
    we subtract the maximum first: ``softmax(a) == softmax(a - max(a))``
    exactly, and the largest exponent is then ``exp(0) = 1``.  A small
    temperature sharpens the distribution towards the argmax, a large one
    flattens it towards uniform.

    Parameters
    ----------
    logits : array_like
        Scores, any shape.
    temperature : float, default 1.0
        Must be > 0.
    axis : int, default -1
        The axis that sums to one.

    Returns
    -------
    np.ndarray of the same shape.

    Examples
    --------
    >>> np.round(softmax([1000.0, 1001.0]), 4)   # the naive formula gives [nan, nan]
    array([0.2689, 0.7311])
    >>> np.round(softmax([1.0, 2.0], temperature=100.0), 3)
    array([0.498, 0.502])
    """
    t = check_number(temperature, "temperature", "softmax", low=0, low_inclusive=False)
    z = np.asarray(logits, dtype=float)
    if z.size == 0:
        raise ValueError("softmax: logits is empty; pass at least one score.")
    if np.any(np.isnan(z)):
        raise ValueError("softmax: logits contain NaN; fix the scores first.")
    with np.errstate(over="ignore"):          # -1e308 - 1e308 = -inf, whose exp is 0: fine
        z = z / t
        z = z - np.max(z, axis=axis, keepdims=True)
    e = np.exp(z)
    return e / np.sum(e, axis=axis, keepdims=True)


def decay_factor(elapsed, half_life: float | None) -> np.ndarray:
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
    h = check_number(half_life, "half_life", "decay_factor", low=0, low_inclusive=False)
    return np.power(0.5, elapsed / h)


# --------------------------------------------------------------------------- tracker
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

    def __init__(self, categories, half_life: float | None = None, prior: float = 1.0):
        owner = "CategoryPreferenceTracker"
        if isinstance(categories, (int, np.integer)) and not isinstance(categories, bool):
            names = list(range(check_int(categories, "categories", owner, minimum=2)))
        else:
            names = list(categories)
            if len(names) < 2 or len(set(names)) != len(names):
                raise ValueError(f"{owner}: categories={names!r}; pass at least two distinct "
                                 "category names, or their number as an int.")
        self.categories = names
        self.n_categories = len(names)
        self._code = {name: i for i, name in enumerate(names)}
        self.half_life = None if half_life is None else check_number(
            half_life, "half_life", owner, low=0, low_inclusive=False)
        self.prior = check_number(prior, "prior", owner, low=0)
        self.counts_ = np.zeros((0, self.n_categories))
        self.last_day_ = np.zeros(0)
        self.user_index_: dict = {}

    def _codes(self, categories) -> np.ndarray:
        cats = np.asarray(categories)
        if cats.dtype.kind in "iu":
            codes = cats.astype(int)
            if np.any((codes < 0) | (codes >= self.n_categories)):
                raise ValueError(f"update: category codes must be in 0..{self.n_categories - 1}, "
                                 f"got {sorted(set(codes.tolist()))[:5]}.")
            return codes
        try:
            return np.array([self._code[c] for c in cats.tolist()], dtype=int)
        except KeyError as err:
            raise ValueError(f"update: unknown category {err.args[0]!r}; the tracker knows "
                             f"{self.categories}.") from None

    def _rows(self, user_ids, *, grow: bool) -> np.ndarray:
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

    def update(self, user_ids, categories, days, weights=None) -> "CategoryPreferenceTracker":
        """Add events (one per position of the arrays); returns ``self``.

        ``weights`` (default 1 per event) can say how much an event tells about
        taste, e.g. 1 for a view and 5 for a purchase, or the rating given.
        """
        users = np.asarray(user_ids).ravel().tolist()
        codes = self._codes(np.asarray(categories).ravel())
        days = np.asarray(days, dtype=float).ravel()
        w = np.ones(1) if weights is None else np.asarray(weights, dtype=float).ravel()
        days = np.repeat(days, len(users)) if days.size == 1 else days
        w = np.repeat(w, len(users)) if w.size == 1 else w
        if not len(users) == len(codes) == len(days) == len(w):
            raise ValueError(f"update: user_ids, categories, days and weights must have the same "
                             f"length, got {len(users)}, {len(codes)}, {len(days)}, {len(w)}.")
        if len(users) == 0:
            return self
        if np.any(~np.isfinite(days)) or np.any(~np.isfinite(w)) or np.any(w < 0):
            raise ValueError("update: days must be finite and weights finite and >= 0.")
        rows = self._rows(users, grow=True)
        touched = np.unique(rows)
        # bring every touched user to a common reference day, then add the events there
        ref = max(float(days.max()), float(np.max(self.last_day_[touched])))
        old = self.last_day_[touched]
        factor = np.where(np.isfinite(old), decay_factor(ref - np.where(np.isfinite(old), old, ref),
                                                         self.half_life), 0.0)
        self.counts_[touched] *= factor[:, None]
        np.add.at(self.counts_, (rows, codes), w * decay_factor(ref - days, self.half_life))
        self.last_day_[touched] = ref
        return self

    def counts(self, user_ids, day) -> np.ndarray:
        """Decayed counts as of ``day``, shape (n_users, n_categories); zeros for unknown users."""
        users = np.asarray(user_ids).ravel().tolist()
        day = check_number(day, "day", "CategoryPreferenceTracker.counts")
        rows = self._rows(users, grow=False)
        out = np.zeros((len(users), self.n_categories))
        known = rows >= 0
        if np.any(self.last_day_[rows[known]] > day):
            raise ValueError(f"counts: day={day:g} is earlier than the last update of some users "
                             f"(day {np.max(self.last_day_[rows[known]]):g}); ask about today or "
                             "later, the tracker cannot forget events it has already added.")
        out[known] = self.counts_[rows[known]] * decay_factor(
            day - self.last_day_[rows[known]], self.half_life)[:, None]
        return out

    def shares(self, user_ids, day) -> np.ndarray:
        """Estimated share of each category, ``(n_c + prior/K) / (sum n + prior)``."""
        n = self.counts(user_ids, day)
        k = self.n_categories
        total = n.sum(axis=1, keepdims=True) + self.prior
        uniform = np.full_like(n, 1.0 / k)
        with np.errstate(invalid="ignore", divide="ignore"):
            p = (n + self.prior / k) / total
        return np.where(total > 0, p, uniform)

    def preferences(self, user_ids, day, temperature: float = 1.0) -> np.ndarray:
        """``softmax(log(shares) / temperature)``: temperature 1 returns the shares,
        below 1 sharpens them (exploit), above 1 flattens them (explore)."""
        p = self.shares(user_ids, day)
        with np.errstate(divide="ignore"):
            return softmax(np.log(p), temperature=temperature, axis=1)


# --------------------------------------------------------------------------- ranking
def top_k(scores, k: int, exclude=None) -> np.ndarray:
    """Positions of the ``k`` highest scores per row, best first (ties: lower position first).

    ``exclude`` is a boolean mask of the same shape; excluded positions are
    never returned.  If a row has fewer than ``k`` allowed positions, it is
    padded with ``-1``.

    >>> top_k(np.array([0.1, 0.9, 0.5, 0.9]), k=2)
    array([1, 3])
    >>> top_k(np.array([[3.0, 2.0, 1.0]]), k=2, exclude=np.array([[True, False, False]]))
    array([[1, 2]])
    """
    s = np.array(scores, dtype=float)
    k = check_int(k, "k", "top_k", minimum=1)
    one_d = s.ndim == 1
    s = np.atleast_2d(s)
    if s.ndim != 2:
        raise ValueError(f"top_k: scores must be 1-D or 2-D, got shape {np.shape(scores)}.")
    if np.any(np.isnan(s)):
        raise ValueError("top_k: scores contain NaN; a ranking needs comparable numbers.")
    allowed = np.ones(s.shape, dtype=bool)
    if exclude is not None:
        ex = np.atleast_2d(np.asarray(exclude, dtype=bool))
        if ex.shape != s.shape:
            raise ValueError(f"top_k: exclude has shape {np.shape(exclude)} but scores has shape "
                             f"{np.shape(scores)}; pass a boolean mask of the same shape.")
        allowed = ~ex
    order = np.argsort(np.where(allowed, -s, np.inf), axis=1, kind="stable")[:, :k]
    ok = np.take_along_axis(allowed, order, axis=1)
    out = np.where(ok, order, -1)
    if out.shape[1] < k:
        out = np.hstack([out, np.full((out.shape[0], k - out.shape[1]), -1)])
    return out[0] if one_d else out


def recommend_top_k(score_fn: Callable, user_ids, item_ids, day, k: int,
                    exclude: dict | None = None) -> np.ndarray:
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
    if not callable(score_fn):
        raise TypeError(f"recommend_top_k: score_fn must be callable, got "
                        f"{type(score_fn).__name__}.")
    users = np.asarray(user_ids).ravel()
    items = np.asarray(item_ids).ravel()
    if users.size == 0 or items.size == 0:
        raise ValueError("recommend_top_k: user_ids and item_ids must not be empty.")
    uu = np.repeat(users, items.size)
    ii = np.tile(items, users.size)
    scores = np.asarray(score_fn(uu, ii, day), dtype=float)
    if scores.shape != uu.shape:
        raise ValueError(f"recommend_top_k: score_fn returned shape {scores.shape}, expected "
                         f"{uu.shape} (one score per (user, item) pair).")
    scores = scores.reshape(users.size, items.size)
    mask = None
    if exclude:
        pos = {item: j for j, item in enumerate(items.tolist())}
        mask = np.zeros(scores.shape, dtype=bool)
        for r, u in enumerate(users.tolist()):
            for item in exclude.get(u, ()):
                j = pos.get(item)
                if j is not None:
                    mask[r, j] = True
    idx = top_k(scores, k, exclude=mask)
    return np.where(idx >= 0, items[np.maximum(idx, 0)], -1)


def _check_ranking(recommended, relevant, k, func):
    k = check_int(k, "k", func, minimum=1)
    rec = list(np.asarray(recommended).ravel().tolist())
    if isinstance(relevant, (str, bytes)) or not hasattr(relevant, "__iter__"):
        raise TypeError(f"{func}: relevant must be a collection of item ids (a set or list), got "
                        f"{type(relevant).__name__}.")
    rel = set(np.asarray(list(relevant)).ravel().tolist())
    top = [r for r in rec[:k]]
    if len(set(r for r in top if r != -1)) != len([r for r in top if r != -1]):
        raise ValueError(f"{func}: recommended contains duplicates in its first {k} items: "
                         f"{top}; a list recommends each item once.")
    return top, rel, k


def precision_at_k(recommended, relevant, k: int) -> float:
    """Share of the first ``k`` recommendations that are relevant (divides by ``k``).

    >>> precision_at_k([5, 3, 8, 1], relevant={3, 1, 9}, k=3)
    0.3333333333333333
    """
    top, rel, k = _check_ranking(recommended, relevant, k, "precision_at_k")
    return sum(1 for r in top if r in rel) / k


def recall_at_k(recommended, relevant, k: int) -> float:
    """Share of the relevant items found in the first ``k`` recommendations.

    >>> recall_at_k([5, 3, 8, 1], relevant={3, 1, 9}, k=4)
    0.6666666666666666
    """
    top, rel, k = _check_ranking(recommended, relevant, k, "recall_at_k")
    if not rel:
        raise ValueError("recall_at_k: relevant is empty, so recall is undefined; skip this user.")
    return sum(1 for r in top if r in rel) / len(rel)


def ndcg_at_k(recommended, relevant, k: int) -> float:
    """Normalised discounted cumulative gain with binary relevance.

    ``DCG = sum over hits at rank i (1-based) of 1 / log2(i + 1)``, divided by
    the DCG of the best possible list (all relevant items first), so a perfect
    list scores 1 and a hit at rank 1 counts more than one at rank 10.

    >>> round(ndcg_at_k([5, 3, 8], relevant={3}, k=3), 4)       # 1/log2(3)
    0.6309
    """
    top, rel, k = _check_ranking(recommended, relevant, k, "ndcg_at_k")
    if not rel:
        raise ValueError("ndcg_at_k: relevant is empty, so NDCG is undefined; skip this user.")
    dcg = sum(1.0 / math.log2(i + 2) for i, r in enumerate(top) if r in rel)
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(k, len(rel))))
    return dcg / ideal


def ranking_scores(recommended, relevant, k: int) -> dict:
    """Mean precision@k, recall@k and NDCG@k over users.

    ``recommended`` has one row per user; ``relevant`` one collection per user.

    >>> ranking_scores([[1, 2], [3, 4]], [{1}, {9}], k=2)
    {'precision': 0.25, 'recall': 0.5, 'ndcg': 0.5}
    """
    rec = list(recommended)
    rel = list(relevant)
    if len(rec) != len(rel) or not rec:
        raise ValueError(f"ranking_scores: got {len(rec)} recommendation lists and {len(rel)} "
                         "relevant sets; pass one of each per user (at least one user).")
    p = [precision_at_k(a, b, k) for a, b in zip(rec, rel)]
    r = [recall_at_k(a, b, k) for a, b in zip(rec, rel)]
    n = [ndcg_at_k(a, b, k) for a, b in zip(rec, rel)]
    return {"precision": float(np.mean(p)), "recall": float(np.mean(r)), "ndcg": float(np.mean(n))}


# --------------------------------------------------------------------------- bandits
class _ValueLearner:
    """Shared value estimates: ``Q[a] += step * (reward - Q[a])`` with step ``1/n`` or constant."""

    def __init__(self, n_arms: int, step_size: float | None, initial: float, seed, owner: str):
        self.n_arms = check_int(n_arms, "n_arms", owner, minimum=2)
        self.step_size = None if step_size is None else check_number(
            step_size, "step_size", owner, low=0, low_inclusive=False, high=1)
        self.initial = check_number(initial, "initial", owner)
        self.rng = _rng(seed, owner)
        self.values_ = np.full(self.n_arms, self.initial)
        self.counts_ = np.zeros(self.n_arms, dtype=int)

    def _arm(self, arm) -> int:
        if isinstance(arm, bool) or not isinstance(arm, (int, np.integer)) \
                or not 0 <= arm < self.n_arms:
            raise ValueError(f"update: arm={arm!r}; pass an int in 0..{self.n_arms - 1}.")
        return int(arm)

    def update(self, arm: int, reward: float):
        """Move the value of ``arm`` towards ``reward``; returns ``self``."""
        a = self._arm(arm)
        r = check_number(reward, "reward", "update")
        self.counts_[a] += 1
        step = 1.0 / self.counts_[a] if self.step_size is None else self.step_size
        self.values_[a] += step * (r - self.values_[a])
        return self


class EpsilonGreedy(_ValueLearner):
    """Recommend the best-looking arm, except with probability ``epsilon`` a random one.

    ``epsilon=1`` is the uniformly random policy.  Ties between equally good
    arms are broken at random (``np.argmax`` would always pick the first).

    >>> agent = EpsilonGreedy(3, epsilon=0.1, seed=0)
    >>> _ = agent.update(2, 1.0).update(1, 0.0)
    >>> agent.select(greedy=True), agent.values_.tolist()
    (2, [0.0, 0.0, 1.0])
    """

    def __init__(self, n_arms: int, epsilon: float = 0.1, step_size: float | None = None,
                 initial: float = 0.0, seed=0):
        super().__init__(n_arms, step_size, initial, seed, "EpsilonGreedy")
        self.epsilon = check_number(epsilon, "epsilon", "EpsilonGreedy", low=0, high=1)

    def select(self, greedy: bool = False) -> int:
        """The arm to play now."""
        if not greedy and self.rng.random() < self.epsilon:
            return int(self.rng.integers(self.n_arms))
        best = np.flatnonzero(self.values_ == self.values_.max())
        return int(best[0] if best.size == 1 else self.rng.choice(best))


class SoftmaxBandit(_ValueLearner):
    """Boltzmann exploration: play arm ``a`` with probability ``softmax(Q / temperature)[a]``.

    Unlike epsilon-greedy, a clearly bad arm is tried less often than a
    nearly-best one.  The temperature is in the units of the reward.

    >>> agent = SoftmaxBandit(2, temperature=0.05, seed=0)
    >>> _ = agent.update(0, 0.3)
    >>> np.round(agent.probabilities(), 3)
    array([0.998, 0.002])
    """

    def __init__(self, n_arms: int, temperature: float = 0.05, step_size: float | None = None,
                 initial: float = 0.0, seed=0):
        super().__init__(n_arms, step_size, initial, seed, "SoftmaxBandit")
        self.temperature = check_number(temperature, "temperature", "SoftmaxBandit", low=0,
                                        low_inclusive=False)

    def probabilities(self) -> np.ndarray:
        """The current policy: one probability per arm."""
        return softmax(self.values_, temperature=self.temperature)

    def select(self, greedy: bool = False) -> int:
        """The arm to play now (``greedy=True``: the best-looking one)."""
        if greedy:
            return int(np.argmax(self.values_))
        z = self.values_ / self.temperature     # the stable softmax, inlined: this runs every step
        cdf = np.cumsum(np.exp(z - z.max()))     # inverse-CDF draw (rng.choice(p=) is slow)
        return min(int(np.searchsorted(cdf, self.rng.random() * cdf[-1], side="right")),
                   self.n_arms - 1)


class _DecayedCounts:
    """Per-arm statistics that may forget: ``n_a`` (weight of the shows) and ``s_a`` (rewards).

    Every update first multiplies ``n`` and ``s`` of *all* arms by ``discount``,
    then adds ``1`` and ``reward`` to the arm played; ``discount=None`` (or 1)
    never forgets (plain counts). An arm left alone thus loses weight, so its
    uncertainty grows back and the policy checks it again: the memory is
    about ``1 / (1 - discount)`` recommendations.
    """

    def __init__(self, n_arms: int, discount: float | None, seed, owner: str):
        self.n_arms = check_int(n_arms, "n_arms", owner, minimum=2)
        self.discount = None if discount is None else check_number(
            discount, "discount", owner, low=0, low_inclusive=False, high=1,
            fix="use a number just below 1, e.g. 0.99 (a memory of about 100 plays)")
        self.rng = _rng(seed, owner)
        self.weights_ = np.zeros(self.n_arms)     # n_a: discounted number of shows
        self.sums_ = np.zeros(self.n_arms)        # s_a: discounted sum of rewards
        self.counts_ = np.zeros(self.n_arms, dtype=int)

    _arm = _ValueLearner._arm

    def update(self, arm: int, reward: float):
        """Record ``reward`` for ``arm`` (after discounting every arm's past); returns ``self``."""
        a = self._arm(arm)
        r = reward if type(reward) is float and 0.0 <= reward <= 1.0 else check_number(
            reward, "reward", "update", low=0, high=1,
            fix="rewards are purchases (0 or 1) or rates in [0, 1]")
        if self.discount is not None and self.discount < 1:
            self.weights_ *= self.discount
            self.sums_ *= self.discount
        self.weights_[a] += 1.0
        self.sums_[a] += r
        self.counts_[a] += 1
        return self


class UCB1(_DecayedCounts):
    """Optimism in the face of uncertainty: play the arm with the highest upper bound.

    Each arm is played once; then the policy plays

    .. math:: a_t = \\arg\\max_a \\; \\bar r_a + c \\sqrt{\\ln t / n_a},

    the mean reward of the arm plus a bonus that is large for arms tried
    rarely (small ``n_a``) and grows slowly with the total number of plays
    ``t`` (Auer, Cesa-Bianchi and Fischer, 2002; their UCB1 has
    ``c = sqrt(2)`` for rewards in [0, 1]). Smaller ``c`` explores less.
    With a ``discount`` below 1, ``t = sum_a n_a`` and every ``n_a`` forget old
    shows: an arm left alone sees its ``n_a`` shrink and its bonus grow, so the
    policy re-checks it in a world that changes (discounted UCB, Garivier and
    Moulines, 2011). The choice is deterministic except for ties.

    >>> agent = UCB1(2, c=1.0, seed=0)
    >>> _ = agent.update(0, 1.0).update(0, 0.0).update(1, 0.0)
    >>> np.round(agent.upper_bounds(), 3)       # 0.5 + sqrt(ln 3 / 2), 0 + sqrt(ln 3 / 1)
    array([1.241, 1.048])
    >>> agent.select()
    0
    """

    def __init__(self, n_arms: int, c: float = math.sqrt(2.0), discount: float | None = None,
                 seed=0):
        super().__init__(n_arms, discount, seed, "UCB1")
        self.c = check_number(c, "c", "UCB1", low=0)

    @property
    def values_(self) -> np.ndarray:
        """Mean (recency-weighted) reward per arm; 0 for an arm never played."""
        return np.divide(self.sums_, self.weights_, out=np.zeros(self.n_arms),
                         where=self.weights_ > 0)

    def upper_bounds(self) -> np.ndarray:
        """``values_ + c * sqrt(ln t / n_a)`` per arm (``inf`` for an arm never played)."""
        w = self.weights_
        log_t = math.log(max(float(w.sum()), 1.0))
        if w.all():                                   # the usual case, kept fast
            return self.sums_ / w + self.c * np.sqrt(log_t / w)
        played = w > 0
        bonus = self.c * np.sqrt(log_t / np.where(played, w, 1.0))
        return np.where(played, self.values_ + bonus, np.inf)

    def select(self, greedy: bool = False) -> int:
        """The arm to play now (``greedy=True``: the best mean, no bonus)."""
        score = self.values_ if greedy else self.upper_bounds()
        a = int(score.argmax())
        if (score == score[a]).sum() == 1:
            return a
        return int(self.rng.choice(np.flatnonzero(score == score[a])))


class ThompsonSampling(_DecayedCounts):
    """Beta-Bernoulli Thompson sampling: play each arm with the probability that it is the best.

    The purchase probability of arm ``a`` has the posterior
    ``Beta(a0 + s_a, b0 + n_a - s_a)`` (``s_a`` purchases in ``n_a`` shows,
    prior ``Beta(a0, b0)``). To choose, draw one value from every arm's
    posterior and play the largest: an arm is tried as often as it could
    plausibly be the best, so exploration fades by itself as the posteriors
    narrow (Thompson, 1933; Chapelle and Li, 2011). With a ``discount`` below 1
    old shows are forgotten: the posterior of an arm left alone widens back
    towards the prior, so the policy keeps exploring a changing world
    (discounted Thompson sampling, Raj and Kalyani, 2017).

    >>> agent = ThompsonSampling(2, prior=(1.0, 1.0), seed=0)
    >>> _ = agent.update(0, 1.0).update(0, 0.0).update(0, 1.0)
    >>> agent.alpha_.tolist(), agent.beta_.tolist()    # 2 purchases, 1 miss on arm 0
    ([3.0, 1.0], [2.0, 1.0])
    >>> np.round(agent.values_, 3)                     # posterior means
    array([0.6, 0.5])
    """

    def __init__(self, n_arms: int, prior=(1.0, 1.0), discount: float | None = None, seed=0):
        super().__init__(n_arms, discount, seed, "ThompsonSampling")
        if not isinstance(prior, (tuple, list)) or len(prior) != 2:
            raise ValueError(f"ThompsonSampling(prior={prior!r}): pass a pair (a0, b0) of the "
                             "Beta prior, e.g. (1.0, 1.0) for a uniform prior.")
        self.prior = tuple(check_number(p, name, "ThompsonSampling", low=0, low_inclusive=False)
                           for p, name in zip(prior, ("prior[0]", "prior[1]")))

    @property
    def alpha_(self) -> np.ndarray:
        """First Beta parameter per arm: ``a0`` + (decayed) purchases."""
        return self.prior[0] + self.sums_

    @property
    def beta_(self) -> np.ndarray:
        """Second Beta parameter per arm: ``b0`` + (decayed) misses."""
        return self.prior[1] + self.weights_ - self.sums_

    @property
    def values_(self) -> np.ndarray:
        """Posterior mean purchase probability per arm."""
        return self.alpha_ / (self.alpha_ + self.beta_)

    def select(self, greedy: bool = False) -> int:
        """The arm to play now: argmax of one posterior draw per arm (``greedy``: of the means)."""
        score = self.values_ if greedy else self.rng.beta(self.alpha_, self.beta_)
        return int(np.argmax(score))


def run_bandit(agent, probs, seed=0) -> dict:
    """Play ``agent`` for ``len(probs)`` steps; arm ``a`` at step ``t`` pays 1 w.p. ``probs[t, a]``.

    Returns ``{"actions", "rewards", "regret"}`` arrays of length ``n_steps``;
    ``regret[t] = max_a probs[t, a] - probs[t, action]`` is the expected
    purchases lost against the oracle that knows the truth (pseudo-regret, so
    luck does not blur the comparison).

    >>> probs = np.tile([0.1, 0.9], (500, 1))
    >>> out = run_bandit(EpsilonGreedy(2, epsilon=0.1, seed=1), probs, seed=2)
    >>> round(float(out["regret"].sum()), 1) < 0.8 * 250       # far better than random
    True
    """
    p = np.asarray(probs, dtype=float)
    if p.ndim != 2 or p.shape[1] != agent.n_arms:
        raise ValueError(f"run_bandit: probs must have shape (n_steps, {agent.n_arms}), got "
                         f"{p.shape}.")
    if np.any((p < 0) | (p > 1)):
        raise ValueError("run_bandit: probs are purchase probabilities and must lie in [0, 1].")
    rng = _rng(seed, "run_bandit")
    n = p.shape[0]
    actions = np.empty(n, dtype=int)
    rewards = np.empty(n)
    u = rng.random(n)
    for t in range(n):
        a = agent.select()
        r = float(u[t] < p[t, a])
        agent.update(a, r)
        actions[t], rewards[t] = a, r
    regret = p.max(axis=1) - p[np.arange(n), actions]
    return {"actions": actions, "rewards": rewards, "regret": regret}


# --------------------------------------------------------------------------- Q-learning
class QLearningAgent:
    """Tabular Q-learning with epsilon-greedy exploration (as in the source articles, made to run).

    The update after a step ``(s, a, r, s')`` is

        Q[s, a] += alpha * (r + gamma * max_a' Q[s', a'] - Q[s, a])

    and, when ``s'`` is terminal (the session ended), the target is just ``r``:
    there is no future to bootstrap from.

    Parameters
    ----------
    n_states, n_actions : int
    learning_rate : float, default 0.1
        ``alpha`` in (0, 1]; a constant keeps tracking a changing world.
    discount : float, default 0.9
        ``gamma`` in [0, 1].
    epsilon : float, default 0.1
        Exploration probability in [0, 1].
    initial_q : float, default 0.0
    seed : int or np.random.Generator, default 0

    Examples
    --------
    >>> agent = QLearningAgent(n_states=2, n_actions=2, learning_rate=0.5, discount=0.9)
    >>> agent.q_[1] = [2.0, 4.0]
    >>> round(agent.update(0, 1, reward=1.0, next_state=1, done=False), 3)   # TD error
    4.6
    >>> agent.q_[0].tolist()
    [0.0, 2.3]
    >>> _ = agent.update(0, 0, reward=1.0, next_state=1, done=True)          # no bootstrap
    >>> agent.q_[0].tolist()
    [0.5, 2.3]
    """

    def __init__(self, n_states: int, n_actions: int, learning_rate: float = 0.1,
                 discount: float = 0.9, epsilon: float = 0.1, initial_q: float = 0.0, seed=0):
        owner = "QLearningAgent"
        self.n_states = check_int(n_states, "n_states", owner, minimum=1)
        self.n_actions = check_int(n_actions, "n_actions", owner, minimum=2)
        self.learning_rate = check_number(learning_rate, "learning_rate", owner, low=0,
                                          low_inclusive=False, high=1)
        self.discount = check_number(discount, "discount", owner, low=0, high=1)
        self.epsilon = check_number(epsilon, "epsilon", owner, low=0, high=1)
        self.initial_q = check_number(initial_q, "initial_q", owner)
        self.rng = _rng(seed, owner)
        self.q_ = np.full((self.n_states, self.n_actions), self.initial_q)
        self.n_updates_ = 0

    def _state(self, state, name="state") -> int:
        if isinstance(state, bool) or not isinstance(state, (int, np.integer)) \
                or not 0 <= state < self.n_states:
            raise ValueError(f"QLearningAgent: {name}={state!r}; pass an int in "
                             f"0..{self.n_states - 1}.")
        return int(state)

    def act(self, state: int, greedy: bool = False) -> int:
        """Epsilon-greedy action in ``state`` (random tie-breaking)."""
        s = self._state(state)
        if not greedy and self.rng.random() < self.epsilon:
            return int(self.rng.integers(self.n_actions))
        row = self.q_[s]
        best = np.flatnonzero(row == row.max())
        return int(best[0] if best.size == 1 else self.rng.choice(best))

    def update(self, state: int, action: int, reward: float, next_state: int,
               done: bool) -> float:
        """One Q-learning step; returns the TD error ``target - Q[s, a]``."""
        s = self._state(state)
        s2 = self._state(next_state, "next_state")
        if isinstance(action, bool) or not isinstance(action, (int, np.integer)) \
                or not 0 <= action < self.n_actions:
            raise ValueError(f"QLearningAgent: action={action!r}; pass an int in "
                             f"0..{self.n_actions - 1}.")
        r = check_number(reward, "reward", "QLearningAgent.update")
        target = r if done else r + self.discount * float(np.max(self.q_[s2]))
        td = target - self.q_[s, action]
        self.q_[s, action] += self.learning_rate * td
        self.n_updates_ += 1
        return float(td)

    def greedy_policy(self) -> np.ndarray:
        """The action with the highest Q in every state, shape (n_states,)."""
        return np.argmax(self.q_, axis=1)


class SessionEnv:
    """A shopping session as a small MDP, with purchase probabilities from the truth.

    A user of segment ``g`` (drawn with probability ``segment_weights[g]``)
    opens the app.  Each step we recommend a category ``a``; they buy with
    probability ``probs[g, a]``, reduced by ``repeat_penalty`` if ``a`` is the
    category they bought last (who buys two sofas in a row?).  After a
    purchase they leave with probability ``leave_after_buy``, after a miss
    with probability ``leave_after_miss`` (the episode ends: terminal).

    State: ``g * (K + 1) + last`` where ``last`` is the category of the last
    purchase in the session or ``K`` (none yet).  Reward: 1 per purchase.

    >>> env = SessionEnv(np.array([[0.5, 0.2]]), seed=0)
    >>> env.n_states, env.n_actions, env.reset()
    (3, 2, 2)
    """

    def __init__(self, probs, segment_weights=None, repeat_penalty: float = 0.5,
                 leave_after_buy: float = 0.2, leave_after_miss: float = 0.4, seed=0):
        owner = "SessionEnv"
        self.set_probs(probs)
        g = self.probs.shape[0]
        w = np.full(g, 1.0 / g) if segment_weights is None else np.asarray(segment_weights, float)
        if w.shape != (g,) or np.any(w < 0) or not np.isclose(w.sum(), 1.0):
            raise ValueError(f"{owner}: segment_weights must be {g} non-negative numbers summing "
                             f"to 1, got {np.round(w, 3).tolist()}.")
        self.segment_weights = w
        self.repeat_penalty = check_number(repeat_penalty, "repeat_penalty", owner, low=0, high=1)
        self.leave_after_buy = check_number(leave_after_buy, "leave_after_buy", owner, low=0,
                                            high=1)
        self.leave_after_miss = check_number(leave_after_miss, "leave_after_miss", owner, low=0,
                                             low_inclusive=False, high=1)
        self.rng = _rng(seed, owner)
        self.state = None

    def set_probs(self, probs) -> "SessionEnv":
        """Replace the purchase probabilities (e.g. the next day's truth); returns ``self``."""
        p = np.asarray(probs, dtype=float)
        if p.ndim != 2 or p.shape[1] < 2 or np.any((p < 0) | (p > 1)):
            raise ValueError(f"SessionEnv: probs must be a (n_segments, n_categories) array of "
                             f"probabilities in [0, 1], got shape {p.shape}.")
        if hasattr(self, "probs") and p.shape != self.probs.shape:
            raise ValueError(f"SessionEnv.set_probs: shape {p.shape} differs from {self.probs.shape}.")
        self.probs = p
        self.n_segments, self.n_actions = p.shape
        self.n_states = self.n_segments * (self.n_actions + 1)
        return self

    def start_distribution(self) -> np.ndarray:
        """Probability of each start state (segment, no purchase yet)."""
        d = np.zeros(self.n_states)
        d[np.arange(self.n_segments) * (self.n_actions + 1) + self.n_actions] = self.segment_weights
        return d

    def reset(self) -> int:
        """Start a session; returns the start state."""
        g = int(self.rng.choice(self.n_segments, p=self.segment_weights))
        self.state = g * (self.n_actions + 1) + self.n_actions
        return self.state

    def _buy_prob(self, state: int, action: int) -> float:
        g, last = divmod(state, self.n_actions + 1)
        p = self.probs[g, action]
        return p * self.repeat_penalty if last == action else p

    def step(self, action: int):
        """Recommend ``action``; returns ``(next_state, reward, done)``."""
        if self.state is None:
            raise RuntimeError("SessionEnv.step: call reset() first (or after done=True).")
        if isinstance(action, bool) or not isinstance(action, (int, np.integer)) \
                or not 0 <= action < self.n_actions:
            raise ValueError(f"SessionEnv.step: action={action!r}; pass an int in "
                             f"0..{self.n_actions - 1}.")
        g = self.state // (self.n_actions + 1)
        bought = self.rng.random() < self._buy_prob(self.state, int(action))
        nxt = g * (self.n_actions + 1) + int(action) if bought else self.state
        done = self.rng.random() < (self.leave_after_buy if bought else self.leave_after_miss)
        self.state = None if done else nxt
        return nxt, float(bought), bool(done)

    def model(self):
        """Exact dynamics: ``R`` (S, A) expected rewards and ``P`` (S, A, S) probabilities
        of *continuing* in each next state (rows sum to 1 - P(session ends))."""
        S, A, K1 = self.n_states, self.n_actions, self.n_actions + 1
        R = np.zeros((S, A))
        P = np.zeros((S, A, S))
        for s in range(S):
            g = s // K1
            for a in range(A):
                p = self._buy_prob(s, a)
                R[s, a] = p
                P[s, a, g * K1 + a] += p * (1 - self.leave_after_buy)
                P[s, a, s] += (1 - p) * (1 - self.leave_after_miss)
        return R, P


def optimal_q(R, P, discount: float, tol: float = 1e-10, max_iter: int = 100_000) -> np.ndarray:
    """Q* by value iteration: ``Q = R + discount * P @ max_a Q``.

    ``P[s, a, s']`` may sum to less than one over ``s'``: the missing mass is
    the probability of ending the episode (no future reward).

    >>> R = np.array([[0.0, 1.0], [2.0, 0.0]]); P = np.zeros((2, 2, 2))
    >>> P[0, 0, 1] = 1.0                       # action 0 in state 0 leads to state 1
    >>> optimal_q(R, P, discount=0.5)          # 0 + 0.5 * 2 = 1.0 vs 1.0 (then the end)
    array([[1., 1.],
           [2., 0.]])
    """
    R = np.asarray(R, dtype=float)
    P = np.asarray(P, dtype=float)
    g = check_number(discount, "discount", "optimal_q", low=0, high=1)
    if R.ndim != 2 or P.shape != R.shape + (R.shape[0],):
        raise ValueError(f"optimal_q: R must be (S, A) and P (S, A, S); got {R.shape} and "
                         f"{P.shape}.")
    q = np.zeros_like(R)
    for _ in range(max_iter):
        new = R + g * P @ q.max(axis=1)
        if np.max(np.abs(new - q)) < tol:
            return new
        q = new
    raise RuntimeError(f"optimal_q: no convergence in {max_iter} iterations; with discount=1 "
                       "every policy must end the episode with probability 1.")


def policy_value(R, P, policy, discount: float, start=None):
    """Exact value ``V(s)`` of a ``policy``, by solving ``V = R_pi + discount * P_pi V``.

    ``policy`` is one action per state, or an (S, A) matrix of action
    probabilities (e.g. ``np.full((S, A), 1 / A)`` for the random policy).  With ``start`` (a distribution over states) returns the expected value of
    an episode instead.

    >>> R = np.array([[0.0, 1.0], [2.0, 0.0]]); P = np.zeros((2, 2, 2)); P[0, 0, 1] = 1.0
    >>> policy_value(R, P, [0, 0], discount=0.5).tolist()
    [1.0, 2.0]
    """
    R = np.asarray(R, dtype=float)
    P = np.asarray(P, dtype=float)
    g = check_number(discount, "discount", "policy_value", low=0, high=1)
    S, A = R.shape
    pol = np.asarray(policy)
    if pol.shape == (S, A):                      # a stochastic policy: probabilities per state
        pi = pol.astype(float)
        if np.any(pi < 0) or not np.allclose(pi.sum(axis=1), 1.0):
            raise ValueError("policy_value: a (n_states, n_actions) policy must hold "
                             "probabilities that sum to 1 in every state.")
    else:
        if pol.shape != (S,) or pol.dtype.kind not in "iu" or np.any((pol < 0) | (pol >= A)):
            raise ValueError(f"policy_value: policy must hold one action in 0..{A - 1} per "
                             f"state ({S} states), or a ({S}, {A}) matrix of probabilities; got "
                             f"shape {pol.shape}.")
        pi = np.eye(A)[pol]
    r_pi = np.sum(pi * R, axis=1)
    p_pi = np.einsum("sa,sat->st", pi, P)
    v = np.linalg.solve(np.eye(S) - g * p_pi, r_pi)
    return v if start is None else float(np.asarray(start, dtype=float) @ v)


def run_q_learning(agent: QLearningAgent, env: SessionEnv, n_sessions: int) -> np.ndarray:
    """Train ``agent`` for ``n_sessions`` sessions; returns the purchases of each session."""
    n = check_int(n_sessions, "n_sessions", "run_q_learning", minimum=1)
    if agent.n_states != env.n_states or agent.n_actions != env.n_actions:
        raise ValueError(f"run_q_learning: agent is {agent.n_states}x{agent.n_actions} but the "
                         f"environment has {env.n_states} states and {env.n_actions} actions.")
    returns = np.zeros(n)
    for i in range(n):
        s = env.reset()
        done = False
        while not done:
            a = agent.act(s)
            s2, r, done = env.step(a)
            agent.update(s, a, r, s2, done)
            returns[i] += r
            s = s2
    return returns


# --------------------------------------------------------------------------- ShopSim truth
def shop_category_probs(shop, user_ids, day) -> np.ndarray:
    """TRUE probability that each user's next view is in each category on ``day``.

    ShopSim picks the category of a view from ``softmax(log base share + log
    demand + 0.8 * (taste + expected drift))``; this recomputes it from the
    ground truth (``shop.truth``), to *score* trackers, never to train them.
    Columns follow ``course_lib.data.shop.CATEGORIES``.
    """
    from course_lib.data import shop as shop_module

    truth = shop.truth
    users = np.asarray(user_ids).ravel()
    pos = truth.users.index.get_indexer(users)
    if np.any(pos < 0):
        raise KeyError("shop_category_probs: some user_ids are not in this world.")
    d = int(np.clip(day, 0, shop.n_days - 1))
    cats = list(shop_module.CATEGORIES)
    taste = truth.users[[f"taste_{c}" for c in cats]].to_numpy()[pos]
    region = truth.users["region_idx"].to_numpy()[pos]
    tl = truth.timeline[truth.timeline["day"] == d]
    exp_appeal = tl.pivot(index="region", columns="category", values="expected_appeal")
    exp_appeal = exp_appeal.reindex(index=list(shop_module.REGIONS), columns=cats).to_numpy()
    demand = tl.groupby("category")["demand"].first().reindex(cats).to_numpy()
    logits = (np.log(shop_module.BASE_CATEGORY_SHARE) + np.log(demand)
              + 0.8 * (taste + exp_appeal[region]))
    return softmax(logits, axis=1)


def shop_purchase_table(shop, segment_of_user, days, n_users: int = 60, n_items: int = 25,
                        seed=0) -> np.ndarray:
    """TRUE mean purchase probability per (day, segment, category), shape (n_days, G, K).

    For each day, a sample of up to ``n_users`` signed-up users per segment is
    paired with up to ``n_items`` items on sale per category; the mean of
    ``shop.truth.purchase_prob`` over the pairs is the chance that "a user of
    this segment buys when shown this category".  (Drawing a user and then a
    purchase is the same as a coin with the mean probability, so a bandit over
    categories sees exactly these probabilities.)

    Parameters
    ----------
    segment_of_user : pandas.Series
        Segment label per user id (index: user_id), e.g. ``shop.users["region"]``.
    days : sequence of int
    """
    from course_lib.data import shop as shop_module

    rng = _rng(seed, "shop_purchase_table")
    cats = list(shop_module.CATEGORIES)
    seg = segment_of_user.dropna()
    labels = sorted(seg.unique().tolist())
    users, items = shop.users, shop.items
    out = np.zeros((len(days), len(labels), len(cats)))
    item_cat = items["category"].to_numpy()
    for t, day in enumerate(days):
        live = items["launch_day"].to_numpy() <= day
        chosen_items, item_c = [], []
        for c, name in enumerate(cats):
            cand = items.index.to_numpy()[live & (item_cat == name)]
            pick = cand if len(cand) <= n_items else rng.choice(cand, n_items, replace=False)
            chosen_items.append(pick)
            item_c.append(np.full(len(pick), c))
        it = np.concatenate(chosen_items)
        ic = np.concatenate(item_c)
        for g, label in enumerate(labels):
            pool = seg.index[(seg == label).to_numpy()]
            pool = pool[users.loc[pool, "signup_day"].to_numpy() <= day]
            if len(pool) == 0:
                raise ValueError(f"shop_purchase_table: no user of segment {label!r} has signed up "
                                 f"by day {day}.")
            us = pool if len(pool) <= n_users else rng.choice(pool, n_users, replace=False)
            uu, ii = np.meshgrid(us, it, indexing="ij")
            p = shop.truth.purchase_prob(uu.ravel(), ii.ravel(), day).reshape(uu.shape).mean(0)
            out[t, g] = np.bincount(ic, weights=p, minlength=len(cats)) / np.bincount(
                ic, minlength=len(cats))
    return out
