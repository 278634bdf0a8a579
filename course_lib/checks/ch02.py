"""Self-checks for chapter 02, gradient descent (``solutions/02_gradient_descent.ipynb``).

>>> import numpy as np
>>> def linreg_mse_gradient(X, y, theta):
...     return 2 / len(y) * X.T @ (X @ theta - y)
>>> _ = check_2_1(linreg_mse_gradient)
Exercise 2.1 passed: linreg_mse_gradient gives the expected result on 3 cases.
"""

from __future__ import annotations

import math

import numpy as np

from course_lib.foundations import linreg
from course_lib.checks._core import Case, compare, show_value, run_cases, allclose as _close

__all__ = ["check_2_1", "check_2_2", "check_2_3"]

_X_EXAMPLE = linreg.design_matrix([1.0, 2.0, 3.0, 4.0, 5.0])
_Y_EXAMPLE = np.array([2.0, 4.0, 6.0, 8.0, 10.0])


def _problems(seed: int, n: int = 12, d: int = 2):
    rng = np.random.default_rng(seed)
    X = linreg.design_matrix(rng.normal(size=(n, d - 1)))
    y = X @ rng.normal(size=d) + rng.normal(scale=0.2, size=n)
    return X, y, rng.normal(size=d)


def check_2_1(linreg_mse_gradient) -> object:
    """Exercise 2.1: the gradient of the MSE of a linear model with respect to theta."""
    X2, y2, t2 = _problems(201)
    X3, y3, t3 = _problems(202, n=9, d=3)
    args = [(_X_EXAMPLE, _Y_EXAMPLE, np.zeros(2)), (X2, y2, t2), (X3, y3, t3)]
    cases = [Case(args=a, expected=linreg.mse_gradient_wrt_theta(*a)) for a in args]

    def ref(case):
        return linreg.mse_gradient_wrt_theta(*case.args)

    hints = [
        (lambda got, c: _close(got, ref(c) / 2),
         "half the right answer: the factor 2 from differentiating the square is missing "
         "(a common mistake: the loss keeps its 1/n but the gradient loses the 2)."),
        (lambda got, c: _close(got, -ref(c)),
         "the sign is flipped: use the residual X @ theta - y (prediction minus target)."),
        (lambda got, c: _close(got, ref(c) * len(c.args[1])),
         "n times too large: the loss is a mean, divide by the number of samples."),
        (lambda got, c: np.ndim(got) != 1,
         "return one partial derivative per weight: an array of shape (n_features,)."),
    ]
    return run_cases("2.1", linreg_mse_gradient, cases, hints)


def check_2_2(gd_step) -> object:
    """Exercise 2.2: one gradient-descent step, returning a new theta."""
    X2, y2, t2 = _problems(211)
    args = [(_X_EXAMPLE, _Y_EXAMPLE, np.zeros(2), 0.01), (X2, y2, t2, 0.1),
            (_X_EXAMPLE, _Y_EXAMPLE, np.array([1.0, 1.0]), 0.001)]
    cases = [Case(args=a, expected=linreg.gradient_descent_step(*a)) for a in args]

    def step_with(case, grad_scale=1.0, sign=-1.0, learning_rate=None):
        X, y, theta, rate = case.args
        rate = rate if learning_rate is None else learning_rate
        return theta + sign * rate * grad_scale * linreg.mse_gradient_wrt_theta(X, y, theta)

    hints = [
        (lambda got, c: _close(got, step_with(c, sign=1.0)),
         "you stepped uphill: subtract learning_rate * gradient, don't add it."),
        (lambda got, c: _close(got, step_with(c, grad_scale=0.5)),
         "the step is half as long as it should be: the gradient is missing its factor 2."),
        (lambda got, c: _close(got, step_with(c, learning_rate=1.0)),
         "the learning rate is not used: multiply the gradient by learning_rate."),
        (lambda got, c: _close(got, linreg.mse_gradient_wrt_theta(*c.args[:3]) * -c.args[3]),
         "you returned only the update; return theta - learning_rate * gradient."),
    ]
    return run_cases("2.2", gd_step, cases, hints)


