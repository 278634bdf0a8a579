"""Keras networks of the course: the feature MLP, the purchase model and the rating network.

Explained in chapters 06 (rating) and 07 (purchase); :class:`~course_lib.models.
rating_model.RatingModel` wraps :func:`build_rating_network` with id encoders
and side tables.  This is where ``course_lib`` first imports TensorFlow
(through Keras 3).

Every builder takes a ``seed`` that fixes its initial weights (each layer gets
its own seeded initializer), so two models built with the same seed are
identical without touching global random state.  Every model returns a
``(batch, 1)`` output and is trained on targets of shape ``(n, 1)``: a
``(batch,)`` target against a ``(batch, 1)`` prediction would broadcast to a
``(batch, batch)`` matrix in a hand-written loss, the classic rating-model bug.

>>> import numpy as np
>>> X = np.random.default_rng(0).normal(size=(64, 3))
>>> model = build_feature_mlp(X, seed=0)
>>> model.output_shape, model.count_params()
((None, 1), 2376)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
import numpy as np
from numpy.typing import ArrayLike

from course_lib.core.validation import (
    argument_error,
    check_array,
    check_choice,
    check_int,
    check_number,
)

__all__ = ["build_feature_mlp", "build_purchase_model", "build_rating_network", "TableL2"]

REGULARIZATIONS = ("batch", "table")


def _check_seed(seed: object, where: str) -> int:
    """A Keras/TF seed: an int in ``[0, 2**31 - 1]``."""
    return check_int(seed, "seed", where, minimum=0, maximum=2**31 - 1, fix="e.g. seed=0")


def _check_hidden(hidden: object, where: str) -> tuple[int, ...]:
    """Layer widths: a sequence of ints >= 1 (possibly empty)."""
    units: tuple[Any, ...] | None
    try:
        units = tuple(hidden)  # type: ignore[arg-type]
    except TypeError:
        units = None
    ok = units is not None and all(
        isinstance(u, (int, np.integer)) and not isinstance(u, bool) and u >= 1 for u in units
    )
    if not ok:
        raise argument_error(
            where,
            "hidden",
            hidden,
            "a sequence of layer widths, every layer width >= 1",
            "e.g. hidden=(64, 32), or hidden=() for none",
        )
    return tuple(int(u) for u in units)  # type: ignore[union-attr]


def _dense_stack(x: Any, hidden: Sequence[int], seed: int, prefix: str) -> Any:
    """ReLU layers ``prefix1``, ``prefix2`` ... each with its own seeded initializer."""
    for k, units in enumerate(hidden):
        x = keras.layers.Dense(
            units,
            activation="relu",
            name=f"{prefix}{k + 1}",
            kernel_initializer=keras.initializers.GlorotUniform(seed=seed + k),
        )(x)
    return x


def _normalized_trunk(
    X_train: ArrayLike, hidden: object, seed: object, learning_rate: object, where: str
) -> tuple[Any, Any, int, float]:
    """Validate the builder's arguments; return ``(inputs, trunk, seed, learning_rate)``.

    The trunk is ``Normalization`` adapted on ``X_train`` (training data only)
    followed by the hidden ReLU layers; the builders add their output layer.
    """
    X = check_array(
        X_train, "X_train", where, ndim=2, fix="use X.reshape(-1, 1) for a single feature"
    ).astype("float32")
    seed = _check_seed(seed, where)
    units = _check_hidden(hidden, where)
    learning_rate = check_number(
        learning_rate,
        "learning_rate",
        where,
        low=0,
        low_inclusive=False,
        fix="use a positive float such as 1e-3",
    )
    inputs = keras.Input(shape=(X.shape[1],), name="features")
    norm = keras.layers.Normalization(name="normalization")
    norm.adapt(X)
    return inputs, _dense_stack(norm(inputs), units, seed, "dense"), seed, learning_rate


def build_feature_mlp(
    X_train: ArrayLike,
    *,
    hidden: Sequence[int] = (64, 32),
    learning_rate: float = 1e-3,
    seed: int = 0,
) -> keras.Model:
    """A rating predictor from a feature vector: features -> Dense 64 -> Dense 32 -> 1, compiled.

    The source articles' model.  They standardise ``X`` with the mean and std
    of the *whole* data set before splitting; here a
    ``keras.layers.Normalization`` layer inside the model is adapted on
    ``X_train`` only, so the statistics travel with the saved model and no test
    data leaks into training.

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
        Named ``"feature_mlp"``, compiled with Adam, MSE loss and an ``rmse``
        metric; output ``(batch, 1)``.

    Examples
    --------
    >>> X = np.random.default_rng(1).normal(5.0, 2.0, size=(100, 3))
    >>> m = build_feature_mlp(X, hidden=(4,), seed=0)
    >>> [layer.name for layer in m.layers]
    ['features', 'normalization', 'dense1', 'rating']
    >>> build_feature_mlp(X[:, 0])
    Traceback (most recent call last):
    ...
    ValueError: build_feature_mlp(X_train=array of shape (100,)): X_train must be 2-dimensional, got shape (100,); use X.reshape(-1, 1) for a single feature.
    """
    inputs, x, seed, learning_rate = _normalized_trunk(
        X_train, hidden, seed, learning_rate, "build_feature_mlp"
    )
    out = keras.layers.Dense(
        1, name="rating", kernel_initializer=keras.initializers.GlorotUniform(seed=seed + 100)
    )(x)
    model = keras.Model(inputs, out, name="feature_mlp")
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
        loss="mse",
        metrics=[keras.metrics.RootMeanSquaredError(name="rmse")],
        jit_compile=False,
    )
    return model


def build_purchase_model(
    X_train: ArrayLike,
    *,
    hidden: Sequence[int] = (20,),
    learning_rate: float = 1e-3,
    seed: int = 0,
    output_bias: float | None = None,
) -> keras.Model:
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
    inputs, x, seed, learning_rate = _normalized_trunk(
        X_train, hidden, seed, learning_rate, "build_purchase_model"
    )
    if output_bias is not None:
        output_bias = check_number(output_bias, "output_bias", "build_purchase_model")
    bias = keras.initializers.Constant(output_bias) if output_bias is not None else "zeros"
    out = keras.layers.Dense(
        1,
        activation="sigmoid",
        name="purchase_prob",
        kernel_initializer=keras.initializers.GlorotUniform(seed=seed + 100),
        bias_initializer=bias,
    )(x)
    model = keras.Model(inputs, out, name="purchase_model")
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
        loss=keras.losses.BinaryCrossentropy(),
        metrics=[keras.metrics.AUC(name="auc")],
        jit_compile=False,
    )
    return model


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

    def __init__(self, l2: float = 0.0, scale: float = 1.0) -> None:
        self.l2 = float(l2)
        self.scale = keras.Variable(float(scale), trainable=False, dtype="float32")

    def __call__(self, x: Any) -> Any:
        return self.l2 * self.scale * keras.ops.sum(keras.ops.square(x))

    def get_config(self) -> dict[str, float]:
        return {"l2": self.l2, "scale": float(keras.ops.convert_to_numpy(self.scale))}


def _embedding_tables(
    n_user_rows: int,
    n_item_rows: int,
    embedding_dim: int,
    *,
    l2: float,
    seed: int,
    regularization: str,
    bias_l2: Sequence[float] | None,
) -> dict[str, keras.layers.Embedding]:
    """The four tables: user/item embeddings (seeded normal) and biases (zeros)."""
    per_row = keras.regularizers.L2(l2) if l2 and regularization == "batch" else None
    strength = {
        "user_embedding": l2,
        "item_embedding": l2,
        "user_bias": l2 if bias_l2 is None else float(bias_l2[0]),
        "item_bias": l2 if bias_l2 is None else float(bias_l2[1]),
    }
    shapes = {
        "user_embedding": (n_user_rows, embedding_dim, 1),
        "item_embedding": (n_item_rows, embedding_dim, 2),
        "user_bias": (n_user_rows, 1, 3),
        "item_bias": (n_item_rows, 1, 4),
    }
    tables = {}
    for name, (rows, dim, k) in shapes.items():
        init = (
            "zeros"
            if name.endswith("bias")
            else keras.initializers.RandomNormal(0.0, 0.05, seed=seed + k)
        )
        whole = TableL2(strength[name]) if regularization == "table" and strength[name] else None
        tables[name] = keras.layers.Embedding(
            rows,
            dim,
            embeddings_initializer=init,
            activity_regularizer=per_row,
            embeddings_regularizer=whole,
            name=name,
        )
    return tables


def _network_inputs(n_user_features: int, n_item_features: int) -> dict[str, Any]:
    """The rating network's inputs: ``user_idx``, ``item_idx`` and the side features it has."""
    inputs = {
        "user_idx": keras.Input(shape=(), dtype="int32", name="user_idx"),
        "item_idx": keras.Input(shape=(), dtype="int32", name="item_idx"),
    }
    for name, n in (("user_features", n_user_features), ("item_features", n_item_features)):
        if n:
            inputs[name] = keras.Input(shape=(int(n),), name=name)
    return inputs


