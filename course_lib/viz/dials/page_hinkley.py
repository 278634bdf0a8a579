"""Chapter 08: Page-Hinkley's delta and lambda, false alarms against detection delay."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from course_lib.core.validation import argument_error
from course_lib.viz.dials.panel import Dial, axes_row, dial_panel

__all__ = [
    "page_hinkley_dial",
    "page_hinkley_trace",
    "page_hinkley_tradeoff",
    "plot_page_hinkley_tradeoff",
]


def page_hinkley_trace(
    stream: ArrayLike, *, delta: float, threshold: float, min_instances: int = 7, mode: str = "both"
) -> dict[str, np.ndarray]:
    """Page-Hinkley's statistic after each value of ``stream``, and the alarm steps.

    At an alarm the trace holds the value that crossed the threshold; the
    detector then resets, so the statistic restarts from 0.

    >>> r = page_hinkley_trace([0.0] * 10 + [2.0] * 5, delta=0.1, threshold=3, min_instances=5)
    >>> r["alarms"].tolist()
    [11]
    """
    from course_lib.continual import PageHinkley, statistic_trace

    detector = PageHinkley(delta=delta, threshold=threshold, min_instances=min_instances, mode=mode)
    stat, alarms = statistic_trace(detector, np.asarray(stream, dtype=float), return_alarms=True)
    return {"statistic": stat, "alarms": alarms}


def page_hinkley_tradeoff(
    stable_streams: Sequence,
    sudden_streams: Sequence,
    change_points: Sequence[Sequence[int]],
    *,
    delta: float,
    threshold: float,
    max_delay: int | None = None,
    min_instances: int = 7,
    mode: str = "both",
) -> dict[str, float]:
    """False alarms on streams without change and delay on streams with one, for one (δ, λ).

    Parameters
    ----------
    stable_streams : sequence of 1-D arrays
        Monitored values (e.g. a static model's daily MAE) of worlds where
        nothing changes: every alarm is false.
    sudden_streams : sequence of 1-D arrays
        Values of worlds with changes at ``change_points`` (one list per stream).
    delta, threshold, min_instances, mode
        Page-Hinkley's settings (``course_lib.continual.PageHinkley``).
    max_delay : int, optional
        An alarm later than this after a change does not detect it.

    Returns
    -------
    dict
        ``false_alarms_per_100`` (mean over the stable streams, per 100 steps),
        ``mean_delay`` (steps, over all detected changes; NaN if none) and
        ``missed`` (changes without an alarm). Chapter 08, section 5.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> calm = [rng.normal(1.0, 0.05, 90) for _ in range(3)]
    >>> jump = [np.r_[rng.normal(1.0, 0.05, 30), rng.normal(1.3, 0.05, 60)] for _ in range(3)]
    >>> r = page_hinkley_tradeoff(calm, jump, [[30]] * 3, delta=0.01, threshold=1.0)
    >>> r["false_alarms_per_100"], r["missed"], r["mean_delay"] < 6
    (0.0, 0, True)
    """
    from course_lib.continual import score_detections

    where = "page_hinkley_tradeoff"
    if len(sudden_streams) != len(change_points):
        raise argument_error(
            where,
            "change_points",
            change_points,
            "one list of change points "
            f"per sudden stream, got {len(sudden_streams)} streams and "
            f"{len(change_points)} lists",
        )
    if not stable_streams or not sudden_streams:
        raise argument_error(
            where,
            "stable_streams" if not stable_streams else "sudden_streams",
            [],
            "at least one stream",
            "pass one stable and one sudden stream",
        )
    settings: dict[str, Any] = {
        "delta": delta,
        "threshold": threshold,
        "min_instances": min_instances,
        "mode": mode,
    }
    false_alarms = []
    for stream in stable_streams:
        alarms = page_hinkley_trace(stream, **settings)["alarms"]
        false_alarms.append(score_detections(alarms, [], len(stream)).false_alarms_per_100)
    delays, missed = [], 0
    for stream, changes in zip(sudden_streams, change_points, strict=False):
        alarms = page_hinkley_trace(stream, **settings)["alarms"]
        s = score_detections(alarms, list(changes), len(stream), max_delay=max_delay)
        delays += s.delays
        missed += s.missed
    return {
        "delta": float(delta),
        "threshold": float(threshold),
        "false_alarms_per_100": float(np.mean(false_alarms)),
        "mean_delay": float(np.mean(delays)) if delays else math.nan,
        "missed": missed,
    }


def plot_page_hinkley_tradeoff(
    example_stream: ArrayLike,
    example_changes: Sequence[int],
    curve: Sequence[Mapping],
    point: Mapping,
    *,
    axes: Any = None,
) -> tuple[Any, Any]:
    """The statistic on one changing stream (left) and delay vs false alarms over λ (right)."""
    left, right = axes_row(axes, 2, (11, 3.8))
    trace = page_hinkley_trace(example_stream, delta=point["delta"], threshold=point["threshold"])
    left.plot(trace["statistic"], color="tab:blue", label="Page-Hinkley statistic")
    left.axhline(
        point["threshold"], color="tab:red", ls="--", label=f"λ = {point['threshold']:.3g}"
    )
    if trace["alarms"].size:
        left.plot(
            trace["alarms"],
            np.full(trace["alarms"].size, point["threshold"]),
            "v",
            color="tab:red",
            label="alarm",
        )
    for i, c in enumerate(example_changes):
        left.axvline(c, color="k", ls=":", label="change point" if i == 0 else None)
    left.set(
        xlabel="monitored day",
        ylabel="statistic (stars)",
        title=f"one 'sudden' world, δ = {point['delta']:.3g}",
    )
    left.legend(fontsize=8)
    xs = [c["mean_delay"] for c in curve]
    ys = [c["false_alarms_per_100"] for c in curve]
    right.plot(
        xs,
        ys,
        "o-",
        color="0.6",
        ms=3,
        label=f"λ from {curve[0]['threshold']:.3g} to {curve[-1]['threshold']:.3g}",
    )
    right.plot(
        point["mean_delay"],
        point["false_alarms_per_100"],
        "o",
        color="tab:red",
        ms=8,
        label="this λ",
    )
    right.set(
        xlabel="mean detection delay on 'sudden' worlds (days)",
        ylabel="false alarms per 100 days ('stable')",
        title=f"delay {point['mean_delay']:.1f} d, false alarms "
        f"{point['false_alarms_per_100']:.2f}/100 d, missed {point['missed']}",
    )
    right.legend(fontsize=8)
    return left, right


def page_hinkley_dial(
    stable_streams: Sequence,
    sudden_streams: Sequence,
    change_points: Sequence[Sequence[int]],
    *,
    delta: float = 0.01,
    threshold: float = 1.0,
    max_delay: int | None = None,
    show_static: bool = True,
) -> Any:
    """Sliders for δ and λ redrawing :func:`plot_page_hinkley_tradeoff`."""
    lambdas = np.geomspace(0.2, 5.0, 10)

    def draw(delta: float, threshold: float) -> None:
        run: dict[str, Any] = {"delta": delta, "max_delay": max_delay}
        curve = [
            page_hinkley_tradeoff(
                stable_streams, sudden_streams, change_points, threshold=lam, **run
            )
            for lam in lambdas
        ]
        point = page_hinkley_tradeoff(
            stable_streams, sudden_streams, change_points, threshold=threshold, **run
        )
        plot_page_hinkley_tradeoff(sudden_streams[0], change_points[0], curve, point)

    return dial_panel(
        draw,
        {
            "delta": Dial("δ (tolerated change)", delta, low=0.0, high=0.1, step=0.005),
            "threshold": Dial("λ (threshold)", threshold, low=0.2, high=5.0, log=True),
        },
        show_static=show_static,
    )
