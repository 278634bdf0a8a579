"""The deployable update loop: receive, preprocess, update, validate, gate, deploy, monitor, roll back.

Explained in chapter 10 (``notebooks/10_incremental_pipeline.ipynb``).  NumPy and
pandas only: the model and the strategy bring TensorFlow if they need it.

The source articles draw the loop as *init model -> receive new data -> preprocess ->
update -> validate -> feedback/adjust -> deploy*.  Two steps are missing that matter most
in a shop: an update can make the model **worse** (bad data, a bad learning rate), so
deployment is *gated*; and a model that passed the gate can still misbehave on live
traffic, so the live error is *monitored* and a bad version *rolled back*.  Each step
lives in its own module (``cleaning``, ``monitoring``, ``gate``, ``rollback``,
``lineage``, ``registry``); :class:`UpdatePipeline` chains them.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from course_lib.continual._checks import (
    check_estimator,
    check_share,
    check_strategy,
    check_tolerance,
    wrong_type,
)
from course_lib.continual.cleaning import preprocess
from course_lib.continual.gate import (
    GateDecision,
    ValidationGate,
    label_shift,
    split_recent,
)
from course_lib.continual.lineage import Lineage
from course_lib.continual.monitoring import SegmentMonitor, feed_daily_errors
from course_lib.continual.registry import ModelRegistry
from course_lib.continual.rollback import RollbackRule
from course_lib.core.roles import DriftDetector, RatingEstimator, UpdateStrategy
from course_lib.core.validation import (
    check_frame,
    check_int,
    check_rating_range,
)
from course_lib.evaluation.metrics import rmse

__all__ = ["UpdatePipeline"]


_LOG_DEFAULTS = {  # the log's columns before any step fills them, in this order
    **dict.fromkeys(["live_rmse", "previous_rmse", "pre_deploy_rmse", "label_psi"], np.nan),
    **{"segment_alarms": "", "drift_alarm": False, "rolled_back": False, "rollback_to": None},
    **{"candidate_version": None, "accepted": False},
}


def _rmse_or_nan(y: np.ndarray, pred: np.ndarray) -> float:
    """The RMSE, or NaN when a prediction is not finite (a score the gate reads as worse)."""
    return rmse(y, pred) if np.all(np.isfinite(pred)) else float("nan")


class UpdatePipeline:
    """The gated, monitored update loop over a stream of batches.

    For every incoming batch, :meth:`process` runs these steps and writes one
    row to :attr:`log` (and one line per step to :attr:`events`):

    1. **receive / preprocess** the batch (``cleaning.preprocess``);
    2. **monitor**: score the *live* model on the clean batch *before* learning
       from it (prequential), per day for a drift detector and, with
       ``segment_by``, per segment (``monitoring.SegmentMonitor``);
    3. **rollback**: on the first batch after a deploy, score the previous
       version on the same batch (shadow) and ask the ``RollbackRule``; a
       rollback moves the production pointer back and forgets the rows the bad
       version learned from;
    4. **update**: a fresh copy of the strategy starts from a copy of the live
       model and the accepted history, and learns the batch except its newest
       ``holdout_frac`` of rows (``gate.split_recent``).  Production is never
       touched, so a rejected update leaves nothing behind;
    5. **validate / gate**: ``ValidationGate`` compares candidate and live model
       on the held-out newest rows and on a guard slice of earlier held-out
       rows, and checks the batch's ``label_shift``;
    6. **register / deploy**: every candidate is registered with its metrics
       and the gate's decision; only an accepted one is promoted.

    Parameters
    ----------
    registry : ModelRegistry
        Where every version is written (the only place files are written).
    strategy : UpdateStrategy
        An *unstarted* strategy used as a template (``FineTune()``, ``Replay()``
        ...): each update works on a deep copy of it, started on a copy of the
        live model.
    users, items : DataFrame, optional
        Side tables for the unknown-id check of ``preprocess``.
    gate : ValidationGate, optional
        Default ``ValidationGate()``.
    rollback_rule : RollbackRule or None
        Default ``RollbackRule()``; ``None`` never rolls back.
    detector : DriftDetector or None
        A drift detector of chapter 08 (``update(x) -> self``, ``drift_detected``),
        fed the live RMSE of each day; ``None`` switches drift monitoring off.
    holdout_frac : float
        Share of each batch held out for the gate (never trained on).
    guard_batches : int
        The guard slice is drawn from the held-out rows of this many most recent
        accepted batches (and of the initial data).
    guard_size : int
        At most this many guard rows (a seeded sample).
    level_batches : int
        The pre-deploy error level given to the rollback rule is the median
        live RMSE of this many batches up to the deploy (a median, so that one
        odd batch, e.g. one with corrupted labels, does not raise the bar).
    rating_range : (float, float)
        Valid ratings (for ``preprocess``).
    seed : int
        Fixes the guard samples.
    segment_by : str, optional
        Monitor the live RMSE per segment: a column of the batch or of
        ``items`` (e.g. ``"category"``).  Results in :attr:`segment_log`; the
        log's ``segment_alarms`` names the segments whose error rose more than
        ``segment_tolerance`` above their median of the previous
        ``level_batches`` batches.
    segment_tolerance : float
        See ``segment_by``.
    """

    def __init__(
        self,
        registry: ModelRegistry,
        strategy: UpdateStrategy,
        *,
        users: pd.DataFrame | None = None,
        items: pd.DataFrame | None = None,
        gate: ValidationGate | None = None,
        rollback_rule: RollbackRule | None | str = "default",
        detector: DriftDetector | None = None,
        holdout_frac: float = 0.2,
        guard_batches: int = 6,
        guard_size: int = 2000,
        level_batches: int = 3,
        rating_range: tuple[float, float] = (1.0, 5.0),
        seed: int = 0,
        segment_by: str | None = None,
        segment_tolerance: float = 0.15,
    ) -> None:
        self._check_collaborators(registry, gate, rollback_rule, detector)
        self.registry = registry
        self.strategy = check_strategy(strategy, "UpdatePipeline")
        self.users, self.items = users, items
        self.gate = gate if gate is not None else ValidationGate()
        self.rollback_rule: RollbackRule | None = (
            RollbackRule() if isinstance(rollback_rule, str) else rollback_rule
        )
        self.detector = detector
        self.holdout_frac = check_share(holdout_frac, "holdout_frac", "UpdatePipeline")
        self.guard_batches = check_int(guard_batches, "guard_batches", "UpdatePipeline", minimum=1)
        self.guard_size = check_int(guard_size, "guard_size", "UpdatePipeline", minimum=1)
        self.level_batches = check_int(level_batches, "level_batches", "UpdatePipeline", minimum=1)
        self.rating_range = check_rating_range(rating_range, "UpdatePipeline")
        self.seed = check_int(seed, "seed", "UpdatePipeline", minimum=0)
        self.segment_by = segment_by
        self.segment_tolerance = check_tolerance(
            segment_tolerance, "segment_tolerance", "UpdatePipeline"
        )
        self.segment_monitor: SegmentMonitor | None = None
        if segment_by is not None:
            self.segment_monitor = SegmentMonitor(
                segment_by, tolerance=segment_tolerance, level_batches=level_batches
            )
        self.lineage = Lineage(guard_batches=guard_batches, guard_size=guard_size, seed=seed)
        self._models = self.lineage.models  # promoted version -> model in memory
        self._watch: dict[str, Any] | None = None  # fresh deploy awaiting its first live batch
        self._rows: list[dict[str, Any]] = []
        self._events: list[dict[str, Any]] = []
        self._step = 0

    @staticmethod
    def _check_collaborators(registry: Any, gate: Any, rollback_rule: Any, detector: Any) -> None:
        where, fix = "UpdatePipeline", "see help(UpdatePipeline)"
        if not isinstance(registry, ModelRegistry):
            raise wrong_type(where, "registry", registry, "a ModelRegistry", fix)
        if gate is not None and not isinstance(gate, ValidationGate):
            raise wrong_type(where, "gate", gate, "a ValidationGate or None", fix)
        if rollback_rule not in (None, "default") and not isinstance(rollback_rule, RollbackRule):
            raise wrong_type(where, "rollback_rule", rollback_rule, "a RollbackRule or None", fix)
        if detector is not None and not isinstance(detector, DriftDetector):
            kind = "a DriftDetector (update(x) -> self, drift_detected, reset()) or None"
            raise wrong_type(where, "detector", detector, kind, "pass e.g. PageHinkley()")

    # -- state -------------------------------------------------------------------------------
    @property
    def production_version(self) -> str | None:
        """The registry's production version."""
        return self.registry.production

    @property
    def production_model(self) -> Any:
        """The live model (the in-memory copy of the registry's production version)."""
        version = self.registry.production
        if version is None:
            raise RuntimeError("UpdatePipeline: call start(model, history) first.")
        return self._models[version]

    def history(self) -> pd.DataFrame:
        """Every training row learned by a live version (initial data included)."""
        return self.lineage.training_rows()

    def guard(self, step: int | None = None) -> pd.DataFrame:
        """The guard slice: a seeded sample of recent accepted held-out rows."""
        return self.lineage.guard(self._step if step is None else step)

    @property
    def log(self) -> pd.DataFrame:
        """One row per processed batch (see :meth:`process`)."""
        return pd.DataFrame(self._rows)

    @property
    def segment_log(self) -> pd.DataFrame:
        """:attr:`SegmentMonitor.log <course_lib.continual.monitoring.SegmentMonitor.log>`:
        one row per batch and segment (empty without ``segment_by``)."""
        if self.segment_monitor is None:
            return pd.DataFrame(columns=SegmentMonitor.COLUMNS)
        return self.segment_monitor.log

    def label_reference(self) -> pd.DataFrame:
        """Training rows of the most recent accepted batches (``guard_batches`` of them):
        the label distribution a new batch is compared with."""
        return self.lineage.label_reference()

    @property
    def events(self) -> pd.DataFrame:
        """One row per step: ``batch``, ``step``, ``version``, ``detail``."""
        return pd.DataFrame(self._events, columns=["batch", "step", "version", "detail"])

    def _event(self, step: str, detail: str, version: str | None = None) -> None:
        self._events.append(
            {"batch": self._step, "step": step, "version": version, "detail": detail}
        )

    # -- start -------------------------------------------------------------------------------
    def start(
        self,
        model: RatingEstimator,
        history: pd.DataFrame,
        *,
        holdout: pd.DataFrame | None = None,
        notes: str = "initial model",
    ) -> str:
        """Register ``model`` (already trained on ``history``) and put it in production.

        ``model`` plays the RatingEstimator role and can ``copy()`` itself (the
        pipeline's candidates start from copies) and ``save(path)`` (for the
        registry).  ``holdout``: rows of the same period that the model was
        *not* trained on; they seed the guard slice (without it, a sample of
        ``history`` is used, which flatters the initial model).  Returns the
        version name.
        """
        check_estimator(model, "model", "UpdatePipeline.start")
        fix = "pass the ratings the model was trained on"
        check_frame(history, "history", "UpdatePipeline.start", columns=("rating",), fix=fix)
        if self._models:
            raise RuntimeError(
                "UpdatePipeline.start: already started; make a new pipeline "
                "(and registry) to start again."
            )
        if holdout is None:
            rng = np.random.default_rng([self.seed, 1])
            n = min(len(history), self.guard_size)
            holdout = history.iloc[np.sort(rng.choice(len(history), size=n, replace=False))]
        metrics = {}
        if len(holdout):
            metrics["holdout_rmse"] = rmse(
                holdout["rating"].to_numpy(float), np.asarray(model.predict(holdout), float)
            )
        version = self.registry.register(
            model,
            metrics=metrics,
            notes=notes,
            extra={"batch": None, "accepted": True, "reasons": ["initial model"]},
        )
        self.registry.promote(version)
        self.lineage.add(-1, version, model, history, holdout)
        self._event(
            "start",
            f"registered and promoted the initial model ({len(history)} training rows)",
            version,
        )
        return version

    # -- one batch ---------------------------------------------------------------------------
    def process(
        self, batch: pd.DataFrame, *, strategy: UpdateStrategy | None = None
    ) -> dict[str, Any]:
        """Run every step on one incoming batch; return its log row.

        ``strategy`` overrides the pipeline's template for this batch only
        (used to inject a deliberately bad update in chapter 10).
        """
        live_version = self.registry.production
        if not self._models or live_version is None:
            raise RuntimeError("UpdatePipeline.process: call start(model, history) first.")
        template = (
            self.strategy
            if strategy is None
            else check_strategy(strategy, "UpdatePipeline.process")
        )
        t_start = time.perf_counter()
        row, clean = self._receive(batch)  # 1
        if len(clean) == 0:
            self._event("skip", "no clean rows: nothing to monitor or learn", live_version)
            row.update(production_after=live_version, reasons="no clean rows")
        else:
            y, live_rmse = self._monitor(row, clean, live_version)  # 2
            live_version, live_rmse = self._check_rollback(
                row, clean, y, live_version, live_rmse
            )  # 3
            worker, train, recent = self._update(row, clean, template, live_version)  # 4
            decision = self._validate(row, worker.model_, live_version, clean, recent)  # 5
            self._deploy(row, decision, worker, live_version, live_rmse, train, recent)  # 6
            row["production_after"] = self.registry.production
        row["seconds"] = time.perf_counter() - t_start
        self._rows.append(row)
        self._step += 1
        return row

    def _receive(self, batch: pd.DataFrame) -> tuple[dict[str, Any], pd.DataFrame]:
        """Step 1: a new log row, and the clean batch."""
        row: dict[str, Any] = {"batch": self._step}
        if isinstance(batch, pd.DataFrame) and "day" in batch.columns and len(batch):
            row.update(
                first_day=int(np.nanmin(batch["day"])), last_day=int(np.nanmax(batch["day"]))
            )
        else:
            row.update(first_day=np.nan, last_day=np.nan)
        clean, report = preprocess(batch, self.users, self.items, rating_range=self.rating_range)
        row.update(n_raw=report.n_in, n_clean=report.n_out, n_dropped=report.n_dropped)
        self._event("preprocess", report.summary())
        row.update(live_version=self.registry.production, **_LOG_DEFAULTS)
        return row, clean

    def _monitor(
        self, row: dict[str, Any], clean: pd.DataFrame, live_version: str
    ) -> tuple[np.ndarray, float]:
        """Step 2: score the live model before it learns (overall, per day, per segment)."""
        y = clean["rating"].to_numpy(dtype=float)
        pred = np.asarray(self._models[live_version].predict(clean), dtype=float)
        live_rmse = _rmse_or_nan(y, pred)
        row["live_rmse"] = live_rmse
        finite = bool(np.all(np.isfinite(pred)))
        if self.detector is not None and finite:
            days = clean["day"].to_numpy() if "day" in clean.columns else np.zeros(len(clean))
            row["drift_alarm"] = feed_daily_errors(self.detector, days, y, pred)
        if self.segment_monitor is not None and finite:
            alarms = self.segment_monitor.update(
                row["batch"], row["first_day"], clean, y, pred, items=self.items
            )
            row["segment_alarms"] = ", ".join(alarms)
        self._event(
            "monitor",
            f"live {live_version} RMSE {live_rmse:.3f} on {len(clean)} rows"
            + ("; drift alarm" if row["drift_alarm"] else "")
            + (f"; segment alarm: {row['segment_alarms']}" if row["segment_alarms"] else ""),
            live_version,
        )
        return y, live_rmse

    def _check_rollback(
        self,
        row: dict[str, Any],
        clean: pd.DataFrame,
        y: np.ndarray,
        live_version: str,
        live_rmse: float,
    ) -> tuple[str, float]:
        """Step 3: on the first batch after a deploy, compare it with the version it replaced
        on the same rows; return the (possibly restored) live version and its error level."""
        watch, self._watch = self._watch, None
        if watch is None or watch["version"] != live_version or self.rollback_rule is None:
            return live_version, live_rmse
        previous = self._models[watch["previous"]]
        previous_rmse = _rmse_or_nan(y, np.asarray(previous.predict(clean), dtype=float))
        row.update(previous_rmse=previous_rmse, pre_deploy_rmse=watch["pre_deploy_rmse"])
        verdict = self.rollback_rule.decide(live_rmse, previous_rmse, watch["pre_deploy_rmse"])
        if not verdict:
            self._event("rollback", verdict.reason, live_version)
            return live_version, live_rmse
        restored = self.registry.rollback(reason=verdict.reason)
        self.lineage.forget(live_version)
        row.update(rolled_back=True, rollback_to=restored)
        self._event("rollback", f"{live_version} -> {restored}: {verdict.reason}", restored)
        return restored, previous_rmse  # the restored version's level, for the next watch

    def _update(
        self, row: dict[str, Any], clean: pd.DataFrame, template: UpdateStrategy, live_version: str
    ) -> tuple[Any, pd.DataFrame, pd.DataFrame]:
        """Step 4: a fresh copy of the strategy learns the training part on a copy of the
        live model; return the worker (its ``model_`` is the candidate) and the split."""
        train, recent = split_recent(clean, self.holdout_frac)
        worker = copy.deepcopy(template)
        t0 = time.perf_counter()
        worker.start(self._models[live_version].copy(), self.history())
        worker.update(train)
        row["update_seconds"] = time.perf_counter() - t0
        self._event("update", f"{worker.name} on {len(train)} rows ({len(recent)} held out)")
        return worker, train, recent

    def _validate(
        self,
        row: dict[str, Any],
        candidate: Any,
        live_version: str,
        clean: pd.DataFrame,
        recent: pd.DataFrame,
    ) -> GateDecision:
        """Step 5: the label shift of the batch, then the gate on the recent and guard slices."""
        reference = self.label_reference()
        label_psi = label_shift(reference, clean) if len(reference) else None
        row["label_psi"] = np.nan if label_psi is None else label_psi
        decision = self.gate.evaluate(
            candidate,
            self._models[live_version],
            recent,
            self.guard(row["batch"]),
            label_psi=label_psi,
        )
        row.update(decision.metrics)
        self._event("gate", str(decision))
        return decision

    def _deploy(
        self,
        row: dict[str, Any],
        decision: GateDecision,
        worker: Any,
        live_version: str,
        live_rmse: float,
        train: pd.DataFrame,
        recent: pd.DataFrame,
    ) -> None:
        """Step 6: register every candidate; promote (and watch) only an accepted one."""
        step, candidate = row["batch"], worker.model_
        version = self.registry.register(
            candidate,
            metrics=dict(decision.metrics, live_rmse=live_rmse, n_train=len(train)),
            parent=live_version,
            notes=f"batch {step}: {'accepted' if decision else 'rejected'}",
            extra={
                "batch": step,
                "accepted": bool(decision),
                "reasons": decision.reasons,
                "days": [row["first_day"], row["last_day"]],
                "strategy": worker.name,
            },
        )
        row.update(
            candidate_version=version, accepted=bool(decision), reasons="; ".join(decision.reasons)
        )
        self._event("register", f"candidate registered as {version}", version)
        if not decision:
            self._event(
                "deploy",
                f"kept {live_version}; {version} stays in the registry for inspection",
                live_version,
            )
            return
        self.registry.promote(version)
        self.lineage.add(step, version, candidate, train, recent)
        if self.rollback_rule is not None:
            first = max(0, len(self._rows) - self.level_batches + 1)
            past = [r["live_rmse"] for r in self._rows[first:]]
            level = float(np.nanmedian([*past, live_rmse]))  # of level_batches batches
            self._watch = {"version": version, "previous": live_version, "pre_deploy_rmse": level}
        self._event("deploy", f"promoted {version} (was {live_version})", version)

    def run(self, batches: Iterable[pd.DataFrame]) -> pd.DataFrame:
        """:meth:`process` every batch in order; return :attr:`log`."""
        for batch in batches:
            self.process(batch)
        return self.log
