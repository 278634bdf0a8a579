"""Gradient-descent optimizers written in numpy from their update rules.

Explained in chapter 03 (``notebooks/03_momentum_rmsprop_adam.ipynb``) and
used again in chapter 04 to train the two-layer network of ``course_lib.foundations.nn``.

Every optimizer has the same small interface:

* ``step(params, grads)`` returns the *new* parameters.  ``params`` is a numpy
  array or a dict of arrays (``{"W1": ..., "b1": ...}``); ``grads`` has the
  same structure.  The caller's arrays and dicts are never modified.
* ``reset()`` forgets the internal state (velocities, moments, step count).

Argument names follow Keras (``learning_rate``, ``momentum``, ``rho``,
``beta_1``, ``beta_2``, ``epsilon``) and so do the update formulas, which were
read from the Keras 3 source and checked against it in chapter 03:

=========  ==================================================================
SGD        ``x <- x - lr * g``
Momentum   ``v <- momentum * v - lr * g``;  ``x <- x + v``
RMSProp    ``s <- rho * s + (1 - rho) * g**2``;  ``x <- x - lr * g / sqrt(s + eps)``
Adam       ``m <- m + (1 - beta_1) * (g - m)``;  ``v <- v + (1 - beta_2) * (g**2 - v)``;
           ``alpha_t = lr * sqrt(1 - beta_2**t) / (1 - beta_1**t)``;
           ``x <- x - alpha_t * m / (sqrt(v) + eps)``
=========  ==================================================================

``minimize(grad, x0, optimizer, n_steps)`` runs an optimizer and returns the
whole trajectory; :class:`Quadratic` and :class:`Rosenbrock` are the two test
problems of the chapter.

>>> import numpy as np
>>> opt = Adam(learning_rate=0.1)
>>> x = np.array([1.0, -2.0])
>>> new_x = opt.step(x, grads=np.array([0.5, -4.0]))
>>> print(new_x, x)          # the first Adam step moves each coordinate by ~lr
[ 0.9 -1.9] [ 1. -2.]
"""

from __future__ import annotations

import math
from typing import Callable, Mapping

import numpy as np

__all__ = ["Optimizer", "SGD", "Momentum", "RMSProp", "Adam", "minimize",
           "adam_step_scale", "Quadratic", "Rosenbrock"]

_DTYPES = ("float64", "float32")


