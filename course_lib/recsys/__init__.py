"""Recommendation on top of the models: preference tracking, ranking, bandits and Q-learning."""

from __future__ import annotations

from typing import TYPE_CHECKING

from course_lib.core.exports import lazy_exports

if TYPE_CHECKING:  # what a type checker and an IDE see; at run time names load lazily
    from .bandits import (CategoryPreferenceTracker, EpsilonGreedy, QLearningAgent, SessionEnv, SoftmaxBandit, ThompsonSampling, UCB1, decay_factor, ndcg_at_k, optimal_q, policy_value, precision_at_k, ranking_scores, recall_at_k, recommend_top_k, run_bandit, run_q_learning, shop_category_probs, shop_purchase_table, softmax, top_k)  # noqa: F401

_EXPORTS = {
    "CategoryPreferenceTracker": ".bandits",
    "EpsilonGreedy": ".bandits",
    "QLearningAgent": ".bandits",
    "SessionEnv": ".bandits",
    "SoftmaxBandit": ".bandits",
    "ThompsonSampling": ".bandits",
    "UCB1": ".bandits",
    "decay_factor": ".bandits",
    "ndcg_at_k": ".bandits",
    "optimal_q": ".bandits",
    "policy_value": ".bandits",
    "precision_at_k": ".bandits",
    "ranking_scores": ".bandits",
    "recall_at_k": ".bandits",
    "recommend_top_k": ".bandits",
    "run_bandit": ".bandits",
    "run_q_learning": ".bandits",
    "shop_category_probs": ".bandits",
    "shop_purchase_table": ".bandits",
    "softmax": ".bandits",
    "top_k": ".bandits",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
