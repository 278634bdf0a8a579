"""Drift detectors written from their definitions, and how to score them.

Explained in chapter 08 (``notebooks/08_drift_detection.ipynb``).  NumPy only.

Every detector follows the same small protocol (the one river uses)::

    detector = PageHinkley(threshold=20)
    for t, x in enumerate(stream):
        if detector.update(x).drift_detected:   # update returns the detector
            print("drift at", t)

``drift_detected`` is true only on the step where a change is signalled; the
detector then forgets the old regime and starts learning the new one.

* :class:`PageHinkley` -- a cumulative sum of deviations from the running
  mean; signals when the mean of ``x`` has gone *up* (or down) by more than a
  threshold worth of evidence.  Feed it a per-day error.
* :class:`DDM` -- the Drift Detection Method of Gama et al. (2004) on a stream
  of 0/1 error indicators ("was this prediction wrong?").
* :class:`ADWIN` -- ADaptive WINdowing (Bifet & Gavalda, 2007): keeps the
  longest recent window whose two halves have statistically equal means.
* :class:`KSWIN` -- a Kolmogorov-Smirnov test between the newest values and a
  sample of older ones: detects a change of *distribution*, not only of mean.
* :func:`psi` -- the population stability index between a reference and a
  current sample of one feature (feature drift, no labels needed).
* :func:`run_detector` and :func:`score_detections` -- run a detector over a
  stream and compare its alarms with the known change points (delay, false
  alarms per 100 steps, missed changes).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass

import numpy as np

from course_lib.core.validation import check_int, check_number

__all__ = [
    "ADWIN",
    "DDM",
    "KSWIN",
    "DetectionScore",
    "DriftDetector",
    "PageHinkley",
    "psi",
    "run_detector",
    "score_detections",
    "statistic_trace",
]


class DriftDetector:
    """Base class: ``update(x) -> self``, ``drift_detected``, ``reset()``.

    Subclasses implement ``_update(x) -> bool`` (True when drift is signalled
    at this step) and ``reset()``.
    """

    def __init__(self) -> None:
        self._drift_detected = False
        self.n_detections = 0

    @property
    def drift_detected(self) -> bool:
        """True only on the step where the last ``update`` signalled a change."""
        return self._drift_detected

    def update(self, x) -> DriftDetector:
        """Feed one value; return the detector (so calls can be chained)."""
        if isinstance(x, (bool, np.bool_)):
            x = float(x)
        if not isinstance(x, (int, float, np.integer, np.floating)) or not math.isfinite(x):
            raise ValueError(f"{type(self).__name__}.update(x={x!r}): x must be one finite "
                             "number; feed the stream one value at a time.")
        self._drift_detected = bool(self._update(float(x)))
        if self._drift_detected:
            self.n_detections += 1
        return self

    def _update(self, x: float) -> bool:  # pragma: no cover - abstract
        raise NotImplementedError

    def reset(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def clone(self) -> DriftDetector:
        """A fresh detector with the same parameters (no learned state)."""
        return type(self)(**self._params())

    def _params(self) -> dict:  # pragma: no cover - abstract
        raise NotImplementedError

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._params().items())
        return f"{type(self).__name__}({args})"


class PageHinkley(DriftDetector):
    r"""Page-Hinkley test for a change in the mean of a stream.

    With :math:`\bar x_t` the running mean of the values seen so far, the test
    keeps the cumulative sum

    .. math::  m_t = \sum_{i \le t} (x_i - \bar x_i - \delta), \qquad M_t = \min_{i \le t} m_i

    and signals an *increase* of the mean when :math:`m_t - M_t > \lambda`
    (``threshold``).  ``delta`` is the size of change we tolerate (it makes the
    sum drift down while nothing happens); ``threshold`` trades detection delay
    for false alarms.  ``mode="down"`` watches for a decrease with the mirrored
    sum, ``"both"`` for either.  ``alpha < 1`` fades old deviations away.

    Note: the mean inside the sum is the *running* mean of the values seen so
    far.  Written with :math:`\bar x_T`, the mean of the whole series (as some
    texts print it), the statistic at step :math:`t` depends on values that have
    not arrived yet, so it is not an online test (its past values change as data
    arrives, and at the last step :math:`m_T = -T\delta` exactly).

    Parameters
    ----------
    delta : float
        Tolerated change of the mean (>= 0), in the units of ``x``.
    threshold : float
        :math:`\lambda`, the evidence needed to signal (> 0).
    min_instances : int
        No signal before this many values since the last reset.
    alpha : float
        Fading factor in (0, 1]; 1 means no fading.
    mode : {"up", "down", "both"}
        Which direction of change to detect.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> stream = np.r_[rng.normal(0.0, 0.5, 500), rng.normal(1.0, 0.5, 500)]
    >>> detector = PageHinkley(delta=0.05, threshold=20)
    >>> for t, x in enumerate(stream):
    ...     if detector.update(x).drift_detected:
    ...         print(f"drift at {t}")
    drift at 519
    """

    def __init__(self, delta: float = 0.005, threshold: float = 50.0, min_instances: int = 30,
                 alpha: float = 1.0, mode: str = "up") -> None:
        super().__init__()
        self.delta = check_number(delta, "delta", "PageHinkley", low=0)
        self.threshold = check_number(threshold, "threshold", "PageHinkley", low=0,
                                      low_inclusive=False)
        self.min_instances = check_int(min_instances, "min_instances", "PageHinkley", minimum=1)
        self.alpha = check_number(alpha, "alpha", "PageHinkley", low=0, low_inclusive=False)
        if self.alpha > 1:
            raise ValueError(f"PageHinkley(alpha={alpha!r}): alpha is a fading factor in (0, 1]; "
                             "use 1.0 for no fading or e.g. 0.999.")
        if mode not in ("up", "down", "both"):
            raise ValueError(f"PageHinkley(mode={mode!r}): mode must be 'up', 'down' or 'both'.")
        self.mode = mode
        self.reset()

    def _params(self) -> dict:
        return {"delta": self.delta, "threshold": self.threshold,
                "min_instances": self.min_instances, "alpha": self.alpha, "mode": self.mode}

    def reset(self) -> None:
        """Forget everything (called automatically after a detection)."""
        self.n = 0
        self.mean = 0.0
        self.sum_up = 0.0      # m_t for an increase
        self.min_up = 0.0
        self.sum_down = 0.0    # mirrored sum for a decrease
        self.max_down = 0.0

    @property
    def statistic(self) -> float:
        """The current test statistic (compared with ``threshold``)."""
        up = self.sum_up - self.min_up
        down = self.max_down - self.sum_down
        return {"up": up, "down": down, "both": max(up, down)}[self.mode]

    def _update(self, x: float) -> bool:
        self.n += 1
        self.mean += (x - self.mean) / self.n
        self.sum_up = self.alpha * self.sum_up + (x - self.mean - self.delta)
        self.sum_down = self.alpha * self.sum_down + (x - self.mean + self.delta)
        self.min_up = min(self.min_up, self.sum_up)
        self.max_down = max(self.max_down, self.sum_down)
        if self.n >= self.min_instances and self.statistic > self.threshold:
            self.alarm_statistic = self.statistic   # the value that crossed, before the reset
            self.reset()
            return True
        return False


def statistic_trace(detector: PageHinkley, values, *, return_alarms: bool = False):
    """Page-Hinkley's statistic after each value; at an alarm, the value that crossed.

    The detector resets after an alarm, so reading ``statistic`` then gives 0;
    a plot of the trace should show the value that was compared with the
    threshold (chapter 08's figure and dial).  With ``return_alarms=True`` the
    steps of the alarms come too.

    >>> trace, alarms = statistic_trace(PageHinkley(delta=0.1, threshold=3, min_instances=5),
    ...                                 [0.0] * 10 + [2.0] * 5, return_alarms=True)
    >>> alarms.tolist(), bool(trace[11] > 3), float(trace[12])
    ([11], True, 0.0)
    """
    trace, alarms = [], []
    for t, x in enumerate(values):
        if detector.update(float(x)).drift_detected:
            alarms.append(t)
            trace.append(detector.alarm_statistic)
        else:
            trace.append(detector.statistic)
    trace = np.array(trace)
    return (trace, np.array(alarms, dtype=int)) if return_alarms else trace


class DDM(DriftDetector):
    r"""Drift Detection Method (Gama, Medas, Castillo & Rodrigues, 2004).

    The input is a stream of error indicators :math:`x_i \in \{0, 1\}` (1 when
    the model's prediction was wrong, e.g. ``abs(error) > 1`` star).  After
    :math:`n` values the error rate is :math:`p_n` with standard deviation
    :math:`s_n = \sqrt{p_n (1 - p_n) / n}`.  DDM remembers the point where
    :math:`p + s` was lowest (:math:`p_{min}, s_{min}`) and

    * raises a *warning* when :math:`p_n + s_n > p_{min} + 2 s_{min}`;
    * signals *drift* when :math:`p_n + s_n > p_{min} + 3 s_{min}`, then resets.

    (The drift test compares :math:`p_n + s_n` with :math:`p_{min} + 3 s_{min}`,
    which is :math:`2 s_{min}` above the lowest :math:`p + s`, not three
    standard deviations above it.)  It assumes the error rate of a model that
    is still right for the data stays flat or falls; a rising rate means the
    world changed.

    The reference point is only taken once :math:`s_n > 0`, i.e. once the
    stream has shown at least one error and one non-error.  While every value
    so far is 0 (a perfect stretch), :math:`s_n = 0` says nothing about the
    noise, and a reference with :math:`s_{min} = 0` would make the test
    ``p + s > p_min`` fire on the first error, or, with ``>=``, on a perfect
    stream itself.  (river and MOA take that reference and fire on the first
    error after an error-free start.)

    Parameters
    ----------
    warning_level, drift_level : float
        Multiples of :math:`s_{min}` (2 and 3 in the paper).
    min_instances : int
        Values needed before the test may fire (30 in the paper).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> errors = np.r_[rng.random(1000) < 0.2, rng.random(1000) < 0.5].astype(int)
    >>> detector = DDM()
    >>> for t, x in enumerate(errors):
    ...     if detector.update(x).drift_detected:
    ...         print(f"drift at {t}")
    drift at 1067
    """

    def __init__(self, warning_level: float = 2.0, drift_level: float = 3.0,
                 min_instances: int = 30) -> None:
        super().__init__()
        self.warning_level = check_number(warning_level, "warning_level", "DDM", low=0,
                                          low_inclusive=False)
        self.drift_level = check_number(drift_level, "drift_level", "DDM", low=0,
                                        low_inclusive=False)
        if self.drift_level < self.warning_level:
            raise ValueError(f"DDM(drift_level={drift_level!r}, warning_level={warning_level!r}): "
                             "drift_level must be >= warning_level (the paper uses 3 and 2).")
        self.min_instances = check_int(min_instances, "min_instances", "DDM", minimum=1)
        self.reset()

    def _params(self) -> dict:
        return {"warning_level": self.warning_level, "drift_level": self.drift_level,
                "min_instances": self.min_instances}

    def reset(self) -> None:
        """Forget everything (called automatically after a detection)."""
        self.n = 0
        self.p = 0.0
        self.p_min = math.inf
        self.s_min = math.inf
        self.warning_detected = False

    def _update(self, x: float) -> bool:
        if x not in (0.0, 1.0):
            raise ValueError(f"DDM.update(x={x!r}): DDM reads 0/1 error indicators; pass e.g. "
                             "int(abs(y_true - y_pred) > 1.0) instead of a raw error.")
        self.n += 1
        self.p += (x - self.p) / self.n
        s = math.sqrt(self.p * (1.0 - self.p) / self.n)
        self.warning_detected = False
        if self.n < self.min_instances:
            return False
        if s > 0.0 and self.p + s <= self.p_min + self.s_min:
            self.p_min, self.s_min = self.p, s   # no reference from an all-0 (or all-1) stretch
        if self.p + s > self.p_min + self.drift_level * self.s_min:
            self.reset()
            return True
        self.warning_detected = self.p + s > self.p_min + self.warning_level * self.s_min
        return False


class ADWIN(DriftDetector):
    r"""ADaptive WINdowing (Bifet & Gavalda, 2007), exact version with a bounded window.

    ADWIN keeps a window :math:`W` of recent values.  Every ``clock`` steps it
    tries every split :math:`W = W_0 W_1` (old part, recent part) with at least
    ``min_window`` values on each side and drops :math:`W_0` when the means
    differ by more than

    .. math::  \varepsilon_{cut} = \sqrt{\tfrac{2}{m}\,\sigma_W^2 \ln\tfrac{2}{\delta'}}
               + \tfrac{2}{3m} \ln\tfrac{2}{\delta'}, \qquad
               m = \frac{1}{1/n_0 + 1/n_1}, \quad \delta' = \frac{\delta}{\ln n}

    (a Bernstein bound; :math:`\sigma_W^2` is the variance of the whole
    window).  A cut is a drift signal and the window then describes only the
    new regime.  The paper stores the window in an exponential histogram
    (O(log W) memory); for teaching we keep the values themselves, at most
    ``max_window`` of them, and test every split with cumulative sums.

    Parameters
    ----------
    delta : float
        Confidence in (0, 1): smaller means fewer false alarms, later detection.
    clock : int
        Check for a cut every ``clock`` updates.
    min_window : int
        Minimum size of each side of a split.
    max_window : int
        Oldest values are dropped beyond this size (bounded memory and time).

    Examples
    --------
    >>> rng = np.random.default_rng(2)
    >>> stream = np.r_[rng.normal(0.0, 1.0, 1000), rng.normal(1.0, 1.0, 1000)]
    >>> detector = ADWIN(delta=0.002)
    >>> for t, x in enumerate(stream):
    ...     if detector.update(x).drift_detected:
    ...         print(f"drift at {t}, window now {detector.width}")
    drift at 1055, window now 22
    """

    def __init__(self, delta: float = 0.002, clock: int = 32, min_window: int = 5,
                 max_window: int = 5000) -> None:
        super().__init__()
        self.delta = check_number(delta, "delta", "ADWIN", low=0, high=1, low_inclusive=False,
                                  high_inclusive=False)
        self.clock = check_int(clock, "clock", "ADWIN", minimum=1)
        self.min_window = check_int(min_window, "min_window", "ADWIN", minimum=1)
        self.max_window = check_int(max_window, "max_window", "ADWIN", minimum=2 * self.min_window)
        self.reset()

    def _params(self) -> dict:
        return {"delta": self.delta, "clock": self.clock, "min_window": self.min_window,
                "max_window": self.max_window}

    def reset(self) -> None:
        """Empty the window."""
        self.window: deque[float] = deque(maxlen=self.max_window)
        self._ticks = 0

    @property
    def width(self) -> int:
        """Number of values in the window."""
        return len(self.window)

    @property
    def mean(self) -> float:
        """Mean of the window (nan when empty)."""
        return float(np.mean(self.window)) if self.window else math.nan

    def _find_cut(self) -> int | None:
        """Index of the first split whose halves differ significantly, or None."""
        values = np.fromiter(self.window, dtype=float)
        n = values.size
        if n < 2 * self.min_window:
            return None
        n0 = np.arange(self.min_window, n - self.min_window + 1)
        csum = np.cumsum(values)
        mean0 = csum[n0 - 1] / n0
        mean1 = (csum[-1] - csum[n0 - 1]) / (n - n0)
        m = 1.0 / (1.0 / n0 + 1.0 / (n - n0))
        log_term = math.log(2.0 * math.log(n) / self.delta)
        variance = float(values.var())
        eps = np.sqrt(2.0 / m * variance * log_term) + 2.0 / (3.0 * m) * log_term
        cuts = np.flatnonzero(np.abs(mean0 - mean1) > eps)
        return int(n0[cuts[-1]]) if cuts.size else None

    def _update(self, x: float) -> bool:
        self.window.append(x)
        self._ticks += 1
        if self._ticks % self.clock:
            return False
        detected = False
        while (cut := self._find_cut()) is not None:
            for _ in range(cut):   # drop the old part W_0
                self.window.popleft()
            detected = True
        return detected


class KSWIN(DriftDetector):
    r"""Kolmogorov-Smirnov WINdowing (Raab, Heusinger & Schleif, 2020).

    Keeps the last ``window_size`` values.  When the window is full it
    compares the newest ``stat_size`` values with ``stat_size`` values drawn
    at random from the older part, using the two-sample KS statistic
    :math:`D = \max_x |F_{old}(x) - F_{new}(x)|`, and signals drift when
    :math:`D > c(\alpha)\sqrt{2 / r}` with :math:`c(\alpha) = \sqrt{-\ln(\alpha/2)/2}`
    (the asymptotic critical value; :math:`r` = ``stat_size``).  After a
    detection only the newest ``stat_size`` values are kept.  Because it
    compares whole distributions, KSWIN also notices a change of spread or
    shape with an unchanged mean.

    ``alpha`` is the false-alarm probability of *one* test, and once the window
    is full KSWIN tests at every step: on a long stationary stream the false
    alarms add up (with the defaults, about 13 per 10,000 steps of Gaussian
    noise; chapter 08 measures it).  Choose ``alpha`` for the length of the
    stream you will monitor, not for a single test.

    Parameters
    ----------
    alpha : float
        Significance level of each test in (0, 1).
    window_size, stat_size : int
        Window length and size of the two compared samples
        (``window_size >= 2 * stat_size``).
    seed : int or np.random.Generator
        For the random sample of old values.

    Examples
    --------
    >>> rng = np.random.default_rng(3)
    >>> stream = np.r_[rng.normal(0.0, 1.0, 500), rng.normal(0.0, 4.0, 500)]  # spread changes
    >>> run_detector(KSWIN(alpha=0.001, window_size=300, stat_size=100, seed=0), stream)
    [580]
    >>> run_detector(ADWIN(), stream)          # same mean: a mean-based detector sees nothing
    []
    """

    def __init__(self, alpha: float = 0.005, window_size: int = 100, stat_size: int = 30,
                 seed: int | np.random.Generator = 0) -> None:
        super().__init__()
        self.alpha = check_number(alpha, "alpha", "KSWIN", low=0, high=1, low_inclusive=False,
                                  high_inclusive=False)
        self.window_size = check_int(window_size, "window_size", "KSWIN", minimum=2)
        self.stat_size = check_int(stat_size, "stat_size", "KSWIN", minimum=1)
        if self.window_size < 2 * self.stat_size:
            raise ValueError(f"KSWIN(window_size={window_size}, stat_size={stat_size}): "
                             "window_size must be at least 2 * stat_size.")
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        self.critical = math.sqrt(-0.5 * math.log(self.alpha / 2.0)) * math.sqrt(
            2.0 / self.stat_size)
        self.reset()

    def _params(self) -> dict:
        return {"alpha": self.alpha, "window_size": self.window_size,
                "stat_size": self.stat_size, "seed": self.seed}

    def reset(self) -> None:
        """Empty the window (the random generator keeps its state)."""
        self.window: deque[float] = deque(maxlen=self.window_size)
        self.statistic = 0.0

    @staticmethod
    def ks_statistic(a: np.ndarray, b: np.ndarray) -> float:
        """Two-sample Kolmogorov-Smirnov statistic ``max |F_a - F_b|``.

        >>> KSWIN.ks_statistic(np.array([0.0, 1.0]), np.array([2.0, 3.0]))
        1.0
        """
        grid = np.concatenate([a, b])
        cdf_a = np.searchsorted(np.sort(a), grid, side="right") / a.size
        cdf_b = np.searchsorted(np.sort(b), grid, side="right") / b.size
        return float(np.max(np.abs(cdf_a - cdf_b)))

    def _update(self, x: float) -> bool:
        self.window.append(x)
        if len(self.window) < self.window_size:
            return False
        values = np.fromiter(self.window, dtype=float)
        recent = values[-self.stat_size:]
        old = self.rng.choice(values[:-self.stat_size], size=self.stat_size, replace=False)
        self.statistic = self.ks_statistic(old, recent)
        if self.statistic > self.critical:
            self.window = deque(recent.tolist(), maxlen=self.window_size)
            return True
        return False


def psi(reference, current, bins: int = 10, *, categorical: bool = False,
        eps: float = 1e-4) -> float:
    r"""Population stability index of one feature: reference sample vs current sample.

    .. math::  \mathrm{PSI} = \sum_b (c_b - r_b)\,\ln\frac{c_b}{r_b}

    where :math:`r_b, c_b` are the shares of the reference and current samples
    in bin :math:`b`.  Numeric features use ``bins`` quantile bins of the
    reference (so each reference bin holds about the same share); categorical
    features use one bin per category.  Shares are floored at ``eps`` so an
    empty bin does not give ``log(0)``.  A common rule of thumb: < 0.1 stable,
    0.1-0.25 moderate shift, > 0.25 large shift (a convention, not a test).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> before = rng.normal(40, 10, 5000)          # shoppers' ages last month
    >>> print(round(psi(before, rng.normal(40, 10, 5000)), 3))
    0.005
    >>> print(round(psi(before, rng.normal(30, 10, 5000)), 3))
    0.922
    >>> print(round(psi(["a", "a", "b", "c"], ["a", "b", "b", "c"], categorical=True), 3))
    0.347
    """
    bins = check_int(bins, "bins", "psi", minimum=2, fix="e.g. bins=10")
    eps = check_number(eps, "eps", "psi", low=0, low_inclusive=False)
    ref = np.asarray(reference)
    cur = np.asarray(current)
    for name, arr in (("reference", ref), ("current", cur)):
        if arr.ndim != 1 or arr.size == 0:
            raise ValueError(f"psi({name}=<shape {arr.shape}>): {name} must be a non-empty 1-D "
                             "sample of one feature; pass one column, e.g. df['age'].")
    if categorical:
        categories = np.unique(np.concatenate([ref.astype(str), cur.astype(str)]))
        r = np.array([np.mean(ref.astype(str) == c) for c in categories])
        c = np.array([np.mean(cur.astype(str) == c) for c in categories])
    else:
        try:
            ref = ref.astype(float)
            cur = cur.astype(float)
        except ValueError:
            raise ValueError("psi(reference, current): the values are not numeric; pass "
                             "categorical=True for a categorical feature.") from None
        edges = np.unique(np.quantile(ref, np.linspace(0.0, 1.0, bins + 1))[1:-1])
        r = np.bincount(np.searchsorted(edges, ref, side="right"),
                        minlength=edges.size + 1) / ref.size
        c = np.bincount(np.searchsorted(edges, cur, side="right"),
                        minlength=edges.size + 1) / cur.size
    r = np.maximum(r, eps)
    c = np.maximum(c, eps)
    return float(np.sum((c - r) * np.log(c / r)))


def run_detector(detector: DriftDetector, stream: Iterable[float]) -> list[int]:
    """Feed a whole stream to ``detector``; return the indices where it signalled.

    >>> run_detector(PageHinkley(threshold=5, min_instances=5), [0.0] * 20 + [3.0] * 10)
    [21]
    """
    if not isinstance(detector, DriftDetector):
        raise TypeError(f"run_detector(detector={detector!r}): pass a detector object such as "
                        "PageHinkley(), not a class or a function.")
    return [t for t, x in enumerate(stream) if detector.update(x).drift_detected]


@dataclass
class DetectionScore:
    """How well alarms matched the known change points (see :func:`score_detections`)."""

    n_changes: int
    detected: int
    missed: int
    false_alarms: int
    false_alarms_per_100: float
    mean_delay: float
    delays: list

    def as_dict(self) -> dict:
        """The fields as a dict (for a DataFrame row)."""
        return asdict(self)


def score_detections(detections: Sequence[int], change_points: Sequence[int], n_steps: int,
                     max_delay: int | None = None) -> DetectionScore:
    """Match alarms to known change points.

    The first alarm at or after a change point, before the next change point
    and within ``max_delay`` steps, *detects* it (``delay = alarm - change``);
    every other alarm is a *false alarm*; a change without a matching alarm is
    *missed*.  False alarms are reported per 100 steps (per 100 days for a
    daily stream) so streams of different lengths compare.

    Examples
    --------
    >>> s = score_detections([12, 40, 75], change_points=[10, 70], n_steps=100, max_delay=20)
    >>> s.detected, s.missed, s.false_alarms, s.mean_delay
    (2, 0, 1, 3.5)
    >>> score_detections([95], [10, 70], 100, max_delay=20).missed
    2
    """
    if isinstance(n_steps, bool) or not isinstance(n_steps, (int, np.integer)) or n_steps < 1:
        raise ValueError(f"score_detections(n_steps={n_steps!r}): n_steps is the length of the "
                         "stream, a positive int.")
    if max_delay is not None and (not isinstance(max_delay, (int, np.integer)) or max_delay < 0):
        raise ValueError(f"score_detections(max_delay={max_delay!r}): use None or an int >= 0.")
    alarms = sorted(int(a) for a in detections)
    changes = sorted(int(c) for c in change_points)
    if any(not 0 <= c < n_steps for c in changes):
        raise ValueError(f"score_detections(change_points={changes}): every change point must be "
                         f"a step index in [0, n_steps={n_steps}).")
    used = set()
    delays = []
    for i, change in enumerate(changes):
        end = changes[i + 1] if i + 1 < len(changes) else n_steps
        if max_delay is not None:
            end = min(end, change + max_delay + 1)
        match = next((a for a in alarms if change <= a < end and a not in used), None)
        if match is not None:
            used.add(match)
            delays.append(match - change)
    false_alarms = len(alarms) - len(used)
    return DetectionScore(
        n_changes=len(changes), detected=len(delays), missed=len(changes) - len(delays),
        false_alarms=false_alarms, false_alarms_per_100=100.0 * false_alarms / n_steps,
        mean_delay=float(np.mean(delays)) if delays else math.nan, delays=delays)
