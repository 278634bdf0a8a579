"""A two-layer neural network in numpy with an explicit forward and backward pass.

Explained in chapter 04 (``notebooks/04_backprop_by_hand.ipynb``).  The
notation, for a batch of ``n`` rows (one example per row, as Keras does)::

    Z1 = X @ W1 + b1        X: (n, d)   W1: (d, h)   b1: (h,)
    H  = phi(Z1)            phi: the hidden activation (sigmoid, relu or tanh)
    Z2 = H @ W2 + b2        W2: (h, k)  b2: (k,)
    Y  = sigmoid(Z2)        the predicted purchase probabilities, (n, k)

and, for the mean binary cross-entropy ``L`` (or the mean squared error), the
backward pass::

    delta2 = dL/dZ2 = (Y - y) / n                      (binary cross-entropy)
           = 2 (Y - y) / (n k) * Y (1 - Y)             (mean squared error)
    dW2 = H.T @ delta2       db2 = delta2.sum(axis=0)
    delta1 = dL/dZ1 = (delta2 @ W2.T) * phi'(Z1)
    dW1 = X.T @ delta1       db1 = delta1.sum(axis=0)

Parameters are a dict ``{"W1", "b1", "W2", "b2"}`` and gradients a dict with
the same keys, so any ``course_lib.foundations`` optimizer can train the network.
The hidden activations ``phi`` and their derivatives are in
:mod:`course_lib.foundations.activations`.
The kernel layout ``(inputs, units)`` and the order W1, b1, W2, b2 are Keras'
(``keras_weights`` / ``params_from_keras`` convert).

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> params = init_params(n_inputs=3, n_hidden=4, seed=0)
>>> X, y = rng.normal(size=(5, 3)), np.array([0.0, 1.0, 1.0, 0.0, 1.0])
>>> cache = forward(params, X)
>>> cache["Y"].shape
(5, 1)
>>> grads = backward(params, cache, y)
>>> sorted(grads) == sorted(params) and grads["W1"].shape == (3, 4)
True
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from course_lib.core.validation import (
    ArgumentTypeError,
    argument_error,
    check_array,
    check_choice,
    check_int,
)
from course_lib.core.validation import as_generator as _rng
from course_lib.foundations.activations import (
    _check_activation,
    activate,
    activation_derivative,
    sigmoid,
)
from course_lib.foundations.losses import binary_crossentropy, mse
from course_lib.foundations.optimizers import Optimizer

__all__ = [
    "LOSSES",
    "init_params",
    "forward",
    "loss",
    "backward",
    "train",
    "keras_weights",
    "params_from_keras",
]

LOSSES = ("binary_crossentropy", "mse")
_KEYS = ("W1", "b1", "W2", "b2")


def init_params(
    n_inputs: int, n_hidden: int, n_outputs: int = 1, seed: int | np.random.Generator = 0
) -> dict[str, np.ndarray]:
    """Glorot-uniform weights and zero biases, like a fresh ``keras.layers.Dense``.

    Parameters
    ----------
    n_inputs, n_hidden, n_outputs : int
        Layer sizes ``d``, ``h`` and ``k``.
    seed : int or np.random.Generator
        Where the random weights come from.

    Returns
    -------
    dict of str -> np.ndarray
        ``{"W1": (d, h), "b1": (h,), "W2": (h, k), "b2": (k,)}``.

    Examples
    --------
    >>> p = init_params(10, 20, seed=0)
    >>> {k: v.shape for k, v in p.items()}
    {'W1': (10, 20), 'b1': (20,), 'W2': (20, 1), 'b2': (1,)}
    >>> init_params(10, 0)
    Traceback (most recent call last):
    ...
    ValueError: init_params(n_hidden=0): n_hidden must be an int >= 1; a layer needs at least one unit.
    """
    for name, value in (("n_inputs", n_inputs), ("n_hidden", n_hidden), ("n_outputs", n_outputs)):
        check_int(value, name, "init_params", minimum=1, fix="a layer needs at least one unit")
    rng = _rng(seed, "init_params")

    def glorot(fan_in: int, fan_out: int) -> np.ndarray:
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        return rng.uniform(-limit, limit, size=(fan_in, fan_out))

    return {
        "W1": glorot(n_inputs, n_hidden),
        "b1": np.zeros(n_hidden),
        "W2": glorot(n_hidden, n_outputs),
        "b2": np.zeros(n_outputs),
    }


def _finite(arr: np.ndarray, name: str, where: str, fix: str) -> np.ndarray:
    """``arr`` if it holds no inf (``check_array`` has already refused NaN)."""
    if not np.all(np.isfinite(arr)):
        raise argument_error(
            where, name, arr, f"finite numbers, found {int(np.sum(~np.isfinite(arr)))} inf", fix
        )
    return arr


def _check_params(params: Any, where: str) -> dict[str, np.ndarray]:
    if not isinstance(params, Mapping) or set(params) != set(_KEYS):
        is_dict = isinstance(params, Mapping)
        got = sorted(params) if is_dict else type(params).__name__
        raise argument_error(
            where,
            "params",
            params,
            f"a dict with keys {list(_KEYS)}, got {got}",
            "build it with init_params(...)",
            exc=ValueError if is_dict else ArgumentTypeError,
        )
    fix = "training diverged: lower the learning rate"
    p = {
        k: _finite(
            check_array(params[k], f"params[{k!r}]", where, fix=fix), f"params[{k!r}]", where, fix
        )
        for k in _KEYS
    }
    if (
        p["W1"].ndim != 2
        or p["W2"].ndim != 2
        or p["b1"].shape != (p["W1"].shape[1],)
        or p["W2"].shape[0] != p["W1"].shape[1]
        or p["b2"].shape != (p["W2"].shape[1],)
    ):
        shapes = {k: v.shape for k, v in p.items()}
        raise argument_error(
            where,
            "params",
            params,
            f"arrays of consistent shapes W1 (d, h), b1 (h,), W2 (h, k), b2 (k,), got {shapes}",
            "build them with init_params(...)",
        )
    return p


def _check_X(X: ArrayLike, params: dict[str, np.ndarray], where: str) -> np.ndarray:
    X = check_array(
        X,
        "X",
        where,
        ndim=2,
        fix="X is (n_samples, n_features); for one example use X.reshape(1, -1)",
    )
    X = _finite(X, "X", where, "fill or drop missing values first")
    if X.shape[1] != params["W1"].shape[0]:
        raise argument_error(
            where,
            "X",
            X,
            f"of shape (n, {params['W1'].shape[0]}): one column "
            "per row of W1 (n_features, n_hidden), got "
            f"{X.shape[1]} columns",
            "check the columns of X",
        )
    return X


def _check_y(y: ArrayLike, n: int, k: int, where: str) -> np.ndarray:
    given = check_array(y, "y", where, fix="drop the rows with missing labels")
    y = given.reshape(-1, 1) if given.ndim == 1 and k == 1 else given  # never (n,) - (n, 1)
    if y.shape != (n, k):
        raise argument_error(
            where,
            "y",
            given,
            f"of the shape ({n}, {k}) that the network predicts, got {given.shape}",
            "pass one label per row of X (shape (n,) or (n, 1))",
        )
    return _finite(y, "y", where, "drop those rows")


def forward(
    params: Mapping[str, ArrayLike], X: ArrayLike, hidden_activation: str = "relu"
) -> dict[str, np.ndarray]:
    """The forward pass; returns the cache ``{"X", "Z1", "H", "Z2", "Y"}``.

    Parameters
    ----------
    params : dict
        ``{"W1", "b1", "W2", "b2"}`` as made by :func:`init_params`.
    X : array_like of shape (n, d)
        One example per row.
    hidden_activation : {"relu", "sigmoid", "tanh"}
        The hidden layer's activation.

    Returns
    -------
    dict of str -> np.ndarray
        The batch and every intermediate result, as :func:`backward` needs them.

    Examples
    --------
    >>> p = {"W1": np.eye(2), "b1": np.zeros(2), "W2": np.ones((2, 1)), "b2": np.zeros(1)}
    >>> print(forward(p, np.array([[1.0, -1.0]]))["Y"].round(4))
    [[0.7311]]
    >>> forward(p, np.ones((3, 5)))
    Traceback (most recent call last):
    ...
    ValueError: forward(X=array of shape (3, 5)): X must be of shape (n, 2): one column per ...
    """
    _check_activation(hidden_activation, "forward")
    p = _check_params(params, "forward")
    X = _check_X(X, p, "forward")
    Z1 = X @ p["W1"] + p["b1"]
    H = activate(Z1, hidden_activation)
    Z2 = H @ p["W2"] + p["b2"]
    return {"X": X, "Z1": Z1, "H": H, "Z2": Z2, "Y": sigmoid(Z2)}


def _check_loss(name: str, where: str) -> str:
    return check_choice(name, "loss", where, LOSSES)


def _mean_loss(Y: np.ndarray, Z2: np.ndarray, y: np.ndarray, loss: str) -> float:
    """Mean BCE from the logits ``Z2`` (stable), or the mean squared error of ``Y``."""
    if loss == "mse":
        return mse(y, Y)
    return binary_crossentropy(y, Z2, from_logits=True)


def loss(
    params: Mapping[str, ArrayLike],
    X: ArrayLike,
    y: ArrayLike,
    hidden_activation: str = "relu",
    loss: str = "binary_crossentropy",
) -> float:
    """Mean loss of the network on ``(X, y)``.

    Binary cross-entropy is computed from the logits ``Z2`` (stable for any
    ``Z2``); ``"mse"`` is the mean of ``(Y - y)**2`` over all entries.

    Parameters
    ----------
    params : dict
        ``{"W1", "b1", "W2", "b2"}``.
    X : array_like of shape (n, d)
    y : array_like of shape (n,) or (n, k)
    hidden_activation : {"relu", "sigmoid", "tanh"}
    loss : {"binary_crossentropy", "mse"}

    Returns
    -------
    float

    >>> p = {"W1": np.eye(1), "b1": np.zeros(1), "W2": np.zeros((1, 1)), "b2": np.zeros(1)}
    >>> round(loss(p, np.array([[3.0]]), np.array([1.0])), 4)      # Y = 0.5: log 2
    0.6931
    """
    _check_loss(loss, "loss")
    cache = forward(params, X, hidden_activation)
    n, k = cache["Y"].shape
    y = _check_y(y, n, k, "loss")
    return _mean_loss(cache["Y"], cache["Z2"], y, loss)


def backward(
    params: Mapping[str, ArrayLike],
    cache: Mapping[str, np.ndarray],
    y: ArrayLike,
    hidden_activation: str = "relu",
    loss: str = "binary_crossentropy",
) -> dict[str, np.ndarray]:
    """Gradients of the mean loss with respect to every parameter.

    Parameters
    ----------
    params : dict
        ``{"W1", "b1", "W2", "b2"}``.
    cache : dict
        What :func:`forward` returned for the same ``params`` and batch.
    y : array_like of shape (n,) or (n, k)
        The labels.
    hidden_activation, loss : str
        As used in the forward pass.

    Returns
    -------
    dict
        ``{"W1": dL/dW1, "b1": dL/db1, "W2": dL/dW2, "b2": dL/db2}``, each of its
        parameter's shape.

    Examples
    --------
    >>> p = init_params(2, 3, seed=1)
    >>> X, y = np.array([[1.0, 2.0], [0.5, -1.0]]), np.array([1.0, 0.0])
    >>> g = backward(p, forward(p, X), y)
    >>> {k: v.shape for k, v in g.items()}
    {'W1': (2, 3), 'b1': (3,), 'W2': (3, 1), 'b2': (1,)}
    """
    _check_activation(hidden_activation, "backward")
    _check_loss(loss, "backward")
    p = _check_params(params, "backward")
    missing = {"X", "Z1", "H", "Y"} - set(cache)
    if missing:
        raise argument_error(
            "backward",
            "cache",
            sorted(cache),
            f"a dict holding X, Z1, H and Y, it lacks {sorted(missing)}",
            "pass what forward(params, X) returned",
        )
    X, Z1, H, Y = (np.asarray(cache[k], dtype=float) for k in ("X", "Z1", "H", "Y"))
    n, k = Y.shape
    y = _check_y(y, n, k, "backward")
    if loss == "binary_crossentropy":
        delta2 = (Y - y) / n  # the sigmoid's derivative cancels
    else:
        delta2 = 2.0 * (Y - y) / (n * k) * Y * (1.0 - Y)
    grads = {"W2": H.T @ delta2, "b2": delta2.sum(axis=0)}
    delta1 = (delta2 @ p["W2"].T) * activation_derivative(Z1, hidden_activation)
    grads.update(W1=X.T @ delta1, b1=delta1.sum(axis=0))
    return {key: grads[key] for key in _KEYS}


def train(
    params: Mapping[str, ArrayLike],
    X: ArrayLike,
    y: ArrayLike,
    optimizer: Optimizer,
    n_epochs: int,
    *,
    hidden_activation: str = "relu",
    loss: str = "binary_crossentropy",
) -> tuple[dict[str, np.ndarray], list[float]]:
    """Full-batch training: ``n_epochs`` steps of ``optimizer`` on the whole of ``(X, y)``.

    Returns the trained parameters (new arrays; ``params`` is not modified)
    and the loss *before* each step, which is what Keras' ``fit`` reports as
    an epoch's loss when ``batch_size`` is the whole data set.

    Parameters
    ----------
    params : dict
        The starting ``{"W1", "b1", "W2", "b2"}``.
    X : array_like of shape (n, d)
    y : array_like of shape (n,) or (n, k)
    optimizer : Optimizer
        E.g. ``SGD(learning_rate=0.5)``; it is ``reset()`` first.
    n_epochs : int
        Number of full-batch steps, >= 0.
    hidden_activation : {"relu", "sigmoid", "tanh"}
    loss : {"binary_crossentropy", "mse"}

    Returns
    -------
    (dict, list of float)
        The trained parameters and the loss before each step.

    Examples
    --------
    >>> from course_lib.foundations.optimizers import SGD
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(64, 3)); y = (X[:, 0] > 0).astype(float)
    >>> trained, losses = train(init_params(3, 8, seed=0), X, y, SGD(learning_rate=0.5), 50)
    >>> losses[-1] < 0.6 * losses[0]
    True
    """
    if not isinstance(optimizer, Optimizer):
        raise argument_error(
            "train",
            "optimizer",
            optimizer,
            f"a course_lib.foundations optimizer, got {type(optimizer).__name__}",
            "pass e.g. SGD(learning_rate=0.1)",
            exc=ArgumentTypeError,
        )
    n_epochs = check_int(n_epochs, "n_epochs", "train", minimum=0)
    _check_loss(loss, "train")
    optimizer.reset()
    current: dict[str, np.ndarray] = _check_params(params, "train")
    losses: list[float] = []
    for _ in range(n_epochs):
        cache = forward(current, X, hidden_activation)
        n, k = cache["Y"].shape
        yy = _check_y(y, n, k, "train")
        losses.append(_mean_loss(cache["Y"], cache["Z2"], yy, loss))
        current = optimizer.step(current, backward(current, cache, yy, hidden_activation, loss))
    return current, losses


def keras_weights(params: Mapping[str, ArrayLike]) -> list[np.ndarray]:
    """``[W1, b1, W2, b2]`` as float32: what ``keras_model.set_weights`` expects.

    Parameters
    ----------
    params : dict
        ``{"W1", "b1", "W2", "b2"}``.

    Returns
    -------
    list of np.ndarray

    >>> [w.shape for w in keras_weights(init_params(10, 20))]
    [(10, 20), (20,), (20, 1), (1,)]
    """
    p = _check_params(params, "keras_weights")
    return [p[k].astype(np.float32) for k in _KEYS]


def params_from_keras(weights: list[ArrayLike]) -> dict[str, np.ndarray]:
    """The inverse of :func:`keras_weights` (as float64).

    Parameters
    ----------
    weights : list of 4 array_like
        ``keras_model.get_weights()`` of a model with two Dense layers.

    Returns
    -------
    dict of str -> np.ndarray

    >>> p = params_from_keras(keras_weights(init_params(2, 3)))
    >>> sorted(p)
    ['W1', 'W2', 'b1', 'b2']
    """
    weights = list(weights)
    if len(weights) != 4:
        raise argument_error(
            "params_from_keras",
            "weights",
            weights,
            f"4 arrays [W1, b1, W2, b2] (two Dense layers), got {len(weights)}",
            "pass keras_model.get_weights() of a 2-layer model",
        )
    return _check_params(
        dict(zip(_KEYS, (np.asarray(w, dtype=float) for w in weights), strict=True)),
        "params_from_keras",
    )
