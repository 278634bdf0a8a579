"""Plots, the interactive dials and widgets of the lessons."""

from __future__ import annotations

from typing import TYPE_CHECKING

from course_lib.core.exports import lazy_exports

if TYPE_CHECKING:  # what a type checker and an IDE see; at run time names load lazily
    from .drift_plots import (plot_detector)  # noqa: F401
    from .optim_plots import (LOSS_STYLES, explorer_paths, first_step_below, loss_gaps, off_plot_from, optimizer_explorer, plot_adam_step_scale, plot_comparison, plot_contours, plot_paths, plot_runs, status_notes, summarize_paths, tune_learning_rates)  # noqa: F401
    from .pipeline_plots import (plot_live_by_segment, plot_pipeline)  # noqa: F401
    from .plots import (loss_grid, plot_contour_path, plot_descent, plot_loss_curves, plot_loss_vs_prediction, plot_segment_rmse)  # noqa: F401
    from .purchase_plots import (plot_against_truth, plot_precision_recall, plot_reliability, plot_roc)  # noqa: F401
    from .timeline import (DRIFT_STYLE, draw_drift_events)  # noqa: F401
    from .widgets import (batch_size_options, gd_explorer)  # noqa: F401
    from .dials import (Dial, decayed_share_history, dial_panel, dp_dial, dp_expected_error, gate_dial, gate_outcomes, grid_point, half_life_dial, hidden_saturation, logit_loss_dial, logit_losses, page_hinkley_dial, page_hinkley_trace, page_hinkley_tradeoff, plot_dp_tradeoff, plot_gate_outcomes, plot_half_life_tradeoff, plot_hidden_saturation, plot_logit_losses, plot_page_hinkley_tradeoff, plot_run_grid, plot_threshold_tradeoff, run_grid_dial, saturation_dial, threshold_dial, threshold_sweep, threshold_tradeoff, total_variation)  # noqa: F401

_EXPORTS = {
    "plot_detector": ".drift_plots",
    "LOSS_STYLES": ".optim_plots",
    "explorer_paths": ".optim_plots",
    "first_step_below": ".optim_plots",
    "loss_gaps": ".optim_plots",
    "off_plot_from": ".optim_plots",
    "optimizer_explorer": ".optim_plots",
    "plot_adam_step_scale": ".optim_plots",
    "plot_comparison": ".optim_plots",
    "plot_contours": ".optim_plots",
    "plot_paths": ".optim_plots",
    "plot_runs": ".optim_plots",
    "status_notes": ".optim_plots",
    "summarize_paths": ".optim_plots",
    "tune_learning_rates": ".optim_plots",
    "plot_live_by_segment": ".pipeline_plots",
    "plot_pipeline": ".pipeline_plots",
    "loss_grid": ".plots",
    "plot_contour_path": ".plots",
    "plot_descent": ".plots",
    "plot_loss_curves": ".plots",
    "plot_loss_vs_prediction": ".plots",
    "plot_segment_rmse": ".plots",
    "plot_against_truth": ".purchase_plots",
    "plot_precision_recall": ".purchase_plots",
    "plot_reliability": ".purchase_plots",
    "plot_roc": ".purchase_plots",
    "DRIFT_STYLE": ".timeline",
    "draw_drift_events": ".timeline",
    "batch_size_options": ".widgets",
    "gd_explorer": ".widgets",
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
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