def _reference_minibatch(X, y, theta0, learning_rate, n_epochs, batch_size, seed):
    n_steps = n_epochs * math.ceil(len(y) / batch_size)
    return linreg.gradient_descent(X, y, theta0, learning_rate, n_steps,
                                   batch_size=batch_size, seed=seed).thetas


def _variant(X, y, theta0, learning_rate, n_epochs, b, seed, *, shuffle=True, reseed=False,
             mean=True, divide_by_batch_size=False, order_kind="permutation"):
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
            batches = [order[i:i + b] for i in range(0, n, b)]
        for idx in batches:
            r = X[idx] @ theta - y[idx]
            divisor = b if divide_by_batch_size else len(idx)
            grad = 2 * X[idx].T @ r / (divisor if mean else 1)
            theta = theta - learning_rate * grad
            out.append(theta.copy())
    return np.array(out)


def _recipe_or_in_place_shuffle(args):
    """``expected`` for 2.3: the recipe's path, or the in-place-shuffle one (also right)."""
    recipe = _reference_minibatch(*args)
    in_place = _variant(*args, order_kind="shuffle_in_place")

    def judge(got):
        problem = compare(recipe, got)
        if problem is None or compare(in_place, got) is None:
            return None
        if problem != "values that differ from the expected ones":
            return problem
        return (f"{problem}\n    expected: {show_value(recipe)}\n"
                f"    got:      {show_value(np.asarray(got, dtype=float))}")

    return judge


def check_2_3(minibatch_gd) -> object:
    """Exercise 2.3: the mini-batch gradient-descent loop (returns every theta)."""
    X2, y2, _ = _problems(221, n=10)
    X3, y3, _ = _problems(222, n=13, d=3)
    args = [
        (X2, y2, np.zeros(2), 0.05, 2, 4, 0),         # 3 batches per epoch (4, 4, 2)
        (X3, y3, np.zeros(3), 0.02, 3, 5, 7),
        (_X_EXAMPLE, _Y_EXAMPLE, np.zeros(2), 0.01, 2, 5, 1),   # batch_size = n: full batch
        (X2, y2, np.ones(2), 0.01, 2, 1, 3),           # batch_size = 1: SGD
    ]
    cases = [Case(args=a, expected=_recipe_or_in_place_shuffle(a)) for a in args]

    def unpack(case):
        return case.args

    hints = [
        (lambda got, c: np.shape(got) != np.shape(_reference_minibatch(*c.args)),
         "return np.array of every theta, the start included: shape "
         "(n_epochs * ceil(n / batch_size) + 1, n_features); the last batch of an epoch may be "
         "smaller than batch_size."),
        (lambda got, c: _close(got, _variant(*unpack(c), shuffle=False)),
         "the batches are never shuffled: each epoch use order = rng.permutation(n)."),
        (lambda got, c: _close(got, _variant(*unpack(c), order_kind="array_split")),
         "np.array_split cuts the order into batches of nearly equal size (4, 3, 3 for n = 10 "
         "and batch_size = 4); the recipe takes consecutive slices of batch_size rows, "
         "order[start:start + batch_size], and only the last batch may be smaller (4, 4, 2)."),
        (lambda got, c: _close(got, _variant(*unpack(c), reseed=True)),
         # also what shuffling once, before the epoch loop, gives: the same numbers
         "every epoch uses the same order (shuffled once before the epoch loop, or with a "
         "generator re-created every epoch). Create rng = np.random.default_rng(seed) once, "
         "before the loop, and draw a new order = rng.permutation(n) at the start of each epoch."),
        (lambda got, c: _close(got, _variant(*unpack(c), mean=False)),
         "the steps are too large: average the gradient over the batch (divide by the batch's "
         "length, which can be smaller than batch_size for the last batch)."),
        (lambda got, c: _close(got, _variant(*unpack(c), divide_by_batch_size=True)),
         "right until the last batch of an epoch: it can be smaller than batch_size, so "
         "average over len(idx) rows (np.mean), not over batch_size."),
        (lambda got, c: np.ndim(got) == 2 and len(got) > 1 and np.allclose(got, got[-1]),
         "every row is the same (final) theta: you appended one array and then changed it in "
         "place (theta -= ...). Write theta = theta - ... or append theta.copy()."),
    ]
    return run_cases("2.3", minibatch_gd, cases, hints)
