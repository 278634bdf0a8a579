"""Self-checks for chapter 08 (drift detection): exercises 8.1-8.3.

NumPy and pandas only.  8.1 (a one-sided CUSUM, a variation of the lesson's
Page-Hinkley) is checked against the private ``_cusum_ref``; 8.2 against
:func:`course_lib.continual.psi`.
"""

from __future__ import annotations

from typing import Any, NoReturn

import numpy as np
import pandas as pd

from course_lib.checks._core import (
    CheckFailed,
    CheckResult,
    fail,
    passed,
    require_callable,
    show_value,
)
from course_lib.checks._core import call_student as _call
from course_lib.continual import psi

__all__ = ["check_8_1", "check_8_2", "check_8_3"]


# ------------------------------------------------------------------ 8.1 CUSUM
def _cusum_streams() -> list[tuple[str, np.ndarray, dict[str, Any]]]:
    rng = np.random.default_rng(8)
    drop = np.r_[rng.normal(1.0, 0.2, 60), rng.normal(0.0, 0.2, 60)]  # a decrease
    calm = rng.normal(0.5, 0.3, 150)  # no change
    step = np.r_[rng.normal(0.0, 0.2, 60), rng.normal(1.0, 0.2, 60)]  # one increase
    two = np.r_[rng.normal(0.0, 0.2, 50), rng.normal(1.0, 0.2, 50), rng.normal(2.0, 0.2, 50)]
    early = np.r_[np.zeros(3), np.full(27, 2.0)]  # jump at t=3
    small = np.r_[rng.normal(0.0, 0.5, 80), rng.normal(0.3, 0.5, 80)]  # small, noisy
    dip = np.r_[rng.normal(0.0, 0.2, 30), rng.normal(-0.5, 0.2, 30), rng.normal(0.4, 0.2, 60)]
    params = {"delta": 0.05, "threshold": 3.0, "min_instances": 10}
    return [
        ("one step down at t=60", drop, params),
        ("no change", calm, {"delta": 0.1, "threshold": 2.0, "min_instances": 10}),
        ("one step up at t=60", step, params),
        ("steps up at t=50 and t=100", two, params),
        ("a jump at t=3, inside the warm-up", early, params),
        ("a small step up at t=80", small, params),
        ("a dip at t=30, then a rise above the start at t=60", dip, params),
    ]


def _cusum_ref(
    stream: np.ndarray,
    delta: float,
    threshold: float,
    min_instances: int,
    *,
    freeze: bool = True,
    clamp: bool = True,
    reset: bool = True,
    warm_up: int = 0,
) -> list[int]:
    """Alarms of the one-sided CUSUM; the flags give the common mistakes.

    ``freeze=False``: the reference keeps following the stream after the warm-up
    (that is Page-Hinkley's running mean); ``clamp=False``: no ``max(0, ...)``;
    ``reset=False``: no reset after an alarm; ``warm_up=-1``: one value too few.
    """
    n, reference, s = 0, 0.0, 0.0
    alarms: list[int] = []
    for t, x in enumerate(stream):
        n += 1
        if n <= min_instances + warm_up:
            reference += (x - reference) / n
            continue
        if not freeze:
            reference += (x - reference) / n
        s = s + x - reference - delta
        if clamp:
            s = max(0.0, s)
        if s > threshold:
            alarms.append(t)
            if reset:
                n, reference, s = 0, 0.0, 0.0
    return alarms


def _alarms(detector: Any, stream: np.ndarray, exercise: str) -> list[int]:
    alarms: list[int] = []
    for t, x in enumerate(stream):
        out = _call(exercise, detector.update, float(x))
        if out is not detector:
            fail(
                exercise,
                f"{type(detector).__name__}.update(x)",
                show_value(out),
                hint="end update with `return self`, so that "
                "`detector.update(x).drift_detected` works",
            )
        if bool(detector.drift_detected):
            alarms.append(t)
    return alarms


