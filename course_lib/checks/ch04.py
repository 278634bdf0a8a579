"""Self-checks for chapter 04 (backpropagation by hand).

The network of the exercises: ``Z1 = X @ W1 + b1``, ``H = sigmoid(Z1)``,
``Z2 = H @ W2 + b2``, ``Y = sigmoid(Z2)``, loss = mean binary cross-entropy.

>>> import numpy as np
>>> def output_delta(y_pred, y_true):
...     return (y_pred - y_true) / len(y_true)
>>> _ = check_4_1(output_delta)
Exercise 4.1 passed: output_delta gives the expected result on 3 cases.
"""

from __future__ import annotations

from functools import partial

import numpy as np

from course_lib.checks._core import Case, allclose, run_cases
from course_lib.foundations.activations import sigmoid
from course_lib.foundations.nn import backward, forward

__all__ = ["check_4_1", "check_4_2", "check_4_3"]


_close = partial(allclose, rtol=1e-6, atol=1e-10)


def check_4_1(output_delta):
    """Check ``output_delta(y_pred, y_true) -> dL/dZ2`` for sigmoid + mean BCE, shape (n, 1)."""
    rng = np.random.default_rng(41)
    inputs = [
        (np.array([[0.9], [0.2], [0.6]]), np.array([[1.0], [0.0], [0.0]])),
        (np.array([[0.5], [0.5]]), np.array([[1.0], [1.0]])),
        (sigmoid(rng.normal(size=(6, 1))), (rng.random((6, 1)) < 0.5).astype(float)),
    ]
    cases = [Case(args=(yp, yt), expected=(yp - yt) / len(yt)) for yp, yt in inputs]
    hints = [
        (lambda got, c: _close(got, c.args[0] - c.args[1]),
         "divide by the batch size n: the loss is a *mean* over the batch."),
        (lambda got, c: _close(got, (c.args[1] - c.args[0]) / len(c.args[1])),
         "wrong sign: dL/dZ2 = (y_pred - y_true) / n."),
        (lambda got, c: _close(got, (c.args[0] - c.args[1]) * c.args[0] * (1 - c.args[0])
                               / len(c.args[1])),
         "no sigmoid derivative here: with binary cross-entropy the factor y_pred(1 - y_pred) "
         "cancels against the loss's derivative (that factor belongs to the squared error)."),
        (lambda got, c: np.shape(got) == (len(c.args[1]), len(c.args[1])),
         "an (n, n) result means y_pred and y_true had different shapes, (n, 1) and (n,), and "
         "numpy broadcast them: keep both (n, 1)."),
    ]
    return run_cases("4.1", output_delta, cases, hints)


def check_4_2(hidden_delta):
    """Check ``hidden_delta(delta_out, W2, H) -> dL/dZ1`` for sigmoid hidden units."""
    rng = np.random.default_rng(42)
    inputs = [
        (np.array([[0.1], [-0.2]]), np.array([[0.5], [-1.0], [2.0]]),
         np.array([[0.3, 0.6, 0.9], [0.5, 0.1, 0.7]])),
        (rng.normal(size=(4, 2)), rng.normal(size=(5, 2)), sigmoid(rng.normal(size=(4, 5)))),
    ]
    cases = [Case(args=a, expected=(a[0] @ a[1].T) * a[2] * (1 - a[2])) for a in inputs]
    hints = [
        (lambda got, c: _close(got, c.args[0] @ c.args[1].T),
         "the sigmoid derivative is missing: multiply element-wise by H * (1 - H)."),
        (lambda got, c: _close(got, (c.args[0] @ c.args[1].T) * sigmoid(c.args[2])
                               * (1 - sigmoid(c.args[2]))),
         "H is already sigmoid(Z1): the derivative is H * (1 - H), not sigmoid(H) * "
         "(1 - sigmoid(H)), which applies the sigmoid twice."),
        (lambda got, c: _close(got, (c.args[0] @ c.args[1].T) * (1 - c.args[2])),
         "the derivative of the sigmoid is H * (1 - H): a factor H is missing."),
    ]
    return run_cases("4.2", hidden_delta, cases, hints)


def _backward_ref(params, X, y):
    return backward(params, forward(params, X, "sigmoid"), y, "sigmoid", "binary_crossentropy")


def _dW1_without_derivative(params, X, y):
    """The plausible slip: delta1 = delta2 @ W2.T, forgetting H * (1 - H)."""
    delta2 = (forward(params, X, "sigmoid")["Y"] - y) / len(X)
    return X.T @ (delta2 @ params["W2"].T)


def check_4_3(backward_pass):
    """Check ``backward_pass(params, X, y) -> {"W1": ..., "b1": ..., "W2": ..., "b2": ...}``.

    Sigmoid hidden units, sigmoid output, mean binary cross-entropy; ``y`` has
    shape (n, 1).
    """
    rng = np.random.default_rng(43)
    cases = []
    for n, d, h in ((5, 3, 4), (8, 2, 6)):
        params = {"W1": rng.normal(size=(d, h)), "b1": 0.1 * rng.normal(size=h),
                  "W2": rng.normal(size=(h, 1)), "b2": 0.1 * rng.normal(size=1)}
        X, y = rng.normal(size=(n, d)), (rng.random((n, 1)) < 0.5).astype(float)
        cases.append(Case(args=(params, X, y), expected=_backward_ref(params, X, y)))

    def ref(c):
        return _backward_ref(*c.args)

    def n_of(c):
        return len(c.args[1])

    hints = [
        (lambda got, c: all(_close(got[k], ref(c)[k] * n_of(c)) for k in ref(c)),
         "every gradient is n times too large: divide the output delta by the batch size."),
        (lambda got, c: _close(got["b2"], ref(c)["b2"] / n_of(c))
         or _close(got["b1"], ref(c)["b1"] / n_of(c)),
         "the bias gradient is the *sum* of the deltas over the batch (delta.sum(axis=0)); "
         "the 1/n is already inside the delta."),
        (lambda got, c: _close(got["W1"], _dW1_without_derivative(*c.args)),
         "dW1 lacks the hidden units' sigmoid derivative H * (1 - H)."),
        (lambda got, c: _close(np.asarray(got["W1"]).T, ref(c)["W1"])
         or _close(np.asarray(got["W2"]).T, ref(c)["W2"]),
         "a weight gradient is transposed: dW = (layer input).T @ delta, with the shape of W."),
    ]
    return run_cases("4.3", backward_pass, cases, hints)
