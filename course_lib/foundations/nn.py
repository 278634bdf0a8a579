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
the same keys, so any ``course_lib.foundations.optim`` optimizer can train the network.
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

from typing import Mapping

import numpy as np

from course_lib.core.validation import as_generator as _rng

__all__ = ["ACTIVATIONS", "LOSSES", "sigmoid", "activate", "activation_derivative",
           "init_params", "forward", "loss", "backward", "train", "keras_weights",
           "params_from_keras"]

ACTIVATIONS = ("sigmoid", "relu", "tanh")
LOSSES = ("binary_crossentropy", "mse")
_KEYS = ("W1", "b1", "W2", "b2")


def sigmoid(z):
    """The logistic function ``1 / (1 + exp(-z))``, without overflow for large ``|z|``.

    >>> print(sigmoid(np.array([-800.0, 0.0, 800.0])))
    [0.  0.5 1. ]
    """
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _check_activation(name: str) -> str:
    if name not in ACTIVATIONS:
        raise ValueError(f"hidden_activation={name!r} is not supported; use one of "
                         f"{list(ACTIVATIONS)}.")
    return name


def activate(z, name: str = "relu") -> np.ndarray:
    """Apply the hidden activation ``name`` to the pre-activations ``z``.

    >>> print(activate(np.array([-1.0, 2.0]), "relu"))
    [0. 2.]
    """
    _check_activation(name)
    z = np.asarray(z, dtype=float)
    if name == "sigmoid":
        return sigmoid(z)
    if name == "relu":
        return np.maximum(z, 0.0)
    return np.tanh(z)


def activation_derivative(z, name: str = "relu") -> np.ndarray:
    """``phi'(z)``, the derivative of the activation, evaluated at the *pre-activation* ``z``.

    For the sigmoid ``phi'(z) = s (1 - s)`` with ``s = sigmoid(z)``: at most
    0.25, and close to 0 once ``|z|`` is larger than about 5 (the unit is
    saturated), which is where vanishing gradients come from.  (relu's
    derivative at exactly 0 is taken as 0, as TensorFlow does.)

    >>> print(np.round(activation_derivative(np.array([0.0, 5.0]), "sigmoid"), 4))
    [0.25   0.0066]
    """
    _check_activation(name)
    z = np.asarray(z, dtype=float)
    if name == "sigmoid":
        s = sigmoid(z)
        return s * (1.0 - s)
    if name == "relu":
        return (z > 0).astype(float)
    return 1.0 - np.tanh(z) ** 2


def init_params(n_inputs: int, n_hidden: int, n_outputs: int = 1, seed=0) -> dict:
    """Glorot-uniform weights and zero biases, like a fresh ``keras.layers.Dense``.

    Parameters
    ----------
    n_inputs, n_hidden, n_outputs : int
        Layer sizes ``d``, ``h`` and ``k``.
    seed : int or np.random.Generator
        Where the random weights come from.

    Examples
    --------
    >>> p = init_params(10, 20, seed=0)
    >>> {k: v.shape for k, v in p.items()}
    {'W1': (10, 20), 'b1': (20,), 'W2': (20, 1), 'b2': (1,)}
    >>> init_params(10, 0)
    Traceback (most recent call last):
    ...
    ValueError: init_params: n_hidden must be a positive int, got 0; ...
    """
    for name, value in (("n_inputs", n_inputs), ("n_hidden", n_hidden),
                        ("n_outputs", n_outputs)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"init_params: {name} must be a positive int, got {value!r}; "
                             "a layer needs at least one unit.")
    rng = _rng(seed)

    def glorot(fan_in, fan_out):
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        return rng.uniform(-limit, limit, size=(fan_in, fan_out))

    return {"W1": glorot(n_inputs, n_hidden), "b1": np.zeros(n_hidden),
            "W2": glorot(n_hidden, n_outputs), "b2": np.zeros(n_outputs)}