def _check_number(name: str, value, *, low: float | None = None, high: float | None = None,
                  low_inclusive: bool = True, high_inclusive: bool = False, owner: str,
                  fix: str) -> float:
    """Validate a scalar hyperparameter; return it as a Python float."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{owner}: {name} must be a number, got {value!r} "
                        f"({type(value).__name__}); {fix}.")
    value = float(value)
    bad = not math.isfinite(value)
    if low is not None:
        bad = bad or (value < low if low_inclusive else value <= low)
    if high is not None:
        bad = bad or (value > high if high_inclusive else value >= high)
    if bad:
        lo = "" if low is None else ("[" if low_inclusive else "(") + f"{low:g}"
        hi = "" if high is None else f"{high:g}" + ("]" if high_inclusive else ")")
        where = f"in {lo}, {hi}" if low is not None and high is not None else (
            f"{'>=' if low_inclusive else '>'} {low:g}" if low is not None else f"< {high:g}")
        raise ValueError(f"{owner}: {name}={value!r} is invalid; it must be {where}. {fix}.")
    return value


def _check_learning_rate(value, owner: str) -> float:
    return _check_number("learning_rate", value, low=0.0, low_inclusive=False, owner=owner,
                         fix="use a small positive number such as 0.01 (a negative rate "
                             "climbs the loss instead of descending it)")


def _as_float_array(name: str, value, key, dtype: str) -> np.ndarray:
    where = name if key is None else f"{name}[{key!r}]"
    try:
        arr = np.asarray(value, dtype=dtype)
    except (TypeError, ValueError):
        raise TypeError(f"step(): {where} must be a numeric array, got "
                        f"{type(value).__name__}; pass a numpy array of floats.") from None
    if arr.size == 0:
        raise ValueError(f"step(): {where} is empty (shape {arr.shape}); pass at least one "
                         "parameter value.")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"step(): {where} contains NaN or inf values; the optimisation has "
                         "diverged or the gradient code divides by zero: lower learning_rate "
                         "or check the gradient.")
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
        self.learning_rate = _check_learning_rate(learning_rate, f"{name}(learning_rate=...)")
        if dtype not in _DTYPES:
            raise ValueError(f"{name}: dtype={dtype!r} is not supported; use 'float64' "
                             "(default) or 'float32' (to imitate Keras).")
        self.dtype = dtype
        self.reset()

    def reset(self) -> "Optimizer":
        """Forget all state (velocities, moments, step count); return self.

        >>> opt = Adam()
        >>> _ = opt.step(np.ones(1), np.ones(1))
        >>> opt.iterations, opt.reset().iterations
        (1, 0)
        """
        self._state: dict = {}
        self.iterations = 0
        return self

    def _c(self, value) -> np.ndarray:
        """A hyperparameter as a scalar of the working dtype (as Keras casts them)."""
        return np.asarray(value, dtype=self.dtype)

    def step(self, params, grads):
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
        if isinstance(params, Mapping):
            if not isinstance(grads, Mapping):
                raise TypeError(f"step(): params is a dict but grads is a "
                                f"{type(grads).__name__}; pass grads as a dict with the same "
                                f"keys {sorted(params)}.")
            if set(params) != set(grads):
                raise ValueError(f"step(): grads has keys {sorted(grads)} but params has keys "
                                 f"{sorted(params)}; return one gradient per parameter, with "
                                 "the same names.")
            if not params:
                raise ValueError("step(): params is an empty dict; pass at least one array.")
            pairs = [(key, params[key], grads[key]) for key in params]
        else:
            if isinstance(grads, Mapping):
                raise TypeError("step(): params is an array but grads is a dict; pass the "
                                "gradient array itself.")
            pairs = [(None, params, grads)]
        checked = []
        for key, p, g in pairs:
            x = _as_float_array("params", p, key, self.dtype)
            gx = _as_float_array("grads", g, key, self.dtype)
            if x.shape != gx.shape:
                where = "" if key is None else f" for {key!r}"
                raise ValueError(f"step(): shape mismatch{where}: params has shape {x.shape} "
                                 f"but grads has shape {gx.shape}; the gradient must have "
                                 "the shape of the parameter it belongs to.")
            state = self._state.get(key)
            if state is not None and state["shape"] != x.shape:
                raise ValueError(f"step(): the parameter {key!r} had shape {state['shape']} "
                                 f"in earlier steps and now has shape {x.shape}; call reset() "
                                 "before optimising a different problem.")
            checked.append((key, x, gx))
        self.iterations += 1
        out = {}
        for key, x, gx in checked:
            if key not in self._state:
                self._state[key] = {"shape": x.shape}
            out[key] = self._update(key, x, gx)
        return out if isinstance(params, Mapping) else out[None]

    def _update(self, key, x: np.ndarray, g: np.ndarray) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def _zeros(self, key, name: str, like: np.ndarray) -> np.ndarray:
        state = self._state[key]
        if name not in state:
            state[name] = np.zeros_like(like)
        return state[name]

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._config().items())
        return f"{type(self).__name__}({args})"

    def _config(self) -> dict:
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
    ValueError: SGD(learning_rate=...): learning_rate=-0.1 is invalid; it must be > 0. ...
    """

    def _update(self, key, x, g):
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

    def __init__(self, learning_rate: float = 0.01, momentum: float = 0.9, *,
                 dtype: str = "float64") -> None:
        self.momentum = _check_number("momentum", momentum, low=0.0, high=1.0,
                                      owner="Momentum(momentum=...)",
                                      fix="typical values are 0.9 or 0.99")
        super().__init__(learning_rate, dtype=dtype)

    def _update(self, key, x, g):
        v = self._zeros(key, "velocity", x)
        v = self._c(self.momentum) * v - self._c(self.learning_rate) * g
        self._state[key]["velocity"] = v
        return x + v

    def _config(self):
        return {"learning_rate": self.learning_rate, "momentum": self.momentum}


