"""The one argument checker of course_lib: every public function validates through it.

Every public function of the course validates its arguments and, when one is
wrong, raises an error that names the argument, shows the value given, states
what is allowed and says how to fix it, always in the same form:

* :func:`check_number` -- a finite real number, optionally inside a range;
* :func:`check_int` -- a whole number (an ``int`` or numpy integer), optionally
  with a minimum and a maximum;
* :func:`check_array` -- numbers that make a float array of the right shape, without NaN;
* :func:`check_frame` -- a pandas DataFrame with the columns a function needs;
* :func:`check_choice` -- one of a few allowed values;
* :func:`check_rating_range` -- a ``(low, high)`` star scale;
* :func:`as_generator` -- a seed or a ``np.random.Generator`` (never the global state);
* :func:`argument_error` -- the error itself, for a rule none of the above covers.

``check_number`` and ``check_int`` reject ``bool`` (``True`` is an ``int`` in Python, but ``learning_rate=True``
is always a mistake) and return a plain Python ``float`` / ``int``.

A value of the wrong type raises :class:`ArgumentTypeError`, which is both a
``TypeError`` and a ``ValueError``; a number outside the allowed range (or NaN)
raises ``ValueError``.  The message has the form::

    where(name=value): name must be <what is allowed>; <how to fix it>.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

T = TypeVar("T")

__all__ = [
    "ArgumentTypeError",
    "check_number",
    "check_int",
    "check_rating_range",
    "check_array",
    "check_frame",
    "check_choice",
    "check_role",
    "as_generator",
    "argument_error",
    "describe",
]

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


def _fmt(x: float) -> str:
    """``1`` for an int bound, ``0.001`` / ``1e-07`` for a float one."""
    return str(int(x)) if isinstance(x, _INT_TYPES) else f"{x:g}"


def _bound(
    name: str, low: float | None, high: float | None, low_inclusive: bool, high_inclusive: bool
) -> str:
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


def describe(value: object) -> str:
    """A short description of an argument for an error message.

    Scalars and short values appear as their ``repr``; arrays, frames and long
    values by their type and shape, so a message stays one readable line.

    >>> describe(0.5), describe("abc")
    ('0.5', "'abc'")
    >>> describe(np.zeros((2, 3)))
    'array of shape (2, 3)'
    """
    shape = getattr(value, "shape", None)
    if shape is not None and len(shape) and not isinstance(value, np.generic):
        kind = {"ndarray": "array"}.get(type(value).__name__, type(value).__name__)
        return f"{kind} of shape {tuple(shape)}"
    text = repr(value)
    if len(text) <= 60:
        return text
    kind = type(value).__name__
    return f"{text[:57]}..." if text.startswith(kind) else f"{kind} {text[:50]}..."


def argument_error(
    where: str,
    name: str,
    value: object,
    rule: str,
    fix: str | None = None,
    *,
    exc: type[Exception] = ValueError,
) -> Exception:
    """The error for an argument that breaks ``rule``, in the course's one message style.

    For the rules the ``check_*`` functions do not cover (two arguments that must
    agree, a value that must be in a table ...).  Returns the exception, so the
    caller writes ``raise argument_error(...)`` and the control flow stays visible.

    >>> raise argument_error("mse", "y_pred", [1, 2], "the same shape as y_true (3,)",
    ...                      "pass one prediction per label")
    Traceback (most recent call last):
    ...
    ValueError: mse(y_pred=[1, 2]): y_pred must be the same shape as y_true (3,); pass one prediction per label.
    """
    tail = f"; {fix}" if fix else ""
    return exc(f"{where}({name}={describe(value)}): {name} must be {rule}{tail}.")


def _raise(
    exc: type[Exception], where: str, name: str, value: object, rule: str, fix: str | None
) -> None:
    raise argument_error(where, name, value, rule, fix, exc=exc)


def check_number(
    value: Any,
    name: str,
    where: str,
    *,
    low: float | None = None,
    high: float | None = None,
    low_inclusive: bool = True,
    high_inclusive: bool = True,
    allow_inf: bool = False,
    fix: str | None = None,
) -> float:
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
    course_lib.core.validation.ArgumentTypeError: psi(alpha='0.1'): alpha must be a finite number, got str.
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


def check_int(
    value: Any,
    name: str,
    where: str,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
    fix: str | None = None,
) -> int:
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
    course_lib.core.validation.ArgumentTypeError: top_k(k=2.0): k must be an int >= 1, got float; pass a whole number, e.g. k=10.
    """
    bound = _bound(name, minimum, maximum, True, True)
    rule = f"an int {bound}" if bound else "an int"
    if isinstance(value, bool) or not isinstance(value, _INT_TYPES):
        _raise(ArgumentTypeError, where, name, value, f"{rule}, got {type(value).__name__}", fix)
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        _raise(ValueError, where, name, value, rule, fix)
    return int(value)


def check_rating_range(rating_range: Any, where: str) -> tuple[float, float]:
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
        raise ValueError(
            f"{where}(rating_range={rating_range!r}): give (low, high) with low < high, "
            "both finite, e.g. (1, 5), or (0.5, 5) for half stars."
        )
    return low, high


def as_generator(seed: Any, where: str = "") -> np.random.Generator:
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
        raise ValueError(
            f"{prefix}: seed must be a non-negative int or an np.random.Generator; "
            "pass e.g. seed=0."
        )
    return np.random.default_rng(int(seed))