def _check_params(params) -> dict:
    if not isinstance(params, Mapping) or set(params) != set(_KEYS):
        got = sorted(params) if isinstance(params, Mapping) else type(params).__name__
        raise ValueError(f"params must be a dict with keys {list(_KEYS)}, got {got}; build it "
                         "with init_params(...).")
    p = {k: np.asarray(params[k], dtype=float) for k in _KEYS}
    if p["W1"].ndim != 2 or p["W2"].ndim != 2 or p["b1"].shape != (p["W1"].shape[1],) or \
            p["W2"].shape[0] != p["W1"].shape[1] or p["b2"].shape != (p["W2"].shape[1],):
        shapes = {k: v.shape for k, v in p.items()}
        raise ValueError(f"params have inconsistent shapes {shapes}; expected W1 (d, h), "
                         "b1 (h,), W2 (h, k), b2 (k,).")
    for k, v in p.items():
        if not np.all(np.isfinite(v)):
            raise ValueError(f"params[{k!r}] contains NaN or inf: training diverged; lower "
                             "the learning rate.")
    return p


def _check_X(X, params: dict) -> np.ndarray:
    X = np.asarray(X, dtype=float)
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D (n_samples, n_features), got shape {X.shape}; for "
                         "one example use X.reshape(1, -1).")
    if X.shape[0] == 0:
        raise ValueError("X is empty (0 rows); pass at least one example.")
    if X.shape[1] != params["W1"].shape[0]:
        raise ValueError(f"X has {X.shape[1]} features but W1 expects {params['W1'].shape[0]} "
                         "(W1 has shape (n_features, n_hidden)); check the columns of X.")
    if not np.all(np.isfinite(X)):
        raise ValueError("X contains NaN or inf; fill or drop missing values first.")
    return X


def _check_y(y, n: int, k: int) -> np.ndarray:
    y = np.asarray(y, dtype=float)
    given = y.shape
    if y.ndim == 1 and k == 1:
        y = y.reshape(-1, 1)          # (n,) -> (n, 1): never let (n,) - (n, 1) broadcast
    if y.shape != (n, k):
        raise ValueError(f"y has shape {given} but the network predicts shape ({n}, {k}); "
                         "pass one label per row of X (shape (n,) or (n, 1)).")
    if not np.all(np.isfinite(y)):
        raise ValueError("y contains NaN or inf; drop those rows.")
    return y


def forward(params, X, hidden_activation: str = "relu") -> dict:
    """The forward pass; returns the cache ``{"X", "Z1", "H", "Z2", "Y"}``.

    Examples
    --------
    >>> p = {"W1": np.eye(2), "b1": np.zeros(2), "W2": np.ones((2, 1)), "b2": np.zeros(1)}
    >>> print(forward(p, np.array([[1.0, -1.0]]))["Y"].round(4))
    [[0.7311]]
    >>> forward(p, np.ones((3, 5)))
    Traceback (most recent call last):
    ...
    ValueError: X has 5 features but W1 expects 2 (W1 has shape (n_features, n_hidden)); ...
    """
    _check_activation(hidden_activation)
    p = _check_params(params)
    X = _check_X(X, p)
    Z1 = X @ p["W1"] + p["b1"]
    H = activate(Z1, hidden_activation)
    Z2 = H @ p["W2"] + p["b2"]
    return {"X": X, "Z1": Z1, "H": H, "Z2": Z2, "Y": sigmoid(Z2)}


def _check_loss(name: str) -> str:
    if name not in LOSSES:
        raise ValueError(f"loss={name!r} is not supported; use one of {list(LOSSES)}.")
    return name


def loss(params, X, y, hidden_activation: str = "relu",
         loss: str = "binary_crossentropy") -> float:
    """Mean loss of the network on ``(X, y)``.

    Binary cross-entropy is computed from the logits ``Z2`` (stable for any
    ``Z2``); ``"mse"`` is the mean of ``(Y - y)**2`` over all entries.

    >>> p = {"W1": np.eye(1), "b1": np.zeros(1), "W2": np.zeros((1, 1)), "b2": np.zeros(1)}
    >>> round(loss(p, np.array([[3.0]]), np.array([1.0])), 4)      # Y = 0.5: log 2
    0.6931
    """
    _check_loss(loss)
    cache = forward(params, X, hidden_activation)
    Y, Z2 = cache["Y"], cache["Z2"]
    y = _check_y(y, *Y.shape)
    if loss == "mse":
        return float(np.mean((Y - y) ** 2))
    return float(np.mean(np.maximum(Z2, 0) - Z2 * y + np.log1p(np.exp(-np.abs(Z2)))))


