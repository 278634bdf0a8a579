"""Chapter 01: the losses of one logit, for a label 0 or 1."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from course_lib.core.validation import argument_error
from course_lib.viz.dials.panel import Dial, axes_row, dial_panel

__all__ = ["logit_loss_dial", "logit_losses", "plot_logit_losses"]


def logit_losses(z: ArrayLike, y: ArrayLike) -> dict[str, np.ndarray]:
    r"""Squared error and cross-entropy of a sigmoid output, and their gradients w.r.t. the logit.

    For a label ``y`` (0 or 1) and a logit ``z``, with :math:`p = \sigma(z)`:
    ``mse = (p - y)**2``, ``bce = -[y log p + (1-y) log(1-p)]`` (the stable
    form), ``mse_gradient = 2 (p - y) p (1 - p)`` and ``bce_gradient = p - y``.
    The squared error's gradient carries :math:`\sigma'(z) = p(1-p)`, which
    vanishes when the sigmoid saturates: a confidently *wrong* output barely
    learns. The cross-entropy's does not. Chapter 01 explains it.

    Examples
    --------
    >>> r = logit_losses([-6.0, 0.0], y=1)
    >>> np.round(r["mse_gradient"], 4), np.round(r["bce_gradient"], 4)
    (array([-0.005, -0.25 ]), array([-0.9975, -0.5   ]))
    """
    where = "logit_losses"
    if isinstance(y, bool) or y not in (0, 1):
        raise argument_error(where, "y", y, "the label, 0 or 1")
    z = np.asarray(z, dtype=float)
    if not np.all(np.isfinite(z)):
        raise argument_error(where, "z", z, "finite logits, without NaN or inf")
    e = np.exp(-np.abs(z))
    p = np.where(z >= 0, 1 / (1 + e), e / (1 + e))
    bce = np.maximum(z, 0) - z * y + np.log1p(e)
    return {
        "p": p,
        "mse": (p - y) ** 2,
        "bce": bce,
        "mse_gradient": 2 * (p - y) * p * (1 - p),
        "bce_gradient": p - y,
    }


def plot_logit_losses(
    z: float, y: int, *, z_range: tuple[float, float] = (-10.0, 10.0), axes: Any = None
) -> tuple[Any, Any]:
    """Loss and gradient of both losses against the logit, with ``z`` marked (chapter 01)."""
    left, right = axes_row(axes, 2, (11, 3.8))
    grid = np.linspace(*z_range, 401)
    curve, here = logit_losses(grid, y), logit_losses(np.array([z]), y)
    for key, name, color in (
        ("mse", "squared error (p − y)²", "tab:orange"),
        ("bce", "cross-entropy", "tab:blue"),
    ):
        left.plot(grid, curve[key], color=color, label=name)
        left.plot(z, here[key][0], "o", color=color)
        right.plot(grid, np.abs(curve[f"{key}_gradient"]), color=color, label=name)
        right.plot(z, abs(here[f"{key}_gradient"][0]), "o", color=color)
    left.set(
        xlabel="logit z",
        ylabel="loss",
        ylim=(0, 1.2 * max(1.0, float(here["bce"][0]))),
        title=f"label y = {y}, z = {z:.2f}: p = {here['p'][0]:.3f}",
    )
    right.set(
        xlabel="logit z",
        ylabel="|d loss / dz|",
        ylim=(0, 1.05),
        title=f"gradient: squared error {here['mse_gradient'][0]:+.4f}, "
        f"cross-entropy {here['bce_gradient'][0]:+.4f}",
    )
    left.legend(fontsize=8)
    right.legend(fontsize=8)
    return left, right


def logit_loss_dial(
    z: float = -4.0,
    y: int = 1,
    *,
    z_range: tuple[float, float] = (-10.0, 10.0),
    show_static: bool = True,
) -> Any:
    """Slider for the logit and a choice of label, redrawing :func:`plot_logit_losses`."""
    return dial_panel(
        lambda z, y: plot_logit_losses(z, y, z_range=z_range),
        {
            "z": Dial("logit z", z, low=z_range[0], high=z_range[1], step=0.1),
            "y": Dial("label y", y, options=(0, 1)),
        },
        show_static=show_static,
    )
