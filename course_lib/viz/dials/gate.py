"""Chapter 10: the validation gate's tolerances, and which candidates they let through."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from course_lib.core.validation import argument_error, check_number
from course_lib.viz.dials.panel import Dial, axes_row, dial_panel

__all__ = ["gate_dial", "gate_outcomes", "plot_gate_outcomes"]


def gate_outcomes(
    candidate_recent: ArrayLike,
    production_recent: ArrayLike,
    candidate_guard: ArrayLike,
    production_guard: ArrayLike,
    label_psi: ArrayLike,
    *,
    tolerance: float,
    guard_tolerance: float,
    max_label_psi: float = math.inf,
) -> dict[str, np.ndarray]:
    """The validation gate's verdict for logged per-batch numbers, for other tolerances.

    The same rule as ``course_lib.continual.ValidationGate.decide``, for many
    batches at once: accept when ``candidate <= production + tolerance`` on the
    recent slice, ``candidate_guard <= production_guard + guard_tolerance`` on
    the guard and ``label_psi <= max_label_psi`` (a NaN fails every check).
    Re-gating a log is a *what-if*: in a real run another verdict would have
    changed the production model, and with it the later batches' numbers.
    Chapter 10 explains the gate.

    Examples
    --------
    >>> r = gate_outcomes([1.00, 1.10, 1.00], [1.05, 1.05, 1.05], [1.0, 1.0, 1.0],
    ...                   [1.0, 1.0, 1.0], [0.01, 0.01, 1.4], tolerance=0.02,
    ...                   guard_tolerance=0.05, max_label_psi=0.25)
    >>> r["accepted"].tolist(), r["recent_ok"].tolist(), r["labels_ok"].tolist()
    ([True, False, False], [True, False, True], [True, True, False])
    """
    where = "gate_outcomes"
    tolerance = check_number(tolerance, "tolerance", where, low=0, allow_inf=True)
    guard_tolerance = check_number(guard_tolerance, "guard_tolerance", where, low=0, allow_inf=True)
    max_label_psi = check_number(max_label_psi, "max_label_psi", where, low=0, allow_inf=True)
    cols = [
        np.asarray(c, dtype=float).ravel()
        for c in (candidate_recent, production_recent, candidate_guard, production_guard, label_psi)
    ]
    if len({c.size for c in cols}) != 1:
        raise argument_error(
            where,
            "label_psi",
            label_psi,
            "one value per batch, as each of "
            f"the five columns, got lengths {[c.size for c in cols]}",
        )
    cand, prod, cand_g, prod_g, psi_ = cols
    recent_ok = cand <= prod + tolerance  # NaN compares False: rejected
    guard_ok = cand_g <= prod_g + guard_tolerance
    labels_ok = psi_ <= max_label_psi
    return {
        "recent_ok": recent_ok,
        "guard_ok": guard_ok,
        "labels_ok": labels_ok,
        "accepted": recent_ok & guard_ok & labels_ok,
    }


def _draw_gaps(
    ax: Any,
    x: np.ndarray,
    cols: list[np.ndarray],
    out: dict[str, np.ndarray],
    tolerance: float,
    guard_tolerance: float,
    max_label_psi: float,
) -> None:
    """Left panel: each batch's gaps against the tolerances, rejected batches crossed."""
    recent_gap, guard_gap = cols[0] - cols[1], cols[2] - cols[3]
    ax.axhline(tolerance, color="tab:blue", ls="--", lw=1, label=f"tolerance {tolerance:.3g}")
    ax.axhline(
        guard_tolerance,
        color="tab:orange",
        ls="--",
        lw=1,
        label=f"guard tolerance {guard_tolerance:.3g}",
    )
    ax.plot(x, recent_gap, "o", color="tab:blue", label="recent: candidate − production")
    ax.plot(x, guard_gap, "s", color="tab:orange", ms=4, label="guard: candidate − production")
    rejected = ~out["accepted"]
    ax.plot(
        x[rejected],
        np.maximum(recent_gap, guard_gap)[rejected] + 0.02,
        "x",
        color="red",
        ms=9,
        mew=2,
        label="rejected",
    )
    for xi in x[~out["labels_ok"]]:
        ax.axvspan(xi - 0.4, xi + 0.4, color="tab:red", alpha=0.12, lw=0)
    ax.set(
        xlabel="batch (week)",
        ylabel="RMSE gap (stars)",
        title=f"accepted {int(out['accepted'].sum())} of {x.size} "
        f"(red band: label PSI > {max_label_psi:.3g})",
    )
    ax.legend(fontsize=7, ncol=2)


