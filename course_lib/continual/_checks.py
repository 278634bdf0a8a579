"""Argument checks shared by the modules of chapter 10's loop (gate, rollback, pipeline).

Thin wrappers around :mod:`course_lib.core.validation`, so that every message has the
one style ``where(name=value): name must be RULE; FIX.``; collaborators are checked
against the roles (Protocols) of :mod:`course_lib.core.roles`.  Private: no ``__all__``.
"""

from __future__ import annotations

from typing import Any

from course_lib.core.roles import RatingEstimator, UpdateStrategy
from course_lib.core.validation import (
    ArgumentTypeError,
    argument_error,
    check_number,
    check_role,
)


def wrong_type(where: str, name: str, value: Any, kind: str, fix: str | None = None) -> Exception:
    """The error for an argument that is not ``kind`` (an ArgumentTypeError)."""
    got = f"{kind}, got {type(value).__name__}"
    return argument_error(where, name, value, got, fix, exc=ArgumentTypeError)


def check_estimator(model: Any, name: str, where: str) -> RatingEstimator:
    """``model`` if it plays the RatingEstimator role, else a clear error."""
    fix = "e.g. a RatingModel or a MatrixFactorization"
    result: RatingEstimator = check_role(model, RatingEstimator, name, where, fix=fix)
    return result


def check_strategy(strategy: Any, where: str) -> UpdateStrategy:
    """An *unstarted* strategy (a template) that plays the UpdateStrategy role."""
    fix = "pass e.g. FineTune() or Replay()"
    check_role(strategy, UpdateStrategy, "strategy", where, fix=fix)
    if getattr(strategy, "model_", None) is not None:
        rule = "an unstarted strategy (a template)"
        fix = "the pipeline starts a fresh copy of it for every update"
        raise argument_error(where, "strategy", strategy, rule, fix)
    return strategy


def check_tolerance(value: float, name: str, where: str) -> float:
    """An RMSE difference >= 0; ``inf`` switches the check off."""
    fix = "give an RMSE difference, e.g. 0.02 (float('inf') switches the check off)"
    return check_number(value, name, where, low=0, allow_inf=True, fix=fix)


def check_share(value: float, name: str, where: str) -> float:
    """A share of a batch strictly between 0 and 1."""
    fix = "give the share held out, e.g. 0.2"
    return check_number(
        value, name, where, low=0, high=1, low_inclusive=False, high_inclusive=False, fix=fix
    )
