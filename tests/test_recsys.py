"""Unit tests for course_lib.recsys (chapter 11) and the ranking metrics of course_lib.evaluation."""

from __future__ import annotations

import math

import numpy as np
import pytest

import course_lib.recsys as recsys
from course_lib import evaluation
from course_lib.core.roles import BanditPolicy
from course_lib.data import CATEGORIES, simulate
from course_lib.foundations.activations import softmax


# ---------------------------------------------------------------- softmax (one definition)
def test_recsys_uses_the_one_softmax():
    from course_lib.recsys import bandits, preferences, shop_truth

    assert preferences.softmax is softmax and bandits.softmax is softmax
    assert shop_truth.softmax is softmax
    assert "softmax" not in recsys.__all__


# ---------------------------------------------------------------- tracker
def test_decay_factor_hand_values():
    assert np.allclose(recsys.decay_factor([0, 3, 6, 9], half_life=3), [1, 0.5, 0.25, 0.125])
    with pytest.raises(ValueError, match="half_life"):
        recsys.decay_factor([1.0], half_life=-2)


def test_tracker_decay_math_matches_hand_computation():
    t = recsys.CategoryPreferenceTracker(["a", "b", "c"], half_life=10.0, prior=0.0)
    t.update([1], ["a"], days=[0])
    t.update([1, 1], ["b", "a"], days=[5, 10], weights=[2.0, 1.0])
    # a: 1 * 0.5**(20/10) + 1 * 0.5**(10/10) = 0.25 + 0.5;  b: 2 * 0.5**(15/10)
    got = t.counts([1], day=20)[0]
    assert np.allclose(got, [0.75, 2 * 0.5**1.5, 0.0])
    assert np.allclose(t.shares([1], 20)[0], got / got.sum())


def test_tracker_order_independent_and_prior():
    events = [(1, "a", 0), (1, "b", 3), (2, "a", 4), (1, "a", 8)]
    t1 = recsys.CategoryPreferenceTracker(["a", "b"], half_life=5.0)
    for u, c, d in events:
        t1.update([u], [c], [d])
    t2 = recsys.CategoryPreferenceTracker(["a", "b"], half_life=5.0)
    u, c, d = zip(*events[::-1], strict=True)
    t2.update(list(u), list(c), list(d))
    assert np.allclose(t1.counts([1, 2], 9), t2.counts([1, 2], 9))
    # prior 1 over 2 categories: (n + 0.5) / (sum + 1); unknown users are uniform
    t3 = recsys.CategoryPreferenceTracker(["a", "b"], prior=1.0)
    t3.update([7], ["a"], [0])
    assert np.allclose(t3.shares([7, 99], 0), [[0.75, 0.25], [0.5, 0.5]])
    assert np.allclose(t3.preferences([7], 0, temperature=1.0), [[0.75, 0.25]])
    sharp = t3.preferences([7], 0, temperature=0.5)[0]
    assert np.allclose(sharp, np.array([0.75, 0.25]) ** 2 / np.sum(np.array([0.75, 0.25]) ** 2))


def test_tracker_all_time_counts_never_forget():
    t = recsys.CategoryPreferenceTracker(3, half_life=None)
    t.update([1, 1, 1], [0, 2, 2], [0, 50, 100])
    assert np.allclose(t.counts([1], 1000)[0], [1, 0, 2])


def test_tracker_bad_input():
    with pytest.raises(ValueError, match="distinct"):
        recsys.CategoryPreferenceTracker(["a", "a"])
    with pytest.raises(ValueError, match="half_life"):
        recsys.CategoryPreferenceTracker(["a", "b"], half_life=0)
    t = recsys.CategoryPreferenceTracker(["a", "b"], half_life=3)
    with pytest.raises(ValueError, match="unknown category 'z'"):
        t.update([1], ["z"], [0])
    with pytest.raises(ValueError, match="same length"):
        t.update([1, 2], ["a"], [0, 1, 2])
    t.update([1], ["a"], [10])
    with pytest.raises(ValueError, match="earlier than the last update"):
        t.counts([1], day=5)


