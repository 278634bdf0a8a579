"""Chapter 12: differential privacy's epsilon, the noise against the error of a release."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from course_lib.core.validation import argument_error, check_int, check_number
from course_lib.viz.dials.panel import Dial, axes_row, dial_panel

__all__ = ["dp_dial", "dp_expected_error", "plot_dp_tradeoff"]


def dp_expected_error(
    clipped: ArrayLike, exact: ArrayLike, sensitivity: float, epsilon: float
) -> dict:
    r"""Expected relative error of counts released with the Laplace mechanism, in closed form.

    A released count is ``clipped + L`` with :math:`L \sim \mathrm{Laplace}(0, b)`,
    :math:`b = \Delta/\varepsilon`. Its expected absolute error against the exact
    count is, with :math:`d` = clipped - exact (the bias of clipping),

    .. math::  E\,|d + L| = |d| + b\,e^{-|d|/b},

    so no sampling is needed: the dial moves instantly and without noise.
    Returns the noise scale ``b``, the expected relative error per count
    (``per_count``) and their mean (``mean``). Chapter 12 explains it.

    Examples
    --------
    >>> r = dp_expected_error([100, 10], [100, 20], sensitivity=1, epsilon=0.5)
    >>> r["scale"], np.round(r["per_count"], 4).tolist()
    (2.0, [0.02, 0.5007])
    """
    where = "dp_expected_error"
    sensitivity = check_number(sensitivity, "sensitivity", where, low=0, low_inclusive=False)
    epsilon = check_number(epsilon, "epsilon", where, low=0, low_inclusive=False)
    clipped = np.asarray(clipped, dtype=float)
    exact = np.asarray(exact, dtype=float)
    if clipped.shape != exact.shape or np.any(exact <= 0):
        raise argument_error(
            where,
            "exact",
            exact,
            f"counts of the shape of clipped "
            f"{clipped.shape}; every exact count must be > 0 (a relative error "
            "needs it)",
        )
    b = sensitivity / epsilon
    gap = np.abs(clipped - exact)
    per_count = (gap + b * np.exp(-gap / b)) / exact
    return {"scale": b, "per_count": per_count, "mean": float(per_count.mean())}


def plot_dp_tradeoff(
    names: Sequence[str],
    exact: ArrayLike,
    clipped_by_cap: Mapping[int, np.ndarray],
    cap: int,
    epsilon: float,
    *,
    seed: int = 0,
    epsilons: ArrayLike | None = None,
    axes: Any = None,
) -> tuple[Any, Any]:
    """One noisy release next to the exact counts (left), expected error against ε (right)."""
    from course_lib.responsible import laplace_mechanism

    left, right = axes_row(axes, 2, (12, 3.8))
    clipped = np.asarray(clipped_by_cap[cap], dtype=float)
    exact = np.asarray(exact, dtype=float)
    here = dp_expected_error(clipped, exact, cap, epsilon)
    noisy = laplace_mechanism(clipped, sensitivity=cap, epsilon=epsilon, seed=seed)
    x = np.arange(len(names))
    left.bar(x - 0.2, exact, 0.4, color="0.7", label="exact")
    left.bar(x + 0.2, noisy, 0.4, color="tab:blue", label=f"released (one draw, seed {seed})")
    left.errorbar(
        x + 0.2,
        clipped,
        yerr=here["scale"],
        fmt="none",
        ecolor="k",
        capsize=3,
        label="clipped ± noise scale b",
    )
    left.set_xticks(x, list(names), rotation=30, fontsize=8)
    left.set(
        ylabel="purchases", title=f"cap m = {cap}, ε = {epsilon:.3g}: b = m/ε = {here['scale']:.3g}"
    )
    left.legend(fontsize=8)
    grid = np.geomspace(0.05, 5, 60) if epsilons is None else np.asarray(epsilons)
    for m in sorted(clipped_by_cap):
        errs = [dp_expected_error(clipped_by_cap[m], exact, m, e)["mean"] for e in grid]
        right.plot(
            grid,
            errs,
            color="tab:blue" if m == cap else "0.8",
            lw=2 if m == cap else 1,
            label=f"cap m = {m}" if m == cap else None,
        )
    right.plot(epsilon, here["mean"], "o", color="tab:red")
    right.set(
        xscale="log",
        yscale="log",
        xlabel="privacy budget ε (smaller = more private)",
        ylabel="expected relative error (mean)",
        title=f"expected relative error {here['mean']:.3f} (grey: other caps)",
    )
    right.legend(fontsize=8)
    return left, right


def dp_dial(
    names: Sequence[str],
    exact: ArrayLike,
    clipped_by_cap: Mapping[int, np.ndarray],
    *,
    epsilon: float = 1.0,
    cap: int = 10,
    seed: int = 0,
    show_static: bool = True,
) -> Any:
    """Sliders for ε and the cap m, redrawing :func:`plot_dp_tradeoff`."""
    caps = tuple(sorted(clipped_by_cap))
    check_int(cap, "cap", "dp_dial")
    return dial_panel(
        lambda epsilon, cap: plot_dp_tradeoff(
            names, exact, clipped_by_cap, cap, epsilon, seed=seed
        ),
        {
            "epsilon": Dial("ε (privacy budget)", epsilon, low=0.05, high=5.0, log=True),
            "cap": Dial("cap m", cap, options=caps),
        },
        show_static=show_static,
    )
