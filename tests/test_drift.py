"""Tests of the drift detectors and their scoring (course_lib.continual: page_hinkley, ddm, adwin,
kswin, population_stability, scoring): detectors pinned on seeded streams with a known change."""

from __future__ import annotations

import math

import numpy as np
import pytest

from course_lib.continual import (
    ADWIN,
    DDM,
    KSWIN,
    PageHinkley,
    psi,
    run_detector,
    score_detections,
    statistic_trace,
)
from course_lib.continual.drift.detectors_base import BaseDetector
from course_lib.core.roles import DriftDetector

CHANGE = 1000


def mean_shift_stream(seed: int, shift: float = 1.0, sd: float = 1.0, n: int = 2000):
    rng = np.random.default_rng(seed)
    return np.r_[rng.normal(0.0, sd, CHANGE), rng.normal(shift, sd, n - CHANGE)]


def error_indicator_stream(seed: int, before: float = 0.2, after: float = 0.5):
    rng = np.random.default_rng(seed)
    return np.r_[rng.random(CHANGE) < before, rng.random(CHANGE) < after].astype(int)


# --- Page-Hinkley -----------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(5))
def test_page_hinkley_detects_mean_increase_soon_after_the_change(seed):
    alarms = run_detector(PageHinkley(delta=0.1, threshold=30), mean_shift_stream(seed))
    assert alarms, "the shift of one standard deviation must be detected"
    assert CHANGE <= alarms[0] < CHANGE + 60
    assert all(a >= CHANGE for a in alarms), "no false alarm before the change"


def test_page_hinkley_pinned_detection():
    alarms = run_detector(PageHinkley(delta=0.1, threshold=30), mean_shift_stream(0))
    assert alarms[0] == 1031


def test_page_hinkley_up_ignores_a_decrease_but_down_and_both_see_it():
    stream = mean_shift_stream(1, shift=-1.0)
    assert run_detector(PageHinkley(delta=0.1, threshold=30, mode="up"), stream) == []
    down = run_detector(PageHinkley(delta=0.1, threshold=30, mode="down"), stream)
    both = run_detector(PageHinkley(delta=0.1, threshold=30, mode="both"), stream)
    assert down and CHANGE <= down[0] < CHANGE + 60
    assert both[0] == down[0]


def test_page_hinkley_statistic_follows_the_definition():
    xs = [1.0, 3.0, 0.0, 4.0]
    ph = PageHinkley(delta=0.5, threshold=1e9, min_instances=1)
    total, low, mean = 0.0, 0.0, 0.0
    for n, x in enumerate(xs, start=1):
        ph.update(x)
        mean += (x - mean) / n
        total += x - mean - 0.5
        low = min(low, total)
        assert math.isclose(ph.statistic, total - low)


def test_page_hinkley_larger_threshold_detects_later():
    stream = mean_shift_stream(2)
    first = [run_detector(PageHinkley(delta=0.1, threshold=t), stream)[0] for t in (30, 40, 60)]
    assert first == sorted(first) and first[0] < first[-1]


def test_page_hinkley_resets_after_detection_and_signals_once_per_step():
    ph = PageHinkley(threshold=5, min_instances=5)
    flags = [ph.update(x).drift_detected for x in [0.0] * 20 + [3.0] * 3]
    assert flags.count(True) == 1 and ph.n == 1  # reset at detection, then one more value
    assert ph.update(3.0) is ph


def test_page_hinkley_min_instances_blocks_early_signals():
    assert run_detector(PageHinkley(threshold=1, min_instances=50), [0.0, 10.0] * 10) == []


# --- DDM --------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 2, 3])
def test_ddm_detects_a_rising_error_rate(seed):
    alarms = run_detector(DDM(), error_indicator_stream(seed))
    assert alarms and all(a >= CHANGE for a in alarms)
    assert alarms[0] < CHANGE + 500


def test_ddm_pinned_detection_and_warning_before_drift():
    ddm = DDM()
    warnings, alarms = [], []
    for t, x in enumerate(error_indicator_stream(0)):
        ddm.update(x)
        if ddm.warning_detected:
            warnings.append(t)
        if ddm.drift_detected:
            alarms.append(t)
    assert alarms == [1067]
    assert any(CHANGE <= w < 1067 for w in warnings), "DDM warns before it signals drift"


def test_ddm_silent_on_a_stationary_stream():
    rng = np.random.default_rng(7)
    assert run_detector(DDM(), (rng.random(3000) < 0.3).astype(int)) == []


def test_ddm_silent_on_a_perfect_stream():
    # p = s = 0: with a ">=" test and a reference taken at s = 0 this fired at 29, 59, 89
    assert run_detector(DDM(), np.zeros(100, dtype=int)) == []
    assert run_detector(DDM(), np.ones(100, dtype=int)) == []