def test_tracker_follows_gradual_drift_better_than_all_time_counts():
    shop = simulate("gradual", seed=3, n_days=60, n_users=400, n_items=120)
    south = set(shop.users.index[shop.users["region"] == "south"])
    v = shop.views[shop.views["user_id"].isin(south)]
    trackers = {h: recsys.CategoryPreferenceTracker(CATEGORIES, half_life=h) for h in (None, 5)}
    err = {h: [] for h in trackers}
    for day, batch in v.groupby("day"):
        truth = recsys.shop_category_probs(shop, batch["user_id"].to_numpy(), day).mean(axis=0)
        for h, t in trackers.items():
            if day >= 30:
                err[h].append(np.abs(t.shares(["south"], day)[0] - truth).sum())
            t.update(np.full(len(batch), "south"), batch["category"].to_numpy(), day)
    assert np.mean(err[5]) < 0.7 * np.mean(err[None])


# ---------------------------------------------------------------- ranking
def test_top_k_ties_exclusion_and_padding():
    assert recsys.top_k([1.0, 3.0, 3.0, 2.0], 3).tolist() == [1, 2, 3]
    got = recsys.top_k([[1.0, 3.0, 2.0]], 3, exclude=[[False, True, False]])
    assert got.tolist() == [[2, 0, -1]]


def test_ranking_metrics_hand_cases():
    rec = [10, 20, 30, 40]
    rel = {20, 40, 50}
    assert evaluation.precision_at_k(rec, rel, 4) == 0.5
    assert evaluation.recall_at_k(rec, rel, 4) == pytest.approx(2 / 3)
    dcg = 1 / math.log2(3) + 1 / math.log2(5)
    idcg = 1 + 1 / math.log2(3) + 1 / math.log2(4)
    assert evaluation.ndcg_at_k(rec, rel, 4) == pytest.approx(dcg / idcg)
    assert evaluation.ndcg_at_k([1, 2], {1, 2}, 2) == pytest.approx(1.0)
    assert evaluation.ndcg_at_k([2, 1], {1}, 2) == pytest.approx(1 / math.log2(3))
    assert evaluation.precision_at_k([1], {1}, 2) == 0.5  # divides by k


def test_ranking_bad_input():
    with pytest.raises(ValueError, match="duplicates"):
        evaluation.precision_at_k([1, 1, 2], {1}, 3)
    with pytest.raises(ValueError, match=r"relevant must be non-empty \(NDCG is undefined"):
        evaluation.ndcg_at_k([1, 2], set(), 2)
    with pytest.raises(ValueError, match="k=0"):
        evaluation.recall_at_k([1, 2], {1}, 0)
    with pytest.raises(ValueError, match="one of each per user"):
        evaluation.ranking_scores([[1]], [{1}, {2}], 1)


def test_recommend_top_k_excludes_purchased_and_matches_truth():
    shop = simulate("stable", seed=1, n_days=20, n_users=60, n_items=40)
    users = shop.users.index[:5].to_numpy()
    items = shop.items.index.to_numpy()
    rec = recsys.recommend_top_k(
        shop.truth.expected_rating, users, items, 10, k=5, exclude={users[0]: set(items[:20])}
    )
    assert rec.shape == (5, 5)
    assert not set(rec[0]) & set(items[:20])
    scores = shop.truth.expected_rating(np.full(len(items), users[1]), items, 10)
    assert set(rec[1]) == set(items[np.argsort(-scores, kind="stable")[:5]])
    with pytest.raises(ValueError, match="one score per"):
        recsys.recommend_top_k(lambda u, i, d: np.zeros(3), users, items, 0, k=2)
    with pytest.raises(TypeError, match="callable"):
        recsys.recommend_top_k("truth", users, items, 0, k=2)


# ---------------------------------------------------------------- bandits
@pytest.mark.parametrize(
    "make",
    [
        lambda: recsys.EpsilonGreedy(3),
        lambda: recsys.SoftmaxBandit(3),
        lambda: recsys.UCB1(3),
        lambda: recsys.ThompsonSampling(3),
    ],
    ids=["eps", "softmax", "ucb1", "thompson"],
)
def test_every_bandit_plays_the_bandit_policy_role(make):
    agent = make()
    assert isinstance(agent, BanditPolicy)
    arm = agent.select()
    assert type(arm) is int and 0 <= arm < 3
    assert agent.update(arm, 1.0) is agent
    assert agent.update(np.int64(arm), 0.0) is agent  # numpy ints are arms too


