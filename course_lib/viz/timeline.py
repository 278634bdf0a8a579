"""Draw a drift timeline on a time axis: where the world changed.

Introduced in chapter 05 (``notebooks/05_shop_data.ipynb``) and reused by the
drift and pipeline chapters: every plot against ``day`` can show the recorded
change points of ``shop.drift_events`` so that the eye can compare what a
model or detector did with what really happened.

>>> import matplotlib
>>> matplotlib.use("Agg")
>>> import pandas as pd
>>> events = pd.DataFrame({"day": [40, 85, 100], "kind": ["gradual_start", "gradual_end",
...                        "sudden"], "category": ["books->sports", "books->sports", "fashion"]})
>>> import matplotlib.pyplot as plt
>>> fig, ax = plt.subplots()
>>> ax = draw_drift_events(events, ax=ax)
>>> len(ax.lines), len(ax.patches)
(1, 1)
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from course_lib.core.validation import check_frame

__all__ = ["DRIFT_STYLE", "draw_drift_events"]

# kind -> (colour, short label); spans are drawn for *_start ... *_end pairs
DRIFT_STYLE = {
    "sudden": ("tab:red", "sudden"),
    "seasonal": ("tab:green", "season"),
    "gradual": ("tab:purple", "gradual"),
}


def draw_drift_events(
    drift_events: pd.DataFrame, ax: Any = None, *, labels: bool = True, alpha: float = 0.12
) -> Any:
    """Mark drift events on a plot whose x axis is ``day``.

    A ``sudden`` event is a dashed vertical line; a ``*_start``/``*_end`` pair
    is a shaded span.  Returns ``ax``.

    Parameters
    ----------
    drift_events : DataFrame with columns ``day``, ``kind`` (and ``category``)
    ax : matplotlib Axes, optional (default: the current axes)
    labels : bool
        Write a short label at the top of each event.
    """
    import matplotlib.pyplot as plt

    check_frame(
        drift_events,
        "drift_events",
        "draw_drift_events",
        columns=("day", "kind"),
        fix="pass shop.drift_events",
    )
    ax = ax if ax is not None else plt.gca()
    starts: dict[str, Any] = {}
    for row in drift_events.sort_values("day").itertuples(index=False):
        kind = str(row.kind)
        base = kind.rsplit("_", 1)[0] if kind.endswith(("_start", "_end")) else kind
        colour, short = DRIFT_STYLE.get(base, ("tab:gray", base))
        what = getattr(row, "category", "")
        text = f"{short}: {what}" if isinstance(what, str) and what else short
        if kind.endswith("_start"):
            starts[base] = row.day
        elif kind.endswith("_end"):
            start = starts.pop(base, row.day)
            ax.axvspan(start, row.day, color=colour, alpha=alpha, lw=0)
            if labels:
                ax.text(
                    start,
                    0.98,
                    " " + text,
                    transform=ax.get_xaxis_transform(),
                    va="top",
                    ha="left",
                    fontsize=8,
                    color=colour,
                )
        else:
            ax.axvline(row.day, color=colour, ls="--", lw=1.2)
            if labels:
                ax.text(
                    row.day,
                    0.98,
                    " " + text,
                    transform=ax.get_xaxis_transform(),
                    va="top",
                    ha="left",
                    fontsize=8,
                    color=colour,
                )
    for base, start in starts.items():  # a season still running at the end of the data
        colour = DRIFT_STYLE.get(base, ("tab:gray", base))[0]
        ax.axvline(start, color=colour, ls=":", lw=1.2)
    return ax