def _draw_acceptance(
    ax: Any,
    cols: list[np.ndarray],
    out: dict[str, np.ndarray],
    tolerance: float,
    guard_tolerance: float,
    max_label_psi: float,
) -> None:
    """Right panel: how many batches pass for each tolerance, with and without the guard."""
    grid = np.linspace(0, 0.2, 81)
    for g_tol, style in ((guard_tolerance, "-"), (math.inf, ":")):
        counts = [
            int(
                gate_outcomes(
                    *cols, tolerance=t, guard_tolerance=g_tol, max_label_psi=max_label_psi
                )["accepted"].sum()
            )
            for t in grid
        ]
        ax.step(
            grid,
            counts,
            style,
            where="post",
            color="tab:blue",
            label="with the guard" if style == "-" else "without the guard",
        )
    ax.plot(tolerance, out["accepted"].sum(), "o", color="tab:red")
    ax.yaxis.get_major_locator().set_params(integer=True)
    n = out["accepted"].size
    ax.set(
        xlabel="tolerance on the recent slice (stars of RMSE)",
        ylabel="batches accepted",
        ylim=(0, n + 0.5),
        title=f"tolerance {tolerance:.3g}: {int(out['accepted'].sum())} accepted, "
        f"{int((~out['accepted']).sum())} rejected",
    )
    ax.legend(fontsize=8)


def plot_gate_outcomes(
    log: Any,
    tolerance: float,
    guard_tolerance: float,
    max_label_psi: float,
    *,
    batch_labels: Sequence | None = None,
    axes: Any = None,
) -> tuple[Any, Any]:
    """Per-batch gaps with the tolerances (left) and accepted batches against the tolerance.

    ``log`` has the columns of ``UpdatePipeline.log``: ``candidate_recent_rmse``,
    ``production_recent_rmse``, ``candidate_guard_rmse``, ``production_guard_rmse``,
    ``label_psi``.
    """
    left, right = axes_row(axes, 2, (12, 3.8))
    cols = [
        np.asarray(log[c], dtype=float)
        for c in (
            "candidate_recent_rmse",
            "production_recent_rmse",
            "candidate_guard_rmse",
            "production_guard_rmse",
            "label_psi",
        )
    ]
    out = gate_outcomes(
        *cols, tolerance=tolerance, guard_tolerance=guard_tolerance, max_label_psi=max_label_psi
    )
    x = np.arange(cols[0].size) if batch_labels is None else np.asarray(batch_labels)
    _draw_gaps(left, x, cols, out, tolerance, guard_tolerance, max_label_psi)
    _draw_acceptance(right, cols, out, tolerance, guard_tolerance, max_label_psi)
    return left, right


def gate_dial(
    log: Any,
    *,
    tolerance: float = 0.02,
    guard_tolerance: float = 0.05,
    max_label_psi: float = 0.25,
    batch_labels: Sequence | None = None,
    show_static: bool = True,
) -> Any:
    """Sliders for the gate's three thresholds, redrawing :func:`plot_gate_outcomes`."""
    return dial_panel(
        lambda tolerance, guard_tolerance, max_label_psi: plot_gate_outcomes(
            log, tolerance, guard_tolerance, max_label_psi, batch_labels=batch_labels
        ),
        {
            "tolerance": Dial("tolerance", tolerance, low=0.0, high=0.2, step=0.005),
            "guard_tolerance": Dial(
                "guard tolerance", guard_tolerance, low=0.0, high=0.2, step=0.005
            ),
            "max_label_psi": Dial("max label PSI", max_label_psi, low=0.01, high=3.0, log=True),
        },
        show_static=show_static,
    )