def test_ddm_one_error_after_a_perfect_stretch_is_not_a_drift():
    stream = np.r_[np.zeros(100, dtype=int), 1, np.zeros(100, dtype=int)]
    assert run_detector(DDM(), stream) == []


def test_ddm_detects_errors_appearing_after_a_perfect_stretch():
    rng = np.random.default_rng(1)
    stream = np.r_[np.zeros(200, dtype=int), (rng.random(2000) < 0.3).astype(int)]
    alarms = run_detector(DDM(), stream)
    assert alarms and 200 <= alarms[0] < 300


def test_ddm_rejects_raw_errors():
    with pytest.raises(
        ValueError,
        match=r"DDM.update\(x=0.7\): x must be one of 0.0, 1.0; DDM reads 0/1 error indicators",
    ):
        DDM().update(0.7)


def test_ddm_accepts_booleans():
    assert DDM().update(True).n == 1


# --- ADWIN ------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(4))
def test_adwin_detects_the_change_and_drops_the_old_regime(seed):
    adwin = ADWIN()
    alarms = run_detector(adwin, mean_shift_stream(seed))
    assert alarms and CHANGE <= alarms[0] < CHANGE + 130
    assert all(a >= CHANGE for a in alarms)
    assert adwin.width <= 2000 - CHANGE  # the window holds the new regime only
    assert abs(adwin.mean - 1.0) < 0.2


def test_adwin_keeps_growing_on_a_stationary_stream():
    rng = np.random.default_rng(5)
    adwin = ADWIN()
    assert run_detector(adwin, rng.normal(0, 1, 1500)) == []
    assert adwin.width == 1500


def test_adwin_max_window_bounds_memory():
    adwin = ADWIN(max_window=100)
    run_detector(adwin, np.zeros(500))
    assert adwin.width == 100


def test_adwin_argument_errors():
    with pytest.raises(ValueError, match=r"ADWIN\(delta=1.5\).*< 1"):
        ADWIN(delta=1.5)
    with pytest.raises(ValueError, match=r"ADWIN\(clock=0\)"):
        ADWIN(clock=0)


# --- KSWIN ------------------------------------------------------------------------------------


def test_kswin_sees_a_change_of_spread_that_adwin_misses():
    rng = np.random.default_rng(3)
    stream = np.r_[rng.normal(0.0, 1.0, 500), rng.normal(0.0, 4.0, 500)]
    ks = run_detector(KSWIN(alpha=0.001, window_size=300, stat_size=100, seed=0), stream)
    assert ks and 500 <= ks[0] < 600
    assert run_detector(ADWIN(), stream) == []


def test_kswin_is_reproducible_with_a_seed():
    stream = mean_shift_stream(4, n=1500)
    a = run_detector(KSWIN(seed=1), stream)
    b = run_detector(KSWIN(seed=1), stream)
    assert a == b and a and a[0] >= CHANGE


def test_kswin_false_alarm_rate_with_the_defaults_on_a_stationary_stream():
    # alpha applies to every test, one per step: about 13 alarms per 10,000 steps
    counts = [
        len(run_detector(KSWIN(seed=s), np.random.default_rng(100 + s).normal(size=10_000)))
        for s in range(4)
    ]
    assert 8 < np.mean(counts) < 20


def test_ks_statistic_matches_brute_force():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=17), rng.normal(0.5, 1, size=23)
    grid = np.linspace(-5, 5, 20001)
    brute = max(abs(np.mean(a <= g) - np.mean(b <= g)) for g in np.r_[grid, a, b])
    assert math.isclose(KSWIN.ks_statistic(a, b), brute)


def test_kswin_argument_errors():
    with pytest.raises(ValueError, match=r"KSWIN\(window_size=50\).*at least 2 \* stat_size = 60"):
        KSWIN(window_size=50, stat_size=30)


# --- common protocol ----------------------------------------------------------------------------


@pytest.mark.parametrize("detector", [PageHinkley(), DDM(), ADWIN(), KSWIN()])
def test_update_returns_self_and_rejects_non_numbers(detector):
    assert detector.update(1).drift_detected is False
    with pytest.raises(ValueError, match=r"update\(x=.*\): x must be a finite number"):
        detector.update(np.array([1.0, 2.0]))
    with pytest.raises(ValueError, match="finite"):
        detector.update(float("nan"))


@pytest.mark.parametrize(
    "detector", [PageHinkley(threshold=7), DDM(drift_level=4), ADWIN(delta=0.01), KSWIN(alpha=0.01)]
)
def test_clone_has_same_parameters_and_no_state(detector):
    detector.update(0)
    twin = detector.clone()
    assert repr(twin) == repr(detector)
    assert twin is not detector


