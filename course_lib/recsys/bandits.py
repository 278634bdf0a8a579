"""Bandits: learning what to recommend by trial, from purchases alone.

Explained in chapter 11 (``notebooks/11_preference_tracking.ipynb``, section
"Bandits").  NumPy only.

:class:`EpsilonGreedy`, :class:`SoftmaxBandit`, :class:`UCB1` and
:class:`ThompsonSampling` choose an arm (a category to recommend) and learn
from the reward (a purchase).  They all play the role
:class:`course_lib.core.roles.BanditPolicy` -- ``select() -> int`` and
``update(arm, reward) -> self`` -- so :func:`run_bandit` plays any of them.

Two ways to remember:

* epsilon-greedy and softmax move a value estimate towards each reward,
  ``Q[a] += step * (reward - Q[a])``; ``step_size=None`` averages all rewards
  ever seen (``1/n``), a constant step weighs recent rewards more and keeps
  tracking a world that changes;
* UCB1 and Thompson sampling keep (discounted) counts of shows and rewards;
  a ``discount`` below 1 forgets old shows.

>>> agent = EpsilonGreedy(2, epsilon=0.0, step_size=0.5, seed=0)
>>> _ = agent.update(1, 1.0).update(1, 0.0)       # 0 + 0.5 * (1 - 0), then 0.5 + 0.5 * (0 - 0.5)
>>> agent.values_.tolist(), agent.select()
([0.0, 0.25], 1)
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from course_lib.core.roles import BanditPolicy
from course_lib.core.validation import (
    argument_error,
    check_array,
    check_int,
    check_number,
    check_role,
)
from course_lib.core.validation import as_generator as _rng
from course_lib.foundations.activations import softmax

__all__ = ["EpsilonGreedy", "SoftmaxBandit", "UCB1", "ThompsonSampling", "run_bandit"]


class _Arms:
    """What every policy here shares: ``n_arms`` and the check of an arm."""

    n_arms: int

    def _arm(self, arm: int) -> int:
        if type(arm) is int and 0 <= arm < self.n_arms:  # the usual case, kept fast
            return arm
        return check_int(
            arm, "arm", f"{type(self).__name__}.update", minimum=0, maximum=self.n_arms - 1
        )


class _ValueLearner(_Arms):
    """Shared value estimates: ``Q[a] += step * (reward - Q[a])`` with step ``1/n`` or constant."""

    def __init__(
        self,
        n_arms: int,
        step_size: float | None,
        initial: float,
        seed: int | np.random.Generator,
        owner: str,
    ) -> None:
        self.n_arms = check_int(n_arms, "n_arms", owner, minimum=2)
        self.step_size = (
            None
            if step_size is None
            else check_number(step_size, "step_size", owner, low=0, low_inclusive=False, high=1)
        )
        self.initial = check_number(initial, "initial", owner)
        self.rng = _rng(seed, owner)
        self.values_ = np.full(self.n_arms, self.initial)
        self.counts_ = np.zeros(self.n_arms, dtype=int)

    def update(self, arm: int, reward: float) -> _ValueLearner:
        """Move the value of ``arm`` towards ``reward``; returns ``self``."""
        a = self._arm(arm)
        r = (
            reward
            if type(reward) is float and math.isfinite(reward)
            else check_number(reward, "reward", f"{type(self).__name__}.update")
        )
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

    def __init__(
        self,
        n_arms: int,
        epsilon: float = 0.1,
        step_size: float | None = None,
        initial: float = 0.0,
        seed: int | np.random.Generator = 0,
    ) -> None:
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

    def __init__(
        self,
        n_arms: int,
        temperature: float = 0.05,
        step_size: float | None = None,
        initial: float = 0.0,
        seed: int | np.random.Generator = 0,
    ) -> None:
        super().__init__(n_arms, step_size, initial, seed, "SoftmaxBandit")
        self.temperature = check_number(
            temperature, "temperature", "SoftmaxBandit", low=0, low_inclusive=False
        )

    def probabilities(self) -> np.ndarray:
        """The current policy: one probability per arm."""
        return softmax(self.values_, temperature=self.temperature)

    def select(self, greedy: bool = False) -> int:
        """The arm to play now (``greedy=True``: the best-looking one)."""
        if greedy:
            return int(np.argmax(self.values_))
        z = self.values_ / self.temperature  # the stable softmax, inlined: this runs every step
        cdf = np.cumsum(np.exp(z - z.max()))  # inverse-CDF draw (rng.choice(p=) is slow)
        return min(
            int(np.searchsorted(cdf, self.rng.random() * cdf[-1], side="right")), self.n_arms - 1
        )


class _DecayedCounts(_Arms):
    """Per-arm statistics that may forget: ``n_a`` (weight of the shows) and ``s_a`` (rewards).

    Every update first multiplies ``n`` and ``s`` of *all* arms by ``discount``,
    then adds ``1`` and ``reward`` to the arm played; ``discount=None`` (or 1)
    never forgets (plain counts). An arm left alone thus loses weight, so its
    uncertainty grows back and the policy checks it again: the memory is
    about ``1 / (1 - discount)`` recommendations.
    """

    def __init__(
        self, n_arms: int, discount: float | None, seed: int | np.random.Generator, owner: str
    ) -> None:
        self.n_arms = check_int(n_arms, "n_arms", owner, minimum=2)
        self.discount = (
            None
            if discount is None
            else check_number(
                discount,
                "discount",
                owner,
                low=0,
                low_inclusive=False,
                high=1,
                fix="use a number just below 1, e.g. 0.99 (a memory of about 100 plays)",
            )
        )
        self.rng = _rng(seed, owner)
        self.weights_ = np.zeros(self.n_arms)  # n_a: discounted number of shows
        self.sums_ = np.zeros(self.n_arms)  # s_a: discounted sum of rewards
        self.counts_ = np.zeros(self.n_arms, dtype=int)

    def update(self, arm: int, reward: float) -> _DecayedCounts:
        """Record ``reward`` for ``arm`` (after discounting every arm's past); returns ``self``."""
        a = self._arm(arm)
        r = (
            reward
            if type(reward) is float and 0.0 <= reward <= 1.0
            else check_number(
                reward,
                "reward",
                f"{type(self).__name__}.update",
                low=0,
                high=1,
                fix="rewards are purchases (0 or 1) or rates in [0, 1]",
            )
        )
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

    def __init__(
        self,
        n_arms: int,
        c: float = math.sqrt(2.0),
        discount: float | None = None,
        seed: int | np.random.Generator = 0,
    ) -> None:
        super().__init__(n_arms, discount, seed, "UCB1")
        self.c = check_number(c, "c", "UCB1", low=0)

    @property
    def values_(self) -> np.ndarray:
        """Mean (recency-weighted) reward per arm; 0 for an arm never played."""
        return np.divide(
            self.sums_, self.weights_, out=np.zeros(self.n_arms), where=self.weights_ > 0
        )

    def upper_bounds(self) -> np.ndarray:
        """``values_ + c * sqrt(ln t / n_a)`` per arm (``inf`` for an arm never played)."""
        w = self.weights_
        log_t = math.log(max(float(w.sum()), 1.0))
        if w.all():  # the usual case, kept fast
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

    def __init__(
        self,
        n_arms: int,
        prior: tuple[float, float] = (1.0, 1.0),
        discount: float | None = None,
        seed: int | np.random.Generator = 0,
    ) -> None:
        super().__init__(n_arms, discount, seed, "ThompsonSampling")
        if not isinstance(prior, (tuple, list)) or len(prior) != 2:
            raise argument_error(
                "ThompsonSampling",
                "prior",
                prior,
                "a pair (a0, b0) of the Beta prior",
                "use e.g. (1.0, 1.0) for a uniform prior",
            )
        self.prior = tuple(
            check_number(p, name, "ThompsonSampling", low=0, low_inclusive=False)
            for p, name in zip(prior, ("prior[0]", "prior[1]"), strict=True)
        )

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


def run_bandit(
    agent: BanditPolicy,
    probs: ArrayLike,
    seed: int | np.random.Generator = 0,
) -> dict[str, np.ndarray]:
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
    check_role(agent, BanditPolicy, "agent", "run_bandit", fix="pass e.g. UCB1(n_arms)")
    p = check_array(
        probs,
        "probs",
        "run_bandit",
        ndim=2,
        fix=f"pass shape (n_steps, {agent.n_arms}): one row of probabilities per step",
    )
    if p.shape[1] != agent.n_arms:
        raise argument_error(
            "run_bandit",
            "probs",
            p,
            f"of shape (n_steps, {agent.n_arms}), one column per arm of the agent",
        )
    if np.any((p < 0) | (p > 1)):
        raise argument_error("run_bandit", "probs", p, "purchase probabilities in [0, 1]")
    rng = _rng(seed, "run_bandit")
    n = int(p.shape[0])
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
