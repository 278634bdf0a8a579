"""Chapter 09: how much to replay, read off a precomputed grid of runs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from course_lib.core.validation import argument_error, check_number
from course_lib.viz.dials.panel import Dial, axes_row, dial_panel

__all__ = ["grid_point", "plot_run_grid", "run_grid_dial"]


def grid_point(grid: Any, key: str, value: float) -> dict:
    """The run of a precomputed grid whose ``key`` is nearest to ``value``, as a dict.

    When each run is expensive (chapter 09 trains Keras models), the dial
    moves over a small grid computed once, and this lookup is all a move costs.

    >>> grid = {"replay_ratio": [0.0, 0.5, 1.0], "season_forgetting": [0.12, 0.08, 0.05]}
    >>> grid_point(grid, "replay_ratio", 0.6)
    {'replay_ratio': 0.5, 'season_forgetting': 0.08}
    """
    where = "grid_point"
    if key not in grid:
        raise argument_error(
            where,
            "key",
            key,
            f"one of the grid's columns {list(grid.keys())}",
            "it is not a column of the grid",
        )
    xs = np.asarray(grid[key], dtype=float)
    if xs.size == 0:
        raise argument_error(
            where, "grid", grid, "a grid with at least one run", "run at least one setting first"
        )
    value = check_number(value, "value", where)
    i = int(np.argmin(np.abs(xs - value)))
    return {name: np.asarray(grid[name])[i].item() for name in grid}


def plot_run_grid(
    grid: Any,
    key: str,
    value: float,
    *,
    quality: Sequence[str],
    cost: str,
    xlabel: str | None = None,
    axes: Any = None,
) -> tuple[Any, Any]:
    """Quality columns (left) and a cost column (right) of a grid of runs, ``value`` marked."""
    left, right = axes_row(axes, 2, (11, 3.8))
    point = grid_point(grid, key, value)
    xs = np.asarray(grid[key], dtype=float)
    order = np.argsort(xs)
    colors = ["tab:green", "tab:purple", "tab:orange", "tab:blue"]
    for name, color in zip(quality, colors, strict=False):
        ys = np.asarray(grid[name], dtype=float)
        left.plot(xs[order], ys[order], "o-", color=color, label=name.replace("_", " "))
        left.plot(point[key], point[name], "o", color=color, ms=11, mfc="none", mew=2)
    left.axvline(point[key], color="0.6", ls=":")
    left.set(
        xlabel=xlabel or key,
        ylabel="RMSE (stars)",
        title=", ".join(f"{n.replace('_', ' ')} {point[n]:.3f}" for n in quality),
    )
    left.legend(fontsize=8)
    ys = np.asarray(grid[cost], dtype=float)
    right.plot(xs[order], ys[order], "o-", color="tab:gray")
    right.plot(point[key], point[cost], "o", color="tab:red", ms=9)
    right.set(
        xlabel=xlabel or key,
        ylabel=cost.replace("_", " "),
        ylim=(0, None),
        title=f"{cost.replace('_', ' ')}: {point[cost]:,.0f}",
    )
    return left, right


def run_grid_dial(
    grid: Any,
    key: str,
    value: float,
    *,
    quality: Sequence[str],
    cost: str,
    label: str | None = None,
    show_static: bool = True,
) -> Any:
    """A slider that snaps to the grid's ``key`` values and redraws :func:`plot_run_grid`."""
    options = tuple(sorted(float(x) for x in np.asarray(grid[key], dtype=float)))
    start = grid_point(grid, key, value)[key]
    return dial_panel(
        lambda value: plot_run_grid(grid, key, value, quality=quality, cost=cost, xlabel=label),
        {"value": Dial(label or key, float(start), options=options, select_slider=True)},
        show_static=show_static,
    )