def backward(params, cache: Mapping, y, hidden_activation: str = "relu",
             loss: str = "binary_crossentropy") -> dict:
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
    _check_activation(hidden_activation)
    _check_loss(loss)
    p = _check_params(params)
    missing = {"X", "Z1", "H", "Y"} - set(cache)
    if missing:
        raise ValueError(f"cache lacks {sorted(missing)}; pass what forward(params, X) returned.")
    X, Z1, H, Y = (np.asarray(cache[k], dtype=float) for k in ("X", "Z1", "H", "Y"))
    n, k = Y.shape
    y = _check_y(y, n, k)
    if loss == "binary_crossentropy":
        delta2 = (Y - y) / n                       # the sigmoid's derivative cancels
    else:
        delta2 = 2.0 * (Y - y) / (n * k) * Y * (1.0 - Y)
    grads = {"W2": H.T @ delta2, "b2": delta2.sum(axis=0)}
    delta1 = (delta2 @ p["W2"].T) * activation_derivative(Z1, hidden_activation)
    grads.update(W1=X.T @ delta1, b1=delta1.sum(axis=0))
    return {key: grads[key] for key in _KEYS}


def train(params, X, y, optimizer, n_epochs: int, *, hidden_activation: str = "relu",
          loss: str = "binary_crossentropy") -> tuple[dict, list[float]]:
    """Full-batch training: ``n_epochs`` steps of ``optimizer`` on the whole of ``(X, y)``.

    Returns the trained parameters (new arrays; ``params`` is not modified)
    and the loss *before* each step, which is what Keras' ``fit`` reports as
    an epoch's loss when ``batch_size`` is the whole data set.

    Examples
    --------
    >>> from course_lib.foundations.optim import SGD
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(64, 3)); y = (X[:, 0] > 0).astype(float)
    >>> trained, losses = train(init_params(3, 8, seed=0), X, y, SGD(learning_rate=0.5), 50)
    >>> losses[-1] < 0.6 * losses[0]
    True
    """
    from course_lib.foundations.optim import Optimizer

    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"train: optimizer must be a course_lib.foundations.optim optimizer such as "
                        f"SGD(learning_rate=0.1), got {optimizer!r}.")
    if isinstance(n_epochs, bool) or not isinstance(n_epochs, (int, np.integer)) or n_epochs < 0:
        raise ValueError(f"train: n_epochs must be a non-negative int, got {n_epochs!r}.")
    optimizer.reset()
    current, losses = _check_params(params), []
    for _ in range(int(n_epochs)):
        cache = forward(current, X, hidden_activation)
        Y, Z2 = cache["Y"], cache["Z2"]
        yy = _check_y(y, *Y.shape)
        if loss == "mse":
            losses.append(float(np.mean((Y - yy) ** 2)))
        else:
            _check_loss(loss)
            losses.append(float(np.mean(np.maximum(Z2, 0) - Z2 * yy
                                        + np.log1p(np.exp(-np.abs(Z2))))))
        current = optimizer.step(current, backward(current, cache, yy, hidden_activation, loss))
    return current, losses


def keras_weights(params) -> list[np.ndarray]:
    """``[W1, b1, W2, b2]`` as float32: what ``keras_model.set_weights`` expects.

    >>> [w.shape for w in keras_weights(init_params(10, 20))]
    [(10, 20), (20,), (20, 1), (1,)]
    """
    p = _check_params(params)
    return [p[k].astype(np.float32) for k in _KEYS]


def params_from_keras(weights) -> dict:
    """The inverse of :func:`keras_weights` (as float64).

    >>> p = params_from_keras(keras_weights(init_params(2, 3)))
    >>> sorted(p)
    ['W1', 'W2', 'b1', 'b2']
    """
    weights = list(weights)
    if len(weights) != 4:
        raise ValueError(f"expected 4 arrays [W1, b1, W2, b2] (two Dense layers), got "
                         f"{len(weights)}; pass keras_model.get_weights() of a 2-layer model.")
    return _check_params(dict(zip(_KEYS, (np.asarray(w, dtype=float) for w in weights))))
