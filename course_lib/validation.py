"""Checks for scalar arguments (numbers and counts), shared by course_lib.  NumPy only.

Every public function of the course validates its arguments and, when one is
wrong, raises an error that names the argument, shows the value given, states
what is allowed and says how to fix it.  The two functions here do that for
the commonest case, a single number:

* :func:`check_number` -- a finite real number, optionally inside a range;
* :func:`check_int` -- a whole number (an ``int`` or numpy integer), optionally
  with a minimum and a maximum.

Both reject ``bool`` (``True`` is an ``int`` in Python, but ``learning_rate=True``
is always a mistake) and return a plain Python ``float`` / ``int``.

A value of the wrong type raises :class:`ArgumentTypeError`, which is both a
``TypeError`` and a ``ValueError``; a number outside the allowed range (or NaN)
raises ``ValueError``.  The message has the form::

    where(name=value): name must be <what is allowed>; <how to fix it>.
"""
from __future__ import annotations

import math

import numpy as np

__all__ = ["ArgumentTypeError", "check_number", "check_int", "check_rating_range",
           "as_generator"]

_REAL_TYPES = (int, float, np.integer, np.floating)
_INT_TYPES = (int, np.integer)


class ArgumentTypeError(TypeError, ValueError):
    """An argument of the wrong type, e.g. a string or ``True`` where a number belongs.

    It subclasses ``TypeError`` (the usual exception for a wrong type) and also
    ``ValueError``, so code that guards an argument check with
    ``except ValueError`` keeps working.

    Examples
    --------
    >>> issubclass(ArgumentTypeError, TypeError), issubclass(ArgumentTypeError, ValueError)
    (True, True)
    """


def _fmt(x) -> str:
    """``1`` for an int bound, ``0.001`` / ``1e-07`` for a float one."""
    return str(int(x)) if isinstance(x, _INT_TYPES) else f"{x:g}"


def _bound(name: str, low, high, low_inclusive: bool, high_inclusive: bool) -> str:
    """The allowed range in words, e.g. ``'with 0 <= rho < 1'`` or ``'>= 0'``."""
    lo_op = "<=" if low_inclusive else "<"
    hi_op = "<=" if high_inclusive else "<"
    if low is not None and high is not None:
        return f"with {_fmt(low)} {lo_op} {name} {hi_op} {_fmt(high)}"
    if low is not None:
        return f"{'>=' if low_inclusive else '>'} {_fmt(low)}"
    if high is not None:
        return f"{hi_op} {_fmt(high)}"
    return ""


def _raise(exc: type, where: str, name: str, value, rule: str, fix: str | None) -> None:
    tail = f"; {fix}" if fix else ""
    raise exc(f"{where}({name}={value!r}): {name} must be {rule}{tail}.")


def check_number(value, name: str, where: str, *, low: float | None = None,
                 high: float | None = None, low_inclusive: bool = True,
                 high_inclusive: bool = True, allow_inf: bool = False,
                 fix: str | None = None) -> float:
    """Check that ``value`` is a real number within the given bounds; return it as a float.

    Parameters
    ----------
    value : object
        The argument to check.  ``int``, ``float`` and numpy integer/floating
        scalars are accepted; ``bool``, strings, ``None`` and arrays are not.
    name : str
        The argument's name, as the caller wrote it (``"learning_rate"``).
    where : str
        The function or class that received it (``"SGD"``, ``"ADWIN"``).
    low, high : float or None
        Bounds of the allowed range; ``None`` means unbounded on that side.
    low_inclusive, high_inclusive : bool
        Whether ``value == low`` (``value == high``) is allowed.
    allow_inf : bool
        Accept ``inf`` / ``-inf`` (still subject to the bounds), e.g. for a
        tolerance where ``inf`` switches a check off.  NaN is never accepted.
    fix : str or None
        How to fix a wrong value, appended to the message
        (``"use a small positive number such as 0.01"``).

    Returns
    -------
    float
        ``value`` as a Python float.

    Raises
    ------
    ArgumentTypeError
        If ``value`` is not a real number (this includes ``bool``).
    ValueError
        If ``value`` is NaN, infinite (unless ``allow_inf``) or outside the bounds.

    Examples
    --------
    >>> check_number(0.5, "rho", "RMSProp", low=0, high=1, high_inclusive=False)
    0.5
    >>> check_number(1.0, "rho", "RMSProp", low=0, high=1, high_inclusive=False)
    Traceback (most recent call last):
    ...
    ValueError: RMSProp(rho=1.0): rho must be a number with 0 <= rho < 1.
    >>> check_number(0, "learning_rate", "SGD", low=0, low_inclusive=False,
    ...              fix="use a small positive number such as 0.01")
    Traceback (most recent call last):
    ...
    ValueError: SGD(learning_rate=0): learning_rate must be a positive number (> 0); use a small positive number such as 0.01.
    >>> check_number("0.1", "alpha", "psi")
    Traceback (most recent call last):
    ...
    course_lib.validation.ArgumentTypeError: psi(alpha='0.1'): alpha must be a finite number, got str.
    >>> check_number(float("inf"), "tolerance", "Gate", low=0, allow_inf=True)
    inf
    """
    if low is not None and high is None and low == 0 and not low_inclusive:
        rule = "a positive number (> 0)"
    else:
        bound = _bound(name, low, high, low_inclusive, high_inclusive)
        rule = f"a number {bound}" if bound else "a finite number"
    if isinstance(value, bool) or not isinstance(value, _REAL_TYPES):
        _raise(ArgumentTypeError, where, name, value, f"{rule}, got {type(value).__name__}", fix)
    number = float(value)
    bad = math.isnan(number) or (math.isinf(number) and not allow_inf)
    if low is not None:
        bad = bad or (number < low if low_inclusive else number <= low)
    if high is not None:
        bad = bad or (number > high if high_inclusive else number >= high)
    if bad:
        _raise(ValueError, where, name, value, rule, fix)
    return number