def test_value_update_rules():
    avg = recsys.EpsilonGreedy(2, seed=0)
    const = recsys.EpsilonGreedy(2, step_size=0.5, seed=0)
    for r in (1.0, 0.0, 1.0):
        avg.update(0, r)
        const.update(0, r)
    assert avg.values_[0] == pytest.approx(2 / 3)
    assert const.values_[0] == pytest.approx(((0 + 0.5) * 0.5) * 0.5 + 0.5)


def test_bandits_beat_random_and_are_deterministic():
    probs = np.tile([0.05, 0.1, 0.3, 0.1], (3000, 1))
    rand = recsys.run_bandit(recsys.EpsilonGreedy(4, epsilon=1.0, seed=0), probs, seed=1)
    eps = recsys.run_bandit(recsys.EpsilonGreedy(4, epsilon=0.1, seed=0), probs, seed=1)
    soft = recsys.run_bandit(
        recsys.SoftmaxBandit(4, temperature=0.03, step_size=0.05, seed=0), probs, seed=1
    )
    assert eps["regret"].sum() < 0.4 * rand["regret"].sum()
    assert soft["regret"].sum() < 0.4 * rand["regret"].sum()
    again = recsys.run_bandit(recsys.EpsilonGreedy(4, epsilon=0.1, seed=0), probs, seed=1)
    assert np.array_equal(eps["actions"], again["actions"])


def test_constant_step_tracks_a_change_sample_average_does_not():
    probs = np.vstack([np.tile([0.6, 0.3], (3000, 1)), np.tile([0.1, 0.3], (3000, 1))])
    avg = recsys.run_bandit(recsys.EpsilonGreedy(2, epsilon=0.1, seed=0), probs, seed=2)
    const = recsys.run_bandit(
        recsys.EpsilonGreedy(2, epsilon=0.1, step_size=0.05, seed=0), probs, seed=2
    )
    assert const["regret"][3000:].sum() < 0.3 * avg["regret"][3000:].sum()


def test_bandit_bad_input():
    with pytest.raises(ValueError, match="epsilon"):
        recsys.EpsilonGreedy(3, epsilon=1.5)
    with pytest.raises(ValueError, match="step_size"):
        recsys.SoftmaxBandit(3, step_size=0.0)
    with pytest.raises(ValueError, match="n_arms"):
        recsys.EpsilonGreedy(1)
    with pytest.raises(ValueError, match="seed"):
        recsys.EpsilonGreedy(2, seed=-1)
    with pytest.raises(ValueError, match="arm=5"):
        recsys.EpsilonGreedy(2).update(5, 1.0)
    with pytest.raises(ValueError, match=r"shape \(n_steps, 2\)"):
        recsys.run_bandit(recsys.EpsilonGreedy(2), np.zeros((4, 3)))


def test_ucb1_bonus_formula_and_first_plays():
    agent = recsys.UCB1(3, c=0.7, seed=0)
    assert np.all(np.isinf(agent.upper_bounds()))  # unplayed arms first
    for _ in range(3):
        agent.update(agent.select(), 0.5)
    assert agent.counts_.tolist() == [1, 1, 1]  # each arm once, then the bonus
    for arm, r in [(0, 1.0), (0, 0.0), (2, 1.0)]:
        agent.update(arm, r)
    n = np.array([3.0, 1.0, 2.0])
    means = np.array([(0.5 + 1.0 + 0.0) / 3, 0.5, (0.5 + 1.0) / 2])
    expected = means + 0.7 * np.sqrt(np.log(n.sum()) / n)
    assert np.allclose(agent.values_, means)
    assert np.allclose(agent.upper_bounds(), expected)
    assert agent.select() == int(np.argmax(expected))
    assert agent.select(greedy=True) == int(np.argmax(means))


def test_ucb1_discount_forgets_and_regrows_the_bonus():
    agent = recsys.UCB1(2, c=1.0, discount=0.9, seed=0)
    agent.update(0, 1.0).update(1, 0.0)
    bonus_before = agent.upper_bounds()[0] - agent.values_[0]
    for _ in range(20):
        agent.update(1, 0.0)  # arm 0 is left alone
    assert agent.weights_[0] == pytest.approx(0.9**21)
    assert agent.values_[0] == pytest.approx(1.0)  # its mean is kept
    assert agent.upper_bounds()[0] - agent.values_[0] > 3 * bonus_before


