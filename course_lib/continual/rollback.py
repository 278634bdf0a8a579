"""Monitor and roll back: undo a deploy that does worse than the version it replaced.

Explained in chapter 10 (``notebooks/10_incremental_pipeline.ipynb``, section 7), the
rollback step of :class:`~course_lib.continual.pipeline.UpdatePipeline`.  Pure Python.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from course_lib.continual._checks import check_tolerance

__all__ = ["RollbackDecision", "RollbackRule"]


@dataclass
class RollbackDecision:
    """The verdict of :class:`RollbackRule` (truthy when a rollback is due)."""

    rollback: bool
    reason: str

    def __bool__(self) -> bool:
        return bool(self.rollback)


class RollbackRule:
    """Roll back a fresh deploy when it does worse than the version it replaced.

    On the first batch after a deploy the pipeline knows:

    * ``live_rmse``: the new version's error on this batch (what customers got);
    * ``previous_rmse``: the replaced version's error on the *same* batch (it
      is still in the registry, so it is scored in the shadow);
    * ``pre_deploy_rmse``: the live error on the batch before the deploy (the
      level we were used to).

    The rule rolls back when the live error is not finite, or when the new
    version is worse than the previous one on the same batch by more than
    ``tolerance``.  ``pre_deploy_rmse`` does not decide, it only explains: a
    jump over the pre-deploy level that the previous version shares is the
    world changing (drift), and rolling back would not help.  Why not decide
    on the jump itself?  Because it compares two *different* batches: from one
    week to the next the error of an unchanged model moves by about as much as
    any sensible tolerance (chapter 10 measures it), so a jump rule either
    fires on noise and drift or misses a bad version.  Comparing two versions
    on the same rows removes the batch from the comparison.

    >>> rule = RollbackRule(tolerance=0.05)
    >>> rule.decide(live_rmse=1.30, previous_rmse=0.92, pre_deploy_rmse=0.90).rollback
    True
    >>> rule.decide(live_rmse=1.30, previous_rmse=1.31, pre_deploy_rmse=0.90).reason
    'live 1.300 vs previous 1.310 on this batch: keep (the error rose 0.400 over the pre-deploy level for both versions: the data changed, not the model)'
    """

    def __init__(self, tolerance: float = 0.05) -> None:
        self.tolerance = check_tolerance(tolerance, "tolerance", "RollbackRule")

    def __repr__(self) -> str:
        return f"RollbackRule(tolerance={self.tolerance})"

    def decide(
        self, live_rmse: float, previous_rmse: float, pre_deploy_rmse: float = float("nan")
    ) -> RollbackDecision:
        """Apply the rule to the errors (see the class docstring)."""
        live, prev, pre = (float(v) for v in (live_rmse, previous_rmse, pre_deploy_rmse))
        if not math.isfinite(live):
            return RollbackDecision(True, "live model's error is not finite")
        text = f"live {live:.3f} vs previous {prev:.3f} on this batch"
        if live > prev + self.tolerance:
            return RollbackDecision(
                True, f"{text}: the new version is worse by {live - prev:.3f} > {self.tolerance:g}"
            )
        note = ""
        if math.isfinite(pre) and live - pre > self.tolerance:
            note = (
                f" (the error rose {live - pre:.3f} over the pre-deploy level for both "
                "versions: the data changed, not the model)"
            )
        return RollbackDecision(False, f"{text}: keep{note}")
