"""Mutation tests: each chapter-01 check passes the solution and catches plausible mistakes."""

from __future__ import annotations

import numpy as np
import pytest

from course_lib.checks import CheckFailed, _core
from course_lib.checks.ch01 import check_1_1, check_1_2, check_1_3


# ----------------------------------------------------------------- 1.1 MSE gradient
def mse_gradient(y_true, y_pred):
    return 2 * (y_pred - y_true) / y_true.size


MUTANTS_1_1 = {
    "missing factor 2": (lambda y, p: (p - y) / y.size, "factor 2"),
    "wrong sign": (lambda y, p: 2 * (y - p) / y.size, "sign"),
    "sum instead of mean": (lambda y, p: 2 * (p - y), "n times too large"),
    "returns the loss": (lambda y, p: float(np.mean((p - y) ** 2)), "single number"),
    "mean of the gradient": (lambda y, p: 2 * np.mean(p - y), "single number"),
}


# ----------------------------------------------------------------- 1.2 stable BCE
def bce_from_logits(y_true, logits):
    z = logits
    return float(np.mean(np.maximum(z, 0) - z * y_true + np.log1p(np.exp(-np.abs(z)))))


def _naive_bce(y, z):
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        p = 1 / (1 + np.exp(-z))
        return float(np.mean(-(y * np.log(p) + (1 - y) * np.log(1 - p))))


def _clipped_bce(y, z):
    with np.errstate(over="ignore"):
        p = np.clip(1 / (1 + np.exp(-z)), 1e-7, 1 - 1e-7)
    return float(np.mean(-(y * np.log(p) + (1 - y) * np.log(1 - p))))


MUTANTS_1_2 = {
    "naive log(sigmoid)": (_naive_bce, "overflow"),
    "clipping instead of from-logits": (_clipped_bce, "800"),
    "sum instead of mean": (lambda y, z: len(y) * bce_from_logits(y, z), "n times too large"),
    "wrong sign": (lambda y, z: -bce_from_logits(y, z), "sign"),
    "swapped labels": (lambda y, z: bce_from_logits(1 - y, z), None),
}


# ----------------------------------------------------------------- 1.3 softmax CE
def softmax_cross_entropy(y_true, logits):
    m = logits.max(axis=1, keepdims=True)
    log_p = logits - m - np.log(np.exp(logits - m).sum(axis=1, keepdims=True))
    return float(np.mean(-(y_true * log_p).sum(axis=1)))


def _naive_ce(y, z):
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
        return float(np.mean(-(y * np.log(p)).sum(axis=1)))


MUTANTS_1_3 = {
    "no max shift": (_naive_ce, "exp overflowed"),
    "sum over rows": (lambda y, z: len(y) * softmax_cross_entropy(y, z), "n times too large"),
    "mean over everything": (
        lambda y, z: softmax_cross_entropy(y, z) / y.shape[1],
        "number of classes",
    ),
    "wrong sign": (lambda y, z: -softmax_cross_entropy(y, z), "sign"),
    "log-sum-exp over the wrong axis": (
        lambda y, z: float(
            np.mean(-(y * (z - np.log(np.exp(z - z.max()).sum(axis=0)) - z.max())).sum(axis=1))
        ),
        None,
    ),
}


@pytest.mark.parametrize(
    "check, solution",
    [(check_1_1, mse_gradient), (check_1_2, bce_from_logits), (check_1_3, softmax_cross_entropy)],
)
def test_solution_passes(check, solution, capsys):
    assert check(solution)
    assert "passed" in capsys.readouterr().out


@pytest.mark.parametrize(
    "check, mutants", [(check_1_1, MUTANTS_1_1), (check_1_2, MUTANTS_1_2), (check_1_3, MUTANTS_1_3)]
)
def test_mutants_are_caught_with_a_useful_hint(check, mutants):
    assert len(mutants) >= 2
    for name, (mutant, hint) in mutants.items():
        with pytest.raises(CheckFailed) as info:
            check(mutant)
        if hint:
            assert hint in str(info.value), f"{name}: {info.value}"


@pytest.mark.parametrize("check", [check_1_1, check_1_2, check_1_3])
def test_untouched_stub_prints_not_started(check, capsys, monkeypatch):
    def stub(y_true, y_pred):
        raise NotImplementedError("Exercise: not done")

    result = check(stub)  # Run All goes on: one line, a falsy result
    assert not result and "not started yet" in capsys.readouterr().out
    monkeypatch.setattr(_core, "GRADING", True)  # the grader sees the exercise as not attempted
    with pytest.raises(NotImplementedError):
        check(stub)


def test_non_callable_is_explained():
    with pytest.raises(CheckFailed, match="pass the function itself"):
        check_1_1(3.0)


# ------------------------------------------------- hints added in the review pass
@pytest.mark.parametrize(
    "check, wrong, hint",
    [
        (check_1_1, lambda y, p: 2 * (p - y) / len(p), r"n is the number of elements"),
        (
            check_1_2,
            lambda y, z: float(np.mean(np.maximum(z, 0) - z * y + np.log(np.exp(-np.abs(z))))),
            r"never negative.*log1p",
        ),
        (
            check_1_3,
            lambda y, z: float(
                np.mean(z.max() + np.log(np.exp(z - z.max()).sum(axis=1)) - (y * z).sum(axis=1))
            ),
            r"each row's own maximum",
        ),
    ],
    ids=["len instead of size", "log instead of log1p", "global max"],
)
def test_review_hints(check, wrong, hint):
    with np.errstate(divide="ignore", invalid="ignore"):
        with pytest.raises(CheckFailed, match=hint):
            check(wrong)
