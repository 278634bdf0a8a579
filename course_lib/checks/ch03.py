"""Self-checks for chapter 03: variations on the optimizers of the lesson.

The lesson writes out SGD, momentum, RMSProp and Adam; the exercises change
one idea of each: Adagrad (RMSProp that never forgets, 3.1), Nesterov momentum
(3.2) and AMSGrad (Adam whose denominator never shrinks, 3.3), all in Keras'
form.

>>> import numpy as np
>>> def adagrad_step(x, accumulator, grad, learning_rate, epsilon=1e-7):
...     accumulator = accumulator + grad ** 2
...     return x - learning_rate * grad / np.sqrt(accumulator + epsilon), accumulator
>>> _ = check_3_1(adagrad_step)
Exercise 3.1 passed: adagrad_step gives the expected result on 3 cases.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from course_lib.checks._core import Case, CheckResult, allclose, compare, run_cases, show_value

__all__ = ["check_3_1", "check_3_2", "check_3_3"]


def _precise(value: Any) -> str:
    """Numbers with 10 significant digits, so that a real difference shows in the message."""
    if isinstance(value, (list, tuple)):
        value = np.asarray(value)
    if isinstance(value, (np.ndarray, np.generic, float)):
        arr = np.asarray(value, dtype=float)
        body = np.array2string(
            arr,
            formatter={"float_kind": lambda v: f"{v:.10g}"},
            threshold=12,
            edgeitems=3,
            separator=", ",
        )
        return " ".join(body.split()) if arr.ndim else body
    return show_value(value)


def _outputs(
    names: tuple[str, ...], values: tuple[Any, ...], rtol: float, atol: float
) -> Callable[[Any], str | None]:
    """An ``expected`` callable that names which of several returned arrays is wrong.

    The values are printed with 10 significant digits, and the largest
    difference is given, so "expected" and "got" never read the same.
    """

    def judge(got: Any) -> str | None:
        if not isinstance(got, (tuple, list)) or len(got) != len(names):
            return (
                f"{show_value(got)}, but a tuple of {len(names)} arrays "
                f"({', '.join(names)}) was expected"
            )
        for name, exp, g in zip(names, values, got, strict=True):
            problem = compare(exp, g, rtol, atol)
            if problem:
                lines = [
                    f"a wrong {name}: {problem}",
                    f"    expected {name}: {_precise(exp)}",
                    f"    got {name}:      {_precise(g)}",
                ]
                try:
                    gap = np.max(np.abs(np.asarray(g, dtype=float) - np.asarray(exp, float)))
                    lines.append(
                        f"    largest difference: {gap:.2e} (allowed: {atol:.0e} + "
                        f"{rtol:.0e} * |expected|)"
                    )
                except (TypeError, ValueError):
                    pass
                return "\n".join(lines)
        return None

    return judge


_close = partial(allclose, rtol=1e-5, atol=1e-7, same_shape=False)


# ------------------------------------------------------------------------------ 3.1
def _adagrad_ref(
    x: np.ndarray,
    accumulator: np.ndarray,
    grad: np.ndarray,
    learning_rate: float,
    epsilon: float = 1e-7,
    *,
    decay: float | None = None,
    square: bool = True,
    old_accumulator: bool = False,
    sqrt: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """One Adagrad step (Keras' form); the keywords build the typical mistakes."""
    g2 = grad**2 if square else grad
    new_acc = accumulator + g2 if decay is None else decay * accumulator + (1 - decay) * g2
    denom = (accumulator if old_accumulator else new_acc) + epsilon
    with np.errstate(invalid="ignore", divide="ignore"):  # mistakes may go negative
        return x - learning_rate * grad / (np.sqrt(denom) if sqrt else denom), new_acc


def _adagrad_inputs() -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
    return [
        ((np.array([1.0, -2.0]), np.array([0.1, 0.1]), np.array([0.5, -3.0]), 0.1), {}),
        (
            (
                np.array([0.3, 0.7, -1.1]),
                np.array([2.0, 0.5, 0.01]),
                np.array([1.0, 2.0, -0.3]),
                0.05,
            ),
            {"epsilon": 1e-7},
        ),
        (
            (
                np.array([[1.0, 2.0], [3.0, 4.0]]),
                np.array([[0.1, 4.0], [1.0, 0.2]]),
                np.array([[0.2, 1.0], [-1.0, 0.5]]),
                0.5,
            ),
            {},
        ),
    ]


def check_3_1(adagrad_step: Callable[..., Any]) -> CheckResult:
    """Check ``adagrad_step(x, accumulator, grad, learning_rate, epsilon) -> (x, accumulator)``.

    Keras' Adagrad: ``accumulator <- accumulator + grad**2``, then
    ``x <- x - learning_rate * grad / sqrt(accumulator + epsilon)`` with the
    *new* accumulator.
    """
    cases = [
        Case(
            args=a,
            kwargs=k,
            expected=_outputs(("new x", "new accumulator"), _adagrad_ref(*a, **k), 1e-6, 1e-9),
        )
        for a, k in _adagrad_inputs()
    ]

    def variant(**change: Any) -> Callable[[Any, Case], bool]:
        def predicate(got: Any, case: Case) -> bool:
            ref = _adagrad_ref(*case.args, **{**case.kwargs, **change})
            return _close(got[0], ref[0]) or (
                _close(got[1], ref[1]) and "sqrt" not in change and "old_accumulator" not in change
            )

        return predicate

    def wrong_sign(got: Any, case: Case) -> bool:
        x, acc, g, rate = case.args
        return _close(got[0], 2 * x - _adagrad_ref(*case.args, **case.kwargs)[0])

    hints = [
        (
            variant(decay=0.9),
            "that is RMSProp's running average: Adagrad never forgets, it adds "
            "every squared gradient, accumulator = accumulator + grad**2.",
        ),
        (variant(square=False), "accumulate the *squared* gradient: accumulator + grad**2."),
        (
            variant(old_accumulator=True),
            "update the accumulator first, then divide by the square root of the *new* one.",
        ),
        (variant(sqrt=False), "divide by the square root: np.sqrt(accumulator + epsilon)."),
        (
            wrong_sign,
            "the step has the wrong sign: x - learning_rate * grad / ... goes "
            "against the gradient.",
        ),
    ]
    return run_cases("3.1", adagrad_step, cases, hints)


# ------------------------------------------------------------------------------ 3.2
def _nesterov_ref(
    x: np.ndarray,
    velocity: np.ndarray,
    grad: np.ndarray,
    learning_rate: float,
    momentum: float,
    *,
    look_ahead: bool = True,
    gradient_term: bool = True,
    sign: float = -1.0,
) -> tuple[np.ndarray, np.ndarray]:
    """One step of Nesterov momentum in Keras' form; the keywords build typical mistakes."""
    v = momentum * velocity + sign * learning_rate * grad
    if not look_ahead:
        return x + v, v
    return x + momentum * v + (sign * learning_rate * grad if gradient_term else 0.0), v


def _nesterov_inputs() -> list[tuple[Any, ...]]:
    return [  # a velocity of 0 (the first step) last: it cannot tell some mistakes apart
        (
            np.array([0.3, 0.7, -1.1]),
            np.array([0.2, -0.1, 0.05]),
            np.array([1.0, 2.0, -3.0]),
            0.05,
            0.8,
        ),
        (
            np.array([[1.0, 2.0], [3.0, 4.0]]),
            np.array([[0.1, 0.0], [0.0, -0.1]]),
            np.array([[0.0, 1.0], [-1.0, 0.5]]),
            0.2,
            0.5,
        ),
        (np.array([1.0, -2.0]), np.array([0.0, 0.0]), np.array([0.5, -1.0]), 0.1, 0.9),
    ]


def check_3_2(nesterov_step: Callable[..., Any]) -> CheckResult:
    """Check ``nesterov_step(x, velocity, grad, learning_rate, momentum) -> (x, velocity)``.

    Keras' ``SGD(momentum=..., nesterov=True)``: ``velocity <- momentum * velocity
    - learning_rate * grad``, then ``x <- x + momentum * velocity - learning_rate * grad``
    (with the new velocity).
    """
    cases = [
        Case(args=a, expected=_outputs(("new x", "new velocity"), _nesterov_ref(*a), 1e-6, 1e-9))
        for a in _nesterov_inputs()
    ]

    def variant(**change: Any) -> Callable[[Any, Case], bool]:
        def predicate(got: Any, case: Case) -> bool:
            ref = _nesterov_ref(*case.args, **change)
            return _close(got[0], ref[0]) and _close(got[1], ref[1])

        return predicate

    def velocity_sign(got: Any, case: Case) -> bool:
        return _close(got[1], _nesterov_ref(*case.args, sign=1.0)[1])

    hints = [
        (
            variant(look_ahead=False),
            "that is plain (heavy-ball) momentum, x + velocity. "
            "Nesterov looks ahead: x + momentum * velocity - "
            "learning_rate * grad, with the new velocity.",
        ),
        (
            variant(gradient_term=False),
            "the gradient step is missing from the move of x: "
            "x + momentum * velocity - learning_rate * grad.",
        ),
        (
            velocity_sign,
            "the velocity has the wrong sign: velocity = momentum * velocity - "
            "learning_rate * grad.",
        ),
    ]
    return run_cases("3.2", nesterov_step, cases, hints)


# ------------------------------------------------------------------------------ 3.3
def _amsgrad_ref(
    grad: Callable[[np.ndarray], np.ndarray],
    x0: ArrayLike,
    n_steps: int,
    learning_rate: float = 0.001,
    beta_1: float = 0.9,
    beta_2: float = 0.999,
    epsilon: float = 1e-7,
    *,
    keras_epsilon: bool = True,
    use_max: bool = True,
    max_of_corrected: bool = False,
    max_feeds_average: bool = False,
    correction: bool = True,
    t_offset: int = 0,
    same_t: bool = False,
) -> np.ndarray:
    """AMSGrad's trajectory (Keras' update, or PyTorch's epsilon placement).

    The keywords build the typical mistakes the hints of 3.3 recognise.
    """
    x = np.asarray(x0, dtype=float)
    m, v, v_max = np.zeros_like(x), np.zeros_like(x), np.zeros_like(x)
    path = [x]
    for step in range(1, n_steps + 1):
        t = (1 if same_t else step) + t_offset
        g = grad(x)
        m = m + (g - m) * (1 - beta_1)
        v = v + (g * g - v) * (1 - beta_2)
        c1, c2 = (1 - beta_1**t, 1 - beta_2**t) if correction else (1.0, 1.0)
        if max_of_corrected:
            v_max = np.maximum(v_max, v / c2)
            denom = np.sqrt(v_max * c2)
        else:
            v_max = np.maximum(v_max, v) if use_max else v
            denom = np.sqrt(v_max)
        if max_feeds_average:
            v = v_max
        if keras_epsilon:
            x = x - learning_rate * np.sqrt(c2) / c1 * m / (denom + epsilon)
        else:
            x = x - learning_rate * (m / c1) / (denom / np.sqrt(c2) + epsilon)
        path.append(x)
    return np.array(path)


_RTOL_3_3, _ATOL_3_3 = 1e-5, 1e-7


def _close_either(got: Any, **change: Any) -> bool:
    """``got`` matches the mutant ``change`` for one of the two epsilon placements."""
    return any(
        _close(got, _amsgrad_ref(**change, keras_epsilon=k), rtol=_RTOL_3_3, atol=_ATOL_3_3)
        for k in (True, False)
    )


def _trajectory_judge(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Callable[[Any], str | None]:
    """``expected`` for 3.3: Keras' or PyTorch's epsilon placement, each compared on its own."""
    keras = _amsgrad_ref(*args, **kwargs)
    torch = _amsgrad_ref(*args, **kwargs, keras_epsilon=False)

    def judge(got: Any) -> str | None:
        problem = compare(keras, got, _RTOL_3_3, _ATOL_3_3)
        if problem is None or compare(torch, got, _RTOL_3_3, _ATOL_3_3) is None:
            return None
        if problem != "values that differ from the expected ones":
            return problem
        got = np.asarray(got, dtype=float)
        first = int(np.argmax(np.any(~np.isclose(got, keras, _RTOL_3_3, _ATOL_3_3), axis=1)))
        return (
            f"a trajectory that leaves the expected one at row {first} (step t = {first})"
            f"\n    expected row {first}: {_precise(keras[first])}"
            f"\n    got row {first}:      {_precise(got[first])}"
        )

    return judge


def _problems() -> list[
    tuple[Callable[[np.ndarray], np.ndarray], np.ndarray, int, dict[str, float]]
]:
    """Problems whose gradients shrink, so that v falls and the maximum matters."""
    scales = np.array([1.0, 20.0])

    def quadratic_grad(x: np.ndarray) -> np.ndarray:
        return scales * x

    def rosenbrock_grad(x: np.ndarray) -> np.ndarray:
        return np.array(
            [-2 * (1 - x[0]) - 400 * x[0] * (x[1] - x[0] ** 2), 200 * (x[1] - x[0] ** 2)]
        )

    return [
        (quadratic_grad, np.array([1.0, -1.0]), 40, {"learning_rate": 0.1, "beta_2": 0.9}),
        (rosenbrock_grad, np.array([-1.0, 1.5]), 80, {"learning_rate": 0.05, "beta_2": 0.99}),
    ]


def check_3_3(amsgrad_minimize: Callable[..., Any]) -> CheckResult:
    """Check ``amsgrad_minimize(grad, x0, n_steps, learning_rate, beta_1, beta_2, epsilon)``.

    It must return the trajectory, an array of shape ``(n_steps + 1, len(x0))``
    that starts with ``x0``.  The update is Keras' ``Adam(amsgrad=True)``:
    Adam's ``m`` and ``v``, ``v_max = maximum(v_max, v)``, and the step
    ``alpha_t * m / (sqrt(v_max) + epsilon)``; adding epsilon after the bias
    correction instead (PyTorch) passes too.
    """
    cases = [
        Case(args=(grad, x0, n), kwargs=hyper, expected=_trajectory_judge((grad, x0, n), hyper))
        for grad, x0, n, hyper in _problems()
    ]

    def mutant(**change: Any) -> Callable[[Any, Case], bool]:
        return lambda got, case: _close_either(
            got, grad=case.args[0], x0=case.args[1], n_steps=case.args[2], **case.kwargs, **change
        )

    hints = [
        (
            lambda got, case: np.shape(got)[0] == case.args[2],
            "the trajectory must start with x0: n_steps updates give n_steps + 1 points.",
        ),
        (
            lambda got, case: np.isnan(np.asarray(got, float)).any(),
            "NaN values: does t start at 0? With t = 0, 1 - beta**t is 0 and the bias "
            "correction divides by zero; count steps from 1.",
        ),
        (
            mutant(use_max=False),
            "that is plain Adam: keep v_max, the running maximum of v "
            "(v_max = np.maximum(v_max, v)), and divide by sqrt(v_max).",
        ),
        (
            mutant(max_feeds_average=True),
            "keep v itself the plain running average and the "
            "maximum in a separate v_max: writing the maximum "
            "back into v changes the average.",
        ),
        (
            mutant(max_of_corrected=True),
            "take the maximum of the running averages v "
            "themselves, before the bias correction (as Keras "
            "and PyTorch do).",
        ),
        (mutant(same_t=True), "t never changes: increase the step count t by one at every step."),
        (
            mutant(correction=False),
            "the bias correction is missing: alpha_t = learning_rate * "
            "sqrt(1 - beta_2**t) / (1 - beta_1**t).",
        ),
        (mutant(t_offset=1), "off by one in t: the first step has t = 1."),
    ]
    return run_cases("3.3", amsgrad_minimize, cases, hints)
