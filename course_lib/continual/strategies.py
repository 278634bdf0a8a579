"""Incremental-update strategies with one interface: retrain, fine-tune, window, replay, EWC.

Explained in chapter 09 (``notebooks/09_incremental_updates.ipynb``); reused by
the pipeline (chapter 10) and the benchmark (``python -m course_lib.tools.bench``).

Every strategy holds a model and follows the same three calls::

    strategy = Replay(buffer_size=5000, learning_rate=1e-3, seed=0)
    strategy.start(model, history)      # model already trained on `history`
    for batch in stream:
        y_pred = strategy.predict(batch)    # predict first ...
        strategy.update(batch)              # ... then learn (cost logged in strategy.costs_)

The model is anything with the small protocol of
:class:`course_lib.models.neural.RatingModel` and :class:`course_lib.models.mf.BiasedMF`:
``fit(df, epochs=, batch_size=, learning_rate=, clipnorm=)`` continuing from
the current weights (and growing the id encoders, so new users and items are
handled by every strategy), ``predict(df)``, ``clone(fresh=...)``,
``get_weights()``.  ``start`` uses the model you pass (it does not copy it):
give each strategy its own ``model.clone()``.

=================  ===========================================================
Static             never update (the baseline that decays, chapter 08)
FullRetrain        a fresh model trained on all history (or the last
                   ``window_days``) at every update: the reference, and costly
SlidingWindow      FullRetrain on the last ``window_days`` days only
FineTune           continue training on the new batch only (cheap; forgets)
Replay             fine-tune on the batch plus a sample of a reservoir buffer
EWC                fine-tune with an elastic penalty toward the previous
                   weights, weighted by a diagonal Fisher estimate
WarmStartALS       a few ALS sweeps from the current factors over the users
                   and items of the batch only (:meth:`BiasedMF.partial_fit
                   <course_lib.models.baselines.BiasedMF.partial_fit>`): new ids are
                   folded in in closed form; cost grows with the batch
=================  ===========================================================

The NumPy parts (the reservoir buffer, the EWC penalty and its gradient) do not
need TensorFlow; EWC's Keras parts import it only when used.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from course_lib.core.validation import check_int, as_generator as _rng

__all__ = ["ReservoirBuffer", "ewc_penalty", "ewc_gradient", "fisher_diagonal", "UpdateCost",
           "Strategy", "Static", "FullRetrain", "SlidingWindow", "FineTune", "Replay", "EWC",
           "WarmStartALS", "canonical_order"]


def canonical_order(df: pd.DataFrame) -> pd.DataFrame:
    """Rows sorted by (timestamp, user_id, item_id, rating): an order that does not depend
    on how the rows arrived, so a retrain on the same rows gives the same model.

    >>> df = pd.DataFrame({"timestamp": [2, 1, 1], "user_id": [0, 5, 3], "item_id": [1, 1, 1],
    ...                    "rating": [4.0, 2.0, 5.0]})
    >>> canonical_order(df)["user_id"].tolist()
    [3, 5, 0]
    """
    keys = [c for c in ("timestamp", "user_id", "item_id", "rating") if c in df.columns]
    return df.sort_values(keys, kind="mergesort").reset_index(drop=True)


# --------------------------------------------------------------------------- reservoir buffer

class ReservoirBuffer:
    """A bounded, uniform sample of every row ever added (reservoir sampling, Algorithm R).

    Row number ``t`` (counting from 0 over all rows ever added) is kept with
    probability ``capacity / (t + 1)``, replacing a uniformly chosen slot, so at
    any time each row seen so far is in the buffer with the same probability
    ``capacity / n_seen``: old and new periods are represented fairly, in
    bounded memory.

    Parameters
    ----------
    capacity : int
        Maximum number of rows kept.
    seed : int or np.random.Generator
        Randomness of the replacements and of :meth:`sample`.

    Examples
    --------
    >>> buf = ReservoirBuffer(capacity=3, seed=0)
    >>> buf.add(pd.DataFrame({"x": range(10)})).n_seen, len(buf)
    (10, 3)
    >>> sorted(buf.frame()["x"].tolist())
    [3, 4, 6]
    """

    def __init__(self, capacity: int, seed: int | np.random.Generator = 0) -> None:
        self.capacity = check_int(capacity, "capacity", "ReservoirBuffer", minimum=1)
        self.rng = _rng(seed)
        self.n_seen = 0
        self._data: pd.DataFrame | None = None

    def __len__(self) -> int:
        return 0 if self._data is None else len(self._data)

    def add(self, df: pd.DataFrame) -> "ReservoirBuffer":
        """Offer every row of ``df`` to the reservoir (in order); return ``self``."""
        if not isinstance(df, pd.DataFrame):
            raise TypeError(f"ReservoirBuffer.add(df=...): expected a DataFrame of rows, got "
                            f"{type(df).__name__}.")
        if len(df) == 0:
            return self
        df = df.reset_index(drop=True)
        free = max(0, self.capacity - len(self))
        head = df.iloc[:free]
        self._data = head.copy() if self._data is None else pd.concat(
            [self._data, head], ignore_index=True)
        self.n_seen += len(head)
        rest = df.iloc[free:]
        if len(rest):
            t = self.n_seen + np.arange(len(rest))              # 0-based position in the stream
            slot = np.floor(self.rng.random(len(rest)) * (t + 1)).astype(np.int64)
            keep = slot < self.capacity
            # a later row replacing the same slot wins, as in the sequential algorithm
            rows, slots = np.flatnonzero(keep), slot[keep]
            _, last = np.unique(slots[::-1], return_index=True)
            rows, slots = rows[::-1][last], slots[::-1][last]
            if rows.size:
                self._data.iloc[slots] = rest.iloc[rows].to_numpy()
            self.n_seen += len(rest)
        return self

    def frame(self) -> pd.DataFrame:
        """The buffered rows (a copy)."""
        return pd.DataFrame() if self._data is None else self._data.copy()

    def sample(self, n: int) -> pd.DataFrame:
        """``min(n, len(self))`` buffered rows drawn without replacement."""
        n = check_int(n, "n", "ReservoirBuffer.sample", minimum=0)
        if self._data is None or n == 0:
            return self.frame().iloc[:0]
        take = self.rng.choice(len(self._data), size=min(int(n), len(self._data)), replace=False)
        return self._data.iloc[np.sort(take)].reset_index(drop=True)


# --------------------------------------------------------------------------- EWC maths (numpy)

def _check_lists(weights, anchor, fisher) -> None:
    if not (len(weights) == len(anchor) == len(fisher)):
        raise ValueError(f"ewc: weights, anchor and fisher must be lists of the same length; got "
                         f"{len(weights)}, {len(anchor)} and {len(fisher)} arrays.")
    for k, (w, a, f) in enumerate(zip(weights, anchor, fisher)):
        if np.shape(w) != np.shape(a) or np.shape(w) != np.shape(f):
            raise ValueError(f"ewc: array {k} has shapes {np.shape(w)} (weights), "
                             f"{np.shape(a)} (anchor), {np.shape(f)} (fisher); they must match.")


def ewc_penalty(weights, anchor, fisher, lam: float) -> float:
    r"""The EWC penalty :math:`\frac{\lambda}{2}\sum_k F_k (w_k - w^*_k)^2`.

    ``weights``, ``anchor`` (the weights after the previous update, :math:`w^*`)
    and ``fisher`` (the diagonal Fisher estimate :math:`F`) are lists of arrays
    of matching shapes, as returned by ``model.get_weights()``.

    >>> w, a, f = [np.array([1.0, 2.0])], [np.array([0.0, 2.0])], [np.array([3.0, 5.0])]
    >>> ewc_penalty(w, a, f, lam=2.0)
    3.0
    """
    _check_lists(weights, anchor, fisher)
    return float(0.5 * lam * sum(np.sum(np.asarray(f) * (np.asarray(w) - np.asarray(a)) ** 2)
                                 for w, a, f in zip(weights, anchor, fisher)))


def ewc_gradient(weights, anchor, fisher, lam: float) -> list[np.ndarray]:
    r"""Gradient of :func:`ewc_penalty` with respect to the weights: :math:`\lambda F (w - w^*)`.

    >>> w, a, f = [np.array([1.0, 2.0])], [np.array([0.0, 2.0])], [np.array([3.0, 5.0])]
    >>> ewc_gradient(w, a, f, lam=2.0)[0].tolist()
    [6.0, 0.0]
    """
    _check_lists(weights, anchor, fisher)
    return [lam * np.asarray(f) * (np.asarray(w) - np.asarray(a))
            for w, a, f in zip(weights, anchor, fisher)]


def fisher_diagonal(model, df: pd.DataFrame, *, n_samples: int = 512, chunk: int = 128,
                    seed: int | np.random.Generator = 0) -> list[np.ndarray]:
    r"""Diagonal empirical Fisher of a Keras rating model on (a sample of) ``df``.

    :math:`F_k = \frac{1}{n}\sum_i \big(\partial \ell_i / \partial w_k\big)^2` with
    :math:`\ell_i = (y_i - \hat y_i)^2`, the per-example squared error, over at
    most ``n_samples`` rows.  A weight the old data's predictions depend on
    strongly gets a large :math:`F_k`; a weight they ignore (the embedding row
    of a user absent from the sample) gets 0 and stays free to move.  One array
    per ``model.keras_model.trainable_variables``.
    """
    import tensorflow as tf

    rng = _rng(seed)
    if len(df) == 0:
        raise ValueError("fisher_diagonal(df=...): the DataFrame is empty; pass the data of the "
                         "period whose knowledge EWC should protect.")
    if len(df) > n_samples:
        df = df.iloc[np.sort(rng.choice(len(df), size=n_samples, replace=False))]
    variables = model.keras_model.trainable_variables
    total = [np.zeros(v.shape, dtype=np.float64) for v in variables]
    inputs, y = model.inputs(df), df["rating"].to_numpy(dtype="float32")
    for start in range(0, len(df), chunk):
        part = {k: tf.constant(v[start:start + chunk]) for k, v in inputs.items()}
        target = tf.constant(y[start:start + chunk])
        with tf.GradientTape() as tape:
            pred = tf.reshape(model.keras_model(part, training=False), [-1])
            losses = tf.square(target - pred)
        jac = tape.jacobian(losses, variables, experimental_use_pfor=True)
        for k, j in enumerate(jac):
            if j is not None:
                total[k] += np.sum(np.square(tf.convert_to_tensor(j).numpy()), axis=0)
    return [t / len(df) for t in total]


# --------------------------------------------------------------------------- strategies

@dataclass
class UpdateCost:
    """What one update cost: wall-clock seconds and training examples processed."""

    seconds: float
    n_examples: int


class Strategy:
    """Base class: ``start(model, history)``, ``predict(df)``, ``update(batch)``.

    Parameters
    ----------
    epochs, batch_size, learning_rate, clipnorm
        Passed to ``model.fit`` at each update (``learning_rate=None``: the
        model's own).  Clipping the gradient norm keeps one unusual batch from
        throwing the weights far (the source articles' "gradient clipping").
    name : str, optional
        Label for tables and plots.
    """

    default_name = "strategy"

    def __init__(self, *, epochs: int = 1, batch_size: int = 256,
                 learning_rate: float | None = None, clipnorm: float | None = None,
                 name: str | None = None) -> None:
        owner = type(self).__name__
        self.epochs = check_int(epochs, "epochs", owner, minimum=1)
        self.batch_size = check_int(batch_size, "batch_size", owner, minimum=1)
        if learning_rate is not None and not learning_rate > 0:
            raise ValueError(f"{owner}(learning_rate={learning_rate!r}): use a positive float "
                             "or None (the model's own).")
        if clipnorm is not None and not clipnorm > 0:
            raise ValueError(f"{owner}(clipnorm={clipnorm!r}): use a positive float or None.")
        self.learning_rate = learning_rate
        self.clipnorm = clipnorm
        self.name = name or self.default_name
        self.model_ = None
        self.costs_: list[UpdateCost] = []

    # public protocol -------------------------------------------------------------------------
    def start(self, model, history: pd.DataFrame) -> "Strategy":
        """Take ``model`` (already trained on ``history``) as the starting point; return self."""
        for attr in ("fit", "predict", "clone"):
            if not hasattr(model, attr):
                raise TypeError(f"{type(self).__name__}.start(model=...): the model needs a "
                                f"`{attr}` method (use RatingModel or BiasedMF); got "
                                f"{type(model).__name__}.")
        if not isinstance(history, pd.DataFrame):
            raise TypeError(f"{type(self).__name__}.start(history=...): pass the DataFrame the "
                            f"model was trained on, got {type(history).__name__}.")
        self.model_ = self._prepare(model)
        self.costs_ = []
        self._start(history)
        return self

    def predict(self, df: pd.DataFrame) -> np.ndarray:
        """The current model's predictions for ``df``."""
        self._require_started("predict")
        return self.model_.predict(df)

    def update(self, batch: pd.DataFrame) -> "Strategy":
        """Learn from a new batch; log its cost in ``costs_``; return self."""
        self._require_started("update")
        if not isinstance(batch, pd.DataFrame) or "rating" not in batch.columns:
            raise TypeError(f"{type(self).__name__}.update(batch=...): pass a ratings DataFrame "
                            "(user_id, item_id, rating, ...).")
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

    def _prepare(self, model):
        """Fix the optimizer's clipnorm once, so Keras does not retrace at every update."""
        keras_model = getattr(model, "keras_model", None)
        if keras_model is not None and getattr(keras_model, "optimizer", None) is not None:
            if keras_model.optimizer.clipnorm != self.clipnorm:
                keras_model.optimizer.clipnorm = self.clipnorm
                keras_model.train_function = None
        return model

    def _fit(self, model, df: pd.DataFrame, epochs: int | None = None) -> int:
        epochs = self.epochs if epochs is None else epochs
        model.fit(df, epochs=epochs, batch_size=self.batch_size,
                  learning_rate=self.learning_rate, clipnorm=self.clipnorm)
        return len(df) * epochs

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

    def __init__(self, *, window_days: int | None = None, epochs: int = 5, **kwargs) -> None:
        super().__init__(epochs=epochs, **kwargs)
        if window_days is not None:
            window_days = check_int(window_days, "window_days", type(self).__name__, minimum=1)
        self.window_days = window_days

    def _start(self, history: pd.DataFrame) -> None:
        self.history_ = history.copy()

    def training_set(self) -> pd.DataFrame:
        """The rows the next retrain uses (all history, or the last ``window_days``)."""
        data = self.history_
        if self.window_days is not None and len(data):
            if "day" not in data.columns:
                raise ValueError(f"{type(self).__name__}(window_days={self.window_days}): the "
                                 "data has no `day` column to window on.")
            data = data[data["day"] > data["day"].max() - self.window_days]
        return canonical_order(data)

    def _update(self, batch: pd.DataFrame) -> int:
        self.history_ = pd.concat([self.history_, batch], ignore_index=True)
        data = self.training_set()
        fresh = self._prepare(self.model_.clone(fresh=True))
        n = self._fit(fresh, data)
        self.model_ = fresh
        return n


class SlidingWindow(FullRetrain):
    """Retrain from scratch on the last ``window_days`` days only (forgets on purpose)."""

    default_name = "sliding window"

    def __init__(self, *, window_days: int = 28, **kwargs) -> None:
        super().__init__(window_days=window_days, **kwargs)


class FineTune(Strategy):
    """Continue training the current model on the new batch only."""

    default_name = "fine-tune"

    def _update(self, batch: pd.DataFrame) -> int:
        return self._fit(self.model_, batch)


class Replay(FineTune):
    """Fine-tune on the new batch mixed with a sample from a reservoir of past rows.

    Each update trains on the batch plus ``round(replay_ratio * len(batch))``
    rows drawn from a :class:`ReservoirBuffer` of ``buffer_size`` rows (filled
    with the history at :meth:`start`), then offers the batch to the buffer.
    """

    default_name = "replay"

    def __init__(self, *, buffer_size: int = 5000, replay_ratio: float = 1.0,
                 seed: int | np.random.Generator = 0, **kwargs) -> None:
        super().__init__(**kwargs)
        if not replay_ratio >= 0:
            raise ValueError(f"Replay(replay_ratio={replay_ratio!r}): use a float >= 0 (1.0 = as "
                             "many old rows as new ones).")
        self.buffer = ReservoirBuffer(buffer_size, seed=seed)
        self.replay_ratio = float(replay_ratio)

    def _start(self, history: pd.DataFrame) -> None:
        self.buffer.add(history)

    def _update(self, batch: pd.DataFrame) -> int:
        old = self.buffer.sample(int(round(self.replay_ratio * len(batch))))
        mixed = pd.concat([batch.reset_index(drop=True), old[batch.columns]], ignore_index=True) \
            if len(old) else batch
        n = self._fit(self.model_, mixed)
        self.buffer.add(batch)
        return n


class EWC(FineTune):
    r"""Fine-tune with Elastic Weight Consolidation (Kirkpatrick et al., 2017), online form.

    The training loss of each update becomes

    .. math::  \mathrm{MSE}(\text{batch}) + \frac{\lambda}{2}\sum_k F_k (w_k - w^*_k)^2

    where :math:`w^*` are the weights after the previous update and :math:`F`
    a diagonal Fisher estimate (:func:`fisher_diagonal`) of the data learned so
    far, kept online as :math:`F \leftarrow \gamma F + F_{new}` (``decay`` =
    :math:`\gamma`; Schwarz et al., 2018).  The penalty is attached to each
    Keras variable as a regularizer, so ``model.fit`` (and its gradient
    clipping) is unchanged; with ``lam=0`` no penalty is attached and EWC is
    exactly fine-tuning.  Note a cost that is easy to miss: the penalty gives
    *every* row of an embedding table a (dense) gradient, whereas the data
    alone only touch the rows of the batch's users and items, so each EWC step
    moves more numbers than a fine-tuning step.  Requires a Keras model
    (``model.keras_model``).
    """

    default_name = "EWC"

    def __init__(self, *, lam: float = 100.0, decay: float = 0.9, fisher_samples: int = 512,
                 seed: int | np.random.Generator = 0, **kwargs) -> None:
        super().__init__(**kwargs)
        if not lam >= 0:
            raise ValueError(f"EWC(lam={lam!r}): the penalty strength must be >= 0 (0 = plain "
                             "fine-tuning).")
        if not 0 <= decay <= 1:
            raise ValueError(f"EWC(decay={decay!r}): use a value in [0, 1].")
        self.lam = float(lam)
        self.decay = float(decay)
        self.fisher_samples = check_int(fisher_samples, "fisher_samples", "EWC", minimum=1)
        self.rng = _rng(seed)
        self.fisher_ = None
        self.anchor_ = None

    def _start(self, history: pd.DataFrame) -> None:
        if getattr(self.model_, "keras_model", None) is None:
            raise TypeError(f"EWC.start(model=...): EWC needs a Keras model (RatingModel); got "
                            f"{type(self.model_).__name__}.")
        self.fisher_ = fisher_diagonal(self.model_, history, n_samples=self.fisher_samples,
                                       seed=self.rng)
        self._install()

    def _install(self) -> None:
        """Attach (or refresh) the penalty on every trainable variable."""
        import keras

        variables = self.model_.keras_model.trainable_variables
        self.anchor_ = [np.asarray(v.numpy(), dtype=np.float64) for v in variables]
        if self.lam == 0:
            return   # no penalty at all: exactly fine-tuning (see the class docstring)
        if not hasattr(self, "_slots") or self._slots is None:
            self._slots = []
            for v, a, f in zip(variables, self.anchor_, self.fisher_):
                anchor = keras.Variable(a.astype("float32"), trainable=False)
                fisher = keras.Variable(f.astype("float32"), trainable=False)
                v.regularizer = _make_ewc_regularizer(anchor, fisher, self.lam, v.regularizer)
                self._slots.append((anchor, fisher))
            self.model_.keras_model.train_function = None
        else:
            for (anchor, fisher), a, f in zip(self._slots, self.anchor_, self.fisher_):
                anchor.assign(a.astype("float32"))
                fisher.assign(f.astype("float32"))

    def penalty(self) -> float:
        """The current EWC penalty of the model's weights (NumPy, for checks)."""
        weights = [v.numpy() for v in self.model_.keras_model.trainable_variables]
        return ewc_penalty(weights, self.anchor_, self.fisher_, self.lam)

    def _update(self, batch: pd.DataFrame) -> int:
        n = self._fit(self.model_, batch)
        new = fisher_diagonal(self.model_, batch, n_samples=self.fisher_samples, seed=self.rng)
        self.fisher_ = [self.decay * f + g for f, g in zip(self.fisher_, new)]
        self._install()
        return n


class WarmStartALS(Strategy):
    """Warm-started ALS: re-solve only the users and items of each batch, from all their ratings.

    The model must have ``partial_fit(batch, n_sweeps=)`` (a
    :class:`course_lib.models.baselines.BiasedMF`).  A user or item seen for the first
    time is *folded in*: its factors and bias are the closed-form ridge solution
    against the other side's current factors.  The rest of the model is not
    touched, so an update costs time in proportion to the batch and the
    histories of the ids it touches, not to the whole history; ``costs_``
    logs those touched ratings times ``n_sweeps``.

    Examples
    --------
    >>> from course_lib.models.baselines import BiasedMF
    >>> history = pd.DataFrame({"user_id": [1, 1, 2, 2], "item_id": [7, 8, 7, 8],
    ...                         "rating": [5.0, 3.0, 4.0, 2.0]})
    >>> s = WarmStartALS(n_sweeps=1).start(BiasedMF(n_factors=1, reg=0.1).fit(history), history)
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
        if not hasattr(self.model_, "partial_fit"):
            raise TypeError(f"WarmStartALS.start(model=...): the model needs partial_fit(batch, "
                            f"n_sweeps=) (use course_lib.models.baselines.BiasedMF); got "
                            f"{type(self.model_).__name__}.")

    def _update(self, batch: pd.DataFrame) -> int:
        self.model_.partial_fit(batch, n_sweeps=self.n_sweeps)
        return int(getattr(self.model_, "n_touched_", len(batch))) * self.n_sweeps


def _make_ewc_regularizer(anchor, fisher, lam: float, base):
    """A Keras regularizer ``lam/2 * sum(F * (w - anchor)^2)`` plus the variable's own one."""
    import keras

    class EWCRegularizer(keras.regularizers.Regularizer):
        def __init__(self):
            self.anchor, self.fisher, self.lam, self.base = anchor, fisher, lam, base

        def __call__(self, w):
            ops = keras.ops
            value = 0.5 * self.lam * ops.sum(self.fisher * ops.square(w - self.anchor))
            return value + self.base(w) if self.base is not None else value

        def get_config(self):
            return {"lam": self.lam}

    return EWCRegularizer()
