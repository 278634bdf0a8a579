"""Incremental-update strategies with one interface: retrain, fine-tune, window, replay, EWC.

Explained in chapter 09 (``notebooks/09_incremental_updates.ipynb``); reused by
the pipeline (chapter 10) and the benchmark (``python -m course_lib.tools.bench``).

Every strategy plays the role :class:`course_lib.core.roles.UpdateStrategy`: it
holds a model and follows the same three calls::

    strategy = Replay(buffer_size=5000, learning_rate=1e-3, seed=0)
    strategy.start(model, history)      # model already trained on `history`
    for batch in stream:
        y_pred = strategy.predict(batch)    # predict first ...
        strategy.update(batch)              # ... then learn (cost logged in strategy.costs_)

The model plays :class:`course_lib.core.roles.RatingEstimator`
(:class:`~course_lib.models.RatingModel`, :class:`~course_lib.models.MatrixFactorization`):
the strategies that keep learning call ``model.partial_fit(df, epochs=,
batch_size=, learning_rate=, clipnorm=)``, which continues from the current
weights (and grows the id encoders, so new users and items are handled by every
strategy); the ones that retrain call ``model.clone().fit(...)``, a fresh model
with the same settings.  ``start`` uses the model you pass (it does not copy
it): give each strategy its own copy.

=================  ===========================================================
Static             never update (the baseline that decays, chapter 08)
FullRetrain        a fresh model trained on all history (or the last
                   ``window_days``) at every update: the reference, and costly
SlidingWindow      FullRetrain on the last ``window_days`` days only
FineTune           continue training on the new batch only (cheap; forgets)
Replay             fine-tune on the batch plus a sample of a reservoir buffer
                   (:class:`~course_lib.continual.buffers.ReservoirBuffer`)
EWC                fine-tune with an elastic penalty toward the previous
                   weights, weighted by a diagonal Fisher estimate
                   (:mod:`course_lib.continual.ewc`)
WarmStartALS       a few ALS sweeps from the current factors over the users
                   and items of the batch only (``MatrixFactorization(solver="als")``
                   ``.partial_fit``): new ids are folded in in closed form; cost
                   grows with the batch
=================  ===========================================================
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from course_lib.continual.buffers import ReservoirBuffer
from course_lib.continual.ewc import ewc_penalty, ewc_regularizer, fisher_diagonal
from course_lib.core.roles import RatingEstimator
from course_lib.core.validation import (
    argument_error,
    as_generator,
    check_frame,
    check_int,
    check_number,
    check_role,
)

__all__ = [
    "UpdateCost",
    "Strategy",
    "Static",
    "FullRetrain",
    "SlidingWindow",
    "FineTune",
    "Replay",
    "EWC",
    "WarmStartALS",
    "canonical_order",
]


def canonical_order(df: pd.DataFrame) -> pd.DataFrame:
    """Rows sorted by (timestamp, user_id, item_id, rating): an order that does not depend
    on how the rows arrived, so a retrain on the same rows gives the same model.

    >>> df = pd.DataFrame({"timestamp": [2, 1, 1], "user_id": [0, 5, 3], "item_id": [1, 1, 1],
    ...                    "rating": [4.0, 2.0, 5.0]})
    >>> canonical_order(df)["user_id"].tolist()
    [3, 5, 0]
    """
    check_frame(df, "df", "canonical_order")
    keys = [c for c in ("timestamp", "user_id", "item_id", "rating") if c in df.columns]
    return df.sort_values(keys, kind="mergesort").reset_index(drop=True)


@dataclass
class UpdateCost:
    """What one update cost: wall-clock seconds and training examples processed."""

    seconds: float
    n_examples: int


def _positive_or_none(value: float | None, name: str, where: str, fix: str) -> float | None:
    return (
        None
        if value is None
        else check_number(value, name, where, low=0, low_inclusive=False, fix=fix)
    )


class Strategy:
    """Base class: ``start(model, history)``, ``predict(df)``, ``update(batch)``.

    Parameters
    ----------
    epochs, batch_size, learning_rate, clipnorm
        Passed to ``model.partial_fit`` (or ``fit``) at each update
        (``learning_rate=None``: the model's own).  Clipping the gradient norm
        keeps one unusual batch from throwing the weights far (the source
        articles' "gradient clipping").
    name : str, optional
        Label for tables and plots.
    """

    default_name = "strategy"

    def __init__(
        self,
        *,
        epochs: int = 1,
        batch_size: int = 256,
        learning_rate: float | None = None,
        clipnorm: float | None = None,
        name: str | None = None,
    ) -> None:
        owner = type(self).__name__
        self.epochs = check_int(epochs, "epochs", owner, minimum=1)
        self.batch_size = check_int(batch_size, "batch_size", owner, minimum=1)
        self.learning_rate = _positive_or_none(
            learning_rate, "learning_rate", owner, "or None (the model's own)"
        )
        self.clipnorm = _positive_or_none(clipnorm, "clipnorm", owner, "or None (no clipping)")
        self.name: str = name or self.default_name
        self.model_: Any = None
        self.costs_: list[UpdateCost] = []

    # public protocol -------------------------------------------------------------------------
    def start(self, model: Any, history: pd.DataFrame) -> Strategy:
        """Take ``model`` (already trained on ``history``) as the starting point; return self."""
        owner = type(self).__name__
        fix = "use RatingModel or MatrixFactorization"
        check_role(model, RatingEstimator, "model", f"{owner}.start", fix=fix)
        check_frame(
            history, "history", f"{owner}.start", fix="pass the DataFrame the model was trained on"
        )
        self.model_ = self._prepare(model)
        self.costs_ = []
        self._start(history)
        return self

    def predict(self, ratings: pd.DataFrame) -> np.ndarray:
        """The current model's predictions for ``ratings``."""
        self._require_started("predict")
        return self.model_.predict(ratings)

    def update(self, batch: pd.DataFrame) -> Strategy:
        """Learn from a new batch; log its cost in ``costs_``; return self."""
        self._require_started("update")
        check_frame(batch, "batch", f"{type(self).__name__}.update", columns=("rating",))
        t0 = time.perf_counter()
        n_examples = self._update(batch) if len(batch) else 0
        self.costs_.append(UpdateCost(time.perf_counter() - t0, int(n_examples)))
        return self

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"

    # helpers for subclasses ------------------------------------------------------------------
    def _require_started(self, what: str) -> None:
        if self.model_ is None:
            raise RuntimeError(f"{type(self).__name__}.{what}: call start(model, history) first.")

    def _prepare(self, model: Any) -> Any:
        """Set the model's gradient clipping once, so Keras does not retrace at every update."""
        if hasattr(model, "set_clipnorm"):
            model.set_clipnorm(self.clipnorm)
        return model

    def _train_kwargs(self, method: Any, epochs: int | None = None) -> dict[str, Any]:
        """The training settings ``method`` (a model's fit/partial_fit) accepts.

        A closed-form model (``GlobalMean``, ``BiasBaseline``) has no epochs or
        learning rate: it gets none of them, so every strategy works with every
        RatingEstimator.
        """
        wanted = {
            "epochs": self.epochs if epochs is None else epochs,
            "batch_size": self.batch_size,
            "learning_rate": self.learning_rate,
            "clipnorm": self.clipnorm,
        }
        params = inspect.signature(method).parameters
        if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
            return wanted
        return {k: v for k, v in wanted.items() if k in params}

    def _continue(self, df: pd.DataFrame, epochs: int | None = None) -> int:
        """Continue training the current model on ``df``; the examples processed."""
        kwargs = self._train_kwargs(self.model_.partial_fit, epochs)
        self.model_.partial_fit(df, **kwargs)
        return len(df) * kwargs.get("epochs", 1)

    def _start(self, history: pd.DataFrame) -> None:
        pass

    def _update(self, batch: pd.DataFrame) -> int:  # pragma: no cover - abstract
        raise NotImplementedError


class Static(Strategy):
    """Never update: the model trained once, kept as it is (the baseline that decays)."""

    default_name = "static"

    def _update(self, batch: pd.DataFrame) -> int:
        return 0


class FullRetrain(Strategy):
    """Retrain a fresh model (same hyper-parameters, new weights) on all history at each update.

    ``window_days=None`` keeps everything; an int keeps only the rows of the
    last ``window_days`` days (see :class:`SlidingWindow`).  Rows are put in
    :func:`canonical_order` before training, so the result does not depend on
    the order in which batches arrived.  ``epochs`` should match how the
    initial model was trained (default 5).
    """

    default_name = "full retrain"

    def __init__(self, *, window_days: int | None = None, epochs: int = 5, **kwargs: Any) -> None:
        super().__init__(epochs=epochs, **kwargs)
        if window_days is not None:
            window_days = check_int(window_days, "window_days", type(self).__name__, minimum=1)
        self.window_days = window_days

    def _start(self, history: pd.DataFrame) -> None:
        self.history_ = history.copy()

    def training_set(self) -> pd.DataFrame:
        """The rows the next retrain uses (all history, or the last ``window_days``)."""
        self._require_started("training_set")
        data = self.history_
        if self.window_days is not None and len(data):
            check_frame(
                data,
                "history",
                f"{type(self).__name__}(window_days={self.window_days})",
                columns=("day",),
                fix="window on data with a `day` column, or use window_days=None",
            )
            data = data[data["day"] > data["day"].max() - self.window_days]
        return canonical_order(data)

    def _update(self, batch: pd.DataFrame) -> int:
        self.history_ = pd.concat([self.history_, batch], ignore_index=True)
        data = self.training_set()
        fresh = self._prepare(self.model_.clone())
        kwargs = self._train_kwargs(fresh.fit)
        fresh.fit(data, **kwargs)
        self.model_ = fresh
        return len(data) * kwargs.get("epochs", 1)


class SlidingWindow(FullRetrain):
    """Retrain from scratch on the last ``window_days`` days only (forgets on purpose)."""

    default_name = "sliding window"

    def __init__(self, *, window_days: int = 28, **kwargs: Any) -> None:
        super().__init__(window_days=window_days, **kwargs)


class FineTune(Strategy):
    """Continue training the current model on the new batch only."""

    default_name = "fine-tune"

    def _update(self, batch: pd.DataFrame) -> int:
        return self._continue(batch)


class Replay(FineTune):
    """Fine-tune on the new batch mixed with a sample from a reservoir of past rows.

    Each update trains on the batch plus ``round(replay_ratio * len(batch))``
    rows drawn from a :class:`~course_lib.continual.buffers.ReservoirBuffer` of
    ``buffer_size`` rows (filled with the history at :meth:`start`), then offers
    the batch to the buffer.
    """

    default_name = "replay"

    def __init__(
        self,
        *,
        buffer_size: int = 5000,
        replay_ratio: float = 1.0,
        seed: int | np.random.Generator = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.replay_ratio = check_number(
            replay_ratio, "replay_ratio", "Replay", low=0, fix="1.0 = as many old rows as new ones"
        )
        self.buffer = ReservoirBuffer(buffer_size, seed=seed)

    def _start(self, history: pd.DataFrame) -> None:
        self.buffer.add(history)

    def _update(self, batch: pd.DataFrame) -> int:
        old = self.buffer.sample(int(round(self.replay_ratio * len(batch))))
        mixed = (
            pd.concat([batch.reset_index(drop=True), old[batch.columns]], ignore_index=True)
            if len(old)
            else batch
        )
        n = self._continue(mixed)
        self.buffer.add(batch)
        return n


class EWC(FineTune):
    r"""Fine-tune with Elastic Weight Consolidation (Kirkpatrick et al., 2017), online form.

    The training loss of each update becomes

    .. math::  \mathrm{MSE}(\text{batch}) + \frac{\lambda}{2}\sum_k F_k (w_k - w^*_k)^2

    where :math:`w^*` are the weights after the previous update and :math:`F`
    a diagonal Fisher estimate (:func:`~course_lib.continual.ewc.fisher_diagonal`)
    of the data learned so far, kept online as :math:`F \leftarrow \gamma F + F_{new}`
    (``decay`` = :math:`\gamma`; Schwarz et al., 2018).  The penalty is given to
    the model as one extra regularizer per weight array
    (``RatingModel.set_weight_penalties``), so ``partial_fit`` (and its gradient
    clipping) is unchanged; with ``lam=0`` no penalty is attached and EWC is
    exactly fine-tuning.  Note a cost that is easy to miss: the penalty gives
    *every* row of an embedding table a (dense) gradient, whereas the data
    alone only touch the rows of the batch's users and items, so each EWC step
    moves more numbers than a fine-tuning step.  Requires a Keras model
    (:class:`~course_lib.models.RatingModel`).
    """

    default_name = "EWC"

    def __init__(
        self,
        *,
        lam: float = 100.0,
        decay: float = 0.9,
        fisher_samples: int = 512,
        seed: int | np.random.Generator = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.lam = check_number(lam, "lam", "EWC", low=0, fix="0 = plain fine-tuning")
        self.decay = check_number(decay, "decay", "EWC", low=0, high=1)
        self.fisher_samples = check_int(fisher_samples, "fisher_samples", "EWC", minimum=1)
        self.rng = as_generator(seed, "EWC")
        self.fisher_: list[np.ndarray] | None = None
        self.anchor_: list[np.ndarray] | None = None
        self._slots: list[tuple[Any, Any]] | None = None
        self.regularizers_: list[Callable[[Any], Any]] = []  # one per trainable variable

    def _variables(self) -> list[Any]:
        return list(self.model_.trainable_variables)

    def _start(self, history: pd.DataFrame) -> None:
        if not hasattr(self.model_, "set_weight_penalties"):
            raise argument_error(
                "EWC.start",
                "model",
                self.model_,
                f"a Keras RatingModel, got {type(self.model_).__name__}",
                "EWC needs a Keras model; use FineTune or Replay for other models",
                exc=TypeError,
            )
        self._slots, self.regularizers_ = None, []
        self.fisher_ = fisher_diagonal(
            self.model_, history, n_samples=self.fisher_samples, seed=self.rng
        )
        self._install()

    def _install(self) -> None:
        """Attach (or refresh) the penalty on every trainable variable."""
        import keras

        assert self.fisher_ is not None
        self.anchor_ = [np.asarray(v.numpy(), dtype=np.float64) for v in self._variables()]
        if self.lam == 0:
            return  # no penalty at all: exactly fine-tuning (see the class docstring)
        if self._slots is None:
            self._slots = [
                (
                    keras.Variable(a.astype("float32"), trainable=False),
                    keras.Variable(f.astype("float32"), trainable=False),
                )
                for a, f in zip(self.anchor_, self.fisher_, strict=True)
            ]
            self.regularizers_ = [
                ewc_regularizer(anchor, fisher, self.lam) for anchor, fisher in self._slots
            ]
            self.model_.set_weight_penalties(self.regularizers_)
        else:
            for (anchor, fisher), a, f in zip(self._slots, self.anchor_, self.fisher_, strict=True):
                anchor.assign(a.astype("float32"))
                fisher.assign(f.astype("float32"))

    def penalty(self) -> float:
        """The current EWC penalty of the model's weights (NumPy, for checks)."""
        self._require_started("penalty")
        assert self.anchor_ is not None and self.fisher_ is not None
        weights = [v.numpy() for v in self._variables()]
        return ewc_penalty(weights, self.anchor_, self.fisher_, self.lam)

    def _update(self, batch: pd.DataFrame) -> int:
        assert self.fisher_ is not None
        n = self._continue(batch)
        new = fisher_diagonal(self.model_, batch, n_samples=self.fisher_samples, seed=self.rng)
        self.fisher_ = [self.decay * f + g for f, g in zip(self.fisher_, new, strict=True)]
        self._install()
        return n


class WarmStartALS(Strategy):
    """Warm-started ALS: re-solve only the users and items of each batch, from all their ratings.

    The model is a ``MatrixFactorization(solver="als")`` (or anything whose
    ``partial_fit(batch, epochs=n)`` runs ``n`` warm-started ALS sweeps and
    sets ``n_touched_``).  A user or item seen for the first time is
    *folded in*: its factors and bias are the closed-form ridge solution
    against the other side's current factors.  The rest of the model is not
    touched, so an update costs time in proportion to the batch and the
    histories of the ids it touches, not to the whole history; ``costs_``
    logs those touched ratings times ``n_sweeps``.

    Examples
    --------
    >>> from course_lib.models import MatrixFactorization
    >>> history = pd.DataFrame({"user_id": [1, 1, 2, 2], "item_id": [7, 8, 7, 8],
    ...                         "rating": [5.0, 3.0, 4.0, 2.0]})
    >>> model = MatrixFactorization(n_factors=1, solver="als", reg=0.1).fit(history)
    >>> s = WarmStartALS(n_sweeps=1).start(model, history)
    >>> batch = pd.DataFrame({"user_id": [3, 3], "item_id": [7, 8], "rating": [2.0, 1.0]})
    >>> s.update(batch).costs_[0].n_examples   # user 3's 2 ratings + items 7 and 8's 6
    8
    >>> bool(s.predict(batch[:1])[0] < 3.0)    # the new user is folded in: she rates low
    True
    """

    default_name = "warm-start ALS"

    def __init__(self, *, n_sweeps: int = 1, name: str | None = None) -> None:
        super().__init__(name=name)
        self.n_sweeps = check_int(n_sweeps, "n_sweeps", "WarmStartALS", minimum=1)

    def _start(self, history: pd.DataFrame) -> None:
        if getattr(self.model_, "solver", "als") != "als":
            raise argument_error(
                "WarmStartALS.start",
                "model",
                self.model_,
                f"an ALS matrix factorisation, got {type(self.model_).__name__}",
                "use MatrixFactorization(solver='als')",
                exc=TypeError,
            )

    def _update(self, batch: pd.DataFrame) -> int:
        self.model_.partial_fit(batch, epochs=self.n_sweeps)
        return int(getattr(self.model_, "n_touched_", len(batch))) * self.n_sweeps
