"""Each chapter-08 check passes the solution and fails plausible mistakes."""

from __future__ import annotations

import numpy as np
import pytest

from course_lib.checks import CheckFailed, _core
from course_lib.checks.ch08 import check_8_1, check_8_2, check_8_3


# ---------------------------------------------------------------- 8.1 one-sided CUSUM
class MyCUSUM:
    def __init__(self, delta=0.005, threshold=50.0, min_instances=30):
        self.delta, self.threshold, self.min_instances = delta, threshold, min_instances
        self.drift_detected = False
        self.reset()

    def reset(self):
        self.n, self.reference, self.s = 0, 0.0, 0.0

    def update(self, x):
        self.n += 1
        if self.n <= self.min_instances:
            self.reference += (x - self.reference) / self.n
            self.drift_detected = False
            return self
        self.s = max(0.0, self.s + x - self.reference - self.delta)
        self.drift_detected = self.s > self.threshold
        if self.drift_detected:
            self.reset()
        return self


class MinTracking(MyCUSUM):
    """Page-Hinkley's form m - min(m) with the frozen reference: the same alarms (correct)."""

    def reset(self):
        super().reset()
        self.m, self.m_min = 0.0, 0.0

    def update(self, x):
        self.n += 1
        if self.n <= self.min_instances:
            self.reference += (x - self.reference) / self.n
            self.drift_detected = False
            return self
        self.m += x - self.reference - self.delta
        self.m_min = min(self.m_min, self.m)
        self.drift_detected = self.m - self.m_min > self.threshold
        if self.drift_detected:
            self.reset()
        return self


class RunningMean(MyCUSUM):
    """Keeps updating the reference after the warm-up: the lesson's Page-Hinkley."""

    def update(self, x):
        self.n += 1
        self.reference += (x - self.reference) / self.n
        if self.n <= self.min_instances:
            self.drift_detected = False
            return self
        self.s = max(0.0, self.s + x - self.reference - self.delta)
        self.drift_detected = self.s > self.threshold
        if self.drift_detected:
            self.reset()
        return self


class NoClamp(MyCUSUM):
    def update(self, x):
        self.n += 1
        if self.n <= self.min_instances:
            self.reference += (x - self.reference) / self.n
            self.drift_detected = False
            return self
        self.s = self.s + x - self.reference - self.delta
        self.drift_detected = self.s > self.threshold
        if self.drift_detected:
            self.reset()
        return self


class NoReset(MyCUSUM):
    def reset(self):
        if not hasattr(self, "n"):
            super().reset()


class NoDelta(MyCUSUM):
    def update(self, x):
        self.delta = 0.0
        return super().update(x)


class TwoSided(MyCUSUM):
    """Adds |x - reference| - delta: fires on a decrease too."""

    def update(self, x):
        self.n += 1
        if self.n <= self.min_instances:
            self.reference += (x - self.reference) / self.n
            self.drift_detected = False
            return self
        self.s = max(0.0, self.s + abs(x - self.reference) - self.delta)
        self.drift_detected = self.s > self.threshold
        if self.drift_detected:
            self.reset()
        return self


class ShortWarmUp(MyCUSUM):
    def update(self, x):
        self.n += 1
        if self.n < self.min_instances:
            self.reference += (x - self.reference) / self.n
            self.drift_detected = False
            return self
        self.s = max(0.0, self.s + x - self.reference - self.delta)
        self.drift_detected = self.s > self.threshold
        if self.drift_detected:
            self.reset()
        return self


class StickyFlag(MyCUSUM):
    """Returns early in the warm-up without clearing the flag of the last alarm."""

    def update(self, x):
        self.n += 1
        if self.n <= self.min_instances:
            self.reference += (x - self.reference) / self.n
            return self
        self.s = max(0.0, self.s + x - self.reference - self.delta)
        self.drift_detected = self.s > self.threshold
        if self.drift_detected:
            self.reset()
        return self


class NoReturn(MyCUSUM):
    def update(self, x):
        super().update(x)


class Stub(MyCUSUM):
    def update(self, x):
        raise NotImplementedError("Exercise 8.1: complete MyCUSUM.update")


@pytest.mark.parametrize("right", [MyCUSUM, MinTracking])
def test_8_1(right, capsys):
    assert check_8_1(right)
    assert "Exercise 8.1 passed" in capsys.readouterr().out


@pytest.mark.parametrize(
    "wrong, match",
    [
        (RunningMean, "reference keeps moving after the warm-up"),
        (NoClamp, r"s = max\(0"),
        (NoReset, "self.reset"),
        (NoDelta, "subtract delta"),
        (TwoSided, "one-sided"),
        (ShortWarmUp, "one value short"),
        (NoReturn, "return self"),
        (StickyFlag, "clear the flag"),
    ],
)
def test_8_1_mutants(wrong, match):
    with pytest.raises(CheckFailed, match=match):
        check_8_1(wrong)


def test_8_1_stub_prints_not_started(capsys, monkeypatch):
    assert not check_8_1(Stub)
    assert "Exercise 8.1 not started yet" in capsys.readouterr().out
    monkeypatch.setattr(_core, "GRADING", True)  # the grader sees it as not attempted
    with pytest.raises(NotImplementedError, match="Exercise 8.1"):
        check_8_1(Stub)


