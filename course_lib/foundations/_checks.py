"""Argument checks shared by the numpy modules of chapters 02-04 (linreg, the optimizers).

Thin wrappers around :mod:`course_lib.core.validation`, so that the learning rate and
the decay rates are checked, and explained, in one place.  Private: no ``__all__``.
"""

from __future__ import annotations

from course_lib.core.validation import check_number


def check_learning_rate(value: float, where: str) -> float:
    """``value`` as a float if it is a usable learning rate (> 0).

    >>> check_learning_rate(0.1, "SGD")
    0.1
    >>> check_learning_rate(-0.1, "SGD")
    Traceback (most recent call last):
    ...
    ValueError: SGD(learning_rate=-0.1): learning_rate must be a positive number (> 0); ...
    """
    return check_number(
        value,
        "learning_rate",
        where,
        low=0,
        low_inclusive=False,
        fix="use a small positive number such as 0.01 (a negative rate "
        "climbs the loss instead of descending it)",
    )


def check_decay(value: float, name: str, where: str, usual: str) -> float:
    """A decay rate (momentum, rho, beta_1, beta_2) in [0, 1)."""
    return check_number(
        value, name, where, low=0, high=1, high_inclusive=False, fix=f"the usual value is {usual}"
    )