def test_page_hinkley_argument_errors():
    with pytest.raises(ValueError, match=r"PageHinkley\(threshold=0\).*> 0"):
        PageHinkley(threshold=0)
    with pytest.raises(ValueError, match=r"mode must be one of 'up', 'down', 'both'"):
        PageHinkley(mode="sideways")
    with pytest.raises(ValueError, match=r"PageHinkley\(alpha=2\).*alpha is a fading factor"):
        PageHinkley(alpha=2)
    with pytest.raises(TypeError, match=r"delta must be a number"):
        PageHinkley(delta="small")


@pytest.mark.parametrize("detector", [PageHinkley(), DDM(), ADWIN(), KSWIN()])
def test_every_detector_has_the_drift_detector_role(detector):
    assert isinstance(detector, BaseDetector) and isinstance(detector, DriftDetector)
    assert detector.update(0).reset() is None and detector.drift_detected is False


def test_ddm_drift_level_below_warning_level_is_refused():
    with pytest.raises(ValueError, match=r"DDM\(drift_level=1.0\).*>= warning_level=2"):
        DDM(drift_level=1.0)


def test_score_detections_argument_errors():
    with pytest.raises(ValueError, match=r"score_detections\(max_delay=-1\)"):
        score_detections([1], [0], n_steps=10, max_delay=-1)


def test_run_detector_wants_an_instance():
    with pytest.raises(
        TypeError, match=r"detector must be a detector object.*such as PageHinkley\(\)"
    ):
        run_detector(PageHinkley, [1.0])


# --- PSI --------------------------------------------------------------------------------------


def test_psi_is_zero_for_identical_samples_and_grows_with_the_shift():
    rng = np.random.default_rng(0)
    ref = rng.normal(0, 1, 4000)
    values = [psi(ref, ref)] + [psi(ref, rng.normal(s, 1, 4000)) for s in (0.1, 0.5, 1.0)]
    assert values[0] == pytest.approx(0.0, abs=1e-12)
    assert values == sorted(values)
    assert values[-1] > 0.25 > values[1]


def test_psi_matches_hand_computation_for_categories():
    # shares a: 1/2 -> 1/4, b: 1/4 -> 1/2, c: 1/4 -> 1/4
    expected = (0.25 - 0.5) * np.log(0.25 / 0.5) + (0.5 - 0.25) * np.log(0.5 / 0.25)
    assert psi(list("aabc"), list("abbc"), categorical=True) == pytest.approx(expected)


def test_psi_handles_a_category_absent_from_the_reference():
    value = psi(["a"] * 10, ["a"] * 5 + ["new"] * 5, categorical=True)
    assert np.isfinite(value) and value > 1


def test_psi_errors():
    with pytest.raises(ValueError, match=r"psi\(bins=1\)"):
        psi([1.0, 2.0], [1.0], bins=1)
    with pytest.raises(
        ValueError, match=r"psi\(current=array of shape \(0,\)\): current must be non-empty"
    ):
        psi([1.0, 2.0], [])
    with pytest.raises(ValueError, match="categorical=True"):
        psi(["a", "b"], ["a", "b"])


# --- scoring ----------------------------------------------------------------------------------


def test_score_detections_exact():
    s = score_detections(
        [5, 12, 14, 40, 75, 99], change_points=[10, 70, 90], n_steps=200, max_delay=20
    )
    assert s.delays == [2, 5, 9]
    assert (s.detected, s.missed, s.false_alarms) == (3, 0, 3)
    assert s.false_alarms_per_100 == pytest.approx(1.5)
    assert s.mean_delay == pytest.approx(16 / 3)
    assert set(s.as_dict()) >= {"detected", "missed", "false_alarms_per_100", "mean_delay"}


def test_score_detections_an_alarm_after_the_next_change_belongs_to_it():
    s = score_detections([75], change_points=[10, 70], n_steps=100)
    assert (s.detected, s.missed, s.delays) == (1, 1, [5])


def test_score_detections_nothing_detected_gives_nan_delay():
    s = score_detections([], change_points=[3], n_steps=10)
    assert s.missed == 1 and math.isnan(s.mean_delay)


def test_score_detections_errors():
    with pytest.raises(ValueError, match=r"change_points=150\).*\[0, n_steps=100\)"):
        score_detections([1], [150], n_steps=100)
    with pytest.raises(ValueError, match=r"n_steps=0"):
        score_detections([1], [0], n_steps=0)


def test_statistic_trace_keeps_the_value_that_crossed_the_threshold():
    values = [0.0] * 10 + [2.0] * 5
    trace, alarms = statistic_trace(
        PageHinkley(delta=0.1, threshold=3, min_instances=5), values, return_alarms=True
    )
    plain = PageHinkley(delta=0.1, threshold=1e9, min_instances=5)
    without_reset = [plain.update(x).statistic for x in values]
    assert alarms.tolist() == [11]
    assert trace[:12] == pytest.approx(without_reset[:12])  # identical up to the alarm
    assert trace[11] > 3 and trace[12] == 0.0  # then the detector restarts
