"""The four roles of the course, written down as ``typing.Protocol`` classes.

A *role* is what the rest of the library needs from an object, not where the
object comes from.  Any class with these methods plays the role, whether it is
one of ours or a student's:

* :class:`RatingEstimator` -- ``fit`` (from scratch), ``partial_fit`` (continue),
  ``predict``, ``clone`` (unfitted twin), ``copy`` (trained copy).  Played by
  ``GlobalMean``, ``BiasBaseline``, ``MatrixFactorization`` and the Keras ``RatingModel``.
* :class:`UpdateStrategy` -- ``name``, ``start(model, history)``, ``update(batch)``,
  ``predict``.  Played by ``Static``, ``FullRetrain``, ``SlidingWindow``, ``FineTune``,
  ``Replay``, ``EWC`` and ``WarmStartALS``.
* :class:`DriftDetector` -- ``update(x) -> self``, ``drift_detected``, ``reset()``.
  Played by ``PageHinkley``, ``DDM``, ``ADWIN`` and ``KSWIN``.
* :class:`BanditPolicy` -- ``select()``, ``update(arm, reward) -> self``.  Played by
  ``EpsilonGreedy``, ``SoftmaxBandit``, ``UCB1`` and ``ThompsonSampling``.

``fit`` and ``partial_fit`` mean what they mean in scikit-learn: ``fit`` forgets
everything and learns from the data it is given; ``partial_fit`` continues from
the current state (and starts from scratch if there is none).  Both return
``self``.  A model that trains iteratively takes its training settings as keywords
(``fit(ratings, epochs=3)``); the strategies pass a model only the settings its
method accepts, so a closed-form baseline works with every strategy.
``tests/test_roles.py`` checks every implementation against its role.

>>> import numpy as np
>>> class Mean:
...     def fit(self, ratings):
...         self.mean_ = float(np.mean(ratings["rating"]))
...         return self
...     def partial_fit(self, ratings):
...         return self.fit(ratings)
...     def predict(self, ratings):
...         return np.full(len(ratings), self.mean_)
...     def clone(self):
...         return Mean()
...     def copy(self):
...         twin = Mean()
...         twin.__dict__.update(self.__dict__)
...         return twin
>>> isinstance(Mean(), RatingEstimator)
True
>>> isinstance(object(), RatingEstimator)
False
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

__all__ = ["RatingEstimator", "UpdateStrategy", "DriftDetector", "BanditPolicy"]


@runtime_checkable
class RatingEstimator(Protocol):
    """Predicts the rating of ``(user_id, item_id)`` rows of a ratings frame."""

    def fit(self, ratings: pd.DataFrame) -> Any:
        """Forget what was learned and learn from ``ratings``; return ``self``."""
        ...

    def partial_fit(self, ratings: pd.DataFrame) -> Any:
        """Continue learning from ``ratings`` (from scratch if never fitted); return ``self``."""
        ...

    def predict(self, ratings: pd.DataFrame) -> np.ndarray:
        """One predicted rating per row of ``ratings``."""
        ...

    def clone(self) -> Any:
        """A new, unfitted estimator with the same settings."""
        ...

    def copy(self) -> Any:
        """An independent copy with everything learned so far (a candidate to train further)."""
        ...


@runtime_checkable
class UpdateStrategy(Protocol):
    """Decides how a deployed model learns from each new batch of a stream."""

    name: str

    def start(self, model: Any, history: pd.DataFrame) -> Any:
        """Take ``model`` and the data seen before the stream begins; return ``self``."""
        ...

    def update(self, batch: pd.DataFrame) -> Any:
        """Learn from ``batch`` (after it was used for testing); return ``self``."""
        ...

    def predict(self, ratings: pd.DataFrame) -> np.ndarray:
        """Predictions of the current model."""
        ...


@runtime_checkable
class DriftDetector(Protocol):
    """Watches a stream of numbers (errors, losses) and raises an alarm on a change."""

    @property
    def drift_detected(self) -> bool:
        """True right after the ``update`` that raised an alarm."""
        ...

    def update(self, x: float) -> Any:
        """Add one value; return ``self`` so ``detector.update(x).drift_detected`` reads well."""
        ...

    def reset(self) -> None:
        """Forget the stream seen so far."""
        ...


@runtime_checkable
class BanditPolicy(Protocol):
    """Chooses one of ``n_arms`` actions and learns from the reward it gets."""

    n_arms: int

    def select(self) -> int:
        """The arm to play next."""
        ...

    def update(self, arm: int, reward: float) -> Any:
        """Learn from the ``reward`` of playing ``arm``; return ``self``."""
        ...
