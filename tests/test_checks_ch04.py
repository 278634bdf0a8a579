"""Mutation tests of the chapter 04 checks: pass the solution, catch plausible mistakes."""

from __future__ import annotations

import numpy as np
import pytest

from course_lib.checks import CheckFailed
from course_lib.checks.ch04 import check_4_1, check_4_2, check_4_3


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


# ------------------------------------------------------------------ 4.1
def output_delta(y_pred, y_true):
    return (y_pred - y_true) / len(y_true)


@pytest.mark.parametrize("wrong, hint", [
    (lambda y_pred, y_true: y_pred - y_true, "divide by the batch size"),
    (lambda y_pred, y_true: (y_true - y_pred) / len(y_true), "wrong sign"),
    (lambda y_pred, y_true: (y_pred - y_true) * y_pred * (1 - y_pred) / len(y_true),
     "no sigmoid derivative here"),
    (lambda y_pred, y_true: (y_pred - y_true.ravel()) / len(y_true), "broadcast"),
])
def test_4_1(wrong, hint):
    assert check_4_1(output_delta)
    with pytest.raises(CheckFailed, match=hint):
        check_4_1(wrong)


# ------------------------------------------------------------------ 4.2
def hidden_delta(delta_out, W2, H):
    return (delta_out @ W2.T) * H * (1 - H)


@pytest.mark.parametrize("wrong, hint", [
    (lambda d, W2, H: d @ W2.T, "sigmoid derivative is missing"),
    (lambda d, W2, H: (d @ W2.T) * sigmoid(H) * (1 - sigmoid(H)), "H is already sigmoid"),
    (lambda d, W2, H: (d @ W2.T) * (1 - H), "a factor H is missing"),
    (lambda d, W2, H: (d @ W2) * H * (1 - H), "raised ValueError"),
])
def test_4_2(wrong, hint):
    assert check_4_2(hidden_delta)
    with pytest.raises(CheckFailed, match=hint):
        check_4_2(wrong)


# ------------------------------------------------------------------ 4.3
def _make_backward(scale_n=True, bias_mean=False, no_hidden_derivative=False, transpose=False):
    def backward_pass(params, X, y):
        n = len(X)
        H = sigmoid(X @ params["W1"] + params["b1"])
        Y = sigmoid(H @ params["W2"] + params["b2"])
        delta2 = (Y - y) / n if scale_n else (Y - y)
        delta1 = delta2 @ params["W2"].T
        if not no_hidden_derivative:
            delta1 = delta1 * H * (1 - H)
        reduce = (lambda d: d.mean(axis=0)) if bias_mean else (lambda d: d.sum(axis=0))
        dW1, dW2 = X.T @ delta1, H.T @ delta2
        if transpose:
            dW1 = dW1.T
        return {"W1": dW1, "b1": reduce(delta1), "W2": dW2, "b2": reduce(delta2)}
    return backward_pass


def test_4_3_passes_solution():
    assert check_4_3(_make_backward())


@pytest.mark.parametrize("wrong, hint", [
    (_make_backward(scale_n=False), "n times too large"),
    (_make_backward(bias_mean=True), "bias gradient is the \\*sum\\*"),
    (_make_backward(no_hidden_derivative=True), "lacks the hidden units' sigmoid derivative"),
    (_make_backward(transpose=True), "transposed"),
])
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


@pytest.mark.parametrize("check", [check_4_1, check_4_2, check_4_3])
def test_untouched_stub_raises_not_implemented(check):
    """The raw check lets the stub's error through; the exported one prints 'not started'."""
    def stub(*args, **kwargs):
        raise NotImplementedError("Exercise: not done")
    with pytest.raises(NotImplementedError):
        check.__wrapped_check__(stub)
    assert not check(stub)
