"""Chapter 11: the half-life of the preference tracker, reaction against noise."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from course_lib.core.validation import argument_error, check_number
from course_lib.viz.dials.panel import Dial, axes_row, dial_panel

__all__ = ["decayed_share_history", "half_life_dial", "plot_half_life_tradeoff", "total_variation"]


def decayed_share_history(
    days: ArrayLike, counts: ArrayLike, half_life: float | None, *, prior: float = 1.0
) -> np.ndarray:
    r"""Category shares estimated *before* each day, from decayed counts of the earlier days.

    ``counts[t]`` holds the events of day ``days[t]`` (shape ``(n_days, ..., K)``,
    e.g. ``(n_days, K)`` for one profile or ``(n_days, n_users, K)`` per user).
    The estimate for day :math:`d_t` is
    :math:`(n_c + \text{prior}/K) / (\sum_c n_c + \text{prior})` with
    :math:`n_c = \sum_{s<t} \text{counts}_{s,c}\, 0.5^{(d_t - d_s)/h}`: exactly what
    ``recsys.CategoryPreferenceTracker(half_life=h, prior=prior)`` returns when
    it is asked before it learns each day (chapter 11, section 3), for all
    days at once.

    Examples
    --------
    Two books on day 0, one sports item on day 10; asked on days 0, 10 and 20:

    >>> counts = np.array([[2.0, 0.0], [0.0, 1.0], [0.0, 0.0]])
    >>> decayed_share_history([0, 10, 20], counts, half_life=10, prior=0.0)
    array([[0.5, 0.5],
           [1. , 0. ],
           [0.5, 0.5]])

    (Nothing known on day 0: uniform. On day 20 the books weigh 2 x 0.25 and
    the sports item 1 x 0.5.)
    """
    where = "decayed_share_history"
    days = np.asarray(days, dtype=float).ravel()
    counts = np.asarray(counts, dtype=float)
    if counts.ndim < 2 or counts.shape[0] != days.size:
        raise argument_error(
            where,
            "counts",
            counts,
            "of shape (n_days, ..., n_categories) "
            f"with n_days = len(days) = {days.size}, got {counts.shape}",
        )
    if np.any(np.diff(days) < 0):
        raise argument_error(where, "days", days, "in increasing order")
    h = (
        None
        if half_life is None
        else check_number(half_life, "half_life", where, low=0, low_inclusive=False)
    )
    prior = check_number(prior, "prior", where, low=0)
    k = counts.shape[-1]
    running = np.zeros(counts.shape[1:])
    out = np.empty_like(counts)
    for t in range(days.size):
        if t and h is not None:
            running *= 0.5 ** ((days[t] - days[t - 1]) / h)
        total = running.sum(axis=-1, keepdims=True) + prior
        with np.errstate(invalid="ignore", divide="ignore"):
            out[t] = np.where(total > 0, (running + prior / k) / total, 1.0 / k)
        running += counts[t]
    return out


def total_variation(p: ArrayLike, q: ArrayLike) -> np.ndarray:
    """Half the sum of absolute differences over the last axis (0 = equal, 1 = disjoint).

    >>> float(total_variation([0.5, 0.5], [1.0, 0.0]))
    0.5
    """
    return 0.5 * np.abs(np.asarray(p, dtype=float) - np.asarray(q, dtype=float)).sum(axis=-1)


def plot_half_life_tradeoff(
    days: ArrayLike,
    share_est: ArrayLike,
    share_true: ArrayLike,
    curve: Mapping,
    half_life: float | None,
    point: Mapping,
    *,
    window: tuple[float, float] | None = None,
    share_label: str = "share",
    axes: Any = None,
) -> tuple[Any, Any]:
    """Tracked vs true share over the days (left) and tracking error against the half-life."""
    left, right = axes_row(axes, 2, (11, 3.8))
    left.plot(days, share_true, "k--", lw=2, label="truth")
    left.plot(days, share_est, color="tab:blue", label="tracked share")
    if window is not None:
        left.axvspan(*window, color="0.92", zorder=0, label="scored days")
    left.set(
        xlabel="day",
        ylabel=share_label,
        ylim=(0, None),
        title=f"half-life {'all-time' if half_life is None else f'{half_life:.3g} days'}",
    )
    left.legend(fontsize=8)
    for key, color, name in (
        ("region", "tab:blue", "one profile for the region"),
        ("user", "tab:orange", "one profile per user"),
    ):
        if key in curve:
            right.plot(curve["half_life"], curve[key], color=color, label=name)
            right.plot(
                half_life if half_life is not None else curve["half_life"][-1],
                point[key],
                "o",
                color=color,
            )
    right.set(
        xscale="log",
        xlabel="half-life (days)",
        ylabel="mean total-variation distance to the truth",
        title="  ".join(f"{k}: {v:.3f}" for k, v in point.items()),
    )
    right.legend(fontsize=8)
    return left, right


def half_life_dial(
    errors: Callable[[float | None], Mapping],
    history: Callable,
    *,
    half_life: float = 14.0,
    half_lives: Sequence | None = None,
    window: tuple[float, float] | None = None,
    share_label: str = "share",
    show_static: bool = True,
) -> Any:
    """Half-life slider. ``errors(h)`` returns the tracking errors (e.g. ``{"region": ..,
    "user": ..}``) and ``history(h)`` returns ``(days, estimated, true)`` shares to plot; both
    are cheap calls of :func:`decayed_share_history` on counts precomputed by the caller."""
    grid = np.geomspace(2, 200, 15) if half_lives is None else np.asarray(half_lives)
    rows = [errors(float(h)) for h in grid]
    curve = {"half_life": grid, **{k: np.array([r[k] for r in rows]) for k in rows[0]}}

    def draw(half_life: float) -> None:
        days, est, true = history(half_life)
        plot_half_life_tradeoff(
            days,
            est,
            true,
            curve,
            half_life,
            errors(half_life),
            window=window,
            share_label=share_label,
        )

    return dial_panel(
        draw,
        {
            "half_life": Dial(
                "half-life (days)", half_life, low=float(grid[0]), high=float(grid[-1]), log=True
            )
        },
        show_static=show_static,
    )
