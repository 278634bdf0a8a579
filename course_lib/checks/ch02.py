"""Self-checks for chapter 02, gradient descent (``solutions/02_gradient_descent.ipynb``).

The lesson writes out the MSE gradient and the plain gradient-descent loop; the
exercises change one idea of each: the gradient of the MSE with an L2 penalty
(ridge, 2.1), gradient descent with a decaying learning rate (2.2), and the
mini-batch loop, which the lesson leaves to the library (2.3).

>>> import numpy as np
>>> def ridge_gradient(X, y, theta, alpha):
...     penalty = 2 * alpha * theta
...     penalty[0] = 0.0
...     return 2 / len(y) * X.T @ (X @ theta - y) + penalty
>>> _ = check_2_1(ridge_gradient)
Exercise 2.1 passed: ridge_gradient gives the expected result on 4 cases.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from course_lib.checks._core import Case, CheckResult, compare, run_cases, show_value
from course_lib.checks._core import allclose as _close
from course_lib.foundations import linreg

__all__ = ["check_2_1", "check_2_2", "check_2_3"]

_X_EXAMPLE = linreg.design_matrix([1.0, 2.0, 3.0, 4.0, 5.0])
_Y_EXAMPLE = np.array([2.0, 4.0, 6.0, 8.0, 10.0])

#: A hint: ``(predicate(got, case), text)``.
_Hint = tuple[Callable[[Any, Case], bool], str]


def _problems(seed: int, n: int = 12, d: int = 2) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = linreg.design_matrix(rng.normal(size=(n, d - 1)))
    y = X @ rng.normal(size=d) + rng.normal(scale=0.2, size=n)
    return X, y, rng.normal(size=d)


def _mse_gradient(X: np.ndarray, y: np.ndarray, theta: np.ndarray) -> np.ndarray:
    return 2.0 / len(y) * X.T @ (X @ theta - y)


def _rows_all_final(got: Any, case: Case) -> bool:
    """Every row after the start is the final theta: one array appended and changed in place."""
    return np.ndim(got) == 2 and len(got) > 2 and bool(np.allclose(got[1:], got[-1]))


# ------------------------------------------------------------------------------ 2.1
def _ridge_ref(
    X: np.ndarray,
    y: np.ndarray,
    theta: np.ndarray,
    alpha: float,
    *,
    mse_factor: float = 2.0,
    penalty_factor: float = 2.0,
    intercept: bool = False,
    residual_sign: float = 1.0,
    penalty_per_row: bool = False,
) -> np.ndarray:
    """The ridge gradient; the keywords build the typical mistakes of 2.1."""
    residual = residual_sign * (X @ theta - y)
    penalised = theta.astype(float).copy()
    if not intercept:
        penalised[0] = 0.0
    penalty = penalty_factor * alpha * penalised / (len(y) if penalty_per_row else 1)
    return mse_factor / len(y) * X.T @ residual + penalty


def check_2_1(ridge_gradient: Callable[..., Any]) -> CheckResult:
    """Exercise 2.1: the gradient of the MSE plus an L2 penalty that spares the intercept.

    ``L(theta) = mean((X @ theta - y)**2) + alpha * sum(theta[1:]**2)``, so the
    gradient is ``2/n X.T (X theta - y) + 2 alpha theta`` with the intercept's
    entry of the penalty set to 0.
    """
    X2, y2, t2 = _problems(201)
    X3, y3, t3 = _problems(202, n=9, d=3)
    args = [
        (_X_EXAMPLE, _Y_EXAMPLE, np.array([0.5, 1.0]), 0.1),
        (X2, y2, t2, 0.3),
        (X3, y3, t3, 2.0),
        (_X_EXAMPLE, _Y_EXAMPLE, np.array([1.0, 1.0]), 0.0),
    ]  # no penalty: the MSE gradient
    cases = [
        Case(args=a, expected=_ridge_ref(*a), rtol=1e-5, atol=1e-7) for a in args
    ]  # float32 ok

    def variant(**change: Any) -> Callable[[Any, Case], bool]:
        return lambda got, case: case.args[3] != 0 and _close(got, _ridge_ref(*case.args, **change))

    hints: list[_Hint] = [
        (
            lambda got, case: np.ndim(got) != 1,
            "return one partial derivative per weight: an array of shape (n_features,).",
        ),
        (
            variant(intercept=True),
            "the intercept theta[0] is penalised too: the penalty sums theta[1:]**2 only, so the "
            "first entry of the penalty's gradient is 0.",
        ),
        (
            variant(penalty_factor=1.0),
            "the penalty's gradient is missing its factor 2: d/dtheta (alpha * theta**2) = "
            "2 * alpha * theta.",
        ),
        (
            variant(penalty_factor=0.0),
            "alpha is not used: add the penalty's gradient 2 * alpha * theta (0 for the "
            "intercept).",
        ),
        (
            variant(penalty_factor=-2.0),
            "the penalty's gradient has the wrong sign: the penalty grows with |theta|, so its "
            "gradient is + 2 * alpha * theta.",
        ),
        (
            variant(penalty_per_row=True),
            "the penalty is not a mean over the rows: add 2 * alpha * theta, not divided by n.",
        ),
        (
            variant(mse_factor=1.0),
            "the MSE part is half the right answer: differentiating the square brings down a "
            "factor 2.",
        ),
        (
            variant(residual_sign=-1.0),
            "the MSE part has the wrong sign: use the residual X @ theta - y (prediction minus "
            "target).",
        ),
    ]
    return run_cases("2.1", ridge_gradient, cases, hints)


# ------------------------------------------------------------------------------ 2.2
def _decay_ref(
    X: np.ndarray,
    y: np.ndarray,
    theta0: np.ndarray,
    learning_rate: float,
    n_steps: int,
    decay: float,
    *,
    schedule: str = "inverse",
    t_offset: int = 0,
    sign: float = -1.0,
) -> np.ndarray:
    """Every theta of gradient descent with ``learning_rate / (1 + decay * t)``, t = 0, 1, ...

    ``schedule`` builds the typical mistakes: ``"constant"`` (decay ignored),
    ``"compound"`` (``learning_rate`` overwritten every step, so the factors
    multiply), ``"exponential"`` (``learning_rate * decay**t``).
    """
    theta = np.array(theta0, dtype=float)
    thetas = [theta]
    rate = learning_rate
    for step in range(n_steps):
        t = step + t_offset
        if schedule == "inverse":
            rate = learning_rate / (1 + decay * t)
        elif schedule == "compound":
            rate = rate / (1 + decay * t)
        elif schedule == "exponential":
            rate = learning_rate * decay**t
        theta = theta + sign * rate * _mse_gradient(X, y, theta)
        thetas.append(theta)
    return np.array(thetas)


def check_2_2(gd_with_decay: Callable[..., Any]) -> CheckResult:
    """Exercise 2.2: gradient descent whose learning rate decays like 1/t; every theta.

    Step ``t = 0, 1, ..., n_steps - 1`` uses ``learning_rate / (1 + decay * t)``;
    the result has shape ``(n_steps + 1, n_features)`` and starts with ``theta0``.
    """
    X2, y2, t2 = _problems(211)
    X3, y3, t3 = _problems(212, n=10, d=3)
    args = [
        (_X_EXAMPLE, _Y_EXAMPLE, np.zeros(2), 0.01, 6, 0.5),
        (X2, y2, t2, 0.1, 10, 0.2),
        (X3, y3, t3, 0.05, 8, 1.0),
        (_X_EXAMPLE, _Y_EXAMPLE, np.ones(2), 0.01, 4, 0.0),
    ]  # no decay: plain GD
    cases = [
        Case(args=a, expected=_decay_ref(*a), rtol=1e-5, atol=1e-7) for a in args
    ]  # float32 ok

    def variant(**change: Any) -> Callable[[Any, Case], bool]:
        return lambda got, case: case.args[5] != 0 and _close(got, _decay_ref(*case.args, **change))

    hints: list[_Hint] = [
        (
            lambda got, case: np.shape(got) != (case.args[4] + 1, len(case.args[2])),
            "return np.array of every theta, the start included: n_steps steps give n_steps + 1 "
            "rows of shape (n_features,).",
        ),
        (
            _rows_all_final,
            "every row is the same (final) theta: you appended one array and then changed it in "
            "place (theta -= ...). Write theta = theta - ... or append theta.copy().",
        ),
        (variant(sign=1.0), "you stepped uphill: subtract the step, theta - rate * gradient."),
        (
            variant(schedule="constant"),
            "the learning rate never decays: step t uses learning_rate / (1 + decay * t).",
        ),
        (
            variant(t_offset=1),
            "off by one: the first step (t = 0) uses the full learning_rate, "
            "learning_rate / (1 + decay * 0).",
        ),
        (
            variant(schedule="compound"),
            "you overwrote learning_rate at every step, so the divisions pile up: compute each "
            "step's rate from the *initial* learning_rate, rate = learning_rate / (1 + decay * t).",
        ),
        (
            variant(schedule="exponential"),
            "that is an exponential decay, learning_rate * decay**t: the inverse-time schedule "
            "is learning_rate / (1 + decay * t).",
        ),
    ]
    return run_cases("2.2", gd_with_decay, cases, hints)


# ------------------------------------------------------------------------------ 2.3
def _minibatch_ref(
    X: np.ndarray,
    y: np.ndarray,
    theta0: np.ndarray,
    learning_rate: float,
    n_epochs: int,
    batch_size: int,
    seed: int,
) -> np.ndarray:
    n_steps = n_epochs * math.ceil(len(y) / batch_size)
    return linreg.gradient_descent(
        X, y, theta0, learning_rate, n_steps, batch_size=batch_size, seed=seed
    ).thetas


def _variant(
    X: np.ndarray,
    y: np.ndarray,
    theta0: np.ndarray,
    learning_rate: float,
    n_epochs: int,
    b: int,
    seed: int,
    *,
    shuffle: bool = True,
    reseed: bool = False,
    mean: bool = True,
    divide_by_batch_size: bool = False,
    order_kind: str = "permutation",
) -> np.ndarray:
    """The mini-batch loop with one deliberate deviation from the recipe.

    ``order_kind`` says how each epoch's order is drawn: ``"permutation"``
    (the recipe), ``"shuffle_once"`` (one order drawn before the loop and
    reused every epoch), ``"shuffle_in_place"`` (one index array shuffled in
    place every epoch), or ``"array_split"`` (the recipe's order, cut by
    ``np.array_split`` into ``ceil(n / b)`` nearly equal batches).
    """
    rng = np.random.default_rng(seed)
    theta, out = theta0.copy(), [theta0.copy()]
    n = len(y)
    kept = np.arange(n)
    if order_kind == "shuffle_once":
        rng.shuffle(kept)
    for _ in range(n_epochs):
        if reseed:
            rng = np.random.default_rng(seed)
        if not shuffle or order_kind == "shuffle_once":
            order = kept if shuffle else np.arange(n)
        elif order_kind == "shuffle_in_place":
            rng.shuffle(kept)
            order = kept
        else:
            order = rng.permutation(n)
        if order_kind == "array_split":
            batches = np.array_split(order, math.ceil(n / b))
        else:
            batches = [order[i : i + b] for i in range(0, n, b)]
        for idx in batches:
            r = X[idx] @ theta - y[idx]
            divisor = b if divide_by_batch_size else len(idx)
            grad = 2 * X[idx].T @ r / (divisor if mean else 1)
            theta = theta - learning_rate * grad
            out.append(theta.copy())
    return np.array(out)


def _recipe_or_in_place_shuffle(args: tuple[Any, ...]) -> Callable[[Any], str | None]:
    """``expected`` for 2.3: the recipe's path, or the in-place-shuffle one (also right)."""
    recipe = _minibatch_ref(*args)
    in_place = _variant(*args, order_kind="shuffle_in_place")

    def judge(got: Any) -> str | None:
        problem = compare(recipe, got)
        if problem is None or compare(in_place, got) is None:
            return None
        if problem != "values that differ from the expected ones":
            return problem
        return (
            f"{problem}\n    expected: {show_value(recipe)}\n"
            f"    got:      {show_value(np.asarray(got, dtype=float))}"
        )

    return judge