def test_thompson_posterior_update():
    agent = recsys.ThompsonSampling(3, prior=(2.0, 5.0), seed=0)
    for arm, r in [(0, 1.0), (0, 0.0), (0, 1.0), (2, 0.0)]:
        agent.update(arm, r)
    assert agent.alpha_.tolist() == [4.0, 2.0, 2.0]
    assert agent.beta_.tolist() == [6.0, 5.0, 6.0]
    assert np.allclose(agent.values_, agent.alpha_ / (agent.alpha_ + agent.beta_))
    # the choice is the argmax of one draw per arm from the agent's own generator
    draw = np.random.default_rng(0).beta(agent.alpha_, agent.beta_)
    assert agent.select() == int(np.argmax(draw))
    discounted = recsys.ThompsonSampling(2, discount=0.5, seed=0)
    discounted.update(0, 1.0).update(1, 0.0).update(1, 1.0)
    assert np.allclose(discounted.alpha_, [1 + 0.25, 1 + 1.0])
    assert np.allclose(discounted.beta_, [1.0, 1 + 0.5])


@pytest.mark.parametrize(
    "make",
    [
        lambda s: recsys.UCB1(4, c=0.5, seed=s),
        lambda s: recsys.ThompsonSampling(4, seed=s),
        lambda s: recsys.UCB1(4, c=0.3, discount=0.999, seed=s),
        lambda s: recsys.ThompsonSampling(4, discount=0.999, seed=s),
    ],
    ids=["ucb1", "thompson", "ucb1 discounted", "thompson discounted"],
)
def test_ucb1_and_thompson_reach_low_regret_and_are_deterministic(make):
    probs = np.tile([0.05, 0.1, 0.3, 0.1], (3000, 1))
    rand = recsys.run_bandit(recsys.EpsilonGreedy(4, epsilon=1.0, seed=0), probs, seed=1)
    out = recsys.run_bandit(make(0), probs, seed=1)
    assert out["regret"].sum() < 0.15 * rand["regret"].sum()
    assert np.mean(out["actions"][-1000:] == 2) > 0.9  # settled on the best arm
    again = recsys.run_bandit(make(0), probs, seed=1)
    assert np.array_equal(out["actions"], again["actions"])


def test_ucb1_and_thompson_bad_input():
    with pytest.raises(ValueError, match="discount"):
        recsys.UCB1(3, discount=1.5)
    with pytest.raises(ValueError, match="c="):
        recsys.UCB1(3, c=-1.0)
    with pytest.raises(ValueError, match="prior"):
        recsys.ThompsonSampling(3, prior=1.0)
    with pytest.raises(ValueError, match="prior"):
        recsys.ThompsonSampling(3, prior=(0.0, 1.0))
    with pytest.raises(ValueError, match="reward"):
        recsys.ThompsonSampling(3).update(0, 2.0)
    with pytest.raises(ValueError, match="arm=3"):
        recsys.UCB1(3).update(3, 1.0)


# ---------------------------------------------------------------- Q-learning
def _chain_mdp():
    """Deterministic 3-state chain: action 1 moves right, 0 stays; state 2 -> terminal pays 1."""
    R = np.zeros((3, 2))
    R[2, 1] = 1.0
    P = np.zeros((3, 2, 3))
    for s in range(3):
        P[s, 0, s] = 1.0
    P[0, 1, 1] = P[1, 1, 2] = 1.0  # from 2, action 1 ends the episode
    return R, P


def test_optimal_q_of_chain_is_known():
    R, P = _chain_mdp()
    q = recsys.optimal_q(R, P, discount=0.9)
    expected = np.array([[0.9 * 0.81, 0.81], [0.9 * 0.9, 0.9], [0.9, 1.0]])
    assert np.allclose(q, expected)
    v = recsys.policy_value(R, P, [1, 1, 1], 0.9)
    assert np.allclose(v, [0.81, 0.9, 1.0])


def test_q_learning_converges_to_optimal_q_on_deterministic_mdp():
    R, P = _chain_mdp()
    agent = recsys.QLearningAgent(3, 2, learning_rate=0.5, discount=0.9, epsilon=1.0, seed=0)
    for _ in range(3000):
        s = int(agent.rng.integers(3))
        a = agent.act(s)
        done = s == 2 and a == 1
        s2 = s if a == 0 else min(s + 1, 2)
        agent.update(s, a, R[s, a], s2, done)
    assert np.allclose(agent.q_, recsys.optimal_q(R, P, 0.9), atol=1e-6)
    assert agent.greedy_policy().tolist() == [1, 1, 1]


