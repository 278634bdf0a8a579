"""Gradient-descent optimizers written in numpy: the common interface, SGD and Momentum.

Explained in chapter 03 (``notebooks/03_momentum_rmsprop_adam.ipynb``, which
shows each update rule in a few lines and asserts that it equals the class
here) and used again in chapter 04 to train the two-layer network of
``course_lib.foundations.nn``.

Every optimizer has the same small interface:

* ``step(params, grads)`` returns the *new* parameters.  ``params`` is a numpy
  array or a dict of arrays (``{"W1": ..., "b1": ...}``); ``grads`` has the
  same structure.  The caller's arrays and dicts are never modified.
* ``reset()`` forgets the internal state (velocities, moments, step count).

Argument names follow Keras (``learning_rate``, ``momentum``, ``rho``,
``beta_1``, ``beta_2``, ``epsilon``) and so do the update formulas, which were
read from the Keras 3 source and checked against it in chapter 03
(``lr`` below is short for ``learning_rate``):

=========  ==================================================================
SGD        ``x <- x - lr * g``
Momentum   ``v <- momentum * v - lr * g``;  ``x <- x + v``
RMSProp    ``s <- rho * s + (1 - rho) * g**2``;  ``x <- x - lr * g / sqrt(s + eps)``
Adam       ``m <- m + (1 - beta_1) * (g - m)``;  ``v <- v + (1 - beta_2) * (g**2 - v)``;
           ``alpha_t = lr * sqrt(1 - beta_2**t) / (1 - beta_1**t)``;
           ``x <- x - alpha_t * m / (sqrt(v) + eps)``
=========  ==================================================================

The adaptive optimizers (RMSProp, Adam) are in :mod:`course_lib.foundations.adaptive`;
the test problems and the optimisation loop in :mod:`course_lib.foundations.problems`.

>>> import numpy as np
>>> from course_lib.foundations.adaptive import Adam
>>> opt = Adam(learning_rate=0.1)
>>> x = np.array([1.0, -2.0])
>>> new_x = opt.step(x, grads=np.array([0.5, -4.0]))
>>> print(new_x, x)          # the first Adam step moves each coordinate by ~learning_rate
[ 0.9 -1.9] [ 1. -2.]
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
)
from course_lib.foundations._checks import check_decay, check_learning_rate

__all__ = ["Optimizer", "SGD", "Momentum"]

_DTYPES = ("float64", "float32")

Params = np.ndarray | Mapping[str, ArrayLike] | ArrayLike
"""An array of parameters, or a dict of them (``{"W1": ..., "b1": ...}``)."""


def _finite_array(value: ArrayLike, name: str, where: str, dtype: str) -> np.ndarray:
    """``value`` as an array of ``dtype``; refuses text, empty arrays, NaN and inf."""
    fix = (
        "the optimisation has diverged or the gradient code divides by zero: lower "
        "learning_rate or check the gradient"
    )
    arr = check_array(value, name, where, allow_nan=True).astype(dtype)
    n_bad = int(np.sum(~np.isfinite(arr)))
    if n_bad:
        raise argument_error(
            where, name, arr, f"finite numbers, found {n_bad} NaN or inf of {arr.size}", fix
        )
    return arr


class Optimizer:
    """Base class: validation, the params/grads structure and the state.

    Subclasses implement ``_update(key, x, g) -> new_x`` for one array and
    keep their per-array state in ``self._state[key]``.

    Parameters
    ----------
    learning_rate : float
        Step size, > 0.
    dtype : {"float64", "float32"}
        Precision of the arithmetic.  ``"float32"`` mimics Keras, which stores
        weights and casts its hyperparameters to float32 (chapter 03 shows
        what difference that makes).
    """

    def __init__(self, learning_rate: float = 0.01, *, dtype: str = "float64") -> None:
        name = type(self).__name__
        self.learning_rate = check_learning_rate(learning_rate, name)
        self.dtype = check_choice(
            dtype, "dtype", name, _DTYPES, fix="float32 imitates Keras' arithmetic"
        )
        self.reset()

    def reset(self) -> Optimizer:
        """Forget all state (velocities, moments, step count); return self.

        Returns
        -------
        Optimizer
            ``self``, so that ``opt.reset().step(...)`` works.

        Examples
        --------
        >>> opt = Momentum()
        >>> _ = opt.step(np.ones(1), np.ones(1))
        >>> opt.iterations, opt.reset().iterations
        (1, 0)
        """
        self._state: dict[Any, dict[str, Any]] = {}
        self.iterations = 0
        return self

    def _c(self, value: float) -> np.ndarray:
        """A hyperparameter as a scalar of the working dtype (as Keras casts them)."""
        return np.asarray(value, dtype=self.dtype)

    def _pairs(self, params: Params, grads: Params) -> list[tuple[Any, Any, Any]]:
        """``[(key, param, grad), ...]``; the key is None for a single array."""
        if isinstance(params, Mapping):
            if not isinstance(grads, Mapping):
                raise argument_error(
                    "step",
                    "grads",
                    grads,
                    "a dict like params, with the keys "
                    f"{sorted(params)}, got {type(grads).__name__}",
                    "return one gradient per parameter, with the same names",
                    exc=ArgumentTypeError,
                )
            if set(params) != set(grads):
                raise argument_error(
                    "step",
                    "grads",
                    grads,
                    f"a dict with the keys of params {sorted(params)}, it has {sorted(grads)}",
                    "return one gradient per parameter, with the same names",
                )
            if not params:
                raise argument_error(
                    "step", "params", params, "a non-empty dict", "pass at least one array"
                )
            return [(key, params[key], grads[key]) for key in params]
        if isinstance(grads, Mapping):
            raise argument_error(
                "step",
                "grads",
                grads,
                "an array like params, got a dict",
                "pass the gradient array itself",
                exc=ArgumentTypeError,
            )
        return [(None, params, grads)]

    def _checked(self, key: Any, p: ArrayLike, g: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        suffix = "" if key is None else f"[{key!r}]"
        x = _finite_array(p, "params" + suffix, "step", self.dtype)
        gx = _finite_array(g, "grads" + suffix, "step", self.dtype)
        if x.shape != gx.shape:
            raise argument_error(
                "step",
                f"grads{suffix}",
                gx,
                f"the same shape as params{suffix} {x.shape}, got {gx.shape}",
                "the gradient must have the shape of the parameter it belongs to",
            )
        state = self._state.get(key)
        if state is not None and state["shape"] != x.shape:
            raise argument_error(
                "step",
                f"params{suffix}",
                x,
                f"of the shape {state['shape']} used in the earlier steps",
                "call reset() before optimising a different problem",
            )
        return x, gx

    def step(self, params: Params, grads: Params) -> Any:
        """Return new parameters after one update; inputs are left untouched.

        Parameters
        ----------
        params : ndarray or dict of str -> ndarray
            Current parameters.
        grads : same structure as ``params``
            Gradient of the loss with respect to each parameter.

        Returns
        -------
        ndarray or dict
            New parameters with the structure of ``params`` (new arrays).

        Examples
        --------
        >>> opt = SGD(learning_rate=0.5)
        >>> params = {"w": np.array([1.0, 2.0])}
        >>> opt.step(params, {"w": np.array([1.0, 1.0])})["w"], params["w"]
        (array([0.5, 1.5]), array([1., 2.]))
        """
        checked = [(key, *self._checked(key, p, g)) for key, p, g in self._pairs(params, grads)]
        self.iterations += 1
        out = {}
        for key, x, gx in checked:
            if key not in self._state:
                self._state[key] = {"shape": x.shape}
            out[key] = self._update(key, x, gx)
        return out if isinstance(params, Mapping) else out[None]

    def _update(self, key: Any, x: np.ndarray, g: np.ndarray) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def _zeros(self, key: Any, name: str, like: np.ndarray) -> np.ndarray:
        state = self._state[key]
        if name not in state:
            state[name] = np.zeros_like(like)
        return state[name]

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._config().items())
        return f"{type(self).__name__}({args})"

    def _config(self) -> dict[str, Any]:
        return {"learning_rate": self.learning_rate}


class SGD(Optimizer):
    """Plain gradient descent: ``x <- x - learning_rate * g``.

    Examples
    --------
    >>> import numpy as np
    >>> SGD(learning_rate=0.1).step({"w": np.array([1.0])}, {"w": np.array([2.0])})
    {'w': array([0.8])}
    >>> SGD(learning_rate=-0.1)
    Traceback (most recent call last):
    ...
    ValueError: SGD(learning_rate=-0.1): learning_rate must be a positive number (> 0); ...
    """

    def _update(self, key: Any, x: np.ndarray, g: np.ndarray) -> np.ndarray:
        return x - self._c(self.learning_rate) * g


class Momentum(Optimizer):
    """Gradient descent with (heavy-ball) momentum, in Keras' form.

    ``v <- momentum * v - learning_rate * g`` then ``x <- x + v``: the velocity
    ``v`` is a decaying sum of past steps, so directions where the gradient
    keeps its sign speed up and directions where it flips sign cancel out.
    This is ``keras.optimizers.SGD(learning_rate, momentum=...)``.

    Parameters
    ----------
    learning_rate : float
        Step size, > 0.
    momentum : float
        Decay of the velocity, in [0, 1); 0 gives plain SGD.
    dtype : {"float64", "float32"}
        Precision of the arithmetic.

    Examples
    --------
    >>> import numpy as np
    >>> opt = Momentum(learning_rate=0.1, momentum=0.9)
    >>> x = np.array([1.0])
    >>> for _ in range(3):            # a constant gradient: steps grow 0.1, 0.19, 0.271
    ...     x = opt.step(x, np.array([1.0]))
    >>> print(np.round(x, 3))
    [0.439]
    """

    def __init__(
        self, learning_rate: float = 0.01, momentum: float = 0.9, *, dtype: str = "float64"
    ) -> None:
        self.momentum = check_decay(momentum, "momentum", "Momentum", "0.9 or 0.99")
        super().__init__(learning_rate, dtype=dtype)

    def _update(self, key: Any, x: np.ndarray, g: np.ndarray) -> np.ndarray:
        v = self._zeros(key, "velocity", x)
        v = self._c(self.momentum) * v - self._c(self.learning_rate) * g
        self._state[key]["velocity"] = v
        return x + v

    def _config(self) -> dict[str, Any]:
        return {"learning_rate": self.learning_rate, "momentum": self.momentum}