class RMSProp(Optimizer):
    """RMSProp: divide each step by a running root-mean-square of the gradient.

    ``s <- rho * s + (1 - rho) * g**2`` then
    ``x <- x - learning_rate * g / sqrt(s + epsilon)``.  Note that Keras puts
    ``epsilon`` *inside* the square root (``keras.optimizers.RMSprop``).

    Examples
    --------
    >>> import numpy as np
    >>> opt = RMSProp(learning_rate=0.01, rho=0.9)
    >>> x = opt.step(np.array([1.0, 1.0]), np.array([100.0, 0.01]))
    >>> print(np.round(x, 4))      # both coordinates move by lr / sqrt(1 - rho)
    [0.9684 0.9684]
    """

    def __init__(self, learning_rate: float = 0.001, rho: float = 0.9, epsilon: float = 1e-7,
                 *, dtype: str = "float64") -> None:
        self.rho = _check_number("rho", rho, low=0.0, high=1.0, owner="RMSProp(rho=...)",
                                 fix="typical values are 0.9 or 0.99")
        self.epsilon = _check_number("epsilon", epsilon, low=0.0, owner="RMSProp(epsilon=...)",
                                     fix="use a small positive number such as 1e-7")
        super().__init__(learning_rate, dtype=dtype)

    def _update(self, key, x, g):
        s = self._zeros(key, "mean_square", x)
        s = self._c(self.rho) * s + self._c(1 - self.rho) * g * g
        self._state[key]["mean_square"] = s
        return x - self._c(self.learning_rate) * g / np.sqrt(s + self._c(self.epsilon))

    def _config(self):
        return {"learning_rate": self.learning_rate, "rho": self.rho, "epsilon": self.epsilon}


class Adam(Optimizer):
    """Adam, computed exactly the way ``keras.optimizers.Adam`` (Keras 3) does.

    With step count ``t = 1, 2, ...``::

        m <- m + (1 - beta_1) * (g - m)          # = beta_1 m + (1 - beta_1) g
        v <- v + (1 - beta_2) * (g**2 - v)       # = beta_2 v + (1 - beta_2) g**2
        alpha_t = learning_rate * sqrt(1 - beta_2**t) / (1 - beta_1**t)
        x <- x - alpha_t * m / (sqrt(v) + epsilon)

    This is the paper's bias-corrected update
    ``x <- x - lr * m_hat / (sqrt(v_hat) + eps_hat)`` with
    ``m_hat = m / (1 - beta_1**t)``, ``v_hat = v / (1 - beta_2**t)`` and
    ``eps_hat = epsilon / sqrt(1 - beta_2**t)``: Keras adds ``epsilon`` to the
    uncorrected ``sqrt(v)``, so in the paper's terms its epsilon is larger in
    the first steps.

    Parameters
    ----------
    learning_rate, beta_1, beta_2, epsilon : float
        As in Keras (defaults 0.001, 0.9, 0.999, 1e-7).
    bias_correction : bool
        ``False`` drops the ``(1 - beta**t)`` factors (``alpha_t = lr``): the
        version of the source articles, kept to show what goes wrong.
    dtype : {"float64", "float32"}
        ``"float32"`` reproduces Keras' arithmetic: float32 weights, and the
        betas cast to float32 *before* ``beta**t`` is computed.

    Examples
    --------
    >>> import numpy as np
    >>> opt = Adam(learning_rate=0.01)
    >>> params = {"w": np.array([1.0, 1.0])}
    >>> for _ in range(2):
    ...     params = opt.step(params, {"w": np.array([3.0, -0.001])})
    >>> print(np.round(params["w"], 5), opt.iterations)   # ~lr per step, whatever the scale
    [0.98    1.01995] 2
    >>> Adam(beta_2=1.0)
    Traceback (most recent call last):
    ...
    ValueError: Adam(beta_2=...): beta_2=1.0 is invalid; it must be in [0, 1). ...
    """

    def __init__(self, learning_rate: float = 0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7, *, bias_correction: bool = True,
                 dtype: str = "float64") -> None:
        self.beta_1 = _check_number("beta_1", beta_1, low=0.0, high=1.0,
                                    owner="Adam(beta_1=...)", fix="the usual value is 0.9")
        self.beta_2 = _check_number("beta_2", beta_2, low=0.0, high=1.0,
                                    owner="Adam(beta_2=...)", fix="the usual value is 0.999")
        self.epsilon = _check_number("epsilon", epsilon, low=0.0, owner="Adam(epsilon=...)",
                                     fix="use a small positive number such as 1e-7")
        if not isinstance(bias_correction, (bool, np.bool_)):
            raise TypeError(f"Adam: bias_correction must be True or False, got "
                            f"{bias_correction!r}.")
        self.bias_correction = bool(bias_correction)
        super().__init__(learning_rate, dtype=dtype)

    def _update(self, key, x, g):
        m = self._zeros(key, "m", x)
        v = self._zeros(key, "v", x)
        m = m + (g - m) * self._c(1 - self.beta_1)
        v = v + (g * g - v) * self._c(1 - self.beta_2)
        self._state[key].update(m=m, v=v)
        lr = self._c(self.learning_rate)
        if self.bias_correction:
            t = self._c(self.iterations)
            b1_power = np.power(self._c(self.beta_1), t)
            b2_power = np.power(self._c(self.beta_2), t)
            one = self._c(1)
            alpha = lr * np.sqrt(one - b2_power) / (one - b1_power)
        else:
            alpha = lr
        return x - (m * alpha) / (np.sqrt(v) + self._c(self.epsilon))

    def _config(self):
        return {"learning_rate": self.learning_rate, "beta_1": self.beta_1,
                "beta_2": self.beta_2, "epsilon": self.epsilon,
                "bias_correction": self.bias_correction}