def _cusum_hint(
    label: str, stream: np.ndarray, params: dict[str, Any], got: list[int], expected: list[int]
) -> str:
    """The likeliest mistake behind alarms ``got`` where the reference gives ``expected``."""
    mistakes: list[tuple[dict[str, Any], str]] = [
        (
            {"freeze": False},
            "the reference keeps moving after the warm-up (that is Page-Hinkley's "
            "running mean): update it only while n <= min_instances, then leave it frozen",
        ),
        (
            {"clamp": False},
            "s went below 0 during a calm or falling stretch and then needed "
            "longer to climb: clamp it, s = max(0, s + x - reference - delta)",
        ),
        (
            {"reset": False},
            "after the first alarm it keeps firing: call self.reset() when drift "
            "is detected, so the warm-up learns the new regime's mean",
        ),
        (
            {"warm_up": -1},
            "the warm-up is one value short: learn the reference from the first "
            "min_instances values (n <= min_instances) and test only after them",
        ),
        (
            {"delta": 0.0},
            "false alarms where the mean did not go up: subtract delta, the "
            "tolerated change, s = max(0, s + x - reference - delta)",
        ),
    ]
    after_alarm = {a + k for a in expected for k in range(1, params["min_instances"] + 1)}
    if got != expected and set(expected) <= set(got) <= set(expected) | after_alarm:
        return (
            "after a reset the warm-up must clear the flag: set self.drift_detected = False "
            "on warm-up steps too, or it stays True from the last alarm"
        )
    for flags, hint in mistakes:
        if got == _cusum_ref(stream, **{**params, **flags}):
            return hint
    if label == "one step down at t=60" and len(got) > len(expected):
        return (
            "it fires when the mean goes down: this CUSUM is one-sided, it adds "
            "x - reference - delta (not its absolute value) and watches for an increase"
        )
    if any(t < params["min_instances"] for t in got):
        return "it fires during the warm-up: no alarm while n <= min_instances"
    return (
        "follow the order: n += 1; during the warm-up (n <= min_instances) only update the "
        "reference mean; afterwards s = max(0, s + x - reference - delta); drift if "
        "s > threshold, then reset"
    )


def check_8_1(MyCUSUM: Any) -> CheckResult:
    """Exercise 8.1: ``MyCUSUM.update(x)`` signals where the one-sided CUSUM does."""
    require_callable("8.1", MyCUSUM, "MyCUSUM")
    cases = _cusum_streams()
    for label, stream, params in cases:
        detector = _call("8.1", MyCUSUM, **params)
        got = _alarms(detector, stream, "8.1")
        expected = _cusum_ref(stream, **params)
        if got == expected:
            continue
        call = f"MyCUSUM({', '.join(f'{k}={v}' for k, v in params.items())}) on '{label}'"
        fail(
            "8.1",
            call,
            "alarms at different steps",
            expected=expected,
            got=got,
            hint=_cusum_hint(label, stream, params, got, expected),
        )
    return passed("8.1", "MyCUSUM", len(cases))


# ------------------------------------------------------------------ 8.2 PSI
def _psi_cases() -> list[tuple[str, np.ndarray, np.ndarray, int]]:
    rng = np.random.default_rng(82)
    ref = rng.normal(40.0, 10.0, 2000)
    return [
        ("same distribution", ref, rng.normal(40.0, 10.0, 1500), 10),
        ("shifted by 5", ref, rng.normal(45.0, 10.0, 1500), 10),
        ("wider", rng.exponential(2.0, 1000), rng.exponential(3.0, 800), 5),
        ("all above the reference", rng.uniform(0, 1, 500), rng.uniform(2, 3, 400), 4),
    ]