# ---------------------------------------------------------------- 8.2 PSI
def _shares(reference, current, bins, eps):
    edges = np.quantile(reference, np.linspace(0.0, 1.0, bins + 1))[1:-1]
    r = np.bincount(np.searchsorted(edges, reference, side="right"), minlength=bins) / len(
        reference
    )
    c = np.bincount(np.searchsorted(edges, current, side="right"), minlength=bins) / len(current)
    return r, c


def my_psi(reference, current, bins=10, eps=1e-4):
    r, c = _shares(reference, current, bins, eps)
    r, c = np.maximum(r, eps), np.maximum(c, eps)
    return float(np.sum((c - r) * np.log(c / r)))


def kl_psi(reference, current, bins=10, eps=1e-4):
    r, c = _shares(reference, current, bins, eps)
    r, c = np.maximum(r, eps), np.maximum(c, eps)
    return float(np.sum(c * np.log(c / r)))


def flipped_psi(reference, current, bins=10, eps=1e-4):
    r, c = _shares(reference, current, bins, eps)
    r, c = np.maximum(r, eps), np.maximum(c, eps)
    return float(np.sum((c - r) * np.log(r / c)))


def no_eps_psi(reference, current, bins=10, eps=1e-4):
    r, c = _shares(reference, current, bins, eps)
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(np.sum((c - r) * np.log(c / r)))


def uniform_bins_psi(reference, current, bins=10, eps=1e-4):
    edges = np.linspace(reference.min(), reference.max(), bins + 1)[1:-1]
    r = np.bincount(np.searchsorted(edges, reference, side="right"), minlength=bins) / len(
        reference
    )
    c = np.bincount(np.searchsorted(edges, current, side="right"), minlength=bins) / len(current)
    r, c = np.maximum(r, eps), np.maximum(c, eps)
    return float(np.sum((c - r) * np.log(c / r)))


def test_8_2(capsys):
    assert check_8_2(my_psi)
    assert "Exercise 8.2 passed" in capsys.readouterr().out


@pytest.mark.parametrize(
    "wrong, match",
    [
        (kl_psi, "KL divergence"),
        (flipped_psi, "sign is flipped"),
        (no_eps_psi, "floor both"),
        (uniform_bins_psi, "quantile bins"),
        (lambda r, c, bins=10, eps=1e-4: None, "one float"),
    ],
)
def test_8_2_mutants(wrong, match):
    with pytest.raises(CheckFailed, match=match):
        check_8_2(wrong)


def test_8_2_stub_prints_not_started(capsys, monkeypatch):
    def stub(reference, current, bins=10, eps=1e-4):
        raise NotImplementedError("Exercise 8.2: compute the PSI")

    assert not check_8_2(stub)
    assert "Exercise 8.2 not started yet" in capsys.readouterr().out
    monkeypatch.setattr(_core, "GRADING", True)
    with pytest.raises(NotImplementedError, match="Exercise 8.2"):
        check_8_2(stub)


# ---------------------------------------------------------------- 8.3 monitoring loop
def monitor(model, batches, detector):
    alarms = []
    for batch in batches:
        y_pred = model.predict(batch)
        daily_mae = float(np.mean(np.abs(batch["rating"].to_numpy() - y_pred)))
        if detector.update(daily_mae).drift_detected:
            alarms.append(int(batch["day"].iloc[0]))
    return alarms


def rmse_monitor(model, batches, detector):
    alarms = []
    for batch in batches:
        err = batch["rating"].to_numpy() - model.predict(batch)
        if detector.update(float(np.sqrt(np.mean(err**2)))).drift_detected:
            alarms.append(int(batch["day"].iloc[0]))
    return alarms


def signed_monitor(model, batches, detector):
    alarms = []
    for batch in batches:
        err = batch["rating"].to_numpy() - model.predict(batch)
        if detector.update(float(np.mean(err))).drift_detected:
            alarms.append(int(batch["day"].iloc[0]))
    return alarms


def position_monitor(model, batches, detector):
    alarms = []
    for i, batch in enumerate(batches):
        err = batch["rating"].to_numpy() - model.predict(batch)
        if detector.update(float(np.mean(np.abs(err)))).drift_detected:
            alarms.append(i)
    return alarms


def fitting_monitor(model, batches, detector):
    alarms = monitor(model, batches, detector)
    model.fit(batches[-1])
    return alarms


def test_8_3(capsys):
    assert check_8_3(monitor)
    assert "Exercise 8.3 passed" in capsys.readouterr().out


@pytest.mark.parametrize(
    "wrong, match",
    [
        (rmse_monitor, "RMSE"),
        (signed_monitor, "signed error"),
        (position_monitor, "batch positions"),
        (fitting_monitor, "never fit"),
        (lambda m, b, d: monitor(m, b[:-1], d), "exactly once per batch"),
    ],
)
def test_8_3_mutants(wrong, match):
    with pytest.raises(CheckFailed, match=match):
        check_8_3(wrong)


def test_8_3_stub_prints_not_started(capsys, monkeypatch):
    def stub(model, batches, detector):
        raise NotImplementedError("Exercise 8.3: write the monitoring loop")

    assert not check_8_3(stub)
    assert "Exercise 8.3 not started yet" in capsys.readouterr().out
    monkeypatch.setattr(_core, "GRADING", True)
    with pytest.raises(NotImplementedError, match="Exercise 8.3"):
        check_8_3(stub)