def adam_step_scale(t, beta_1: float = 0.9, beta_2: float = 0.999,
                    bias_correction: bool = True) -> np.ndarray:
    """Size of Adam's ``t``-th step, in units of the learning rate, for a constant gradient.

    With a constant gradient ``g``, ``m_t = (1 - beta_1**t) g`` and
    ``v_t = (1 - beta_2**t) g**2``, so (ignoring epsilon) the step is
    ``lr * (1 - beta_1**t) / sqrt(1 - beta_2**t)`` without bias correction
    and exactly ``lr`` with it.

    Examples
    --------
    >>> print(np.round(adam_step_scale([1, 10, 100, 1000], bias_correction=False), 2))
    [3.16 6.53 3.25 1.26]
    >>> print(adam_step_scale([1, 10]))
    [1. 1.]
    """
    t = np.asarray(t, dtype=float)
    if t.size == 0 or np.any(t < 1) or np.any(t != np.round(t)):
        raise ValueError(f"adam_step_scale: t must hold whole step numbers >= 1 (Adam counts "
                         f"from 1), got {t!r}.")
    b1 = _check_number("beta_1", beta_1, low=0.0, high=1.0, owner="adam_step_scale",
                       fix="the usual value is 0.9")
    b2 = _check_number("beta_2", beta_2, low=0.0, high=1.0, owner="adam_step_scale",
                       fix="the usual value is 0.999")
    if bias_correction:
        return np.ones_like(t)
    return (1 - b1 ** t) / np.sqrt(1 - b2 ** t)


def minimize(grad: Callable[[np.ndarray], np.ndarray], x0, optimizer: Optimizer,
             n_steps: int = 100, *, max_abs: float = 1e6) -> np.ndarray:
    """Run ``optimizer`` from ``x0`` for ``n_steps`` steps; return the trajectory.

    The optimizer is ``reset()`` first, so two calls give the same result.

    Parameters
    ----------
    grad : callable
        ``grad(x)`` returns the gradient at ``x`` (same shape as ``x``).
    x0 : array_like
        Starting point (not modified).
    optimizer : Optimizer
        E.g. ``Adam(learning_rate=0.1)``.
    n_steps : int
        Number of updates.
    max_abs : float
        Divergence guard: the run stops early once a coordinate exceeds
        ``max_abs`` in absolute value or the gradient is not finite, so the
        trajectory then has fewer than ``n_steps + 1`` rows.

    Returns
    -------
    ndarray of shape (n_rows, *x0.shape)
        ``x0`` followed by the iterate after each step.

    Examples
    --------
    >>> problem = Quadratic(scales=(1.0, 10.0))
    >>> path = minimize(problem.grad, [1.0, 1.0], SGD(learning_rate=0.05), n_steps=50)
    >>> path.shape
    (51, 2)
    >>> print(np.round(path[-1], 4))           # the flat direction is still far from 0
    [0.0769 0.    ]
    >>> len(minimize(problem.grad, [1.0, 1.0], SGD(learning_rate=0.5), n_steps=50)) < 51
    True
    """
    if not callable(grad):
        raise TypeError(f"minimize: grad must be a function x -> gradient, got "
                        f"{type(grad).__name__}; pass e.g. problem.grad.")
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"minimize: optimizer must be a course_lib.foundations.optim optimizer such as "
                        f"Adam(learning_rate=0.1), got {optimizer!r}.")
    if isinstance(n_steps, bool) or not isinstance(n_steps, (int, np.integer)) or n_steps < 0:
        raise ValueError(f"minimize: n_steps must be a non-negative int, got {n_steps!r}.")
    max_abs = _check_number("max_abs", max_abs, low=0.0, low_inclusive=False, owner="minimize",
                            fix="use a large positive number such as 1e6")
    x = _as_float_array("x0", x0, None, optimizer.dtype).copy()
    optimizer.reset()
    path = [x]
    for _ in range(int(n_steps)):
        g = np.asarray(grad(x), dtype=float)
        if g.shape != x.shape:
            raise ValueError(f"minimize: grad(x) returned shape {g.shape} for x of shape "
                             f"{x.shape}; the gradient must have the shape of x.")
        if not np.all(np.isfinite(g)):
            break
        x = optimizer.step(x, g)
        path.append(x)
        if np.max(np.abs(x)) > max_abs:
            break
    return np.array(path)


