"""Plots, and the interactive dials and widgets of the lessons."""

from __future__ import annotations

from typing import TYPE_CHECKING

from course_lib.core.exports import lazy_exports

if TYPE_CHECKING:  # what a type checker and an IDE see; at run time names load lazily
    from .contour_plots import loss_grid, plot_contour_path, plot_descent
    from .dials import (
        Dial,
        decayed_share_history,
        dial_panel,
        dp_dial,
        dp_expected_error,
        gate_dial,
        gate_outcomes,
        grid_point,
        half_life_dial,
        hidden_saturation,
        logit_loss_dial,
        logit_losses,
        page_hinkley_dial,
        page_hinkley_trace,
        page_hinkley_tradeoff,
        plot_dp_tradeoff,
        plot_gate_outcomes,
        plot_half_life_tradeoff,
        plot_hidden_saturation,
        plot_logit_losses,
        plot_page_hinkley_tradeoff,
        plot_run_grid,
        plot_threshold_tradeoff,
        run_grid_dial,
        saturation_dial,
        threshold_dial,
        threshold_sweep,
        threshold_tradeoff,
        total_variation,
    )
    from .drift_plots import plot_detector
    from .optim_comparisons import (
        first_step_below,
        plot_adam_step_scale,
        plot_comparison,
        tune_learning_rates,
    )
    from .optim_plots import (
        LOSS_STYLES,
        explorer_paths,
        loss_gaps,
        off_plot_from,
        optimizer_explorer,
        plot_contours,
        plot_paths,
        plot_runs,
        status_notes,
        summarize_paths,
    )
    from .pipeline_plots import plot_live_by_segment, plot_pipeline
    from .plots import plot_loss_curves, plot_loss_vs_prediction, plot_segment_rmse
    from .preference_plots import BANDIT_COLOURS, plot_cumulative_regret
    from .purchase_plots import (
        plot_against_truth,
        plot_precision_recall,
        plot_reliability,
        plot_roc,
    )
    from .rating_plots import plot_learning_curves
    from .responsible_plots import plot_dp_error, plot_permutation_importance
    from .shop_plots import plot_category_sales
    from .stream_plots import (
        STRATEGY_COLOURS,
        plot_prequential_error,
        plot_season_memory,
        plot_update_cost,
    )
    from .timeline import DRIFT_STYLE, draw_drift_events
    from .widgets import batch_size_options, gd_explorer

_EXPORTS = {
    "loss_grid": ".contour_plots",
    "plot_contour_path": ".contour_plots",
    "plot_descent": ".contour_plots",
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
    "plot_detector": ".drift_plots",
    "first_step_below": ".optim_comparisons",
    "plot_adam_step_scale": ".optim_comparisons",
    "plot_comparison": ".optim_comparisons",
    "tune_learning_rates": ".optim_comparisons",
    "LOSS_STYLES": ".optim_plots",
    "explorer_paths": ".optim_plots",
    "loss_gaps": ".optim_plots",
    "off_plot_from": ".optim_plots",
    "optimizer_explorer": ".optim_plots",
    "plot_contours": ".optim_plots",
    "plot_paths": ".optim_plots",
    "plot_runs": ".optim_plots",
    "status_notes": ".optim_plots",
    "summarize_paths": ".optim_plots",
    "plot_live_by_segment": ".pipeline_plots",
    "plot_pipeline": ".pipeline_plots",
    "plot_loss_curves": ".plots",
    "plot_loss_vs_prediction": ".plots",
    "plot_segment_rmse": ".plots",
    "BANDIT_COLOURS": ".preference_plots",
    "plot_cumulative_regret": ".preference_plots",
    "plot_against_truth": ".purchase_plots",
    "plot_precision_recall": ".purchase_plots",
    "plot_reliability": ".purchase_plots",
    "plot_roc": ".purchase_plots",
    "plot_learning_curves": ".rating_plots",
    "plot_dp_error": ".responsible_plots",
    "plot_permutation_importance": ".responsible_plots",
    "plot_category_sales": ".shop_plots",
    "STRATEGY_COLOURS": ".stream_plots",
    "plot_prequential_error": ".stream_plots",
    "plot_season_memory": ".stream_plots",
    "plot_update_cost": ".stream_plots",
    "DRIFT_STYLE": ".timeline",
    "draw_drift_events": ".timeline",
    "batch_size_options": ".widgets",
    "gd_explorer": ".widgets",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