def build_rating_network(
    n_user_rows: int,
    n_item_rows: int,
    n_user_features: int,
    n_item_features: int,
    *,
    embedding_dim: int = 8,
    hidden: Sequence[int] = (32,),
    l2: float = 0.03,
    global_mean: float = 3.0,
    seed: int = 0,
    regularization: str = "batch",
    bias_l2: tuple[float, float] | None = None,
) -> keras.Model:
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
    >>> sorted(i.name for i in net.inputs)
    ['item_features', 'item_idx', 'user_features', 'user_idx']
    >>> net.output_shape, net.count_params()
    ((None, 1), 281)
    """
    where = "build_rating_network"
    seed = _check_seed(seed, where)
    units = _check_hidden(hidden, where)
    for name, rows in (("n_user_rows", n_user_rows), ("n_item_rows", n_item_rows)):
        check_int(rows, name, where, minimum=1, fix="capacity + 1, row 0 is the unknown id")
    for name, n in (("n_user_features", n_user_features), ("n_item_features", n_item_features)):
        check_int(n, name, where, minimum=0)
    embedding_dim = check_int(embedding_dim, "embedding_dim", where, minimum=1, fix="e.g. 8")
    l2 = check_number(l2, "l2", where, low=0)
    check_choice(
        regularization,
        "regularization",
        where,
        REGULARIZATIONS,
        fix="'batch' penalises the rows of each batch, 'table' the whole tables (as MF)",
    )
    tables = _embedding_tables(
        int(n_user_rows),
        int(n_item_rows),
        embedding_dim,
        l2=l2,
        seed=seed,
        regularization=regularization,
        bias_l2=bias_l2,
    )
    inputs = _network_inputs(n_user_features, n_item_features)
    u = tables["user_embedding"](inputs["user_idx"])
    v = tables["item_embedding"](inputs["item_idx"])
    b_u = tables["user_bias"](inputs["user_idx"])
    b_i = tables["item_bias"](inputs["item_idx"])
    features = [inputs[name] for name in ("user_features", "item_features") if name in inputs]
    x = _dense_stack(
        keras.layers.Concatenate(name="concat")([u, v, *features]), units, seed + 10, "hidden"
    )
    head = keras.layers.Dense(
        1,
        name="head",
        kernel_initializer=keras.initializers.GlorotUniform(seed=seed + 50),
        bias_initializer=keras.initializers.Constant(float(global_mean)),
    )(x)
    dot = keras.layers.Dot(axes=1, name="dot")([u, v])
    out = keras.layers.Add(name="rating")([head, b_u, b_i, dot])
    return keras.Model(inputs, out, name="rating_model")