def check_array(
    value: Any,
    name: str,
    where: str,
    *,
    min_ndim: int = 0,
    ndim: int | None = None,
    allow_empty: bool = False,
    allow_nan: bool = False,
    fix: str | None = None,
) -> np.ndarray:
    """Check that ``value`` converts to a float array of the right shape; return the array.

    Examples
    --------
    >>> check_array([1, 2], "y_true", "mse")
    array([1., 2.])
    >>> check_array([1.0, float("nan")], "y_true", "mse")
    Traceback (most recent call last):
    ...
    ValueError: mse(y_true=array of shape (2,)): y_true must be numbers without NaN, found 1 NaN of 2; drop or impute missing values first.
    >>> check_array("abc", "X", "fit")
    Traceback (most recent call last):
    ...
    course_lib.core.validation.ArgumentTypeError: fit(X='abc'): X must be numbers (an array or a list of floats), got str.
    >>> check_array([1.0, 2.0], "X", "forward", ndim=2, fix="for one sample use X.reshape(1, -1)")
    Traceback (most recent call last):
    ...
    ValueError: forward(X=array of shape (2,)): X must be 2-dimensional, got shape (2,); for one sample use X.reshape(1, -1).
    """
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        _raise(
            ArgumentTypeError,
            where,
            name,
            value,
            f"numbers (an array or a list of floats), got {type(value).__name__}",
            fix,
        )
    if arr.size == 0 and not allow_empty:
        _raise(ValueError, where, name, arr, "non-empty", fix or "pass at least one value")
    if ndim is not None and arr.ndim != ndim:
        _raise(ValueError, where, name, arr, f"{ndim}-dimensional, got shape {arr.shape}", fix)
    if arr.ndim < min_ndim:
        _raise(
            ValueError,
            where,
            name,
            arr,
            f"at least {min_ndim}-dimensional, got shape {arr.shape}",
            fix,
        )
    if not allow_nan:
        n_nan = int(np.isnan(arr).sum())
        if n_nan:
            _raise(
                ValueError,
                where,
                name,
                arr,
                f"numbers without NaN, found {n_nan} NaN of {arr.size}",
                fix or "drop or impute missing values first",
            )
    return arr


def check_frame(
    value: Any,
    name: str,
    where: str,
    *,
    columns: tuple[str, ...] | list[str] = (),
    fix: str | None = None,
) -> pd.DataFrame:
    """Check that ``value`` is a pandas DataFrame with ``columns``; return it.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"user_id": [1], "item_id": [2]})
    >>> check_frame(df, "ratings", "BiasedMF.fit", columns=("user_id", "item_id")) is df
    True
    >>> check_frame(df, "ratings", "BiasedMF.fit", columns=("user_id", "item_id", "rating"))
    Traceback (most recent call last):
    ...
    ValueError: BiasedMF.fit(ratings=DataFrame of shape (1, 2)): ratings must be a DataFrame with the column(s) ['rating'], it has ['user_id', 'item_id']; use the ratings schema (user_id, item_id, rating, timestamp), e.g. shop.ratings.
    >>> check_frame([1, 2], "ratings", "BiasedMF.fit")
    Traceback (most recent call last):
    ...
    course_lib.core.validation.ArgumentTypeError: BiasedMF.fit(ratings=[1, 2]): ratings must be a pandas DataFrame, got list; use the ratings schema (user_id, item_id, rating, timestamp), e.g. shop.ratings.
    """
    import pandas as pd

    fix = fix or "use the ratings schema (user_id, item_id, rating, timestamp), e.g. shop.ratings"
    if not isinstance(value, pd.DataFrame):
        _raise(
            ArgumentTypeError,
            where,
            name,
            value,
            f"a pandas DataFrame, got {type(value).__name__}",
            fix,
        )
    missing = [c for c in columns if c not in value.columns]
    if missing:
        _raise(
            ValueError,
            where,
            name,
            value,
            f"a DataFrame with the column(s) {missing}, it has {list(value.columns)}",
            fix,
        )
    return value


def check_choice(
    value: T, name: str, where: str, options: Iterable[object], *, fix: str | None = None
) -> T:
    """Check that ``value`` is one of ``options``; return it.

    >>> check_choice("als", "solver", "MatrixFactorization", ("als", "sgd"))
    'als'
    >>> check_choice("adam", "solver", "MatrixFactorization", ("als", "sgd"))
    Traceback (most recent call last):
    ...
    ValueError: MatrixFactorization(solver='adam'): solver must be one of 'als', 'sgd'.
    """
    options = tuple(options)
    try:
        ok = value in options
    except TypeError:  # unhashable value against a set/dict of options
        ok = False
    if not ok:
        _raise(ValueError, where, name, value, "one of " + ", ".join(repr(o) for o in options), fix)
    return value


def check_role(value: Any, role: type, name: str, where: str, *, fix: str | None = None) -> Any:
    """Check that ``value`` plays ``role`` (a Protocol of :mod:`course_lib.core.roles`); return it.

    The message lists what the role needs, so a student's own class can be fixed.

    >>> from course_lib.core.roles import DriftDetector
    >>> check_role(object(), DriftDetector, "detector", "run_detector")
    Traceback (most recent call last):
    ...
    course_lib.core.validation.ArgumentTypeError: run_detector(detector=<object object at ...>): detector must be a DriftDetector (drift_detected, reset, update), got object.
    """
    if not isinstance(value, role):
        members = sorted(m for m in vars(role) if not m.startswith("_"))
        article = "an" if role.__name__[0] in "AEIOU" else "a"
        rule = f"{article} {role.__name__} ({', '.join(members)}), got {type(value).__name__}"
        raise argument_error(where, name, value, rule, fix, exc=ArgumentTypeError)
    return value