def _psi_parts(
    reference: np.ndarray, current: np.ndarray, bins: int, eps: float = 1e-4
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    edges = np.quantile(reference, np.linspace(0.0, 1.0, bins + 1))[1:-1]
    r = (
        np.bincount(np.searchsorted(edges, reference, side="right"), minlength=bins)
        / reference.size
    )
    c = np.bincount(np.searchsorted(edges, current, side="right"), minlength=bins) / current.size
    return r, c, np.maximum(r, eps), np.maximum(c, eps)


def check_8_2(my_psi: Any) -> CheckResult:
    """Exercise 8.2: ``my_psi(reference, current, bins=10, eps=1e-4)`` matches the definition."""
    require_callable("8.2", my_psi, "my_psi")
    cases = _psi_cases()
    for label, ref, cur, bins in cases:
        call = f"my_psi(<{ref.size} values>, <{cur.size} values: {label}>, bins={bins})"
        expected = psi(ref, cur, bins=bins)
        got = _call("8.2", my_psi, ref.copy(), cur.copy(), bins=bins)
        try:
            got_f = float(got)
        except (TypeError, ValueError):
            fail("8.2", call, show_value(got), hint="return one float, the sum over the bins")
        if np.isclose(got_f, expected, rtol=1e-6, atol=1e-9):
            continue
        _r, _c, rf, cf = _psi_parts(ref, cur, bins)
        if not np.isfinite(got_f):
            hint = (
                "an empty bin gives log(0): floor both shares at eps, "
                "np.maximum(share, eps), before taking the log"
            )
        elif np.isclose(got_f, -expected, rtol=1e-6):
            hint = "the sign is flipped: use (c - r) * log(c / r), both in the same order"
        elif np.isclose(got_f, float(np.sum(cf * np.log(cf / rf))), rtol=1e-6):
            hint = (
                "that is the KL divergence sum c * log(c / r); PSI multiplies the log by "
                "(c - r), which makes it symmetric"
            )
        elif np.isclose(got_f, float(np.sum(rf * np.log(rf / cf))), rtol=1e-6):
            hint = (
                "that is the KL divergence sum r * log(r / c); PSI multiplies the log by "
                "(c - r), which makes it symmetric"
            )
        else:
            hint = (
                "use quantile bins of the REFERENCE (edges = np.quantile(reference, "
                "np.linspace(0, 1, bins + 1))[1:-1]) and np.searchsorted(edges, values, "
                "side='right') to put both samples in the same bins"
            )
        fail("8.2", call, "a different PSI", expected=expected, got=got_f, hint=hint)
    return passed("8.2", getattr(my_psi, "__name__", "my_psi"), len(cases))


# ------------------------------------------------------------------ 8.3 monitoring loop
class _FixedModel:
    """Predicts ``base + 0.1 * (user_id % 3)``; counts calls; must never be fitted."""

    def __init__(self) -> None:
        self.n_predict = 0

    def predict(self, df: pd.DataFrame) -> np.ndarray:
        self.n_predict += 1
        return 3.0 + 0.1 * (df["user_id"].to_numpy() % 3)

    def fit(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise CheckFailed(
            "Exercise 8.3 is not right yet: monitor(...) called model.fit().\n"
            "    hint: the monitored model is static: predict each day, never fit"
        )

    update = fit


class _RecordingDetector:
    """Records what it is fed; signals when the value exceeds ``level``."""

    def __init__(self, level: float) -> None:
        self.level = level
        self.seen: list[float] = []
        self.drift_detected = False

    def update(self, x: float) -> _RecordingDetector:
        self.seen.append(float(x))
        self.drift_detected = float(x) > self.level
        return self


def _toy_days(seed: int) -> list[pd.DataFrame]:
    rng = np.random.default_rng(seed)
    days = np.arange(10, 22)
    batches = []
    for d in days:
        n = int(rng.integers(5, 12))
        shift = 1.5 if d >= 16 else 0.0
        batches.append(
            pd.DataFrame(
                {
                    "user_id": rng.integers(1, 30, n),
                    "item_id": rng.integers(1, 9, n),
                    "rating": np.clip(np.round(3.0 + shift + rng.normal(0, 0.8, n)), 1, 5),
                    "day": np.full(n, d),
                }
            )
        )
    return batches


def check_8_3(monitor: Any) -> CheckResult:
    """Exercise 8.3: ``monitor(model, batches, detector) -> list of alarm days``."""
    require_callable("8.3", monitor, "monitor")
    cases = [(0, 1.0), (1, 0.9)]
    for seed, level in cases:
        batches = _toy_days(seed)
        model, detector = _FixedModel(), _RecordingDetector(level)
        call = f"monitor(model, <{len(batches)} daily batches, days 10-21>, detector)"
        got = _call("8.3", monitor, model, batches, detector)
        errs = [b["rating"].to_numpy() - model.predict(b) for b in batches]
        model.n_predict -= len(batches)
        mae = [float(np.mean(np.abs(e))) for e in errs]
        expected = [int(b["day"].iloc[0]) for b, m in zip(batches, mae, strict=True) if m > level]
        seen = detector.seen
        if len(seen) != len(batches):
            fail(
                "8.3",
                call,
                f"a detector fed {len(seen)} values for {len(batches)} days",
                hint="call detector.update(...) exactly once per batch, with that day's MAE",
            )
        if not np.allclose(seen, mae, atol=1e-9):
            rmse = [float(np.sqrt(np.mean(e**2))) for e in errs]
            signed = [float(np.mean(e)) for e in errs]
            if np.allclose(seen, rmse):
                hint = "you fed the RMSE; feed the mean ABSOLUTE error of the day"
            elif np.allclose(seen, signed) or np.allclose(seen, [-s for s in signed]):
                hint = (
                    "you fed the mean signed error, where over- and under-predictions cancel; "
                    "take np.abs before the mean"
                )
            else:
                hint = "feed np.mean(np.abs(batch['rating'] - model.predict(batch))) for each day"
            fail(
                "8.3",
                call,
                "a detector fed other values than the daily MAE",
                expected=np.array(mae[:4]),
                got=np.array(seen[:4]),
                hint=hint,
            )
        if model.n_predict < len(batches):
            fail(
                "8.3",
                call,
                f"{model.n_predict} calls of model.predict for {len(batches)} days",
                hint="predict every day's batch with the model",
            )
        if not isinstance(got, (list, tuple, np.ndarray)):
            fail("8.3", call, show_value(got), hint="return a list of the days with an alarm")
        got_list = [int(v) for v in got]
        if got_list != expected:
            positions = [i for i, m in enumerate(mae) if m > level]
            hint = (
                "these are batch positions; return the day of the batch, int(batch['day'].iloc[0])"
                if got_list == positions
                else "append the day when detector.drift_detected is True after the update"
            )
            fail("8.3", call, "other alarm days", expected=expected, got=got_list, hint=hint)
    return passed("8.3", getattr(monitor, "__name__", "monitor"), len(cases))
