"""Tabular Q-learning on a small shopping-session MDP whose exact solution is known.

Explained in chapter 11 (``notebooks/11_preference_tracking.ipynb``, the
optional section "Q-learning, written so that it runs").  NumPy only.

:class:`QLearningAgent` adds a state and the future to the bandits of
:mod:`course_lib.recsys.bandits`.  :class:`SessionEnv` is a small
shopping-session MDP whose purchase probabilities come from ShopSim's ground
truth, and :func:`optimal_q` / :func:`policy_value` solve it exactly, so the
regret of a learned policy can be measured.  :func:`run_q_learning` plays
sessions.

>>> env = SessionEnv(np.array([[0.5, 0.2]]), seed=0)
>>> R, P = env.model()
>>> int(optimal_q(R, P, discount=0.9)[env.reset()].argmax())   # recommend the 0.5 category first
0
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from course_lib.core.validation import argument_error, check_array, check_int, check_number
from course_lib.core.validation import as_generator as _rng

__all__ = ["QLearningAgent", "SessionEnv", "optimal_q", "policy_value", "run_q_learning"]


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

    def __init__(
        self,
        n_states: int,
        n_actions: int,
        learning_rate: float = 0.1,
        discount: float = 0.9,
        epsilon: float = 0.1,
        initial_q: float = 0.0,
        seed: int | np.random.Generator = 0,
    ) -> None:
        owner = "QLearningAgent"
        self.n_states = check_int(n_states, "n_states", owner, minimum=1)
        self.n_actions = check_int(n_actions, "n_actions", owner, minimum=2)
        self.learning_rate = check_number(
            learning_rate, "learning_rate", owner, low=0, low_inclusive=False, high=1
        )
        self.discount = check_number(discount, "discount", owner, low=0, high=1)
        self.epsilon = check_number(epsilon, "epsilon", owner, low=0, high=1)
        self.initial_q = check_number(initial_q, "initial_q", owner)
        self.rng = _rng(seed, owner)
        self.q_ = np.full((self.n_states, self.n_actions), self.initial_q)
        self.n_updates_ = 0

    def _state(self, state: int, name: str = "state", where: str = "QLearningAgent.act") -> int:
        if type(state) is int and 0 <= state < self.n_states:  # the usual case, kept fast
            return state
        return check_int(state, name, where, minimum=0, maximum=self.n_states - 1)

    def act(self, state: int, greedy: bool = False) -> int:
        """Epsilon-greedy action in ``state`` (random tie-breaking)."""
        s = self._state(state)
        if not greedy and self.rng.random() < self.epsilon:
            return int(self.rng.integers(self.n_actions))
        row = self.q_[s]
        best = np.flatnonzero(row == row.max())
        return int(best[0] if best.size == 1 else self.rng.choice(best))

    def update(self, state: int, action: int, reward: float, next_state: int, done: bool) -> float:
        """One Q-learning step; returns the TD error ``target - Q[s, a]``."""
        where = "QLearningAgent.update"
        s = self._state(state, "state", where)
        s2 = self._state(next_state, "next_state", where)
        action = check_int(action, "action", where, minimum=0, maximum=self.n_actions - 1)
        r = check_number(reward, "reward", where)
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

    probs: np.ndarray

    def __init__(
        self,
        probs: ArrayLike,
        segment_weights: ArrayLike | None = None,
        repeat_penalty: float = 0.5,
        leave_after_buy: float = 0.2,
        leave_after_miss: float = 0.4,
        seed: int | np.random.Generator = 0,
    ) -> None:
        owner = "SessionEnv"
        self.set_probs(probs)
        g = self.probs.shape[0]
        w = (
            np.full(g, 1.0 / g)
            if segment_weights is None
            else check_array(segment_weights, "segment_weights", owner)
        )
        if w.shape != (g,) or np.any(w < 0) or not np.isclose(w.sum(), 1.0):
            raise argument_error(
                owner,
                "segment_weights",
                w,
                f"{g} non-negative numbers summing to 1, got {np.round(w, 3).tolist()}",
            )
        self.segment_weights = w
        self.repeat_penalty = check_number(repeat_penalty, "repeat_penalty", owner, low=0, high=1)
        self.leave_after_buy = check_number(
            leave_after_buy, "leave_after_buy", owner, low=0, high=1
        )
        self.leave_after_miss = check_number(
            leave_after_miss, "leave_after_miss", owner, low=0, low_inclusive=False, high=1
        )
        self.rng = _rng(seed, owner)
        self.state: int | None = None

    def set_probs(self, probs: ArrayLike) -> SessionEnv:
        """Replace the purchase probabilities (e.g. the next day's truth); returns ``self``."""
        where = "SessionEnv.set_probs"
        p = check_array(
            probs,
            "probs",
            where,
            ndim=2,
            fix="pass a (n_segments, n_categories) array of probabilities",
        )
        if p.shape[1] < 2 or np.any((p < 0) | (p > 1)):
            raise argument_error(
                where,
                "probs",
                p,
                "a (n_segments, n_categories) array of "
                "probabilities in [0, 1], with at least two categories",
            )
        if hasattr(self, "probs") and p.shape != self.probs.shape:
            raise argument_error(
                where,
                "probs",
                p,
                f"of the environment's shape {self.probs.shape}",
                "new probabilities must keep the shape",
            )
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

    def step(self, action: int) -> tuple[int, float, bool]:
        """Recommend ``action``; returns ``(next_state, reward, done)``."""
        if self.state is None:
            raise RuntimeError("SessionEnv.step: call reset() first (or after done=True).")
        if not (type(action) is int and 0 <= action < self.n_actions):
            action = check_int(
                action, "action", "SessionEnv.step", minimum=0, maximum=self.n_actions - 1
            )
        g = self.state // (self.n_actions + 1)
        bought = self.rng.random() < self._buy_prob(self.state, int(action))
        nxt = g * (self.n_actions + 1) + int(action) if bought else self.state
        done = self.rng.random() < (self.leave_after_buy if bought else self.leave_after_miss)
        self.state = None if done else nxt
        return nxt, float(bought), bool(done)

    def model(self) -> tuple[np.ndarray, np.ndarray]:
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


def _check_mdp(R: ArrayLike, P: ArrayLike, where: str) -> tuple[np.ndarray, np.ndarray]:
    """``R`` (S, A) and ``P`` (S, A, S) as float arrays, shapes checked."""
    R = check_array(R, "R", where, ndim=2, fix="pass the expected rewards R[s, a]")
    P = check_array(P, "P", where, ndim=3, fix="pass the transition probabilities P[s, a, s']")
    if P.shape != R.shape + (R.shape[0],):
        raise argument_error(
            where, "P", P, f"of shape (S, A, S) = {R.shape + (R.shape[0],)} to match R {R.shape}"
        )
    return R, P


def optimal_q(
    R: ArrayLike, P: ArrayLike, discount: float, tol: float = 1e-10, max_iter: int = 100_000
) -> np.ndarray:
    """Q* by value iteration: ``Q = R + discount * P @ max_a Q``.

    ``P[s, a, s']`` may sum to less than one over ``s'``: the missing mass is
    the probability of ending the episode (no future reward).

    >>> R = np.array([[0.0, 1.0], [2.0, 0.0]]); P = np.zeros((2, 2, 2))
    >>> P[0, 0, 1] = 1.0                       # action 0 in state 0 leads to state 1
    >>> optimal_q(R, P, discount=0.5)          # 0 + 0.5 * 2 = 1.0 vs 1.0 (then the end)
    array([[1., 1.],
           [2., 0.]])
    """
    R, P = _check_mdp(R, P, "optimal_q")
    g = check_number(discount, "discount", "optimal_q", low=0, high=1)
    max_iter = check_int(max_iter, "max_iter", "optimal_q", minimum=1)
    q = np.zeros_like(R)
    for _ in range(max_iter):
        new = R + g * P @ q.max(axis=1)
        if np.max(np.abs(new - q)) < tol:
            return new
        q = new
    raise RuntimeError(
        f"optimal_q: no convergence in {max_iter} iterations; with discount=1 "
        "every policy must end the episode with probability 1."
    )


def _policy_matrix(policy: ArrayLike, S: int, A: int) -> np.ndarray:
    """A policy as an (S, A) matrix of action probabilities."""
    where = "policy_value"
    pol = np.asarray(policy)
    if pol.shape == (S, A):  # a stochastic policy: probabilities per state
        pi = pol.astype(float)
        if np.any(pi < 0) or not np.allclose(pi.sum(axis=1), 1.0):
            raise argument_error(
                where,
                "policy",
                pol,
                "probabilities that sum to 1 in every "
                "state, as it is a (n_states, n_actions) matrix",
            )
        return pi
    if pol.shape != (S,) or pol.dtype.kind not in "iu" or np.any((pol < 0) | (pol >= A)):
        raise argument_error(
            where,
            "policy",
            pol,
            f"an array of one action in 0..{A - 1} per state ({S} states), or a ({S}, {A}) "
            f"matrix of probabilities, got shape {pol.shape}",
        )
    return np.eye(A)[pol]


def policy_value(
    R: ArrayLike, P: ArrayLike, policy: ArrayLike, discount: float, start: ArrayLike | None = None
) -> np.ndarray | float:
    """Exact value ``V(s)`` of a ``policy``, by solving ``V = R_pi + discount * P_pi V``.

    ``policy`` is one action per state, or an (S, A) matrix of action
    probabilities (e.g. ``np.full((S, A), 1 / A)`` for the random policy).  With ``start`` (a distribution over states) returns the expected value of
    an episode instead.

    >>> R = np.array([[0.0, 1.0], [2.0, 0.0]]); P = np.zeros((2, 2, 2)); P[0, 0, 1] = 1.0
    >>> policy_value(R, P, [0, 0], discount=0.5).tolist()
    [1.0, 2.0]
    """
    R, P = _check_mdp(R, P, "policy_value")
    g = check_number(discount, "discount", "policy_value", low=0, high=1)
    S, A = R.shape
    pi = _policy_matrix(policy, S, A)
    r_pi = np.sum(pi * R, axis=1)
    p_pi = np.einsum("sa,sat->st", pi, P)
    v = np.linalg.solve(np.eye(S) - g * p_pi, r_pi)
    if start is None:
        return v
    return float(check_array(start, "start", "policy_value", ndim=1) @ v)


def run_q_learning(agent: QLearningAgent, env: SessionEnv, n_sessions: int) -> np.ndarray:
    """Train ``agent`` for ``n_sessions`` sessions; returns the purchases of each session."""
    n = check_int(n_sessions, "n_sessions", "run_q_learning", minimum=1)
    if agent.n_states != env.n_states or agent.n_actions != env.n_actions:
        raise argument_error(
            "run_q_learning",
            "agent",
            agent,
            f"sized to match the environment's {env.n_states} states and "
            f"{env.n_actions} actions, agent is "
            f"{agent.n_states}x{agent.n_actions}",
            "create the agent from env.n_states and env.n_actions",
        )
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
