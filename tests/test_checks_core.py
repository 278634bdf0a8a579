"""The self-check machinery: messages a student can act on."""

from __future__ import annotations

import numpy as np
import pytest

from course_lib.checks import Case, CheckFailed, available_checks, compare, run_cases
from course_lib.checks._core import show_value


def test_wrong_value_names_input_expected_got_and_hint():
    def half(x):
        return float(np.mean(x)) / 2

    with pytest.raises(CheckFailed) as info:
        run_cases(
            "9.9",
            half,
            [Case(args=(np.array([2.0, 4.0]),), expected=3.0)],
            hints=[(lambda got, case: np.isclose(got, 1.5), "exactly half: a factor 2?")],
        )
    message = str(info.value)
    assert "Exercise 9.9 is not right yet: half(x=array([2., 4.]))" in message
    assert "expected: 3.000000" in message and "got:      1.500000" in message
    assert "hint: exactly half: a factor 2?" in message


def test_crash_in_student_code_is_explained_without_traceback():
    def broken(x):
        return x.nonexistent

    with pytest.raises(CheckFailed, match="raised AttributeError") as info:
        run_cases("9.9", broken, [Case(args=(np.ones(2),), expected=1.0)])
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_not_implemented_passes_through():
    def todo(x):
        raise NotImplementedError("Exercise 9.9: todo")

    with pytest.raises(NotImplementedError, match="Exercise 9.9"):
        run_cases("9.9", todo, [Case(args=(1,), expected=1)])


def test_passing_a_value_instead_of_a_function_is_explained():
    with pytest.raises(CheckFailed, match="pass the function itself"):
        run_cases("9.9", 3.0, [Case(args=(1,), expected=1)])


def test_in_place_mutation_is_caught():
    def mutating(x):
        x -= 1
        return float(x.sum())

    with pytest.raises(CheckFailed, match="changed its input array in place"):
        run_cases("9.9", mutating, [Case(args=(np.ones(2),), expected=0.0)])


@pytest.mark.parametrize(
    "expected, got, fragment",
    [
        (1.0, np.ones(3), "did you forget to average"),
        (np.ones(3), np.ones((3, 1)), "shape (3, 1) instead of (3,)"),
        (1.0, float("nan"), "NaN values"),
        (1.0, "1.0", "not a number"),
        ({"w": 1.0}, {"b": 1.0}, "without the key(s) ['w']"),
        (True, 1.0, "True/False was expected"),
        ((1.0, np.ones(2)), (1.0,), "sequence of 2 items"),
    ],
)
def test_compare_explains_type_and_shape_problems(expected, got, fragment):
    assert fragment in compare(expected, got)


def test_compare_accepts_within_tolerance():
    assert compare(np.array([1.0, 2.0]), np.array([1.0, 2.0 + 1e-9])) is None
    assert compare({"a": (1, np.zeros(2))}, {"a": (1, np.zeros(2))}) is None


def test_render_traceback_is_just_the_message():
    failure = CheckFailed("Exercise 1.1 is not right yet: x\n    expected: 1")
    lines = failure._render_traceback_()
    assert "Exercise 1.1" in lines[0] and lines[1] == "    expected: 1"


def test_describe_is_short():
    assert len(show_value(np.arange(10_000.0))) <= 160


def test_every_check_is_named_by_exercise_number():
    import re

    for name in available_checks():
        assert re.fullmatch(r"check_\d+_\d+", name), name


def test_after_exercise_skips_an_untouched_exercise_with_one_line(capsys):
    from course_lib.checks import after_exercise

    def stub():
        raise NotImplementedError("Exercise 3.3: Run Adam.")

    with after_exercise("3.3"):
        stub()
        raise AssertionError("not reached")
    assert capsys.readouterr().out.strip() == (
        "(This cell uses Exercise 3.3, which is not started yet: it runs once you have written it.)"
    )


def test_after_exercise_understands_nbgraders_blank_stub(capsys):
    from course_lib.checks import after_exercise

    with after_exercise("10.3"):
        raise NotImplementedError()
    assert "Exercise 10.3, which is not started yet" in capsys.readouterr().out


def test_after_exercise_lets_other_errors_through():
    from course_lib.checks import after_exercise

    with pytest.raises(NotImplementedError, match="something else"):
        with after_exercise("1.1"):
            raise NotImplementedError("something else")
    with pytest.raises(ZeroDivisionError):
        with after_exercise("1.1"):
            _ = 1 / 0
