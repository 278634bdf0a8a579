"""Self-checks for chapter 08 (drift detection): exercises 8.1-8.3.

NumPy and pandas only; the references are :class:`course_lib.continual.drift.PageHinkley`
and :func:`course_lib.continual.drift.psi`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from course_lib.checks._core import CheckFailed, describe, fail, passed, require_callable
from course_lib.checks._core import call_student as _call
from course_lib.continual.drift import PageHinkley, psi

__all__ = ["check_8_1", "check_8_2", "check_8_3"]


# ------------------------------------------------------------------ 8.1 Page-Hinkley
def _ph_streams():
    rng = np.random.default_rng(8)
    drop = np.r_[rng.normal(1.0, 0.2, 60), rng.normal(0.0, 0.2, 60)]           # a decrease
    calm = rng.normal(0.5, 0.3, 150)                                            # no change
    step = np.r_[rng.normal(0.0, 0.2, 60), rng.normal(1.0, 0.2, 60)]           # one increase
    two = np.r_[rng.normal(0.0, 0.2, 50), rng.normal(1.0, 0.2, 50), rng.normal(2.0, 0.2, 50)]
    early = np.r_[np.zeros(3), np.full(17, 2.0)]                                # jump at t=3
    small = np.r_[rng.normal(0.0, 0.5, 80), rng.normal(0.3, 0.5, 80)]          # small, noisy
    step_params = {"delta": 0.05, "threshold": 3.0, "min_instances": 10}
    return [("one step down at t=60", drop, step_params),
            ("no change", calm, {"delta": 0.1, "threshold": 2.0, "min_instances": 10}),
            ("one step up at t=60", step, step_params),
            ("steps up at t=50 and t=100", two, step_params),
            ("a jump at t=3", early, step_params),
            ("a small step up at t=80", small, step_params)]


def _ph_mean_before_x(stream, delta, threshold, min_instances):
    """Alarms of the common mistake: m uses the mean BEFORE x was added to it."""
    n, mean, m, m_min, alarms = 0, 0.0, 0.0, 0.0, []
    for t, x in enumerate(stream):
        n += 1
        m += x - mean - delta
        mean += (x - mean) / n
        m_min = min(m_min, m)
        if n >= min_instances and m - m_min > threshold:
            alarms.append(t)
            n, mean, m, m_min = 0, 0.0, 0.0, 0.0
    return alarms


def _alarms(detector, stream, exercise):
    alarms = []
    for t, x in enumerate(stream):
        out = _call(exercise, detector.update, float(x))
        if out is not detector:
            fail(exercise, f"{type(detector).__name__}.update(x)", describe(out),
                 hint="end update with `return self`, so that "
                      "`detector.update(x).drift_detected` works")
        if bool(detector.drift_detected):
            alarms.append(t)
    return alarms


def check_8_1(MyPageHinkley):
    """Exercise 8.1: ``MyPageHinkley.update(x)`` signals where the reference does."""
    require_callable("8.1", MyPageHinkley, "MyPageHinkley")
    cases = _ph_streams()
    for label, stream, params in cases:
        detector = _call("8.1", MyPageHinkley, **params)
        got = _alarms(detector, stream, "8.1")
        ref = PageHinkley(mode="up", **params)
        expected = [t for t, x in enumerate(stream) if ref.update(float(x)).drift_detected]
        if got == expected:
            continue
        call = f"MyPageHinkley({', '.join(f'{k}={v}' for k, v in params.items())}) on '{label}'"
        if got == _ph_mean_before_x(stream, **params):
            hint = ("m uses the mean from before x arrived: update the running mean first, "
                    "mean += (x - mean) / n, so that it includes x, and only then add "
                    "x - mean - delta to m")
        elif len(got) > 2 * max(len(expected), 1) + 3 and expected and got[0] == expected[0]:
            hint = ("after the first alarm it keeps firing: call self.reset() when drift is "
                    "detected, so the detector starts learning the new regime")
        elif label == "no change" and len(got) > len(expected):
            hint = ("alarms on a stream that never changes: subtract delta in the sum "
                    "m += x - mean - delta")
        elif label == "one step down at t=60" and len(got) > len(expected):
            hint = ("it fires when the mean goes down: the sum is x - mean - delta and the test "
                    "is m - min(m) > threshold (not max(m) - m)")
        elif not got and expected:
            hint = ("it never fires: update the running mean first (mean += (x - mean) / n), "
                    "then m, then its minimum, and test m - m_min > threshold once n >= "
                    "min_instances")
        elif got and expected and got[0] < expected[0]:
            hint = "it fires too early: respect min_instances and compare with > threshold"
        else:
            hint = ("follow the order: n += 1; mean += (x - mean) / n; m += x - mean - delta; "
                    "m_min = min(m_min, m); drift if n >= min_instances and m - m_min > threshold")
        fail("8.1", call, "alarms at different steps", expected=expected, got=got, hint=hint)
    return passed("8.1", "MyPageHinkley", len(cases))


# ------------------------------------------------------------------ 8.2 PSI
def _psi_cases():
    rng = np.random.default_rng(82)
    ref = rng.normal(40.0, 10.0, 2000)
    return [("same distribution", ref, rng.normal(40.0, 10.0, 1500), 10),
            ("shifted by 5", ref, rng.normal(45.0, 10.0, 1500), 10),
            ("wider", rng.exponential(2.0, 1000), rng.exponential(3.0, 800), 5),
            ("all above the reference", rng.uniform(0, 1, 500), rng.uniform(2, 3, 400), 4)]


def _psi_parts(reference, current, bins, eps=1e-4):
    edges = np.quantile(reference, np.linspace(0.0, 1.0, bins + 1))[1:-1]
    r = np.bincount(np.searchsorted(edges, reference, side="right"), minlength=bins) / reference.size
    c = np.bincount(np.searchsorted(edges, current, side="right"), minlength=bins) / current.size
    return r, c, np.maximum(r, eps), np.maximum(c, eps)


def check_8_2(my_psi):
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
            fail("8.2", call, describe(got), hint="return one float, the sum over the bins")
        if np.isclose(got_f, expected, rtol=1e-6, atol=1e-9):
            continue
        _r, _c, rf, cf = _psi_parts(ref, cur, bins)
        if not np.isfinite(got_f):
            hint = ("an empty bin gives log(0): floor both shares at eps, "
                    "np.maximum(share, eps), before taking the log")
        elif np.isclose(got_f, -expected, rtol=1e-6):
            hint = "the sign is flipped: use (c - r) * log(c / r), both in the same order"
        elif np.isclose(got_f, float(np.sum(cf * np.log(cf / rf))), rtol=1e-6):
            hint = ("that is the KL divergence sum c * log(c / r); PSI multiplies the log by "
                    "(c - r), which makes it symmetric")
        elif np.isclose(got_f, float(np.sum(rf * np.log(rf / cf))), rtol=1e-6):
            hint = ("that is the KL divergence sum r * log(r / c); PSI multiplies the log by "
                    "(c - r), which makes it symmetric")
        else:
            hint = ("use quantile bins of the REFERENCE (edges = np.quantile(reference, "
                    "np.linspace(0, 1, bins + 1))[1:-1]) and np.searchsorted(edges, values, "
                    "side='right') to put both samples in the same bins")
        fail("8.2", call, "a different PSI", expected=expected, got=got_f, hint=hint)
    return passed("8.2", getattr(my_psi, "__name__", "my_psi"), len(cases))


# ------------------------------------------------------------------ 8.3 monitoring loop
class _FixedModel:
    """Predicts ``base + 0.1 * (user_id % 3)``; counts calls; must never be fitted."""

    def __init__(self):
        self.n_predict = 0

    def predict(self, df):
        self.n_predict += 1
        return 3.0 + 0.1 * (df["user_id"].to_numpy() % 3)

    def fit(self, *args, **kwargs):
        raise CheckFailed("Exercise 8.3 is not right yet: monitor(...) called model.fit().\n"
                          "    hint: the monitored model is static: predict each day, never fit")

    update = fit


class _RecordingDetector:
    """Records what it is fed; signals when the value exceeds ``level``."""

    def __init__(self, level):
        self.level = level
        self.seen = []
        self.drift_detected = False

    def update(self, x):
        self.seen.append(float(x))
        self.drift_detected = float(x) > self.level
        return self


def _toy_days(seed):
    rng = np.random.default_rng(seed)
    days = np.arange(10, 22)
    batches = []
    for d in days:
        n = int(rng.integers(5, 12))
        shift = 1.5 if d >= 16 else 0.0
        batches.append(pd.DataFrame({
            "user_id": rng.integers(1, 30, n), "item_id": rng.integers(1, 9, n),
            "rating": np.clip(np.round(3.0 + shift + rng.normal(0, 0.8, n)), 1, 5),
            "day": np.full(n, d)}))
    return batches


def check_8_3(monitor):
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
        expected = [int(b["day"].iloc[0]) for b, m in zip(batches, mae) if m > level]
        seen = detector.seen
        if len(seen) != len(batches):
            fail("8.3", call, f"a detector fed {len(seen)} values for {len(batches)} days",
                 hint="call detector.update(...) exactly once per batch, with that day's MAE")
        if not np.allclose(seen, mae, atol=1e-9):
            rmse = [float(np.sqrt(np.mean(e ** 2))) for e in errs]
            signed = [float(np.mean(e)) for e in errs]
            if np.allclose(seen, rmse):
                hint = "you fed the RMSE; feed the mean ABSOLUTE error of the day"
            elif np.allclose(seen, signed) or np.allclose(seen, [-s for s in signed]):
                hint = ("you fed the mean signed error, where over- and under-predictions cancel; "
                        "take np.abs before the mean")
            else:
                hint = "feed np.mean(np.abs(batch['rating'] - model.predict(batch))) for each day"
            fail("8.3", call, "a detector fed other values than the daily MAE",
                 expected=np.array(mae[:4]), got=np.array(seen[:4]), hint=hint)
        if model.n_predict < len(batches):
            fail("8.3", call, f"{model.n_predict} calls of model.predict for {len(batches)} days",
                 hint="predict every day's batch with the model")
        if not isinstance(got, (list, tuple, np.ndarray)):
            fail("8.3", call, describe(got), hint="return a list of the days with an alarm")
        got_list = [int(v) for v in got]
        if got_list != expected:
            positions = [i for i, m in enumerate(mae) if m > level]
            hint = ("these are batch positions; return the day of the batch, "
                    "int(batch['day'].iloc[0])" if got_list == positions else
                    "append the day when detector.drift_detected is True after the update")
            fail("8.3", call, "other alarm days", expected=expected, got=got_list, hint=hint)
    return passed("8.3", getattr(monitor, "__name__", "monitor"), len(cases))