def test_q_update_terminal_handling():
    agent = recsys.QLearningAgent(2, 2, learning_rate=1.0, discount=0.5)
    agent.q_[1] = [10.0, 4.0]
    agent.update(0, 0, 1.0, 1, done=False)
    agent.update(0, 1, 1.0, 1, done=True)
    assert agent.q_[0].tolist() == [6.0, 1.0]


def test_session_env_model_matches_simulation():
    env = recsys.SessionEnv(
        np.array([[0.6, 0.2], [0.1, 0.5]]), segment_weights=[0.3, 0.7], repeat_penalty=0.5, seed=0
    )
    R, P = env.model()
    assert np.allclose(
        P.sum(axis=2) + R * env.leave_after_buy + (1 - R) * env.leave_after_miss, 1.0
    )
    policy = recsys.optimal_q(R, P, 1.0).argmax(axis=1)
    exact = recsys.policy_value(R, P, policy, 1.0, env.start_distribution())
    total = 0.0
    n = 20000
    for _ in range(n):
        s, done = env.reset(), False
        while not done:
            s, r, done = env.step(int(policy[s]))
            total += r
    assert total / n == pytest.approx(exact, rel=0.03)


def test_q_learning_in_session_env_beats_random():
    env = recsys.SessionEnv(np.array([[0.5, 0.1, 0.2]]), seed=1)
    R, P = env.model()
    start = env.start_distribution()
    agent = recsys.QLearningAgent(
        env.n_states, env.n_actions, learning_rate=0.05, discount=0.9, seed=1
    )
    recsys.run_q_learning(agent, env, 3000)
    v = recsys.policy_value(R, P, agent.greedy_policy(), 0.9, start)
    v_star = recsys.policy_value(R, P, recsys.optimal_q(R, P, 0.9).argmax(1), 0.9, start)
    v_rand = recsys.policy_value(R, P, np.full(R.shape, 1 / 3), 0.9, start)
    assert v > v_rand and v >= 0.95 * v_star


def test_q_learning_bad_input():
    with pytest.raises(ValueError, match="discount"):
        recsys.QLearningAgent(2, 2, discount=1.5)
    with pytest.raises(ValueError, match="learning_rate"):
        recsys.QLearningAgent(2, 2, learning_rate=0.0)
    agent = recsys.QLearningAgent(2, 2)
    with pytest.raises(ValueError, match="next_state=7"):
        agent.update(0, 0, 1.0, 7, False)
    with pytest.raises(ValueError, match="action=2"):
        agent.update(0, 2, 1.0, 1, False)
    env = recsys.SessionEnv(np.array([[0.5, 0.5]]))
    with pytest.raises(RuntimeError, match="reset"):
        env.step(0)
    with pytest.raises(ValueError, match="segment_weights"):
        recsys.SessionEnv(np.array([[0.5, 0.5]]), segment_weights=[0.5, 0.5])
    with pytest.raises(ValueError, match="agent is"):
        recsys.run_q_learning(recsys.QLearningAgent(2, 2), env, 1)
    with pytest.raises(
        ValueError, match=r"policy must be an array of one action in 0..1 per state \(3 states\)"
    ):
        recsys.policy_value(*_chain_mdp(), [1, 1], 0.9)


# ---------------------------------------------------------------- ShopSim truth helpers
def test_shop_helpers_shapes_and_sanity():
    shop = simulate("sudden", seed=2, n_days=30, n_users=200, n_items=80)
    p = recsys.shop_category_probs(shop, shop.users.index[:4], day=5)
    assert p.shape == (4, len(CATEGORIES)) and np.allclose(p.sum(axis=1), 1.0)
    tab = recsys.shop_purchase_table(
        shop, shop.users["region"], [5, 25], n_users=10, n_items=5, seed=0
    )
    assert tab.shape == (2, 4, len(CATEGORIES)) and np.all((tab > 0) & (tab < 1))
    fashion = CATEGORIES.index("fashion")
    assert np.all(tab[1, :, fashion] < tab[0, :, fashion])  # the sudden drop (day 17)
    with pytest.raises(KeyError, match="user_ids must be ids of users in this world, some are not"):
        recsys.shop_category_probs(shop, [10**9], 0)
