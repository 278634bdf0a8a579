"""Chapter 07: the decision threshold of a purchase model, precision against recall and value."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from course_lib.core.validation import argument_error, check_number
from course_lib.viz.dials.panel import Dial, axes_row, dial_panel

__all__ = ["plot_threshold_tradeoff", "threshold_dial", "threshold_sweep", "threshold_tradeoff"]


def _threshold_inputs(
    y_true: ArrayLike, scores: ArrayLike, p_true: ArrayLike | None, where: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    y = np.asarray(y_true).ravel()
    s = np.asarray(scores, dtype=float).ravel()
    if y.shape != s.shape or y.size == 0:
        raise argument_error(
            where,
            "scores",
            scores,
            f"1-D with y_true, of the same non-zero length, got shapes {y.shape} and {s.shape}",
            "pass one score per label",
        )
    if not np.isin(y, (0, 1)).all():
        raise argument_error(where, "y_true", y_true, "0/1 labels")
    worth = y.astype(float) if p_true is None else np.asarray(p_true, dtype=float).ravel()
    if worth.shape != y.shape:
        raise argument_error(
            where,
            "p_true",
            p_true,
            f"one probability per view, got shape {worth.shape} for {y.size} views",
        )
    return y.astype(int), s, worth


def threshold_tradeoff(
    y_true: ArrayLike,
    scores: ArrayLike,
    threshold: float,
    *,
    p_true: ArrayLike | None = None,
    value: float = 4.0,
    cost: float = 1.0,
) -> dict[str, float]:
    """Precision, recall, share flagged and expected profit of flagging ``scores >= threshold``.

    The profit of flagging a view is ``value * p - cost``, with ``p`` the true
    purchase probability ``p_true`` when it is known (ShopSim) and otherwise
    the outcome ``y_true`` itself (the realised profit). Chapter 07, section 9.

    Examples
    --------
    >>> r = threshold_tradeoff([1, 0, 1, 0], [0.9, 0.6, 0.4, 0.1], 0.5, value=4, cost=1)
    >>> r["precision"], r["recall"], r["flagged"], r["profit"]
    (0.5, 0.5, 0.5, 2.0)
    """
    where = "threshold_tradeoff"
    threshold = check_number(threshold, "threshold", where, low=0, high=1)
    y, s, worth = _threshold_inputs(y_true, scores, p_true, where)
    flag = s >= threshold
    tp, n_flag, n_pos = int(np.sum(y[flag])), int(np.sum(flag)), int(np.sum(y))
    return {
        "threshold": threshold,
        "precision": tp / n_flag if n_flag else 0.0,
        "recall": tp / n_pos if n_pos else 0.0,
        "flagged": n_flag / y.size,
        "profit": float(np.sum(value * worth[flag] - cost)),
    }


def threshold_sweep(
    y_true: ArrayLike,
    scores: ArrayLike,
    thresholds: ArrayLike | None = None,
    *,
    p_true: ArrayLike | None = None,
    value: float = 4.0,
    cost: float = 1.0,
) -> dict[str, np.ndarray]:
    """:func:`threshold_tradeoff` at many thresholds at once (one sort, cumulative sums).

    Examples
    --------
    >>> sweep = threshold_sweep([1, 0, 1, 0], [0.9, 0.6, 0.4, 0.1], [0.0, 0.5, 1.0])
    >>> sweep["precision"].tolist(), sweep["profit"].tolist()
    ([0.5, 0.5, 0.0], [4.0, 2.0, 0.0])
    """
    y, s, worth = _threshold_inputs(y_true, scores, p_true, "threshold_sweep")
    t = np.linspace(0, 1, 201) if thresholds is None else np.asarray(thresholds, dtype=float)
    order = np.argsort(-s, kind="stable")
    s_desc = s[order]
    tp = np.r_[0, np.cumsum(y[order])]
    gain = np.r_[0.0, np.cumsum(value * worth[order] - cost)]
    n_flag = np.searchsorted(-s_desc, -t, side="right")  # how many scores >= t
    with np.errstate(invalid="ignore", divide="ignore"):
        prec = np.where(n_flag > 0, tp[n_flag] / np.maximum(n_flag, 1), 0.0)
    return {
        "threshold": t,
        "precision": prec,
        "recall": tp[n_flag] / max(int(y.sum()), 1),
        "flagged": n_flag / y.size,
        "profit": gain[n_flag],
    }


def plot_threshold_tradeoff(sweep: Mapping, point: Mapping, *, axes: Any = None) -> tuple[Any, Any]:
    """Precision/recall/flagged share and expected profit against the threshold, ``point`` marked."""
    left, right = axes_row(axes, 2, (11, 3.8))
    t = sweep["threshold"]
    for key, color in (
        ("precision", "tab:blue"),
        ("recall", "tab:orange"),
        ("flagged", "tab:gray"),
    ):
        label = "share of views flagged" if key == "flagged" else key
        left.plot(t, sweep[key], color=color, label=label)
        left.plot(point["threshold"], point[key], "o", color=color)
    left.axvline(point["threshold"], color="0.6", ls=":")
    left.set(
        xlabel="decision threshold",
        ylabel="share",
        ylim=(0, 1.02),
        title=f"threshold {point['threshold']:.2f}: precision {point['precision']:.2f}, "
        f"recall {point['recall']:.2f}",
    )
    left.legend(fontsize=8)
    right.plot(t, sweep["profit"], color="tab:green")
    right.plot(point["threshold"], point["profit"], "o", color="tab:green")
    right.axhline(0, color="k", lw=0.8)
    right.axvline(point["threshold"], color="0.6", ls=":")
    right.set(
        xlabel="decision threshold",
        ylabel="expected profit (EUR)",
        title=f"expected profit EUR {point['profit']:,.0f}",
    )
    return left, right


def threshold_dial(
    y_true: ArrayLike,
    scores: ArrayLike,
    *,
    p_true: ArrayLike | None = None,
    value: float = 4.0,
    cost: float = 1.0,
    threshold: float = 0.25,
    show_static: bool = True,
) -> Any:
    """Threshold slider over :func:`threshold_tradeoff`; the curves are computed once."""
    sweep = threshold_sweep(y_true, scores, p_true=p_true, value=value, cost=cost)

    def draw(threshold: float) -> None:
        point = threshold_tradeoff(y_true, scores, threshold, p_true=p_true, value=value, cost=cost)
        plot_threshold_tradeoff(sweep, point)

    return dial_panel(
        draw,
        {"threshold": Dial("threshold", threshold, low=0.0, high=1.0, step=0.01)},
        show_static=show_static,
    )
