"""Self-checks for chapter 11, preference tracking (``solutions/11_preference_tracking.ipynb``).

>>> import numpy as np
>>> def stable_softmax(logits, temperature=1.0):
...     z = np.asarray(logits, dtype=float) / temperature
...     e = np.exp(z - z.max())
...     return e / e.sum()
>>> _ = check_11_1(stable_softmax)
Exercise 11.1 passed: stable_softmax gives the expected result on 5 cases.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from course_lib.checks._core import Case, CheckResult, run_cases
from course_lib.checks._core import allclose as _close
from course_lib.evaluation.ranking import ndcg_at_k as _ndcg_at_k
from course_lib.foundations.activations import softmax

__all__ = ["check_11_1", "check_11_2", "check_11_3", "check_11_4"]


def check_11_1(stable_softmax: Callable[..., Any]) -> CheckResult:
    """Exercise 11.1: softmax of ``logits / temperature`` that never overflows."""
    args = [
        (np.array([1.0, 2.0, 3.0]), 1.0),
        (np.array([1000.0, 1001.0, 1002.0]), 1.0),
        (np.array([0.5, -1.0, 2.0, 0.0]), 0.5),
        (np.array([-800.0, -801.0]), 4.0),
        (np.array([0.0, 900.0, -900.0]), 1.0),
    ]  # a wide spread: subtract the MAX
    cases = [Case(args=a, expected=softmax(a[0], temperature=a[1])) for a in args]

    def with_t(case: Case, t: float) -> np.ndarray:
        z = case.args[0] * t
        return np.exp(z - z.max()) / np.exp(z - z.max()).sum()

    hints = [
        (
            lambda got, c: np.any(np.isnan(np.asarray(got, dtype=float))),
            "NaN from exp overflow (exp(1000) = inf): subtract the maximum scaled logit (not the "
            "minimum) before np.exp, so that every exponent is <= 0.",
        ),
        (
            lambda got, c: _close(got, with_t(c, c.args[1])) and c.args[1] != 1.0,
            "the temperature must divide the logits (logits / temperature), not multiply them.",
        ),
        (
            lambda got, c: _close(got, with_t(c, 1.0)) and c.args[1] != 1.0,
            "the temperature is ignored: divide the logits by it.",
        ),
        (
            lambda got, c: not np.isclose(np.sum(got), 1.0),
            "the probabilities do not sum to 1: divide by the sum of the exponentials.",
        ),
    ]
    return run_cases("11.1", stable_softmax, cases, hints)


def _window(
    event_days: ArrayLike, event_categories: ArrayLike, day: float, window: float, n_categories: int
) -> np.ndarray:
    d = np.asarray(event_days, dtype=float)
    c = np.asarray(event_categories, dtype=int)
    keep = (d > day - window) & (d <= day)
    return np.bincount(c[keep], minlength=n_categories).astype(float)


def check_11_2(window_counts: Callable[..., Any]) -> CheckResult:
    """Exercise 11.2: a sliding-window profile, the other way to forget."""
    args = [
        (np.array([0.0, 3.0, 5.0, 9.0]), np.array([0, 1, 1, 2]), 9.0, 7.0, 3),
        (
            np.array([1.0, 2.0, 8.0, 10.0]),
            np.array([0, 0, 1, 1]),
            8.0,
            6.0,
            2,
        ),  # 2 = day - window, 10 later
        (np.array([4.0, 4.0, 4.0]), np.array([2, 2, 0]), 4.0, 1.0, 4),  # today only
        (np.array([0.0, 30.0, 59.0, 60.0]), np.array([1, 1, 0, 3]), 60.0, 30.0, 5),
    ]
    cases = [Case(args=a, expected=_window(*a)) for a in args]

    def variant(case: Case, how: str) -> np.ndarray:
        days, cats, day, window, k = case.args
        if how == "boundary":
            keep = (days >= day - window) & (days <= day)
        elif how == "future":
            keep = days > day - window
        else:  # all time
            keep = days <= day
        return np.bincount(cats[keep], minlength=k).astype(float)

    hints = [
        (
            lambda got, c: np.shape(got) != (c.args[4],),
            "return one count per category (length n_categories), zeros included: "
            "np.bincount(categories, minlength=n_categories).",
        ),
        (
            lambda got, c: _close(got, variant(c, "boundary")),
            "an event exactly `window` days old has left the window: keep "
            "day - window < event_day <= day (a window of 1 day keeps today only).",
        ),
        (
            lambda got, c: _close(got, variant(c, "future")),
            "events after `day` have not happened yet: keep only event_day <= day.",
        ),
        (
            lambda got, c: _close(got, variant(c, "all time")),
            "the window is ignored: events older than `window` days must be dropped.",
        ),
    ]
    return run_cases("11.2", window_counts, cases, hints)


def check_11_3(ndcg_at_k: Callable[..., Any]) -> CheckResult:
    """Exercise 11.3: NDCG@k with binary relevance."""
    args = [
        ([1, 2, 3, 4], {1, 2}, 4),
        ([5, 3, 8], {3}, 3),
        ([9, 8, 7, 6, 5], {7, 5, 1}, 5),
        ([4, 6, 2], {10, 11}, 3),
        ([3, 1, 4, 2], {3, 4, 5, 6, 7}, 2),
    ]
    cases = [Case(args=a, expected=_ndcg_at_k(*a)) for a in args]

    def dcg(rec: Sequence[int], rel: Collection[int], k: int, *, base: float = 2) -> float:
        return sum(1.0 / math.log(i + 2, base) for i, r in enumerate(rec[:k]) if r in rel)

    def ideal_over_k(case: Case) -> float:
        rec, rel, k = case.args
        return dcg(rec, rel, k) / sum(1.0 / math.log2(i + 2) for i in range(k))

    def ideal_over_rel(case: Case) -> float:
        rec, rel, k = case.args
        return dcg(rec, rel, k) / sum(1.0 / math.log2(i + 2) for i in range(len(rel)))

    hints = [
        (
            lambda got, c: not np.isfinite(float(got)),
            "division by log2(1) = 0: with 0-based positions i the discount is 1 / log2(i + 2).",
        ),
        (
            lambda got, c: _close(got, dcg(*c.args)),
            "this is the DCG: divide by the DCG of the ideal list (all relevant items first).",
        ),
        (
            lambda got, c: _close(got, ideal_over_k(c)),
            "the ideal list has only min(k, len(relevant)) hits: with fewer relevant items than k, "
            "a perfect list cannot fill all k places.",
        ),
        (
            lambda got, c: _close(got, ideal_over_rel(c)),
            "the ideal DCG counts at most k items: use min(k, len(relevant)).",
        ),
        (
            lambda got, c: _close(
                got,
                dcg(*c.args, base=math.e)
                / dcg(sorted(c.args[1]), c.args[1], c.args[2], base=math.e),
            ),
            "use log base 2 in the discount.",
        ),
    ]
    return run_cases("11.3", ndcg_at_k, cases, hints)


def _q_ref(
    q: ArrayLike, s: int, a: int, r: float, s2: int, done: bool, alpha: float, gamma: float
) -> np.ndarray:
    out = np.array(q, dtype=float)
    target = r if done else r + gamma * out[s2].max()
    out[s, a] += alpha * (target - out[s, a])
    return out


def check_11_4(q_update: Callable[..., Any]) -> CheckResult:
    """Exercise 11.4: one tabular Q-learning update, returning a new table."""
    rng = np.random.default_rng(1104)
    q3 = np.round(rng.normal(size=(3, 2)), 2)
    q4 = np.round(rng.normal(size=(4, 3)), 2)
    args = [
        (np.array([[0.0, 0.0], [2.0, 4.0]]), 0, 1, 1.0, 1, False, 0.5, 0.9),
        (np.array([[0.0, 0.0], [2.0, 4.0]]), 0, 0, 1.0, 1, True, 0.5, 0.9),  # terminal
        (q3, 2, 1, 0.0, 0, False, 0.1, 0.99),
        (q4, 1, 2, -1.0, 3, False, 1.0, 0.5),
        (q4, 3, 0, 2.0, 1, True, 0.3, 0.8),
    ]
    cases = [Case(args=a, expected=_q_ref(*a)) for a in args]

    def variant(case: Case, how: str) -> np.ndarray:
        q, s, a, r, s2, done, alpha, gamma = case.args
        out = np.array(q, dtype=float)
        if how == "ignore done":
            target = r + gamma * out[s2].max()
        elif how == "same action":
            target = r if done else r + gamma * out[s2, a]
        elif how == "current state":
            target = r if done else r + gamma * out[s].max()
        else:
            target = r if done else r + gamma * out[s2].max()
        if how == "no alpha":
            out[s, a] = target
        elif how == "replace":
            out[s, a] = alpha * target
        else:
            out[s, a] += alpha * (target - out[s, a])
        return out

    hints = [
        (
            lambda got, c: c.args[5] and _close(got, variant(c, "ignore done")),
            "when done is True the session has ended: the target is just the reward, with no "
            "gamma * max Q(s') term. A common mistake: a loop that never passes done=True, "
            "so the agent adds future value after the user has left.",
        ),
        (
            lambda got, c: _close(got, variant(c, "same action")),
            "the target uses the best next action, max over a' of Q[next_state, a'], not "
            "Q[next_state, action] (that would be SARSA with the wrong action).",
        ),
        (
            lambda got, c: _close(got, variant(c, "current state")),
            "bootstrap from next_state, not from state.",
        ),
        (
            lambda got, c: _close(got, variant(c, "replace")),
            "Q[s, a] must move towards the target: Q[s, a] += alpha * (target - Q[s, a]).",
        ),
        (
            lambda got, c: _close(got, variant(c, "no alpha")),
            "the learning rate is missing: step only alpha of the way to the target.",
        ),
    ]
    return run_cases("11.4", q_update, cases, hints)
