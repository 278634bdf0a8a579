"""Tests for course_lib.core.validation: every branch of check_number and check_int."""

import re
import subprocess
import sys

import numpy as np
import pytest

from course_lib.core.validation import ArgumentTypeError, check_int, check_number


# ---------------------------------------------------------------- check_number
@pytest.mark.parametrize("value", [3, 2.5, np.int64(3), np.float32(0.5), -1e9])
def test_number_accepts_real_scalars_and_returns_float(value):
    out = check_number(value, "x", "f")
    assert type(out) is float and out == float(value)


_NON_NUMBERS = [
    (True, "bool"),
    ("0.1", "str"),
    (None, "NoneType"),
    ([1.0], "list"),
    (np.array(1.0), "ndarray"),
    (1 + 2j, "complex"),
]
_NON_INTS = [
    (True, "bool"),
    (2.0, "float"),
    ("3", "str"),
    (None, "NoneType"),
    (np.float64(1.0), "float64"),
]


@pytest.mark.parametrize(
    "check, rule, value, got",
    [(check_number, "a finite number", *case) for case in _NON_NUMBERS]
    + [(check_int, "an int", *case) for case in _NON_INTS],
)
def test_rejects_wrong_types(check, rule, value, got):
    given = re.escape(f"x={value!r}")
    with pytest.raises(
        ArgumentTypeError,
        match=rf"^f\({given}\): x must be {rule}, "
        rf"got {got}\.$",
    ):
        check(value, "x", "f")


def test_argument_type_error_is_both_type_and_value_error():
    for exc in (TypeError, ValueError):
        with pytest.raises(exc):
            check_number("a", "x", "f")
        with pytest.raises(exc):
            check_int(1.0, "n", "f")


def test_type_message_states_the_rule_and_the_fix():
    with pytest.raises(
        TypeError,
        match=r"SGD\(learning_rate='0.1'\): learning_rate must be "
        r"a positive number \(> 0\), got str; use 0.01\.$",
    ):
        check_number("0.1", "learning_rate", "SGD", low=0, low_inclusive=False, fix="use 0.01")


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf"), np.float64("nan")])
def test_number_rejects_nan_and_inf_by_default(value):
    with pytest.raises(ValueError, match=r"x must be a finite number\.") as info:
        check_number(value, "x", "f")
    assert not isinstance(info.value, TypeError)


def test_allow_inf_accepts_inf_within_bounds_but_never_nan():
    assert check_number(float("inf"), "tol", "Gate", low=0, allow_inf=True) == float("inf")
    assert check_number(-float("inf"), "x", "f", allow_inf=True) == -float("inf")
    with pytest.raises(ValueError, match=r"Gate\(tol=-inf\): tol must be a number >= 0"):
        check_number(-float("inf"), "tol", "Gate", low=0, allow_inf=True)
    with pytest.raises(ValueError, match=r"Gate\(tol=nan\)"):
        check_number(float("nan"), "tol", "Gate", low=0, allow_inf=True)


def test_positive_wording():
    assert check_number(1e-9, "lr", "f", low=0, low_inclusive=False) == 1e-9
    with pytest.raises(ValueError, match=r"f\(lr=0\): lr must be a positive number \(> 0\)\.$"):
        check_number(0, "lr", "f", low=0, low_inclusive=False)


@pytest.mark.parametrize(
    "kwargs, ok, bad, rule",
    [
        ({"low": 0}, 0.0, -0.1, r"a number >= 0"),
        ({"low": 1, "low_inclusive": False}, 1.5, 1, r"a number > 1"),
        ({"high": 1}, 1.0, 1.5, r"a number <= 1"),
        ({"high": 1, "high_inclusive": False}, 0.99, 1.0, r"a number < 1"),
        ({"low": 0, "high": 1}, 1.0, 1.01, r"a number with 0 <= x <= 1"),
        (
            {"low": 0, "high": 1, "low_inclusive": False, "high_inclusive": False},
            0.5,
            0.0,
            r"a number with 0 < x < 1",
        ),
        ({"low": 1e-7}, 1e-7, 0.0, r"a number >= 1e-07"),
    ],
)
def test_number_bounds(kwargs, ok, bad, rule):
    assert check_number(ok, "x", "f", **kwargs) == ok
    with pytest.raises(ValueError, match=rf"f\(x={bad!r}\): x must be {rule}\.$"):
        check_number(bad, "x", "f", **kwargs)


def test_number_message_appends_the_fix():
    with pytest.raises(
        ValueError,
        match=r"ADWIN\(delta=1.5\): delta must be a number with "
        r"0 < delta < 1; e.g. delta=0.002\.$",
    ):
        check_number(
            1.5,
            "delta",
            "ADWIN",
            low=0,
            high=1,
            low_inclusive=False,
            high_inclusive=False,
            fix="e.g. delta=0.002",
        )


# ---------------------------------------------------------------- check_int
@pytest.mark.parametrize("value", [0, 7, -3, np.int64(5), np.uint8(2)])
def test_int_accepts_integers_and_returns_int(value):
    out = check_int(value, "n", "f")
    assert type(out) is int and out == int(value)


def test_int_type_message_includes_the_rule_and_fix():
    with pytest.raises(
        ArgumentTypeError,
        match=r"top_k\(k=2.0\): k must be an int >= 1, got "
        r"float; e.g. k=10\.$",
    ):
        check_int(2.0, "k", "top_k", minimum=1, fix="e.g. k=10")


@pytest.mark.parametrize(
    "kwargs, ok, bad, rule",
    [
        ({"minimum": 1}, 1, 0, r"an int >= 1"),
        ({"maximum": 5}, 5, 6, r"an int <= 5"),
        (
            {"minimum": 0, "maximum": 2**31 - 1},
            2**31 - 1,
            2**31,
            r"an int with 0 <= n <= 2147483647",
        ),
        ({"minimum": 0, "maximum": 2**31 - 1}, 0, -1, r"an int with 0 <= n <= 2147483647"),
    ],
)
def test_int_bounds(kwargs, ok, bad, rule):
    assert check_int(ok, "n", "f", **kwargs) == ok
    with pytest.raises(ValueError, match=rf"f\(n={bad}\): n must be {rule}\.$") as info:
        check_int(bad, "n", "f", **kwargs)
    assert not isinstance(info.value, TypeError)


def test_int_range_message_appends_the_fix():
    with pytest.raises(
        ValueError,
        match=r"psi\(bins=1\): bins must be an int >= 2; "
        r"e.g. bins=10\.$",
    ):
        check_int(1, "bins", "psi", minimum=2, fix="e.g. bins=10")


def test_validation_does_not_import_tensorflow():
    code = "import course_lib.core.validation, sys; print('tensorflow' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
