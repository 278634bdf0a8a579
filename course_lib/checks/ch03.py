"""Self-checks for chapter 03 (momentum, RMSProp and Adam).

>>> import numpy as np
>>> def momentum_step(x, velocity, grad, learning_rate, momentum):
...     velocity = momentum * velocity - learning_rate * grad
...     return x + velocity, velocity
>>> _ = check_3_1(momentum_step)
Exercise 3.1 passed: momentum_step gives the expected result on 3 cases.
"""

from __future__ import annotations

from functools import partial

import numpy as np

from course_lib.checks._core import Case, allclose, compare, describe, run_cases

__all__ = ["check_3_1", "check_3_2", "check_3_3"]


def _precise(value) -> str:
    """Numbers with 10 significant digits, so that a real difference shows in the message."""
    if isinstance(value, (list, tuple)):
        value = np.asarray(value)
    if isinstance(value, (np.ndarray, np.generic, float)):
        arr = np.asarray(value, dtype=float)
        body = np.array2string(arr, formatter={"float_kind": lambda v: f"{v:.10g}"},
                               threshold=12, edgeitems=3, separator=", ")
        return " ".join(body.split()) if arr.ndim else body
    return describe(value)


def _outputs(names: tuple[str, ...], values: tuple, rtol: float, atol: float):
    """An ``expected`` callable that names which of several returned arrays is wrong.

    The values are printed with 10 significant digits, and the largest
    difference is given, so "expected" and "got" never read the same.
    """

    def judge(got):
        if not isinstance(got, (tuple, list)) or len(got) != len(names):
            return (f"{describe(got)}, but a tuple of {len(names)} arrays "
                    f"({', '.join(names)}) was expected")
        for name, exp, g in zip(names, values, got):
            problem = compare(exp, g, rtol, atol)
            if problem:
                lines = [f"a wrong {name}: {problem}",
                         f"    expected {name}: {_precise(exp)}",
                         f"    got {name}:      {_precise(g)}"]
                try:
                    gap = np.max(np.abs(np.asarray(g, dtype=float) - np.asarray(exp, float)))
                    lines.append(f"    largest difference: {gap:.2e} (allowed: {atol:.0e} + "
                                 f"{rtol:.0e} * |expected|)")
                except (TypeError, ValueError):
                    pass
                return "\n".join(lines)
        return None

    return judge


_close = partial(allclose, rtol=1e-5, atol=1e-7, same_shape=False)


# ------------------------------------------------------------------------------ 3.1
def _momentum_ref(x, velocity, grad, learning_rate, momentum):
    v = momentum * velocity - learning_rate * grad
    return x + v, v


def check_3_1(momentum_step):
    """Check ``momentum_step(x, velocity, grad, learning_rate, momentum) -> (x, velocity)``.

    Keras' convention: ``velocity <- momentum * velocity - learning_rate * grad``,
    then ``x <- x + velocity``.
    """
    inputs = [
        (np.array([1.0, -2.0]), np.array([0.0, 0.0]), np.array([0.5, -1.0]), 0.1, 0.9),
        (np.array([0.3, 0.7, -1.1]), np.array([0.2, -0.1, 0.05]), np.array([1.0, 2.0, -3.0]),
         0.05, 0.8),
        (np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[0.1, 0.0], [0.0, -0.1]]),
         np.array([[0.0, 1.0], [-1.0, 0.5]]), 0.2, 0.5),
    ]
    # float32 arithmetic (relative precision 6e-8) must pass; every plausible mistake
    # changes the answer by far more than 1e-6.
    cases = [Case(args=a, expected=_outputs(("new x", "new velocity"), _momentum_ref(*a),
                                            1e-6, 1e-7))
             for a in inputs]

    def sign_flipped(got, case):
        x, v, g, lr, mu = case.args
        return _close(got[1], mu * v + lr * g)

    def old_velocity_used(got, case):
        x, v, g, lr, mu = case.args
        return _close(got[0], x + v) and _close(got[1], mu * v - lr * g)

    def no_lr(got, case):
        x, v, g, lr, mu = case.args
        return _close(got[1], mu * v - g) or _close(got[1], mu * v + g)

    def other_convention(got, case):
        x, v, g, lr, mu = case.args
        return _close(got[1], mu * v + g)

    def no_decay(got, case):
        x, v, g, lr, mu = case.args
        return _close(got[1], v - lr * g) and not np.allclose(v, 0)

    hints = [
        (other_convention, "that is the other textbook convention (v = momentum * v + grad, "
                           "x -= learning_rate * v). This exercise uses Keras' form: "
                           "velocity = momentum * velocity - learning_rate * grad; x = x + velocity."),
        (sign_flipped, "the velocity has the wrong sign: the step goes *against* the gradient, "
                       "velocity = momentum * velocity - learning_rate * grad."),
        (old_velocity_used, "update the velocity first, then move x by the *new* velocity."),
        (no_lr, "the learning rate is missing: velocity = momentum * velocity - "
                "learning_rate * grad."),
        (no_decay, "the old velocity must be multiplied by `momentum` (it decays)."),
    ]
    return run_cases("3.1", momentum_step, cases, hints)


