"""Chapter 04: the scale of the first-layer weights, and how the hidden units saturate."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from course_lib.core.validation import check_number
from course_lib.viz.dials.panel import Dial, axes_row, dial_panel

__all__ = ["hidden_saturation", "plot_hidden_saturation", "saturation_dial"]


def hidden_saturation(
    params: Mapping,
    X: np.ndarray,
    y: np.ndarray,
    scale: float,
    hidden_activation: str = "sigmoid",
    *,
    saturated_below: float = 0.01,
) -> dict:
    r"""How much the hidden layer's derivative shrinks the backward signal, at ``scale`` x W1.

    Runs the forward pass of ``course_lib.foundations.nn`` with the first-layer weights
    multiplied by ``scale`` and returns the hidden derivatives
    :math:`\varphi'(Z_1)`, the share of them below ``saturated_below``
    (saturated units) and the shrink factor
    :math:`\lVert\delta_1\rVert / \lVert\delta_2 W_2^\top\rVert` of the
    binary cross-entropy's delta on its way through the hidden units
    (chapter 04, section 6).

    Examples
    --------
    >>> from course_lib.foundations import init_params
    >>> rng = np.random.default_rng(0)
    >>> X, y = rng.normal(size=(50, 3)), rng.integers(0, 2, size=(50, 1)).astype(float)
    >>> p = init_params(3, 4, seed=0)
    >>> small, big = (hidden_saturation(p, X, y, s) for s in (1.0, 30.0))
    >>> bool(big["saturated"] > small["saturated"]), bool(big["shrink"] < small["shrink"] <= 0.25)
    (True, True)
    """
    from course_lib.foundations import activation_derivative, forward

    scale = check_number(scale, "scale", "hidden_saturation", low=0, low_inclusive=False)
    p = {**params, "W1": scale * np.asarray(params["W1"])}
    cache = forward(p, X, hidden_activation)
    y = np.asarray(y, dtype=float).reshape(cache["Y"].shape)
    deriv = activation_derivative(cache["Z1"], hidden_activation)
    arriving = (cache["Y"] - y) / len(y) @ p["W2"].T  # the delta before phi'
    delta1 = arriving * deriv
    return {
        "derivative": deriv,
        "saturated": float(np.mean(deriv < saturated_below)),
        "shrink": float(np.linalg.norm(delta1) / np.linalg.norm(arriving)),
    }


def plot_hidden_saturation(
    params: Mapping,
    X: np.ndarray,
    y: np.ndarray,
    scale: float,
    *,
    scales: ArrayLike | None = None,
    axes: Any = None,
) -> tuple[Any, Any]:
    """Histogram of sigmoid derivatives at ``scale`` and the shrink factor against the scale."""
    left, right = axes_row(axes, 2, (11, 3.8))
    scales = np.geomspace(0.1, 30, 25) if scales is None else np.asarray(scales)
    here = hidden_saturation(params, X, y, scale)
    left.hist(here["derivative"].ravel(), bins=np.linspace(0, 0.25, 41), color="tab:blue")
    left.set(
        xlabel="sigmoid derivative at the hidden pre-activations, σ′(Z₁)",
        ylabel="count (hidden units × examples)",
        title=f"W1 × {scale:.3g}: {here['saturated']:.0%} saturated (σ′ < 0.01)",
    )
    for act, color in (("sigmoid", "tab:blue"), ("relu", "tab:green")):
        right.plot(
            scales,
            [hidden_saturation(params, X, y, s, act)["shrink"] for s in scales],
            color=color,
            label=f"{act} hidden units",
        )
    right.plot(scale, here["shrink"], "o", color="tab:blue")
    right.axvline(scale, color="0.6", ls=":")
    right.set(
        xscale="log",
        xlabel="scale of the first-layer weights W1",
        ylim=(0, 1.05),
        ylabel="|δ₁| / |δ₂ W₂ᵀ|",
        title=f"shrink factor of the delta: {here['shrink']:.3f}",
    )
    right.legend(fontsize=8)
    return left, right


def saturation_dial(
    params: Mapping, X: np.ndarray, y: np.ndarray, scale: float = 1.0, *, show_static: bool = True
) -> Any:
    """Log slider for the first-layer weight scale, redrawing :func:`plot_hidden_saturation`."""
    scales = np.geomspace(0.1, 30, 25)
    return dial_panel(
        lambda scale: plot_hidden_saturation(params, X, y, scale, scales=scales),
        {"scale": Dial("W1 scale", scale, low=0.1, high=30.0, log=True)},
        show_static=show_static,
    )