class Quadratic:
    """An ill-conditioned quadratic bowl ``f(x) = 0.5 * x^T A x`` in 2-D.

    ``A = R diag(scales) R^T`` where ``R`` rotates by ``angle`` radians, so the
    curvatures along the bowl's axes are ``scales`` and the condition number
    is ``max(scales) / min(scales)``.  The minimum is at the origin.

    Examples
    --------
    >>> q = Quadratic(scales=(1.0, 25.0))
    >>> q.value([1.0, 1.0]), q.grad([1.0, 1.0]).tolist(), q.condition_number
    (13.0, [1.0, 25.0], 25.0)
    """

    def __init__(self, scales=(1.0, 25.0), angle: float = 0.0) -> None:
        scales = np.asarray(scales, dtype=float)
        if scales.shape != (2,) or not np.all(np.isfinite(scales)) or np.any(scales <= 0):
            raise ValueError(f"Quadratic: scales must be two positive curvatures such as "
                             f"(1.0, 25.0), got {scales!r}.")
        angle = _check_number("angle", angle, owner="Quadratic", fix="give an angle in radians")
        c, s = math.cos(angle), math.sin(angle)
        rot = np.array([[c, -s], [s, c]])
        self.scales, self.angle = scales, angle
        self.A = rot @ np.diag(scales) @ rot.T
        self.minimum = np.zeros(2)
        self.condition_number = float(scales.max() / scales.min())

    def value(self, x) -> float | np.ndarray:
        """``f(x)``; ``x`` of shape (2,) or a grid of shape (2, ...)."""
        x = np.asarray(x, dtype=float)
        out = 0.5 * np.einsum("i...,ij,j...->...", x, self.A, x)
        return float(out) if out.ndim == 0 else out

    def grad(self, x) -> np.ndarray:
        """``A x`` for ``x`` of shape (2,)."""
        return self.A @ np.asarray(x, dtype=float)

    def __repr__(self) -> str:
        return f"Quadratic(scales={tuple(self.scales.tolist())}, angle={self.angle:g})"


class Rosenbrock:
    """The Rosenbrock "banana": ``f(x, y) = (a - x)**2 + b * (y - x**2)**2``.

    A curved, narrow valley; the minimum is at ``(a, a**2)``.

    Examples
    --------
    >>> r = Rosenbrock()
    >>> r.value([1.0, 1.0]), r.grad([0.0, 0.0]).tolist()
    (0.0, [-2.0, 0.0])
    """

    def __init__(self, a: float = 1.0, b: float = 100.0) -> None:
        self.a = _check_number("a", a, owner="Rosenbrock", fix="the usual value is 1")
        self.b = _check_number("b", b, low=0.0, low_inclusive=False, owner="Rosenbrock",
                               fix="the usual value is 100")
        self.minimum = np.array([self.a, self.a ** 2])

    def value(self, x) -> float | np.ndarray:
        """``f(x)``; ``x`` of shape (2,) or a grid of shape (2, ...)."""
        x = np.asarray(x, dtype=float)
        out = (self.a - x[0]) ** 2 + self.b * (x[1] - x[0] ** 2) ** 2
        return float(out) if np.ndim(out) == 0 else out

    def grad(self, x) -> np.ndarray:
        """The gradient at ``x`` of shape (2,)."""
        x0, x1 = np.asarray(x, dtype=float)
        return np.array([-2 * (self.a - x0) - 4 * self.b * x0 * (x1 - x0 ** 2),
                         2 * self.b * (x1 - x0 ** 2)])

    def __repr__(self) -> str:
        return f"Rosenbrock(a={self.a:g}, b={self.b:g})"
