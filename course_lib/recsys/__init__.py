"""Chapter 11: preference tracking, ranking, bandits and Q-learning."""

from __future__ import annotations

from typing import TYPE_CHECKING

from course_lib.core.exports import lazy_exports

if TYPE_CHECKING:  # what a type checker and an IDE see; at run time names load lazily
    from .bandits import UCB1, EpsilonGreedy, SoftmaxBandit, ThompsonSampling, run_bandit
    from .preferences import CategoryPreferenceTracker, decay_factor
    from .qlearning import QLearningAgent, SessionEnv, optimal_q, policy_value, run_q_learning
    from .recommend import recommend_top_k, top_k
    from .shop_truth import shop_category_probs, shop_purchase_table

_EXPORTS = {
    "UCB1": ".bandits",
    "EpsilonGreedy": ".bandits",
    "SoftmaxBandit": ".bandits",
    "ThompsonSampling": ".bandits",
    "run_bandit": ".bandits",
    "CategoryPreferenceTracker": ".preferences",
    "decay_factor": ".preferences",
    "QLearningAgent": ".qlearning",
    "SessionEnv": ".qlearning",
    "optimal_q": ".qlearning",
    "policy_value": ".qlearning",
    "run_q_learning": ".qlearning",
    "recommend_top_k": ".recommend",
    "top_k": ".recommend",
    "shop_category_probs": ".shop_truth",
    "shop_purchase_table": ".shop_truth",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
