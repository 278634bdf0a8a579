"""Self-checks for chapter 01, loss functions (``solutions/01_loss_functions.ipynb``).

>>> import numpy as np
>>> def mse_gradient(y_true, y_pred):
...     return 2 * (y_pred - y_true) / y_true.size
>>> _ = check_1_1(mse_gradient)
Exercise 1.1 passed: mse_gradient gives the expected result on 3 cases.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from course_lib.checks._core import Case, CheckResult, run_cases
from course_lib.checks._core import allclose as _close
from course_lib.foundations import losses

__all__ = ["check_1_1", "check_1_2", "check_1_3"]


def check_1_1(mse_gradient: Callable[..., Any]) -> CheckResult:
    """Exercise 1.1: gradient of the mean squared error with respect to ``y_pred``."""
    rng = np.random.default_rng(101)
    y1, p1 = np.array([4.0, 2.0, 5.0]), np.array([3.5, 2.0, 4.0])
    y2 = rng.uniform(1, 5, size=7)
    p2 = rng.uniform(1, 5, size=7)
    y3 = rng.uniform(1, 5, size=(4, 2))
    p3 = rng.uniform(1, 5, size=(4, 2))
    cases = [
        Case(args=(y, p), expected=losses.mse_gradient(y, p))
        for y, p in ((y1, p1), (y2, p2), (y3, p3))
    ]

    def ref(case: Case) -> np.ndarray:
        return losses.mse_gradient(*case.args)

    hints = [
        (
            lambda got, c: _close(got, ref(c) / 2),
            "exactly half the right answer: the derivative of (y_pred - y_true)**2 is "
            "2 * (y_pred - y_true); a common mistake is to drop the factor 2 while keeping the 1/n.",
        ),
        (
            lambda got, c: _close(got, -ref(c)),
            "the sign is flipped: differentiate with respect to y_pred, so it is "
            "(y_pred - y_true), not (y_true - y_pred).",
        ),
        (
            lambda got, c: _close(got, ref(c) * c.args[0].size),
            "n times too large: the loss is a mean, so its gradient carries the factor 1/n.",
        ),
        (
            lambda got, c: np.ndim(got) == 0,
            "a gradient has one entry per prediction: return an array shaped like y_pred, "
            "not a single number.",
        ),
        (
            lambda got, c: (
                np.ndim(c.args[1]) == 2 and _close(got, ref(c) * c.args[1].size / len(c.args[1]))
            ),
            "right for 1-D arrays, wrong for 2-D ones: n is the number of elements "
            "(y_pred.size), not the number of rows (len(y_pred)).",
        ),
    ]
    return run_cases("1.1", mse_gradient, cases, hints)


def check_1_2(bce_from_logits: Callable[..., Any]) -> CheckResult:
    """Exercise 1.2: numerically stable binary cross-entropy from logits (mean over samples)."""
    rng = np.random.default_rng(102)
    y1, z1 = np.array([1.0, 0.0, 1.0, 0.0]), np.array([2.0, -1.0, -0.5, 0.3])
    y2 = rng.integers(0, 2, size=10).astype(float)
    z2 = rng.normal(scale=2.0, size=10)
    y3, z3 = np.array([1.0, 0.0, 1.0, 0.0]), np.array([-800.0, 800.0, 800.0, -800.0])
    cases = [
        Case(args=(y1, z1), expected=losses.binary_crossentropy(y1, z1, from_logits=True)),
        Case(args=(y2, z2), expected=losses.binary_crossentropy(y2, z2, from_logits=True)),
        Case(
            args=(y3, z3),
            expected=losses.binary_crossentropy(y3, z3, from_logits=True),
            note="large logits (|z| = 800) are realistic for an over-confident model: "
            "np.exp(800) overflows, so rewrite the loss as "
            "max(z, 0) - z * y + log1p(exp(-|z|)).",
        ),
    ]

    def ref(case: Case) -> float:
        return losses.binary_crossentropy(*case.args, from_logits=True)

    hints = [
        (
            lambda got, c: not np.all(np.isfinite(got)),
            "inf/nan means an overflow: never compute exp of a large positive number; use "
            "max(z, 0) - z * y + np.log1p(np.exp(-np.abs(z))).",
        ),
        (
            lambda got, c: _close(got, ref(c) * c.args[0].size),
            "n times too large: average over samples (np.mean), don't sum.",
        ),
        (
            lambda got, c: _close(got, -ref(c)),
            "the sign is flipped: cross-entropy is -[y log p + (1 - y) log(1 - p)], "
            "a positive number.",
        ),
        (
            lambda got, c: np.all(np.isfinite(got)) and np.all(np.asarray(got) < 0),
            "a cross-entropy is never negative: check the last term, log(1 + exp(-|z|)); "
            "np.log1p(x) computes log(1 + x), np.log(x) drops the 1.",
        ),
    ]
    return run_cases("1.2", bce_from_logits, cases, hints)


def check_1_3(softmax_cross_entropy: Callable[..., Any]) -> CheckResult:
    """Exercise 1.3: categorical cross-entropy from logits with log-sum-exp (mean over rows)."""
    rng = np.random.default_rng(103)
    y1, z1 = np.array([[0.0, 1.0, 0.0]]), np.array([[1.0, 2.0, 0.5]])
    y2 = np.eye(4)[rng.integers(0, 4, size=6)]
    z2 = rng.normal(scale=2.0, size=(6, 4))
    y3 = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    z3 = np.array([[1000.0, 990.0, -50.0], [-1000.0, 0.0, -990.0]])
    cases = [
        Case(args=(y, z), expected=losses.categorical_crossentropy(y, z, from_logits=True))
        for y, z in ((y1, z1), (y2, z2))
    ]
    cases.append(
        Case(
            args=(y3, z3),
            expected=losses.categorical_crossentropy(y3, z3, from_logits=True),
            note="with logits near 1000, np.exp overflows: subtract the row maximum "
            "before exponentiating (log-sum-exp).",
        )
    )

    def ref(case: Case) -> float:
        return losses.categorical_crossentropy(*case.args, from_logits=True)

    hints = [
        (
            lambda got, c: not np.all(np.isfinite(got)),
            "inf/nan means exp overflowed (or a whole row underflowed to 0): "
            "log_softmax(z) = z - m - log(sum(exp(z - m))) with m = z.max(axis=1, keepdims=True), "
            "each row's own maximum (not the minimum, not the maximum of the whole array).",
        ),
        (
            lambda got, c: _close(got, ref(c) * c.args[0].shape[0]),
            "n times too large: average over rows (samples), don't sum.",
        ),
        (
            lambda got, c: _close(got, ref(c) / c.args[0].shape[1]),
            "too small by the number of classes: sum over the classes (axis=1), then average "
            "over the rows; np.mean over everything divides by n * k.",
        ),
        (
            lambda got, c: _close(got, -ref(c)),
            "the sign is flipped: the loss is -sum(y * log_softmax(z)), a positive number.",
        ),
    ]
    return run_cases("1.3", softmax_cross_entropy, cases, hints)
