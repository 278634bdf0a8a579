"""Mutation tests of the chapter 04 checks: pass the solution, catch plausible mistakes.

The exercises' network: tanh hidden units, a linear output, the mean squared error.
"""

from __future__ import annotations

import numpy as np
import pytest

from course_lib.checks import CheckFailed
from course_lib.checks.ch04 import check_4_1, check_4_2, check_4_3
from course_lib.foundations.gradcheck import check_gradient


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


# ------------------------------------------------------------------ 4.1
def mse_output_delta(y_pred, y_true):
    return 2 * (y_pred - y_true) / len(y_true)


@pytest.mark.parametrize(
    "right",
    [
        mse_output_delta,
        lambda y_pred, y_true: 2.0 / y_true.shape[0] * (y_pred - y_true),
        lambda y_pred, y_true: mse_output_delta(
            y_pred.astype(np.float32), y_true.astype(np.float32)
        ),
        lambda y_pred, y_true: 2 * (y_pred - y_true) / y_true.size,  # k = 1: n * k = n
    ],
    ids=["recipe", "shape[0]", "float32", "size"],
)
def test_4_1_accepts(right):
    assert check_4_1(right)


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (lambda y_pred, y_true: (y_pred - y_true) / len(y_true), "factor 2"),
        (lambda y_pred, y_true: 2 * (y_pred - y_true), "n times too large"),
        (lambda y_pred, y_true: 2 * (y_true - y_pred) / len(y_true), "wrong sign"),
        (
            lambda y_pred, y_true: 2 * (y_pred - y_true) * y_pred * (1 - y_pred) / len(y_true),
            "no activation derivative",
        ),
        (
            lambda y_pred, y_true: (y_pred - y_true) * y_pred * (1 - y_pred) / len(y_true),
            "no Y \\(1 - Y\\) factor",
        ),
        (lambda y_pred, y_true: 2 * (y_pred - y_true.ravel()) / len(y_true), "broadcast"),
    ],
)
def test_4_1_catches(wrong, hint):
    with pytest.raises(CheckFailed, match=hint):
        check_4_1(wrong)


# ------------------------------------------------------------------ 4.2
def tanh_hidden_delta(delta_out, W2, H):
    return (delta_out @ W2.T) * (1 - H**2)


@pytest.mark.parametrize(
    "right",
    [
        tanh_hidden_delta,
        lambda d, W2, H: (d @ W2.T) * (1 - H) * (1 + H),
        lambda d, W2, H: np.einsum("nk,hk->nh", d, W2) * (1 - np.square(H)),
        lambda d, W2, H: tanh_hidden_delta(
            d.astype(np.float32), W2.astype(np.float32), H.astype(np.float32)
        ),
    ],
    ids=["recipe", "factored", "einsum", "float32"],
)
def test_4_2_accepts(right):
    assert check_4_2(right)


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (lambda d, W2, H: (d @ W2.T) * H * (1 - H), "sigmoid's derivative"),
        (lambda d, W2, H: d @ W2.T, "tanh derivative is missing"),
        (lambda d, W2, H: (d @ W2.T) * (1 - np.tanh(H) ** 2), "applies tanh twice"),
        (lambda d, W2, H: (d @ W2.T) * (1 - H) ** 2, "not \\(1 - H\\)\\*\\*2"),
        (lambda d, W2, H: (d @ W2.T) * (1 - H), "factor \\(1 \\+ H\\) is missing"),
        (lambda d, W2, H: (d @ W2) * (1 - H**2), "raised ValueError"),
    ],
)
def test_4_2_catches(wrong, hint):
    with pytest.raises(CheckFailed, match=hint):
        check_4_2(wrong)


# ------------------------------------------------------------------ 4.3
def regression_loss(params, X, y):
    Y = np.tanh(X @ params["W1"] + params["b1"]) @ params["W2"] + params["b2"]
    return float(np.mean((Y - y) ** 2))


def _make_backward(
    scale_n=True,
    factor=2.0,
    bias_mean=False,
    hidden="tanh",
    sigmoid_output=False,
    transpose=False,
    dtype=np.float64,
):
    def regression_backward(params, X, y):
        params = {k: np.asarray(v, dtype=dtype) for k, v in params.items()}
        X, y = X.astype(dtype), y.astype(dtype)
        n = len(X)
        H = np.tanh(X @ params["W1"] + params["b1"])
        Y = H @ params["W2"] + params["b2"]
        if sigmoid_output:
            Y = sigmoid(Y)
        delta2 = factor * (Y - y) / (n if scale_n else 1)
        delta1 = delta2 @ params["W2"].T
        if hidden == "tanh":
            delta1 = delta1 * (1 - H**2)
        elif hidden == "sigmoid":
            delta1 = delta1 * H * (1 - H)
        reduce = (lambda d: d.mean(axis=0)) if bias_mean else (lambda d: d.sum(axis=0))
        dW1, dW2 = X.T @ delta1, H.T @ delta2
        if transpose:
            dW1 = dW1.T
        return {"W1": dW1, "b1": reduce(delta1), "W2": dW2, "b2": reduce(delta2)}

    return regression_backward


@pytest.mark.parametrize(
    "right", [_make_backward(), _make_backward(dtype=np.float32)], ids=["float64", "float32"]
)
def test_4_3_passes_solution(right):
    assert check_4_3(right)


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (_make_backward(scale_n=False), "n times too large"),
        (_make_backward(factor=1.0), "half the right one"),
        (_make_backward(bias_mean=True), "bias gradient is the \\*sum\\*"),
        (_make_backward(hidden="sigmoid"), "sigmoid's derivative H \\* \\(1 - H\\)"),
        (_make_backward(hidden="none"), "lacks the hidden units' tanh derivative"),
        (_make_backward(sigmoid_output=True), "no sigmoid on it"),
        (_make_backward(transpose=True), "transposed"),
    ],
)
def test_4_3_catches_mistakes(wrong, hint):
    with pytest.raises(CheckFailed, match=hint):
        check_4_3(wrong)


def test_4_3_missing_key_is_explained():
    def partial(params, X, y):
        g = _make_backward()(params, X, y)
        del g["b1"]
        return g

    with pytest.raises(CheckFailed, match=r"without the key\(s\) \['b1'\]"):
        check_4_3(partial)


def test_4_3_reference_agrees_with_finite_differences():
    """The check's expected gradients are those of the loss the exercise describes."""
    from course_lib.checks.ch04 import _regression_backward_ref

    rng = np.random.default_rng(0)
    params = {
        "W1": rng.normal(size=(3, 4)),
        "b1": 0.1 * rng.normal(size=4),
        "W2": rng.normal(size=(4, 1)),
        "b2": 0.1 * rng.normal(size=1),
    }
    X, y = rng.normal(size=(7, 3)), rng.normal(3.5, 1.0, size=(7, 1))
    grads = _regression_backward_ref(params, X, y)
    for key in params:
        assert check_gradient(
            lambda v, key=key: regression_loss({**params, key: v}, X, y),
            lambda v, key=key: grads[key],
            params[key],
        ).passed, key


@pytest.mark.parametrize("check", [check_4_1, check_4_2, check_4_3])
def test_untouched_stub_raises_not_implemented(check):
    """The raw check lets the stub's error through; the exported one prints 'not started'."""

    def stub(*args, **kwargs):
        raise NotImplementedError("Exercise: not done")

    with pytest.raises(NotImplementedError):
        check.__wrapped_check__(stub)
    assert not check(stub)