# ------------------------------------------------------------------------------ 3.2
def _adam_ref(x, m, v, grad, t, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
              bias_correction=True, keras_epsilon=False):
    """One Adam step; ``keras_epsilon`` adds epsilon to sqrt(v) instead of sqrt(v_hat)."""
    m = beta_1 * m + (1 - beta_1) * grad
    v = beta_2 * v + (1 - beta_2) * grad ** 2
    if not bias_correction:
        return x - learning_rate * m / (np.sqrt(v) + epsilon), m, v
    if keras_epsilon:
        alpha = learning_rate * np.sqrt(1 - beta_2 ** t) / (1 - beta_1 ** t)
        return x - alpha * m / (np.sqrt(v) + epsilon), m, v
    m_hat, v_hat = m / (1 - beta_1 ** t), v / (1 - beta_2 ** t)
    return x - learning_rate * m_hat / (np.sqrt(v_hat) + epsilon), m, v


def _adam_inputs():
    rng = np.random.default_rng(3)
    return [
        ((np.array([1.0, -2.0]), np.zeros(2), np.zeros(2), np.array([0.5, -3.0]), 1),
         {"learning_rate": 0.01}),
        ((np.array([0.2, 0.4, -0.6]), np.array([0.1, -0.2, 0.3]),
          np.array([0.02, 0.05, 0.01]), np.array([1.0, -0.5, 0.25]), 3),
         {"learning_rate": 0.1, "beta_1": 0.8, "beta_2": 0.99}),
        ((rng.normal(size=(2, 2)), 0.1 * rng.normal(size=(2, 2)),
          0.01 * rng.random((2, 2)) + 0.01, rng.normal(size=(2, 2)), 50),
         {"learning_rate": 0.05}),
    ]


def check_3_2(adam_step):
    """Check ``adam_step(x, m, v, grad, t, learning_rate, beta_1, beta_2, epsilon)``.

    It must return ``(new_x, new_m, new_v)`` with bias correction and ``t``
    counting from 1.  Adding ``epsilon`` to ``sqrt(v_hat)`` (the paper) or to
    ``sqrt(v)`` (Keras) both pass: the difference is far below the tolerance.
    The relative tolerance 5e-5 also lets float32 arithmetic pass (float32's
    0.999 makes ``1 - beta_2`` 1.3e-5 smaller, see chapter 03).
    """
    cases = []
    for args, kwargs in _adam_inputs():
        ref = _adam_ref(*args, **kwargs)
        cases.append(Case(args=args, kwargs=kwargs,
                          expected=_outputs(("new x", "new m", "new v"), ref, 5e-5, 1e-8)))

    def variant(**change):
        def predicate(got, case):
            args, kwargs = list(case.args), dict(case.kwargs)
            if "t" in change:
                args[4] = change["t"](args[4])
                if args[4] < 1:
                    return False
            kwargs.update({k: val for k, val in change.items() if k != "t"})
            return _close(got[0], _adam_ref(*args, **kwargs)[0])
        return predicate

    def swapped_betas(got, case):
        x, m, v, g, t = case.args
        b1 = case.kwargs.get("beta_1", 0.9)
        return _close(got[1], (1 - b1) * m + b1 * g)

    def v_without_square(got, case):
        x, m, v, g, t = case.args
        b2 = case.kwargs.get("beta_2", 0.999)
        return _close(got[2], b2 * v + (1 - b2) * g)

    hints = [
        (variant(bias_correction=False),
         "the bias correction is missing: divide m by (1 - beta_1**t) and v by "
         "(1 - beta_2**t) before the update; without it the first steps are several times "
         "larger than the learning rate."),
        (variant(t=lambda t: t + 1), "off by one in t: the step you are computing is number t "
                                     "itself (t starts at 1), use beta**t, not beta**(t + 1)."),
        (variant(t=lambda t: t - 1), "off by one in t: use beta**t, not beta**(t - 1)."),
        (swapped_betas, "beta_1 and 1 - beta_1 are swapped: m = beta_1 * m + (1 - beta_1) * grad."),
        (v_without_square, "v averages the *squared* gradient: (1 - beta_2) * grad**2."),
    ]
    return run_cases("3.2", adam_step, cases, hints)


# ------------------------------------------------------------------------------ 3.3
def _minimize_ref(grad, x0, n_steps, bias_correction=True, t_offset=0, keras_epsilon=False,
                  **hyper):
    x, m, v = np.asarray(x0, float), np.zeros(np.shape(x0)), np.zeros(np.shape(x0))
    path = [x]
    for t in range(1, n_steps + 1):
        x, m, v = _adam_ref(x, m, v, grad(x), t + t_offset, bias_correction=bias_correction,
                            keras_epsilon=keras_epsilon, **hyper)
        path.append(x)
    return np.array(path)


