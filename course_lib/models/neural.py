"""Keras models of the course: the source articles' MLP, the rating and the purchase model.

Explained in chapters 06 (rating) and 07 (purchase); the continual-learning
chapters (08-11) update :class:`RatingModel` in place.  This is the first
module of ``course_lib`` that imports TensorFlow (through Keras 3).

Every builder takes a ``seed`` that fixes its initial weights (each layer gets
its own seeded initializer), so two models built with the same seed are
identical without touching global random state.  Every model returns a
``(batch, 1)`` output and is trained on targets of shape ``(n, 1)``: a
``(batch,)`` target against a ``(batch, 1)`` prediction would broadcast to a
``(batch, batch)`` matrix in a hand-written loss, the classic rating-model bug.

>>> import numpy as np
>>> X = np.random.default_rng(0).normal(size=(64, 3))
>>> model = build_seed_mlp(X, seed=0)
>>> model.output_shape, model.count_params()
((None, 1), 2376)
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
import warnings
from pathlib import Path
from typing import Sequence

import keras
import numpy as np
import pandas as pd

from course_lib.data.features import FeatureTable, IdEncoder, Standardizer
from course_lib.core.validation import check_int, check_number, check_rating_range

__all__ = ["build_seed_mlp", "build_purchase_model", "build_rating_network", "RatingModel",
           "TableL2",
           "ShuffledBatches", "RATINGS_COLUMNS", "RATING_MIN", "RATING_MAX"]

RATINGS_COLUMNS = ("user_id", "item_id", "rating")
RATING_MIN, RATING_MAX = 1.0, 5.0
# Keras 3.15 converts TF variables with np.array(x, copy=False) while saving; numpy 2
# warns about it.  The message is Keras's own business, so save() silences only it.
_NUMPY_COPY_WARNING = r"__array__ implementation doesn't accept a copy keyword"


def _check_seed(seed, where: str) -> int:
    # Keras/TF seeds are 32-bit signed ints.
    return check_int(seed, "seed", where, minimum=0, maximum=2**31 - 1, fix="e.g. seed=0")


def _check_hidden(hidden, where: str) -> tuple[int, ...]:
    try:
        units = tuple(int(h) for h in hidden)
    except TypeError:
        raise ValueError(f"{where}(hidden={hidden!r}): give a sequence of layer widths, "
                         "e.g. hidden=(64, 32) or hidden=() for none.") from None
    if any(u < 1 for u in units):
        raise ValueError(f"{where}(hidden={hidden!r}): every layer width must be >= 1.")
    return units


def _check_lr(learning_rate, where: str) -> float:
    return check_number(learning_rate, "learning_rate", where, low=0, low_inclusive=False,
                        fix="use a positive float such as 1e-3")


def _as_2d_float(X, name: str) -> np.ndarray:
    arr = np.asarray(X, dtype="float32")
    if arr.ndim != 2:
        raise ValueError(f"{name} must be 2-D (n_samples, n_features), got shape {arr.shape}; "
                         "use X.reshape(-1, 1) for a single feature.")
    return arr


def _mlp(x, hidden: Sequence[int], seed: int, prefix: str, activation: str = "relu"):
    for k, units in enumerate(hidden):
        x = keras.layers.Dense(units, activation=activation, name=f"{prefix}{k + 1}",
                               kernel_initializer=keras.initializers.GlorotUniform(seed=seed + k),
                               )(x)
    return x


def _normalized_mlp(X_train, hidden, seed, learning_rate, where: str):
    """Validate the builder's arguments; return ``(inputs, trunk, seed, learning_rate)``.

    The trunk is ``Normalization`` adapted on ``X_train`` (training data only)
    followed by the hidden ReLU layers; the builders add their output layer.
    """
    X_train = _as_2d_float(X_train, "X_train")
    seed = _check_seed(seed, where)
    hidden = _check_hidden(hidden, where)
    learning_rate = _check_lr(learning_rate, where)
    inputs = keras.Input(shape=(X_train.shape[1],), name="features")
    norm = keras.layers.Normalization(name="normalization")
    norm.adapt(X_train)
    return inputs, _mlp(norm(inputs), hidden, seed, "dense"), seed, learning_rate


def build_seed_mlp(X_train, *, hidden: Sequence[int] = (64, 32), learning_rate: float = 1e-3,
                   seed: int = 0) -> keras.Model:
    """The source articles' rating predictor: features -> Dense 64 -> Dense 32 -> 1, compiled.

    The source articles standardise ``X`` with the mean and std of the *whole* data
    set before splitting; here a ``keras.layers.Normalization`` layer inside the
    model is adapted on ``X_train`` only, so the statistics travel with the
    saved model and no test data leaks into training.

    Parameters
    ----------
    X_train : array of shape (n_samples, n_features)
        Training features (used only to adapt the normalisation).
    hidden : sequence of int
        Widths of the ReLU layers (the source articles: 64, 32).
    learning_rate : float
        Adam's step size (the source articles: 1e-3).
    seed : int
        Fixes the initial weights.

    Returns
    -------
    keras.Model
        Compiled with Adam, MSE loss and an ``rmse`` metric; output ``(batch, 1)``.

    Examples
    --------
    >>> X = np.random.default_rng(1).normal(5.0, 2.0, size=(100, 3))
    >>> m = build_seed_mlp(X, hidden=(4,), seed=0)
    >>> [layer.name for layer in m.layers]
    ['features', 'normalization', 'dense1', 'rating']
    >>> build_seed_mlp(X[:, 0])
    Traceback (most recent call last):
    ...
    ValueError: X_train must be 2-D (n_samples, n_features), got shape (100,); ...
    """
    inputs, x, seed, learning_rate = _normalized_mlp(X_train, hidden, seed, learning_rate,
                                                     "build_seed_mlp")
    out = keras.layers.Dense(1, name="rating",
                             kernel_initializer=keras.initializers.GlorotUniform(seed=seed + 100)
                             )(x)
    model = keras.Model(inputs, out, name="seed_mlp")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate), loss="mse",
                  metrics=[keras.metrics.RootMeanSquaredError(name="rmse")], jit_compile=False)
    return model


def build_purchase_model(X_train, *, hidden: Sequence[int] = (20,), learning_rate: float = 1e-3,
                         seed: int = 0, output_bias: float | None = None) -> keras.Model:
    """Purchase probability: normalised features -> Dense 20 ReLU -> 1 sigmoid (source articles).

    Compiled with binary cross-entropy and an ``auc`` metric.  ``output_bias``
    initialises the logit's bias, e.g. to ``log(p / (1 - p))`` for a base rate
    ``p``, so that training does not spend its first epochs learning the
    class balance.

    Examples
    --------
    >>> X = np.random.default_rng(2).normal(size=(50, 10))
    >>> m = build_purchase_model(X, seed=0, output_bias=float(np.log(0.05 / 0.95)))
    >>> m.output_shape, m.count_params()
    ((None, 1), 262)
    >>> p = m.predict(X[:3], verbose=0)
    >>> bool(((p > 0) & (p < 1)).all())
    True
    """
    inputs, x, seed, learning_rate = _normalized_mlp(X_train, hidden, seed, learning_rate,
                                                     "build_purchase_model")
    bias = keras.initializers.Constant(output_bias) if output_bias is not None else "zeros"
    out = keras.layers.Dense(1, activation="sigmoid", name="purchase_prob",
                             kernel_initializer=keras.initializers.GlorotUniform(seed=seed + 100),
                             bias_initializer=bias)(x)
    model = keras.Model(inputs, out, name="purchase_model")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
                  loss=keras.losses.BinaryCrossentropy(),
                  metrics=[keras.metrics.AUC(name="auc")], jit_compile=False)
    return model


def build_rating_network(n_user_rows: int, n_item_rows: int, n_user_features: int,
                         n_item_features: int, *, embedding_dim: int = 8,
                         hidden: Sequence[int] = (32,), l2: float = 0.03,
                         global_mean: float = 3.0, seed: int = 0, regularization: str = "batch",
                         bias_l2: tuple[float, float] | None = None) -> keras.Model:
    """The rating network: embeddings + biases + side features + an MLP head (uncompiled).

    ``rating = head(MLP([u, v, user_features, item_features])) + b_user + b_item + u . v``
    where ``u``, ``v`` are the user's and item's embedding rows.  ``l2`` penalises
    the rows used in a batch (per occurrence), not the whole table.  The head's
    bias starts at ``global_mean``, so an untrained model predicts the average
    rating rather than 0.

    Inputs are a dict: ``user_idx`` and ``item_idx`` (int, shape ``(batch,)``,
    rows of the embedding tables; row 0 is the shared "unknown" row) and, when
    there are side features, ``user_features`` / ``item_features`` (float,
    shape ``(batch, n)``).  The output has shape ``(batch, 1)``.

    ``regularization="table"`` instead penalises the whole tables, as matrix
    factorisation does: ``l2 * |U|^2`` on the embeddings and ``bias_l2 =
    (user, item)`` on the bias tables, each divided by the number of training
    ratings (see :class:`TableL2`), so that the mean squared error plus the
    penalty is the MF objective divided by that number.

    Examples
    --------
    >>> net = build_rating_network(11, 21, 3, 2, embedding_dim=4, hidden=(8,), seed=0)
    >>> sorted(net.input_names if hasattr(net, "input_names") else [i.name for i in net.inputs])
    ['item_features', 'item_idx', 'user_features', 'user_idx']
    >>> net.output_shape, net.count_params()
    ((None, 1), 281)
    """
    seed = _check_seed(seed, "build_rating_network")
    hidden = _check_hidden(hidden, "build_rating_network")
    for name, val in (("n_user_rows", n_user_rows), ("n_item_rows", n_item_rows)):
        if not isinstance(val, (int, np.integer)) or val < 1:
            raise ValueError(f"build_rating_network({name}={val!r}): need an int >= 1 "
                             "(capacity + 1, row 0 is the unknown id).")
    if not isinstance(embedding_dim, (int, np.integer)) or embedding_dim < 1:
        raise ValueError(f"build_rating_network(embedding_dim={embedding_dim!r}): use an int "
                         ">= 1, e.g. 8.")
    if regularization not in ("batch", "table"):
        raise ValueError(f"build_rating_network(regularization={regularization!r}): use 'batch' "
                         "(penalise the rows of each batch) or 'table' (the whole tables, as MF).")
    reg = keras.regularizers.L2(l2) if l2 and regularization == "batch" else None
    user_bias_l2, item_bias_l2 = (l2, l2) if bias_l2 is None else bias_l2

    def emb(rows, dim, name, k, zeros=False):
        init = "zeros" if zeros else keras.initializers.RandomNormal(0.0, 0.05, seed=seed + k)
        table = None
        if regularization == "table":
            strength = {"user_bias": user_bias_l2, "item_bias": item_bias_l2}.get(name, l2)
            table = TableL2(strength) if strength else None
        return keras.layers.Embedding(int(rows), dim, embeddings_initializer=init,
                                      activity_regularizer=reg, embeddings_regularizer=table,
                                      name=name)

    user_idx = keras.Input(shape=(), dtype="int32", name="user_idx")
    item_idx = keras.Input(shape=(), dtype="int32", name="item_idx")
    inputs = {"user_idx": user_idx, "item_idx": item_idx}
    u = emb(n_user_rows, int(embedding_dim), "user_embedding", 1)(user_idx)
    v = emb(n_item_rows, int(embedding_dim), "item_embedding", 2)(item_idx)
    b_u = emb(n_user_rows, 1, "user_bias", 3, zeros=True)(user_idx)
    b_i = emb(n_item_rows, 1, "item_bias", 4, zeros=True)(item_idx)
    parts = [u, v]
    if n_user_features:
        inputs["user_features"] = keras.Input(shape=(int(n_user_features),),
                                              name="user_features")
        parts.append(inputs["user_features"])
    if n_item_features:
        inputs["item_features"] = keras.Input(shape=(int(n_item_features),),
                                              name="item_features")
        parts.append(inputs["item_features"])
    x = keras.layers.Concatenate(name="concat")(parts)
    x = _mlp(x, hidden, seed + 10, "hidden")
    head = keras.layers.Dense(
        1, name="head", kernel_initializer=keras.initializers.GlorotUniform(seed=seed + 50),
        bias_initializer=keras.initializers.Constant(float(global_mean)))(x)
    dot = keras.layers.Dot(axes=1, name="dot")([u, v])
    out = keras.layers.Add(name="rating")([head, b_u, b_i, dot])
    return keras.Model(inputs, out, name="rating_model")


@keras.saving.register_keras_serializable(package="course_lib")
class TableL2(keras.regularizers.Regularizer):
    """``l2 * scale * sum(W^2)`` over a whole table; ``scale`` is 1 / (number of training ratings).

    With a mean-squared-error loss over ``n`` ratings, a penalty ``l2 * |W|^2`` on
    the *sum* of squared errors (the matrix-factorisation objective, ALS's
    ``reg``) becomes ``l2 / n * |W|^2`` on the mean.  :class:`RatingModel` sets
    ``scale`` at each ``fit`` to 1 / (ratings learned from so far), a variable,
    so changing it does not retrace the training graph.

    >>> reg = TableL2(10.0, scale=0.5)
    >>> float(reg(np.ones((2, 3), dtype="float32")))
    30.0
    """

    def __init__(self, l2: float = 0.0, scale: float = 1.0):
        self.l2 = float(l2)
        self.scale = keras.Variable(float(scale), trainable=False, dtype="float32")

    def __call__(self, x):
        return self.l2 * self.scale * keras.ops.sum(keras.ops.square(x))

    def get_config(self):
        return {"l2": self.l2, "scale": float(keras.ops.convert_to_numpy(self.scale))}


class ShuffledBatches(keras.utils.PyDataset):
    """Mini-batches in a new seeded order every epoch, with optional id dropout.

    Id dropout replaces a fraction ``unknown_rate`` of ``user_idx`` and
    ``item_idx`` by 0 (the "unknown id" row), freshly drawn each epoch, so row
    0 learns what to predict for a user or item the model has never seen.

    >>> ds = ShuffledBatches({"user_idx": np.arange(10)}, np.ones((10, 1)), batch_size=4,
    ...                      rng=np.random.default_rng(0))
    >>> len(ds), ds[2][0]["user_idx"].shape
    (3, (2,))
    """

    def __init__(self, inputs: dict, y: np.ndarray, *, batch_size: int,
                 rng: np.random.Generator, unknown_rate: float = 0.0):
        super().__init__(workers=1, use_multiprocessing=False)
        self.inputs, self.y = inputs, y
        self.n = len(y)
        self.batch_size = int(batch_size)
        self.rng = rng
        self.unknown_rate = float(unknown_rate)
        self._new_epoch()

    def _new_epoch(self) -> None:
        self.order = self.rng.permutation(self.n)
        self.masks = {}
        if self.unknown_rate > 0:
            for key in ("user_idx", "item_idx"):
                if key in self.inputs:
                    self.masks[key] = self.rng.random(self.n) < self.unknown_rate

    def __len__(self) -> int:
        return math.ceil(self.n / self.batch_size)

    def __getitem__(self, index: int):
        rows = self.order[index * self.batch_size:(index + 1) * self.batch_size]
        batch = {}
        for key, arr in self.inputs.items():
            part = arr[rows]
            if key in self.masks:
                part = np.where(self.masks[key][rows], 0, part).astype(arr.dtype)
            batch[key] = part
        return batch, self.y[rows]

    def on_epoch_end(self) -> None:
        self._new_epoch()


_HYPER = ("user_capacity", "item_capacity", "embedding_dim", "hidden", "learning_rate", "seed",
          "user_features", "item_features", "l2", "unknown_rate")


class RatingModel:
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
        (:class:`TableL2`); on MovieLens 100K this is what lets the network
        match a tuned MF (chapter 09).
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

    def __init__(self, users: pd.DataFrame, items: pd.DataFrame, *,
                 user_capacity: int | None = None, item_capacity: int | None = None,
                 embedding_dim: int = 8, hidden: Sequence[int] = (32,),
                 learning_rate: float = 1e-3, seed: int = 0,
                 user_features: Sequence[str] | None = None,
                 item_features: Sequence[str] | None = None, l2: float = 0.03,
                 unknown_rate: float = 0.05, feature_stats: dict | None = None,
                 rating_range: tuple[float, float] = (RATING_MIN, RATING_MAX),
                 regularization: str = "batch", bias_l2: tuple[float, float] | None = None):
        seed = _check_seed(seed, "RatingModel")
        if regularization not in ("batch", "table"):
            raise ValueError(f"RatingModel(regularization={regularization!r}): use 'batch' "
                             "(penalise the rows of each batch) or 'table' (the whole tables, "
                             "as matrix factorisation does).")
        low, high = check_rating_range(rating_range, "RatingModel")
        learning_rate = _check_lr(learning_rate, "RatingModel")
        hidden = _check_hidden(hidden, "RatingModel")
        for name, table in (("users", users), ("items", items)):
            if not isinstance(table, pd.DataFrame):
                raise TypeError(f"RatingModel({name}=...): expected a DataFrame indexed by "
                                f"{name[:-1]}_id, got {type(table).__name__}; pass shop.{name}.")
        user_capacity = len(users) if user_capacity is None else user_capacity
        item_capacity = len(items) if item_capacity is None else item_capacity
        for name, cap in (("user_capacity", user_capacity), ("item_capacity", item_capacity)):
            check_int(cap, name, "RatingModel", minimum=1,
                      fix="how many distinct ids get their own embedding row, or None")
        if not 0.0 <= float(unknown_rate) < 1.0:
            raise ValueError(f"RatingModel(unknown_rate={unknown_rate!r}): use a fraction in "
                             "[0, 1), e.g. 0.05.")
        self.user_table = FeatureTable(users, user_features)
        self.item_table = FeatureTable(items, item_features)
        self.hyper = {"user_capacity": int(user_capacity), "item_capacity": int(item_capacity),
                      "embedding_dim": int(embedding_dim), "hidden": list(hidden),
                      "learning_rate": learning_rate, "seed": seed,
                      "user_features": list(self.user_table.columns),
                      "item_features": list(self.item_table.columns), "l2": float(l2),
                      "unknown_rate": float(unknown_rate), "rating_range": [low, high],
                      "regularization": regularization,
                      "bias_l2": None if bias_l2 is None else [float(b) for b in bias_l2]}
        self._passed_stats = feature_stats is not None
        self._reset_state(feature_stats)

    # ------------------------------------------------------------------ state
    def _reset_state(self, feature_stats: dict | None) -> None:
        h = self.hyper
        self.user_encoder = IdEncoder(h["user_capacity"])
        self.item_encoder = IdEncoder(h["item_capacity"])
        stats = feature_stats or {}
        self.user_stats = _as_standardizer(stats.get("user"), "user")
        self.item_stats = _as_standardizer(stats.get("item"), "item")
        self._rng = np.random.default_rng(h["seed"])
        self.trained = False
        self.history_ = None
        self.keras_model = build_rating_network(
            h["user_capacity"] + 1, h["item_capacity"] + 1, self.user_table.n_features,
            self.item_table.n_features, embedding_dim=h["embedding_dim"], hidden=h["hidden"],
            l2=h["l2"], seed=h["seed"], regularization=h.get("regularization", "batch"),
            bias_l2=h.get("bias_l2"))
        self.n_ratings_learned = 0
        self._compile()

    def _compile(self, optimizer=None) -> None:
        self.keras_model.compile(
            optimizer=optimizer or keras.optimizers.Adam(learning_rate=self.hyper["learning_rate"]),
            loss="mse", metrics=[keras.metrics.RootMeanSquaredError(name="rmse")],
            jit_compile=False)

    def reset_optimizer(self) -> "RatingModel":
        """Forget Adam's moment estimates (a fresh optimizer, same learning rate); return self."""
        self._compile()
        return self

    @property
    def n_seen_users(self) -> int:
        return self.user_encoder.n_seen

    @property
    def n_seen_items(self) -> int:
        return self.item_encoder.n_seen

    @property
    def n_params(self) -> int:
        return int(self.keras_model.count_params())

    # ------------------------------------------------------------------ data
    @staticmethod
    def _check_frame(df, where: str, need_rating: bool) -> None:
        if not isinstance(df, pd.DataFrame):
            raise TypeError(f"RatingModel.{where}: expected a ratings DataFrame with columns "
                            f"user_id, item_id{', rating' if need_rating else ''}; got "
                            f"{type(df).__name__}.")
        need = ["user_id", "item_id"] + (["rating"] if need_rating else [])
        missing = [c for c in need if c not in df.columns]
        if missing:
            raise ValueError(f"RatingModel.{where}: the DataFrame lacks column(s) {missing}; it "
                             f"has {list(df.columns)}. Use the ratings schema (shop.ratings).")

    def update_tables(self, users: pd.DataFrame | None = None,
                      items: pd.DataFrame | None = None) -> "RatingModel":
        """Add (or update) side-table rows, e.g. the demographics of users who just signed up."""
        if users is not None:
            self.user_table.add(users)
        if items is not None:
            self.item_table.add(items)
        return self

    def _fit_stats_if_needed(self, df: pd.DataFrame) -> None:
        for table, stats, col in ((self.user_table, self.user_stats, "user_id"),
                                  (self.item_table, self.item_stats, "item_id")):
            if not stats.is_fitted:
                stats.fit(table.lookup(pd.unique(df[col])))

    def observe(self, ratings: pd.DataFrame) -> "RatingModel":
        """Grow the id encoders with the ids in ``ratings`` (no training); return self.

        The first data the model observes also fixes the feature standardisation
        (unless ``feature_stats`` was passed).
        """
        self._check_frame(ratings, "observe", need_rating=False)
        self.user_encoder.observe(ratings["user_id"])
        self.item_encoder.observe(ratings["item_id"])
        self._fit_stats_if_needed(ratings)
        return self

    def inputs(self, ratings: pd.DataFrame) -> dict[str, np.ndarray]:
        """The arrays ``keras_model`` eats for these rows (ids are not added to the encoders).

        Before the model has observed any data, the side features are standardised
        with the statistics of the whole side table (not stored); the first
        :meth:`observe` or :meth:`fit` then fixes the statistics for good.
        """
        self._check_frame(ratings, "inputs", need_rating=False)
        user_stats, item_stats = self.user_stats, self.item_stats
        if not user_stats.is_fitted:   # nothing observed yet: whole side table, not stored
            user_stats = Standardizer().fit(self.user_table.X)
        if not item_stats.is_fitted:
            item_stats = Standardizer().fit(self.item_table.X)
        out = {"user_idx": self.user_encoder.transform(ratings["user_id"]).astype("int32"),
               "item_idx": self.item_encoder.transform(ratings["item_id"]).astype("int32")}
        if self.user_table.n_features:
            out["user_features"] = user_stats.transform(
                self.user_table.lookup(ratings["user_id"])).astype("float32")
        if self.item_table.n_features:
            out["item_features"] = item_stats.transform(
                self.item_table.lookup(ratings["item_id"])).astype("float32")
        return out

    @staticmethod
    def targets(ratings: pd.DataFrame) -> np.ndarray:
        """Ratings as a float32 column of shape ``(n, 1)``, matching the model's output."""
        return ratings["rating"].to_numpy(dtype="float32").reshape(-1, 1)

    # ------------------------------------------------------------------ learn / predict
    def fit(self, ratings: pd.DataFrame, *, epochs: int = 1, batch_size: int = 256,
            learning_rate: float | None = None, clipnorm: float | None = None,
            validation_data: pd.DataFrame | None = None, callbacks=None,
            verbose: int = 0) -> "RatingModel":
        """Grow the encoders with the ids of ``ratings``, then continue training; return self.

        ``learning_rate`` and ``clipnorm`` apply to this call only.  The Keras
        ``History`` is kept in ``history_``.  Each call draws a new batch order
        from the model's own seeded generator.
        """
        self._check_frame(ratings, "fit", need_rating=True)
        if not isinstance(epochs, (int, np.integer)) or epochs < 1:
            raise ValueError(f"RatingModel.fit(epochs={epochs!r}): use an int >= 1.")
        if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(f"RatingModel.fit(batch_size={batch_size!r}): use an int >= 1, "
                             "e.g. 256.")
        if len(ratings) == 0:
            raise ValueError("RatingModel.fit: the ratings DataFrame is empty; nothing to learn.")
        if clipnorm is not None and not clipnorm > 0:
            raise ValueError(f"RatingModel.fit(clipnorm={clipnorm!r}): use a positive float or "
                             "None.")
        self.observe(ratings)
        X, y = self.inputs(ratings), self.targets(ratings)
        if not np.all(np.isfinite(y)):
            raise ValueError("RatingModel.fit: the rating column contains NaN or inf; drop "
                             "those rows first.")
        if not self.trained:  # start from the average rating, not from 3.0
            head = self.keras_model.get_layer("head")
            kernel, _ = head.get_weights()
            head.set_weights([kernel, np.array([float(y.mean())], dtype="float32")])
        val = None
        if validation_data is not None:
            self._check_frame(validation_data, "fit(validation_data=...)", need_rating=True)
            val = (self.inputs(validation_data), self.targets(validation_data))
        self.n_ratings_learned = getattr(self, "n_ratings_learned", 0) + len(ratings)
        for layer in self.keras_model.layers:
            table = getattr(layer, "embeddings_regularizer", None)
            if isinstance(table, TableL2):
                table.scale.assign(1.0 / self.n_ratings_learned)
        data = ShuffledBatches(X, y, batch_size=int(batch_size), rng=self._rng,
                               unknown_rate=self.hyper["unknown_rate"])
        opt = self.keras_model.optimizer
        saved_lr = float(opt.learning_rate.numpy())
        saved_clip = opt.clipnorm
        if learning_rate is not None:
            opt.learning_rate = _check_lr(learning_rate, "RatingModel.fit")
        if clipnorm != saved_clip:
            opt.clipnorm = clipnorm
            self.keras_model.train_function = None   # retrace: clipping is baked into the graph
        try:
            self.history_ = self.keras_model.fit(data, epochs=int(epochs), validation_data=val,
                                                 callbacks=callbacks, verbose=verbose,
                                                 shuffle=False)   # ShuffledBatches shuffles
        finally:
            opt.learning_rate = saved_lr
            if opt.clipnorm != saved_clip:
                opt.clipnorm = saved_clip
                self.keras_model.train_function = None
        self.trained = True
        return self

    def predict(self, ratings: pd.DataFrame, *, batch_size: int = 8192) -> np.ndarray:
        """Predicted ratings, shape ``(n,)``, clipped to ``rating_range``; unknown ids use row 0."""
        X = self.inputs(ratings)
        n = len(ratings)
        out = np.empty(n, dtype="float32")
        for start in range(0, n, batch_size):
            part = {k: v[start:start + batch_size] for k, v in X.items()}
            out[start:start + batch_size] = keras.ops.convert_to_numpy(
                self.keras_model(part, training=False)).reshape(-1)
        low, high = self.hyper.get("rating_range", (RATING_MIN, RATING_MAX))
        return np.clip(out.astype(float), low, high)

    # ------------------------------------------------------------------ weights
    def get_weights(self) -> list[np.ndarray]:
        return self.keras_model.get_weights()

    def set_weights(self, weights: list[np.ndarray]) -> "RatingModel":
        self.keras_model.set_weights(weights)
        return self

    def clone(self, fresh: bool = False) -> "RatingModel":
        """A copy.  ``fresh=True``: same hyper-parameters and side tables, new weights
        (the same initial weights as this model had), empty encoders.  The copy
        always gets a new optimizer (Adam's moments are not copied)."""
        new = RatingModel.__new__(RatingModel)
        new.user_table = _copy_table(self.user_table)
        new.item_table = _copy_table(self.item_table)
        new.hyper = json.loads(json.dumps(self.hyper))
        new._passed_stats = self._passed_stats
        stats = None
        if self._passed_stats or not fresh:
            stats = {"user": Standardizer.from_dict(self.user_stats.to_dict()),
                     "item": Standardizer.from_dict(self.item_stats.to_dict())}
        new._reset_state(stats)
        if not fresh:
            new.user_encoder = self.user_encoder.copy()
            new.item_encoder = self.item_encoder.copy()
            new.set_weights(self.get_weights())
            new.trained = self.trained
            new.n_ratings_learned = getattr(self, "n_ratings_learned", 0)
            new._rng = np.random.default_rng(self._rng.integers(2**31))
        return new

    # ------------------------------------------------------------------ persistence
    def save(self, path) -> Path:
        """Write a directory: ``model.keras`` (weights + optimizer), ``state.json``
        (hyper-parameters, id encoders, standardisation) and ``tables.npz`` (side
        features).  Written to a temporary directory next to ``path``, then renamed,
        so a crash never leaves a half-written model.  Returns the path."""
        path = Path(path)
        if path.suffix == ".keras":
            raise ValueError(f"RatingModel.save({str(path)!r}): give a directory name such as "
                             "'rating_model'; a .keras file alone cannot hold the id encoders.")
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.tmp-", dir=path.parent))
        try:
            with warnings.catch_warnings():   # Keras 3 + numpy 2 internal, not ours
                warnings.filterwarnings("ignore", message=_NUMPY_COPY_WARNING,
                                        category=DeprecationWarning)
                self.keras_model.save(tmp / "model.keras")
            ucfg, uarr = self.user_table.to_state()
            icfg, iarr = self.item_table.to_state()
            state = {"format": 1, "hyper": self.hyper, "trained": self.trained,
                     "n_ratings_learned": getattr(self, "n_ratings_learned", 0),
                     "passed_stats": self._passed_stats,
                     "user_encoder": self.user_encoder.to_dict(),
                     "item_encoder": self.item_encoder.to_dict(),
                     "user_stats": self.user_stats.to_dict(),
                     "item_stats": self.item_stats.to_dict(),
                     "user_table": ucfg, "item_table": icfg,
                     "rng": self._rng.bit_generator.state}
            (tmp / "state.json").write_text(json.dumps(state, default=_json_default))
            np.savez(tmp / "tables.npz", user_ids=uarr["ids"], user_X=uarr["X"],
                     item_ids=iarr["ids"], item_X=iarr["X"])
            old = None
            if path.exists():
                old = Path(tempfile.mkdtemp(prefix=f".{path.name}.old-", dir=path.parent))
                os.replace(path, old / "previous")
            os.replace(tmp, path)
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return path

    @classmethod
    def load(cls, path) -> "RatingModel":
        """Load what :meth:`save` wrote; predictions are identical to the saved model's."""
        path = Path(path)
        if not (path / "state.json").exists():
            raise FileNotFoundError(f"RatingModel.load({str(path)!r}): no state.json there; "
                                    "pass the directory that RatingModel.save wrote.")
        state = json.loads((path / "state.json").read_text())
        arrays = np.load(path / "tables.npz", allow_pickle=False)
        m = cls.__new__(cls)
        m.hyper = state["hyper"]
        m._passed_stats = state["passed_stats"]
        m.user_table = FeatureTable.from_state(state["user_table"],
                                               {"ids": arrays["user_ids"], "X": arrays["user_X"]})
        m.item_table = FeatureTable.from_state(state["item_table"],
                                               {"ids": arrays["item_ids"], "X": arrays["item_X"]})
        m.user_encoder = IdEncoder.from_dict(state["user_encoder"])
        m.item_encoder = IdEncoder.from_dict(state["item_encoder"])
        m.user_stats = Standardizer.from_dict(state["user_stats"])
        m.item_stats = Standardizer.from_dict(state["item_stats"])
        m._rng = np.random.default_rng()
        m._rng.bit_generator.state = state["rng"]
        m.trained = state["trained"]
        m.n_ratings_learned = state.get("n_ratings_learned", 0)
        m.history_ = None
        m.keras_model = keras.saving.load_model(path / "model.keras")
        return m

    def __repr__(self) -> str:
        return (f"RatingModel(n_seen_users={self.n_seen_users}, n_seen_items={self.n_seen_items}, "
                f"embedding_dim={self.hyper['embedding_dim']}, hidden={tuple(self.hyper['hidden'])}, "
                f"params={self.n_params})")


def _as_standardizer(value, which: str) -> Standardizer:
    if value is None:
        return Standardizer()
    if isinstance(value, Standardizer):
        return Standardizer.from_dict(value.to_dict())
    if isinstance(value, dict):
        return Standardizer.from_dict(value)
    raise TypeError(f"RatingModel(feature_stats={{'{which}': ...}}): expected a Standardizer or "
                    f"its to_dict(), got {type(value).__name__}.")


def _copy_table(table: FeatureTable) -> FeatureTable:
    cfg, arr = table.to_state()
    return FeatureTable.from_state(json.loads(json.dumps(cfg, default=_json_default)),
                                   {"ids": arr["ids"].copy(), "X": arr["X"].copy()})


def _json_default(obj):
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f"cannot serialise {type(obj).__name__}")
