"""The adaptive optimizers: RMSProp and Adam, one step size per coordinate.

Explained in chapter 03 (``notebooks/03_momentum_rmsprop_adam.ipynb``).  They share
the interface of :class:`course_lib.foundations.optimizers.Optimizer` (``step``,
``reset``) and follow Keras' argument names and update formulas.

>>> import numpy as np
>>> opt = Adam(learning_rate=0.1)
>>> print(opt.step(np.array([1.0, -2.0]), np.array([0.5, -4.0])))
[ 0.9 -1.9]
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from course_lib.core.validation import ArgumentTypeError, argument_error, check_array, check_number
from course_lib.foundations._checks import check_decay
from course_lib.foundations.optimizers import Optimizer

__all__ = ["RMSProp", "Adam", "adam_step_scale"]


def _check_epsilon(value: float, where: str) -> float:
    return check_number(
        value, "epsilon", where, low=0, fix="use a small positive number such as 1e-7"
    )


class RMSProp(Optimizer):
    """RMSProp: divide each step by a running root-mean-square of the gradient.

    ``s <- rho * s + (1 - rho) * g**2`` then
    ``x <- x - learning_rate * g / sqrt(s + epsilon)``.  Note that Keras puts
    ``epsilon`` *inside* the square root (``keras.optimizers.RMSprop``).

    Parameters
    ----------
    learning_rate : float
        Step size, > 0.
    rho : float
        Decay of the mean square, in [0, 1).
    epsilon : float
        Added to the mean square, >= 0.
    dtype : {"float64", "float32"}
        Precision of the arithmetic.

    Examples
    --------
    >>> import numpy as np
    >>> opt = RMSProp(learning_rate=0.01, rho=0.9)
    >>> x = opt.step(np.array([1.0, 1.0]), np.array([100.0, 0.01]))
    >>> print(np.round(x, 4))      # both coordinates move by learning_rate / sqrt(1 - rho)
    [0.9684 0.9684]
    """

    def __init__(
        self,
        learning_rate: float = 0.001,
        rho: float = 0.9,
        epsilon: float = 1e-7,
        *,
        dtype: str = "float64",
    ) -> None:
        self.rho = check_decay(rho, "rho", "RMSProp", "0.9 or 0.99")
        self.epsilon = _check_epsilon(epsilon, "RMSProp")
        super().__init__(learning_rate, dtype=dtype)

    def _update(self, key: Any, x: np.ndarray, g: np.ndarray) -> np.ndarray:
        s = self._zeros(key, "mean_square", x)
        s = self._c(self.rho) * s + self._c(1 - self.rho) * g * g
        self._state[key]["mean_square"] = s
        return x - self._c(self.learning_rate) * g / np.sqrt(s + self._c(self.epsilon))

    def _config(self) -> dict[str, Any]:
        return {"learning_rate": self.learning_rate, "rho": self.rho, "epsilon": self.epsilon}


class Adam(Optimizer):
    """Adam, computed exactly the way ``keras.optimizers.Adam`` (Keras 3) does.

    With step count ``t = 1, 2, ...``::

        m <- m + (1 - beta_1) * (g - m)          # = beta_1 m + (1 - beta_1) g
        v <- v + (1 - beta_2) * (g**2 - v)       # = beta_2 v + (1 - beta_2) g**2
        alpha_t = learning_rate * sqrt(1 - beta_2**t) / (1 - beta_1**t)
        x <- x - alpha_t * m / (sqrt(v) + epsilon)

    This is the paper's bias-corrected update
    ``x <- x - learning_rate * m_hat / (sqrt(v_hat) + eps_hat)`` with
    ``m_hat = m / (1 - beta_1**t)``, ``v_hat = v / (1 - beta_2**t)`` and
    ``eps_hat = epsilon / sqrt(1 - beta_2**t)``: Keras adds ``epsilon`` to the
    uncorrected ``sqrt(v)``, so in the paper's terms its epsilon is larger in
    the first steps.

    Parameters
    ----------
    learning_rate, beta_1, beta_2, epsilon : float
        As in Keras (defaults 0.001, 0.9, 0.999, 1e-7).
    bias_correction : bool
        ``False`` drops the ``(1 - beta**t)`` factors (``alpha_t = learning_rate``):
        the version of the source articles, kept to show what goes wrong.
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
    >>> print(np.round(params["w"], 5), opt.iterations)   # ~learning_rate per step, any scale
    [0.98    1.01995] 2
    >>> Adam(beta_2=1.0)
    Traceback (most recent call last):
    ...
    ValueError: Adam(beta_2=1.0): beta_2 must be a number with 0 <= beta_2 < 1; the usual value is 0.999.
    """

    def __init__(
        self,
        learning_rate: float = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        *,
        bias_correction: bool = True,
        dtype: str = "float64",
    ) -> None:
        self.beta_1 = check_decay(beta_1, "beta_1", "Adam", "0.9")
        self.beta_2 = check_decay(beta_2, "beta_2", "Adam", "0.999")
        self.epsilon = _check_epsilon(epsilon, "Adam")
        if not isinstance(bias_correction, (bool, np.bool_)):
            raise argument_error(
                "Adam",
                "bias_correction",
                bias_correction,
                f"True or False, got {type(bias_correction).__name__}",
                exc=ArgumentTypeError,
            )
        self.bias_correction = bool(bias_correction)
        super().__init__(learning_rate, dtype=dtype)

    def _update(self, key: Any, x: np.ndarray, g: np.ndarray) -> np.ndarray:
        m = self._zeros(key, "m", x)
        v = self._zeros(key, "v", x)
        m = m + (g - m) * self._c(1 - self.beta_1)
        v = v + (g * g - v) * self._c(1 - self.beta_2)
        self._state[key].update(m=m, v=v)
        learning_rate = self._c(self.learning_rate)
        if self.bias_correction:
            t = self._c(self.iterations)
            b1_power = np.power(self._c(self.beta_1), t)
            b2_power = np.power(self._c(self.beta_2), t)
            one = self._c(1)
            alpha = learning_rate * np.sqrt(one - b2_power) / (one - b1_power)
        else:
            alpha = learning_rate
        return x - (m * alpha) / (np.sqrt(v) + self._c(self.epsilon))

    def _config(self) -> dict[str, Any]:
        return {
            "learning_rate": self.learning_rate,
            "beta_1": self.beta_1,
            "beta_2": self.beta_2,
            "epsilon": self.epsilon,
            "bias_correction": self.bias_correction,
        }


def adam_step_scale(
    t: ArrayLike, beta_1: float = 0.9, beta_2: float = 0.999, bias_correction: bool = True
) -> np.ndarray:
    """Size of Adam's ``t``-th step, in units of the learning rate, for a constant gradient.

    With a constant gradient ``g``, ``m_t = (1 - beta_1**t) g`` and
    ``v_t = (1 - beta_2**t) g**2``, so (ignoring epsilon) the step is
    ``learning_rate * (1 - beta_1**t) / sqrt(1 - beta_2**t)`` without bias
    correction and exactly ``learning_rate`` with it.

    Parameters
    ----------
    t : array_like of int
        Step numbers, >= 1.
    beta_1, beta_2 : float
        Adam's decay rates, in [0, 1).
    bias_correction : bool
        With it the answer is 1 at every step.

    Returns
    -------
    np.ndarray
        The step size divided by the learning rate, of the shape of ``t``.

    Examples
    --------
    >>> print(np.round(adam_step_scale([1, 10, 100, 1000], bias_correction=False), 2))
    [3.16 6.53 3.25 1.26]
    >>> print(adam_step_scale([1, 10]))
    [1. 1.]
    """
    t = check_array(t, "t", "adam_step_scale")
    if np.any(t < 1) or np.any(t != np.round(t)):
        raise argument_error(
            "adam_step_scale",
            "t",
            t,
            "whole step numbers >= 1 (Adam counts from 1)",
            "pass e.g. np.arange(1, 101)",
        )
    b1 = check_decay(beta_1, "beta_1", "adam_step_scale", "0.9")
    b2 = check_decay(beta_2, "beta_2", "adam_step_scale", "0.999")
    if bias_correction:
        return np.ones_like(t)
    return (1 - b1**t) / np.sqrt(1 - b2**t)