_RTOL_3_3, _ATOL_3_3 = 1e-5, 1e-7


def _close_either(got, reference) -> bool:
    """``got`` matches ``reference(keras_epsilon)`` for one of the two epsilon placements."""
    return any(_close(got, reference(keras_epsilon), rtol=_RTOL_3_3, atol=_ATOL_3_3)
               for keras_epsilon in (False, True))


def _trajectory_judge(grad, x0, n_steps, hyper):
    """``expected`` for 3.3: the paper's or Keras' epsilon placement (3.2 accepts both).

    Over dozens of steps the two placements drift apart by more than the
    tolerance (up to ~3e-4 relative), so each is compared on its own.
    """
    paper = _minimize_ref(grad, x0, n_steps, **hyper)
    keras = _minimize_ref(grad, x0, n_steps, keras_epsilon=True, **hyper)

    def judge(got):
        problem = compare(paper, got, _RTOL_3_3, _ATOL_3_3)
        if problem is None or compare(keras, got, _RTOL_3_3, _ATOL_3_3) is None:
            return None
        if problem != "values that differ from the expected ones":
            return problem
        got = np.asarray(got, dtype=float)
        first = int(np.argmax(np.any(~np.isclose(got, paper, _RTOL_3_3, _ATOL_3_3), axis=1)))
        return (f"a trajectory that leaves the expected one at row {first} (step t = {first})"
                f"\n    expected row {first}: {_precise(paper[first])}"
                f"\n    got row {first}:      {_precise(got[first])}")

    return judge


def _problems():
    scales = np.array([1.0, 20.0])

    def quadratic_grad(x):
        return scales * x

    def rosenbrock_grad(x):
        return np.array([-2 * (1 - x[0]) - 400 * x[0] * (x[1] - x[0] ** 2),
                         200 * (x[1] - x[0] ** 2)])

    return [(quadratic_grad, np.array([1.0, -1.0]), 30, {"learning_rate": 0.1}),
            (rosenbrock_grad, np.array([-1.0, 1.5]), 60, {"learning_rate": 0.05,
                                                          "beta_2": 0.99})]


def check_3_3(adam_minimize):
    """Check ``adam_minimize(grad, x0, n_steps, learning_rate, beta_1, beta_2, epsilon)``.

    It must return the trajectory, an array of shape ``(n_steps + 1, len(x0))``
    that starts with ``x0``.
    """
    cases = []
    for grad, x0, n, hyper in _problems():
        cases.append(Case(args=(grad, x0, n), kwargs=hyper,
                          expected=_trajectory_judge(grad, x0, n, hyper)))

    def missing_start(got, case):
        return np.shape(got)[0] == case.args[2]

    def same_t(got, case):
        grad, x0, n = case.args

        def path(keras_epsilon):
            x, m, v = np.asarray(x0, float), np.zeros(len(x0)), np.zeros(len(x0))
            out = [x]
            for _ in range(n):
                x, m, v = _adam_ref(x, m, v, grad(x), 1, keras_epsilon=keras_epsilon,
                                    **case.kwargs)
                out.append(x)
            return np.array(out)
        return _close_either(got, path)

    def fresh_averages(got, case):
        grad, x0, n = case.args

        def path(keras_epsilon):
            x, out = np.asarray(x0, float), [np.asarray(x0, float)]
            for t in range(1, n + 1):
                x, _, _ = _adam_ref(x, np.zeros(len(x0)), np.zeros(len(x0)), grad(x), t,
                                    keras_epsilon=keras_epsilon, **case.kwargs)
                out.append(x)
            return np.array(out)
        return _close_either(got, path)

    def no_correction(got, case):
        return _close(got, _minimize_ref(*case.args, bias_correction=False, **case.kwargs),
                      rtol=_RTOL_3_3, atol=_ATOL_3_3)

    def t_plus_one(got, case):
        return _close_either(got, lambda keras_epsilon: _minimize_ref(
            *case.args, t_offset=1, keras_epsilon=keras_epsilon, **case.kwargs))

    hints = [
        (missing_start, "the trajectory must start with x0: n_steps updates give n_steps + 1 "
                        "points."),
        (lambda got, case: np.isnan(np.asarray(got, float)).any(),
         "NaN values: does t start at 0? With t = 0, 1 - beta**t is 0 and the bias "
         "correction divides by zero; count steps from 1."),
        (same_t, "t never changes: increase the step count t by one at every step."),
        (fresh_averages, "m and v start from zero at every step: create them once before the "
                         "loop and keep the new_m, new_v that adam_step returns."),
        (no_correction, "the bias correction is missing (use your adam_step from 3.2)."),
        (t_plus_one, "off by one in t: the first step has t = 1."),
    ]
    return run_cases("3.3", adam_minimize, cases, hints)
