"""The figure of chapter 06 (``notebooks/06_keras_rating_predictor.ipynb``): learning curves.

>>> import matplotlib
>>> matplotlib.use("Agg")
>>> ax = plot_learning_curves({"rmse": [1.0, 0.9], "val_rmse": [1.1, 1.0]}, baseline=1.05)
>>> len(ax.lines), ax.get_xlabel()
(3, 'epoch')
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np

__all__ = ["plot_learning_curves"]


def plot_learning_curves(
    history: Mapping[str, Sequence[float]],
    *,
    baseline: float | None = None,
    baseline_label: str = "bias baseline (validation)",
    title: str = "Learning curves of the embedding model",
    ax: Any = None,
) -> Any:
    """Training and validation RMSE per epoch (a Keras ``History.history``).

    ``history`` needs ``"rmse"`` and ``"val_rmse"``; ``baseline`` (an RMSE on the
    same validation period) is a dashed line. Returns the Axes.
    """
    if ax is None:
        _, ax = plt.subplots()
    epochs = np.arange(1, len(history["rmse"]) + 1)
    ax.plot(epochs, history["rmse"], marker="o", label="training RMSE")
    ax.plot(epochs, history["val_rmse"], marker="o", label="validation RMSE (later in time)")
    if baseline is not None:
        ax.axhline(baseline, color="grey", linestyle="--", label=baseline_label)
    ax.set(xlabel="epoch", ylabel="RMSE (stars)", title=title)
    ax.legend()
    return ax
