"""Self-checks for chapter 04 (backpropagation by hand): a regression variant.

The lesson backpropagates through sigmoid hidden units, a sigmoid output and
the binary cross-entropy.  The exercises change the network into a rating
regressor: ``Z1 = X @ W1 + b1``, ``H = tanh(Z1)``, ``Y = H @ W2 + b2`` (a
*linear* output, no activation), loss = mean squared error over the ``n``
rows, ``y`` of shape ``(n, 1)``.  4.1 is the output delta, 4.2 the hidden
delta through tanh, 4.3 the whole backward pass.

>>> import numpy as np
>>> def mse_output_delta(y_pred, y_true):
...     return 2 * (y_pred - y_true) / len(y_true)
>>> _ = check_4_1(mse_output_delta)
Exercise 4.1 passed: mse_output_delta gives the expected result on 3 cases.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np

from course_lib.checks._core import Case, CheckResult, allclose, run_cases
from course_lib.foundations.activations import sigmoid

__all__ = ["check_4_1", "check_4_2", "check_4_3"]

_close = partial(allclose, rtol=1e-6, atol=1e-10)
#: The tolerance of every case: an answer computed in float32 is right too.
_FLOAT32_OK: dict[str, Any] = {"rtol": 1e-5, "atol": 1e-6}

#: A hint: ``(predicate(got, case), text)``.
_Hint = tuple[Callable[[Any, Case], bool], str]


# ------------------------------------------------------------------------------ 4.1
def _output_delta_ref(
    y_pred: np.ndarray,
    y_true: np.ndarray,
    *,
    factor: float = 2.0,
    mean: bool = True,
    sigmoid_derivative: bool = False,
) -> np.ndarray:
    """dL/dY for a linear output and the mean squared error; keywords build mistakes."""
    delta = factor * (y_pred - y_true) / (len(y_true) if mean else 1)
    return delta * y_pred * (1 - y_pred) if sigmoid_derivative else delta


def check_4_1(mse_output_delta: Callable[..., Any]) -> CheckResult:
    """Check ``mse_output_delta(y_pred, y_true) -> dL/dZ2`` for a linear output + mean MSE.

    With ``Y = Z2`` and ``L = mean((Y - y)**2)`` over ``n`` rows, the delta is
    ``2 (Y - y) / n``, shape ``(n, 1)``.
    """
    rng = np.random.default_rng(41)
    inputs = [
        (np.array([[3.5], [4.0], [1.5]]), np.array([[4.0], [5.0], [1.0]])),
        (np.array([[0.5], [0.25]]), np.array([[1.0], [1.0]])),
        (rng.normal(3.5, 1.0, size=(6, 1)), rng.integers(1, 6, size=(6, 1)).astype(float)),
    ]
    cases = [
        Case(args=(yp, yt), expected=_output_delta_ref(yp, yt), **_FLOAT32_OK) for yp, yt in inputs
    ]

    def variant(**change: Any) -> Callable[[Any, Case], bool]:
        return lambda got, case: _close(got, _output_delta_ref(*case.args, **change))

    hints: list[_Hint] = [
        (
            lambda got, c: np.shape(got) == (len(c.args[1]), len(c.args[1])),
            "an (n, n) result means y_pred and y_true had different shapes, (n, 1) and (n,), and "
            "numpy broadcast them: keep both (n, 1).",
        ),
        (
            variant(factor=1.0),
            "half the right answer: the square brings down a factor 2. (The cross-entropy delta "
            "of the lesson, (Y - y) / n, has no 2; the squared error's has.)",
        ),
        (
            variant(mean=False),
            "n times too large: the loss is a *mean* over the batch, divide by n = len(y_true).",
        ),
        (
            variant(factor=-2.0),
            "wrong sign: dL/dY = 2 (y_pred - y_true) / n, prediction minus target.",
        ),
        (
            variant(sigmoid_derivative=True),
            "the output is linear here, Y = Z2: there is no activation derivative Y (1 - Y) to "
            "multiply by.",
        ),
        (
            variant(factor=1.0, sigmoid_derivative=True),
            "the output is linear here, Y = Z2: there is no Y (1 - Y) factor; and the square "
            "brings down a factor 2.",
        ),
    ]
    return run_cases("4.1", mse_output_delta, cases, hints)


# ------------------------------------------------------------------------------ 4.2
def _tanh_hidden_ref(
    delta_out: np.ndarray, W2: np.ndarray, H: np.ndarray, *, derivative: str = "tanh"
) -> np.ndarray:
    """dL/dZ1 through tanh hidden units; ``derivative`` names a typical mistake."""
    back = delta_out @ W2.T
    factors = {
        "tanh": 1 - H**2,
        "sigmoid": H * (1 - H),
        "none": np.ones_like(H),
        "tanh twice": 1 - np.tanh(H) ** 2,
        "square of difference": (1 - H) ** 2,
        "one minus H": 1 - H,
    }
    return back * factors[derivative]


def check_4_2(tanh_hidden_delta: Callable[..., Any]) -> CheckResult:
    """Check ``tanh_hidden_delta(delta_out, W2, H) -> dL/dZ1`` for tanh hidden units.

    ``H = tanh(Z1)``, and ``tanh'(z) = 1 - tanh(z)**2``, so the delta is
    ``(delta_out @ W2.T) * (1 - H**2)``.
    """
    rng = np.random.default_rng(42)
    inputs = [
        (
            np.array([[0.1], [-0.2]]),
            np.array([[0.5], [-1.0], [2.0]]),
            np.array([[0.3, -0.6, 0.9], [0.5, 0.1, -0.7]]),
        ),
        (rng.normal(size=(4, 2)), rng.normal(size=(5, 2)), np.tanh(rng.normal(size=(4, 5)))),
    ]
    cases = [Case(args=a, expected=_tanh_hidden_ref(*a), **_FLOAT32_OK) for a in inputs]

    def variant(derivative: str) -> Callable[[Any, Case], bool]:
        return lambda got, case: _close(got, _tanh_hidden_ref(*case.args, derivative=derivative))

    hints: list[_Hint] = [
        (
            variant("sigmoid"),
            "H * (1 - H) is the sigmoid's derivative (the lesson's hidden units); tanh's is "
            "1 - tanh(z)**2 = 1 - H**2.",
        ),
        (variant("none"), "the tanh derivative is missing: multiply element-wise by 1 - H**2."),
        (
            variant("tanh twice"),
            "H is already tanh(Z1): the derivative is 1 - H**2, not 1 - tanh(H)**2, which "
            "applies tanh twice.",
        ),
        (
            variant("square of difference"),
            "the derivative is 1 - H**2 (one minus the square), not (1 - H)**2.",
        ),
        (
            variant("one minus H"),
            "the derivative is 1 - H**2 = (1 - H)(1 + H): a factor (1 + H) is missing.",
        ),
    ]
    return run_cases("4.2", tanh_hidden_delta, cases, hints)


# ------------------------------------------------------------------------------ 4.3
def _regression_backward_ref(
    params: dict[str, np.ndarray],
    X: np.ndarray,
    y: np.ndarray,
    *,
    factor: float = 2.0,
    mean: bool = True,
    hidden: str = "tanh",
    sigmoid_output: bool = False,
    bias_mean: bool = False,
) -> dict[str, np.ndarray]:
    """The gradients of the tanh -> linear -> mean-MSE network; keywords build mistakes."""
    H = np.tanh(X @ params["W1"] + params["b1"])
    Y = H @ params["W2"] + params["b2"]
    if sigmoid_output:
        Y = sigmoid(Y)
    delta2 = factor * (Y - y) / (len(X) if mean else 1)
    factors = {"tanh": 1 - H**2, "sigmoid": H * (1 - H), "none": np.ones_like(H)}
    delta1 = (delta2 @ params["W2"].T) * factors[hidden]

    def reduce(delta: np.ndarray) -> np.ndarray:
        return delta.mean(axis=0) if bias_mean else delta.sum(axis=0)

    return {"W1": X.T @ delta1, "b1": reduce(delta1), "W2": H.T @ delta2, "b2": reduce(delta2)}


def _every_gradient(**change: Any) -> Callable[[Any, Case], bool]:
    """A hint predicate: ``got`` is the mutant ``change`` in every gradient."""

    def predicate(got: Any, case: Case) -> bool:
        ref = _regression_backward_ref(*case.args, **change)
        return all(_close(got[k], ref[k]) for k in ref)

    return predicate


def _some_gradient(keys: tuple[str, ...], **change: Any) -> Callable[[Any, Case], bool]:
    """A hint predicate: ``got`` is the mutant ``change`` in one of ``keys``, and not right there."""

    def predicate(got: Any, case: Case) -> bool:
        ref = _regression_backward_ref(*case.args)
        wrong = _regression_backward_ref(*case.args, **change)
        return any(_close(got[k], wrong[k]) and not _close(got[k], ref[k]) for k in keys)

    return predicate


def _transposed_weight(got: Any, case: Case) -> bool:
    """A hint predicate: a weight gradient is the transpose of the right one."""
    ref = _regression_backward_ref(*case.args)
    return any(np.ndim(ref[k]) == 2 and _close(np.asarray(got[k]).T, ref[k]) for k in ("W1", "W2"))


#: The typical mistakes of 4.3, tried in order on a wrong answer.
_BACKWARD_HINTS: list[_Hint] = [
    (
        _every_gradient(mean=False),
        "every gradient is n times too large: divide the output delta by the batch size.",
    ),
    (
        _every_gradient(factor=1.0),
        "every gradient is half the right one: the squared error's delta is 2 (Y - y) / n.",
    ),
    (
        _some_gradient(("b1", "b2"), bias_mean=True),
        "the bias gradient is the *sum* of the deltas over the batch (delta.sum(axis=0)); "
        "the 1/n is already inside the delta.",
    ),
    (
        _some_gradient(("W1", "b1"), hidden="sigmoid"),
        "dW1 uses the sigmoid's derivative H * (1 - H); tanh's is 1 - H**2.",
    ),
    (
        _some_gradient(("W1", "b1"), hidden="none"),
        "dW1 lacks the hidden units' tanh derivative 1 - H**2.",
    ),
    (
        _some_gradient(("W2", "b2"), sigmoid_output=True),
        "the output is linear, Y = H @ W2 + b2: no sigmoid on it.",
    ),
    (
        _transposed_weight,
        "a weight gradient is transposed: dW = (layer input).T @ delta, with the shape of W.",
    ),
]


def check_4_3(regression_backward: Callable[..., Any]) -> CheckResult:
    """Check ``regression_backward(params, X, y) -> {"W1": ..., "b1": ..., "W2": ..., "b2": ...}``.

    tanh hidden units, a linear output, the mean squared error; ``y`` has
    shape (n, 1) and each gradient the shape of its parameter.
    """
    rng = np.random.default_rng(43)
    cases = []
    for n, d, h in ((5, 3, 4), (8, 2, 6)):
        params = {
            "W1": rng.normal(size=(d, h)),
            "b1": 0.1 * rng.normal(size=h),
            "W2": rng.normal(size=(h, 1)),
            "b2": 0.1 * rng.normal(size=1),
        }
        X, y = rng.normal(size=(n, d)), rng.normal(3.5, 1.0, size=(n, 1))
        cases.append(
            Case(
                args=(params, X, y), expected=_regression_backward_ref(params, X, y), **_FLOAT32_OK
            )
        )
    return run_cases("4.3", regression_backward, cases, _BACKWARD_HINTS)
