"""A Keras rating model that keeps learning as new users, items and ratings arrive.

Explained in chapter 06 (``notebooks/06_keras_rating_predictor.ipynb``); the
continual-learning chapters (09-10) update it with :meth:`RatingModel.partial_fit`.
It plays the role :class:`~course_lib.core.roles.RatingEstimator`: ``fit``
learns from scratch, ``partial_fit`` continues, ``clone`` gives an unfitted
twin, ``copy`` a trained copy.  The network is
:func:`~course_lib.models.networks.build_rating_network`; saving and loading
live in :mod:`course_lib.models.rating_io`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import keras
import numpy as np
import pandas as pd

from course_lib.core.validation import (
    check_choice,
    check_frame,
    check_int,
    check_number,
    check_rating_range,
)
from course_lib.data.features import FeatureTable, IdEncoder
from course_lib.data.standardizer import Standardizer
from course_lib.models import rating_io
from course_lib.models._ratings import RATING_MAX, RATING_MIN, check_ratings
from course_lib.models.batches import ShuffledBatches
from course_lib.models.networks import (
    REGULARIZATIONS,
    TableL2,
    _check_hidden,
    _check_seed,
    build_rating_network,
)
from course_lib.models.rating_controls import TrainingControls
from course_lib.models.rating_inputs import RatingInputs

__all__ = ["RatingModel", "RATINGS_COLUMNS", "RATING_MIN", "RATING_MAX"]

RATINGS_COLUMNS = ("user_id", "item_id", "rating")


def _checked_hyper(
    where: str,
    capacities: tuple[int, int],
    tables: tuple[FeatureTable, FeatureTable],
    *,
    embedding_dim: int,
    hidden: Sequence[int],
    learning_rate: float,
    seed: int,
    l2: float,
    unknown_rate: float,
    rating_range: tuple[float, float],
    regularization: str,
    bias_l2: tuple[float, float] | None,
) -> dict[str, Any]:
    """The settings of a :class:`RatingModel`, checked, in the order they are saved."""
    return {
        "user_capacity": capacities[0],
        "item_capacity": capacities[1],
        "embedding_dim": check_int(embedding_dim, "embedding_dim", where, minimum=1),
        "hidden": list(_check_hidden(hidden, where)),
        "learning_rate": check_number(
            learning_rate,
            "learning_rate",
            where,
            low=0,
            low_inclusive=False,
            fix="use a positive float such as 1e-3",
        ),
        "seed": _check_seed(seed, where),
        "user_features": list(tables[0].columns),
        "item_features": list(tables[1].columns),
        "l2": check_number(l2, "l2", where, low=0),
        "unknown_rate": check_number(
            unknown_rate,
            "unknown_rate",
            where,
            low=0,
            high=1,
            high_inclusive=False,
            fix="e.g. 0.05",
        ),
        "rating_range": list(check_rating_range(rating_range, where)),
        "regularization": check_choice(regularization, "regularization", where, REGULARIZATIONS),
        "bias_l2": None if bias_l2 is None else [float(b) for b in bias_l2],
        "clipnorm": None,
    }


class RatingModel(TrainingControls, RatingInputs):
    """A rating predictor that keeps learning as new users, items and ratings arrive.

    The embedding tables have a fixed capacity (``capacity + 1`` rows; row 0
    is the shared "unknown id" row), so the set of weights never changes shape
    when new ids arrive: an :class:`~course_lib.data.features.IdEncoder` hands out
    rows, and ids it has not seen (or that arrive when it is full) use row 0,
    which id dropout during training (``unknown_rate``) teaches to behave like
    an average user/item.  A new user with demographics therefore gets a
    prediction from her features, the item's embedding and the biases.

    Parameters
    ----------
    users, items : pandas.DataFrame
        Side tables indexed by ``user_id`` / ``item_id``.  Rows for ids that are
        not in them can be added later with :meth:`update_tables`; ids without
        a row get the mean features.
    user_capacity, item_capacity : int or None
        Rows available for distinct ids (``None``: the number of rows of the side table).
    embedding_dim : int
        Size of the user and item embeddings.
    hidden : sequence of int
        Widths of the MLP head's ReLU layers.
    learning_rate : float
        Adam's step size.
    seed : int
        Fixes initial weights, batch order and id dropout.
    user_features, item_features : sequence of str or None
        Side-table columns to use (``None``: :func:`~course_lib.data.features.default_feature_columns`).
    l2 : float
        L2 penalty on the embedding rows *looked up in each batch* (an activity
        regulariser, averaged over the batch), as in SGD matrix factorisation.
        A penalty on the whole table would shrink, at every step, the rows of
        users who are not in the batch: in continual learning that is forgetting.
    unknown_rate : float
        Fraction of training rows whose ids are replaced by "unknown" (0 turns it off).
    feature_stats : dict or None
        ``{"user": Standardizer, "item": Standardizer}`` to use instead of fitting
        the standardisation on the first data the model sees.
    rating_range : tuple of float
        Predictions are clipped to it (default 1..5; ``(0.5, 5.0)`` for half stars).
    regularization : {"batch", "table"}
        ``"batch"`` (chapter 06): ``l2`` penalises the rows looked up in each
        batch, per occurrence, so a user with many ratings is shrunk more.
        ``"table"``: the penalty of matrix factorisation, ``l2`` on the whole
        embedding tables and ``bias_l2 = (user, item)`` on the bias tables,
        each divided by the number of ratings learned from so far
        (:class:`~course_lib.models.networks.TableL2`); on MovieLens 100K this
        is what lets the network match a tuned MF (chapter 09).
    bias_l2 : tuple of float or None
        ``(user, item)`` penalties of the bias tables with ``"table"`` (``None``: ``l2``).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> users = pd.DataFrame({"age": rng.integers(18, 70, 20)}, index=pd.RangeIndex(20, name="user_id"))
    >>> items = pd.DataFrame({"price": rng.uniform(5, 50, 10)}, index=pd.RangeIndex(10, name="item_id"))
    >>> ratings = pd.DataFrame({"user_id": rng.integers(0, 15, 200), "item_id": rng.integers(0, 10, 200),
    ...                         "rating": rng.integers(1, 6, 200).astype(float)})
    >>> m = RatingModel(users, items, embedding_dim=4, hidden=(8,), seed=0).fit(ratings, epochs=2)
    >>> m.n_seen_users, m.n_seen_items
    (15, 10)
    >>> new = pd.DataFrame({"user_id": [19, 999], "item_id": [3, 3]})   # unseen user, unknown user
    >>> p = m.predict(new)
    >>> p.shape, bool(((p >= 1) & (p <= 5)).all())
    ((2,), True)
    """

    def __init__(
        self,
        users: pd.DataFrame,
        items: pd.DataFrame,
        *,
        user_capacity: int | None = None,
        item_capacity: int | None = None,
        embedding_dim: int = 8,
        hidden: Sequence[int] = (32,),
        learning_rate: float = 1e-3,
        seed: int = 0,
        user_features: Sequence[str] | None = None,
        item_features: Sequence[str] | None = None,
        l2: float = 0.03,
        unknown_rate: float = 0.05,
        feature_stats: dict[str, Any] | None = None,
        rating_range: tuple[float, float] = (RATING_MIN, RATING_MAX),
        regularization: str = "batch",
        bias_l2: tuple[float, float] | None = None,
    ) -> None:
        where = "RatingModel"
        for name, table in (("users", users), ("items", items)):
            check_frame(
                table, name, where, fix=f"pass shop.{name} (a DataFrame indexed by {name[:-1]}_id)"
            )
        user_capacity = len(users) if user_capacity is None else user_capacity
        item_capacity = len(items) if item_capacity is None else item_capacity
        for name, cap in (("user_capacity", user_capacity), ("item_capacity", item_capacity)):
            check_int(
                cap,
                name,
                where,
                minimum=1,
                fix="how many distinct ids get their own embedding row, or None",
            )
        self.user_table = FeatureTable(users, user_features)
        self.item_table = FeatureTable(items, item_features)
        self.hyper = _checked_hyper(
            where,
            (int(user_capacity), int(item_capacity)),
            (self.user_table, self.item_table),
            embedding_dim=embedding_dim,
            hidden=hidden,
            learning_rate=learning_rate,
            seed=seed,
            l2=l2,
            unknown_rate=unknown_rate,
            rating_range=rating_range,
            regularization=regularization,
            bias_l2=bias_l2,
        )
        self._passed_stats = feature_stats is not None
        self._reset_state(feature_stats)

    # ------------------------------------------------------------------ state
    def _reset_state(self, feature_stats: dict[str, Any] | None) -> None:
        """Fresh encoders, statistics (unless passed), generator, network and optimizer."""
        h = self.hyper
        self.user_encoder = IdEncoder(h["user_capacity"])
        self.item_encoder = IdEncoder(h["item_capacity"])
        stats = feature_stats or {}
        self.user_stats = rating_io.as_standardizer(stats.get("user"), "user")
        self.item_stats = rating_io.as_standardizer(stats.get("item"), "item")
        self._rng = np.random.default_rng(h["seed"])
        self.trained = False
        self._touched = False
        self.history_ = None
        self._base_regularizers: list[Any] | None = None
        self.keras_model = build_rating_network(
            h["user_capacity"] + 1,
            h["item_capacity"] + 1,
            self.user_table.n_features,
            self.item_table.n_features,
            embedding_dim=h["embedding_dim"],
            hidden=h["hidden"],
            l2=h["l2"],
            seed=h["seed"],
            regularization=h.get("regularization", "batch"),
            bias_l2=h.get("bias_l2"),
        )
        self.n_ratings_learned = 0
        self._compile()

    def _kept_stats(self) -> dict[str, Standardizer] | None:
        """The statistics a reset keeps: those passed as ``feature_stats``, else none."""
        if not self._passed_stats:
            return None
        return {
            "user": Standardizer.from_dict(self.user_stats.to_dict()),
            "item": Standardizer.from_dict(self.item_stats.to_dict()),
        }

    def _compile(self) -> None:
        clipnorm = self.hyper.get("clipnorm")
        self.keras_model.compile(
            optimizer=keras.optimizers.Adam(
                learning_rate=self.hyper["learning_rate"], clipnorm=clipnorm
            ),
            loss="mse",
            metrics=[keras.metrics.RootMeanSquaredError(name="rmse")],
            jit_compile=False,
        )

    def reset_optimizer(self) -> RatingModel:
        """Forget Adam's moment estimates (a fresh optimizer, same settings); return self."""
        self._compile()
        return self

    @property
    def n_params(self) -> int:
        return int(self.keras_model.count_params())

    # ------------------------------------------------------------------ learn / predict
    def fit(
        self,
        ratings: pd.DataFrame,
        *,
        epochs: int = 1,
        batch_size: int = 256,
        learning_rate: float | None = None,
        clipnorm: float | None = None,
        validation_data: pd.DataFrame | None = None,
        callbacks: list[Any] | None = None,
        verbose: int = 0,
    ) -> RatingModel:
        """Forget what was learned and train on ``ratings`` from the initial weights; return self.

        From scratch: the seeded initial weights, a new optimizer, empty id
        encoders, the batch-order generator reseeded (settings, side tables and
        :attr:`clipnorm` are kept), then :meth:`partial_fit` with the same
        arguments.  ``RatingModel(...).fit(df)`` and ``model.clone().fit(df)``
        give the same weights.
        """
        check_ratings(ratings, "RatingModel.fit")
        if self._touched or self.trained:
            self._reset_state(self._kept_stats())
        return self.partial_fit(
            ratings,
            epochs=epochs,
            batch_size=batch_size,
            learning_rate=learning_rate,
            clipnorm=clipnorm,
            validation_data=validation_data,
            callbacks=callbacks,
            verbose=verbose,
        )

    def partial_fit(
        self,
        ratings: pd.DataFrame,
        *,
        epochs: int = 1,
        batch_size: int = 256,
        learning_rate: float | None = None,
        clipnorm: float | None = None,
        validation_data: pd.DataFrame | None = None,
        callbacks: list[Any] | None = None,
        verbose: int = 0,
    ) -> RatingModel:
        """Grow the encoders with the ids of ``ratings``, then continue training; return self.

        ``learning_rate`` and ``clipnorm`` (``None``: the model's own) apply to
        this call only.  The Keras ``History`` is kept in ``history_``.  Each
        call draws a new batch order from the model's own seeded generator.
        """
        where = "RatingModel.partial_fit"
        check_ratings(ratings, where)
        epochs = check_int(epochs, "epochs", where, minimum=1)
        batch_size = check_int(batch_size, "batch_size", where, minimum=1, fix="e.g. 256")
        if learning_rate is not None:
            learning_rate = check_number(
                learning_rate,
                "learning_rate",
                where,
                low=0,
                low_inclusive=False,
                fix="use a positive float such as 1e-3",
            )
        if clipnorm is not None:
            clipnorm = check_number(
                clipnorm,
                "clipnorm",
                where,
                low=0,
                low_inclusive=False,
                fix="use a positive float or None",
            )
        if validation_data is not None:
            check_ratings(validation_data, where, name="validation_data")
        self.observe(ratings)
        val = None
        if validation_data is not None:
            val = (self.inputs(validation_data), self.targets(validation_data))
        data = self._prepare_training(ratings, batch_size)
        self._train(data, epochs, val, learning_rate, clipnorm, callbacks, verbose)
        self.trained = True
        return self

    def _prepare_training(self, ratings: pd.DataFrame, batch_size: int) -> ShuffledBatches:
        """Batches of ``ratings``; the first call also sets the head's bias to the mean rating."""
        X, y = self.inputs(ratings), self.targets(ratings)
        if not self.trained:  # start from the average rating, not from 3.0
            head = self.keras_model.get_layer("head")
            kernel, _ = head.get_weights()
            head.set_weights([kernel, np.array([float(y.mean())], dtype="float32")])
        self.n_ratings_learned = getattr(self, "n_ratings_learned", 0) + len(ratings)
        for layer in self.keras_model.layers:
            table = getattr(layer, "embeddings_regularizer", None)
            if isinstance(table, TableL2):
                table.scale.assign(1.0 / self.n_ratings_learned)
        return ShuffledBatches(
            X, y, batch_size=batch_size, rng=self._rng, unknown_rate=self.hyper["unknown_rate"]
        )

    def _train(
        self,
        data: ShuffledBatches,
        epochs: int,
        val: Any,
        learning_rate: float | None,
        clipnorm: float | None,
        callbacks: list[Any] | None,
        verbose: int,
    ) -> None:
        """``keras_model.fit`` with this call's learning rate and clipnorm, then restore them."""
        opt = self.keras_model.optimizer
        saved_lr = float(keras.ops.convert_to_numpy(opt.learning_rate))
        own_clip = self.hyper.get("clipnorm")
        if learning_rate is not None:
            opt.learning_rate = learning_rate
        if clipnorm is not None:
            self._apply_clipnorm(clipnorm)
        try:
            self.history_ = self.keras_model.fit(
                data,
                epochs=epochs,
                validation_data=val,
                callbacks=callbacks,
                verbose=verbose,
                shuffle=False,
            )  # ShuffledBatches shuffles
        finally:
            opt.learning_rate = saved_lr
            self._apply_clipnorm(own_clip)

    def predict(self, ratings: pd.DataFrame, *, batch_size: int = 8192) -> np.ndarray:
        """Predicted ratings, shape ``(n,)``, clipped to ``rating_range``; unknown ids use row 0."""
        X = self.inputs(ratings)
        n = len(ratings)
        out = np.empty(n, dtype="float32")
        for start in range(0, n, batch_size):
            part = {k: v[start : start + batch_size] for k, v in X.items()}
            out[start : start + batch_size] = keras.ops.convert_to_numpy(
                self.keras_model(part, training=False)
            ).reshape(-1)
        low, high = self.hyper.get("rating_range", (RATING_MIN, RATING_MAX))
        return np.clip(out.astype(float), low, high)

    # ------------------------------------------------------------------ weights
    def get_weights(self) -> list[np.ndarray]:
        return self.keras_model.get_weights()

    def set_weights(self, weights: list[np.ndarray]) -> RatingModel:
        self.keras_model.set_weights(weights)
        self._touched = True
        return self

    def _twin(self, stats: dict[str, Standardizer] | None) -> RatingModel:
        new = RatingModel.__new__(RatingModel)
        new.user_table = rating_io.copy_table(self.user_table)
        new.item_table = rating_io.copy_table(self.item_table)
        new.hyper = json.loads(json.dumps(self.hyper))
        new._passed_stats = self._passed_stats
        new._reset_state(stats)
        return new

    def clone(self) -> RatingModel:
        """A new, untrained model with the same settings and side tables.

        Its initial weights are the ones this model started from; its encoders
        are empty (feature statistics passed as ``feature_stats`` are kept).
        """
        return self._twin(self._kept_stats())

    def copy(self) -> RatingModel:
        """A trained copy: weights, encoders and statistics; a new optimizer (Adam's
        moments are not copied), no extra weight penalties, and a batch-order generator
        seeded from this one's."""
        new = self._twin(
            {
                "user": Standardizer.from_dict(self.user_stats.to_dict()),
                "item": Standardizer.from_dict(self.item_stats.to_dict()),
            }
        )
        new.user_encoder = self.user_encoder.copy()
        new.item_encoder = self.item_encoder.copy()
        new.keras_model.set_weights(self.get_weights())
        new.trained = self.trained
        new._touched = True
        new.n_ratings_learned = getattr(self, "n_ratings_learned", 0)
        new._rng = np.random.default_rng(self._rng.integers(2**31))
        return new

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | Path) -> Path:
        """Write a directory: ``model.keras`` (weights + optimizer), ``state.json``
        (hyper-parameters, id encoders, standardisation) and ``tables.npz`` (side
        features).  Written to a temporary directory next to ``path``, then renamed,
        so a crash never leaves a half-written model.  Returns the path."""
        return rating_io.save(self, path)

    @classmethod
    def load(cls, path: str | Path) -> RatingModel:
        """Load what :meth:`save` wrote; predictions are identical to the saved model's."""
        return rating_io.load(cls, path)

    def __repr__(self) -> str:
        return (
            f"RatingModel(n_seen_users={self.n_seen_users}, n_seen_items={self.n_seen_items}, "
            f"embedding_dim={self.hyper['embedding_dim']}, hidden={tuple(self.hyper['hidden'])}, "
            f"params={self.n_params})"
        )
