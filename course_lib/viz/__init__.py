"""Plots, the interactive dials and widgets of the lessons."""

from __future__ import annotations

from typing import TYPE_CHECKING

from course_lib.core.exports import lazy_exports

if TYPE_CHECKING:  # what a type checker and an IDE see; at run time names load lazily
    from .dials import (Dial, decayed_share_history, dial_panel, dp_dial, dp_expected_error, gate_dial, gate_outcomes, grid_point, half_life_dial, hidden_saturation, logit_loss_dial, logit_losses, page_hinkley_dial, page_hinkley_trace, page_hinkley_tradeoff, plot_dp_tradeoff, plot_gate_outcomes, plot_half_life_tradeoff, plot_hidden_saturation, plot_logit_losses, plot_page_hinkley_tradeoff, plot_run_grid, plot_threshold_tradeoff, run_grid_dial, saturation_dial, threshold_dial, threshold_sweep, threshold_tradeoff, total_variation)  # noqa: F401
    from .optim_plots import (explorer_paths, off_plot_from, optimizer_explorer, plot_contours, plot_loss_curves, plot_paths, status_notes, summarize_paths)  # noqa: F401
    from .plots import (loss_grid, plot_contour_path, plot_descent, plot_loss_vs_prediction)  # noqa: F401
    from .timeline import (DRIFT_STYLE, draw_drift_events)  # noqa: F401
    from .widgets import (batch_size_options, gd_explorer)  # noqa: F401

_EXPORTS = {
    "Dial": ".dials",
    "decayed_share_history": ".dials",
    "dial_panel": ".dials",
    "dp_dial": ".dials",
    "dp_expected_error": ".dials",
    "gate_dial": ".dials",
    "gate_outcomes": ".dials",
    "grid_point": ".dials",
    "half_life_dial": ".dials",
    "hidden_saturation": ".dials",
    "logit_loss_dial": ".dials",
    "logit_losses": ".dials",
    "page_hinkley_dial": ".dials",
    "page_hinkley_trace": ".dials",
    "page_hinkley_tradeoff": ".dials",
    "plot_dp_tradeoff": ".dials",
    "plot_gate_outcomes": ".dials",
    "plot_half_life_tradeoff": ".dials",
    "plot_hidden_saturation": ".dials",
    "plot_logit_losses": ".dials",
    "plot_page_hinkley_tradeoff": ".dials",
    "plot_run_grid": ".dials",
    "plot_threshold_tradeoff": ".dials",
    "run_grid_dial": ".dials",
    "saturation_dial": ".dials",
    "threshold_dial": ".dials",
    "threshold_sweep": ".dials",
    "threshold_tradeoff": ".dials",
    "total_variation": ".dials",
    "explorer_paths": ".optim_plots",
    "off_plot_from": ".optim_plots",
    "optimizer_explorer": ".optim_plots",
    "plot_contours": ".optim_plots",
    "plot_loss_curves": ".optim_plots",
    "plot_paths": ".optim_plots",
    "status_notes": ".optim_plots",
    "summarize_paths": ".optim_plots",
    "loss_grid": ".plots",
    "plot_contour_path": ".plots",
    "plot_descent": ".plots",
    "plot_loss_vs_prediction": ".plots",
    "DRIFT_STYLE": ".timeline",
    "draw_drift_events": ".timeline",
    "batch_size_options": ".widgets",
    "gd_explorer": ".widgets",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