def check_int(value, name: str, where: str, *, minimum: int | None = None,
              maximum: int | None = None, fix: str | None = None) -> int:
    """Check that ``value`` is a whole number within ``[minimum, maximum]``; return it as an int.

    Parameters
    ----------
    value : object
        The argument to check.  ``int`` and numpy integer scalars are accepted;
        ``bool``, floats (even ``3.0``), strings and ``None`` are not.
    name : str
        The argument's name (``"n_iter"``).
    where : str
        The function or class that received it (``"BiasBaseline"``).
    minimum, maximum : int or None
        Inclusive bounds; ``None`` means unbounded on that side.
    fix : str or None
        How to fix a wrong value, appended to the message.

    Returns
    -------
    int
        ``value`` as a Python int.

    Raises
    ------
    ArgumentTypeError
        If ``value`` is not an integer (this includes ``bool`` and ``3.0``).
    ValueError
        If ``value`` is outside ``[minimum, maximum]``.

    Examples
    --------
    >>> check_int(3, "n_iter", "BiasBaseline", minimum=1)
    3
    >>> check_int(0, "n_iter", "BiasBaseline", minimum=1)
    Traceback (most recent call last):
    ...
    ValueError: BiasBaseline(n_iter=0): n_iter must be an int >= 1.
    >>> check_int(2.0, "k", "top_k", minimum=1, fix="pass a whole number, e.g. k=10")
    Traceback (most recent call last):
    ...
    course_lib.validation.ArgumentTypeError: top_k(k=2.0): k must be an int >= 1, got float; pass a whole number, e.g. k=10.
    """
    bound = _bound(name, minimum, maximum, True, True)
    rule = f"an int {bound}" if bound else "an int"
    if isinstance(value, bool) or not isinstance(value, _INT_TYPES):
        _raise(ArgumentTypeError, where, name, value, f"{rule}, got {type(value).__name__}", fix)
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        _raise(ValueError, where, name, value, rule, fix)
    return int(value)


def check_rating_range(rating_range, where: str) -> tuple[float, float]:
    """``(low, high)`` of a rating scale as floats, or a ValueError that says how to give it.

    >>> check_rating_range((1, 5), "BiasBaseline")
    (1.0, 5.0)
    >>> check_rating_range((5, 1), "BiasBaseline")
    Traceback (most recent call last):
    ...
    ValueError: BiasBaseline(rating_range=(5, 1)): give (low, high) with low < high, both finite, e.g. (1, 5), or (0.5, 5) for half stars.
    """
    try:
        low, high = (float(v) for v in rating_range)
    except (TypeError, ValueError):
        low = high = float("nan")
    if not (math.isfinite(low) and math.isfinite(high) and low < high):
        raise ValueError(f"{where}(rating_range={rating_range!r}): give (low, high) with low < high, "
                         "both finite, e.g. (1, 5), or (0.5, 5) for half stars.")
    return low, high


def as_generator(seed, where: str = "") -> np.random.Generator:
    """Return ``seed`` if it is a ``np.random.Generator``, else a new one seeded by it.

    Every random function of the course takes ``seed`` (a non-negative int) or
    a Generator, so that nothing depends on NumPy's global random state.

    Examples
    --------
    >>> float(as_generator(0).random()) == float(np.random.default_rng(0).random())
    True
    >>> rng = np.random.default_rng(1)
    >>> as_generator(rng) is rng
    True
    >>> as_generator(-2, "ReservoirBuffer")
    Traceback (most recent call last):
    ...
    ValueError: ReservoirBuffer(seed=-2): seed must be a non-negative int or an np.random.Generator; pass e.g. seed=0.
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, _INT_TYPES) or seed < 0:
        prefix = f"{where}(seed={seed!r})" if where else f"seed={seed!r}"
        raise ValueError(f"{prefix}: seed must be a non-negative int or an np.random.Generator; "
                         "pass e.g. seed=0.")
    return np.random.default_rng(int(seed))