def check_2_3(minibatch_gd: Callable[..., Any]) -> CheckResult:
    """Exercise 2.3: the mini-batch gradient-descent loop (returns every theta)."""
    X2, y2, _ = _problems(221, n=10)
    X3, y3, _ = _problems(222, n=13, d=3)
    args = [
        (X2, y2, np.zeros(2), 0.05, 2, 4, 0),  # 3 batches per epoch (4, 4, 2)
        (X3, y3, np.zeros(3), 0.02, 3, 5, 7),
        (_X_EXAMPLE, _Y_EXAMPLE, np.zeros(2), 0.01, 2, 5, 1),  # batch_size = n: full batch
        (X2, y2, np.ones(2), 0.01, 2, 1, 3),  # batch_size = 1: SGD
    ]
    cases = [Case(args=a, expected=_recipe_or_in_place_shuffle(a)) for a in args]

    def mistake(**change: Any) -> Callable[[Any, Case], bool]:
        return lambda got, case: _close(got, _variant(*case.args, **change))

    hints: list[_Hint] = [
        (
            lambda got, c: np.shape(got) != np.shape(_minibatch_ref(*c.args)),
            "return np.array of every theta, the start included: shape "
            "(n_epochs * ceil(n / batch_size) + 1, n_features); the last batch of an epoch may be "
            "smaller than batch_size.",
        ),
        (
            mistake(shuffle=False),
            "the batches are never shuffled: each epoch use order = rng.permutation(n).",
        ),
        (
            mistake(order_kind="array_split"),
            "np.array_split cuts the order into batches of nearly equal size (4, 3, 3 for n = 10 "
            "and batch_size = 4); the recipe takes consecutive slices of batch_size rows, "
            "order[start:start + batch_size], and only the last batch may be smaller (4, 4, 2).",
        ),
        (
            mistake(reseed=True),
            # also what shuffling once, before the epoch loop, gives: the same numbers
            "every epoch uses the same order (shuffled once before the epoch loop, or with a "
            "generator re-created every epoch). Create rng = np.random.default_rng(seed) once, "
            "before the loop, and draw a new order = rng.permutation(n) at the start of each epoch.",
        ),
        (
            mistake(mean=False),
            "the steps are too large: average the gradient over the batch (divide by the batch's "
            "length, which can be smaller than batch_size for the last batch).",
        ),
        (
            mistake(divide_by_batch_size=True),
            "right until the last batch of an epoch: it can be smaller than batch_size, so "
            "average over len(idx) rows (np.mean), not over batch_size.",
        ),
        (
            _rows_all_final,
            "every row is the same (final) theta: you appended one array and then changed it in "
            "place (theta -= ...). Write theta = theta - ... or append theta.copy().",
        ),
    ]
    return run_cases("2.3", minibatch_gd, cases, hints)
