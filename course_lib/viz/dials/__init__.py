"""Dials: one slider per trade-off a chapter teaches, driven by tested pure functions.

Each dial of chapters 01, 04, 07-12 has three parts, in the
pattern of the explorers of chapters 02 and 03 (``course_lib.viz.widgets``):

* a **pure function** that computes what to draw for one position of the dial
  (tested, and fast: the expensive parts are precomputed once, so one position
  takes milliseconds, see ``tests/test_dials.py``);
* a **plot function** ``plot_*(..., axes=None)`` that draws that result;
* a **builder** ``*_dial(...)`` that precomputes, draws the default position
  as an ordinary static figure (what readers of the executed notebook see) and
  returns the sliders wired to the plot (:func:`dial_panel`).

============  ===================================  =================================
chapter       dial                                 pure function
============  ===================================  =================================
01            the logit, for a label 0 or 1        :func:`logit_losses`
04            the scale of the first-layer weights :func:`hidden_saturation`
07            the decision threshold               :func:`threshold_tradeoff`
08            Page-Hinkley's delta and lambda      :func:`page_hinkley_tradeoff`
09            how much to replay                   :func:`grid_point` (a grid of runs)
10            the gate's tolerances                :func:`gate_outcomes`
11            the preference half-life             :func:`decayed_share_history`
12            differential privacy's epsilon       :func:`dp_expected_error`
============  ===================================  =================================

One module per dial (``logits``, ``saturation``, ``threshold``, ``page_hinkley``,
``run_grid``, ``gate``, ``half_life``, ``privacy``) and the shared ``panel``;
every name is imported from here: ``from course_lib.viz.dials import gate_dial``.

NumPy (and matplotlib / ipywidgets for drawing) only: no TensorFlow.

>>> Dial("threshold", 0.25, low=0.0, high=1.0).check("threshold")   # a valid slider
>>> Dial("threshold", 2.0, low=0.0, high=1.0).check("threshold")
Traceback (most recent call last):
...
ValueError: Dial(value=2.0): value must be a number with 0 <= value <= 1; widen the range of dial 'threshold' or move its default.
"""

from __future__ import annotations

from course_lib.viz.dials.gate import gate_dial, gate_outcomes, plot_gate_outcomes
from course_lib.viz.dials.half_life import (
    decayed_share_history,
    half_life_dial,
    plot_half_life_tradeoff,
    total_variation,
)
from course_lib.viz.dials.logits import logit_loss_dial, logit_losses, plot_logit_losses
from course_lib.viz.dials.page_hinkley import (
    page_hinkley_dial,
    page_hinkley_trace,
    page_hinkley_tradeoff,
    plot_page_hinkley_tradeoff,
)
from course_lib.viz.dials.panel import Dial, dial_panel
from course_lib.viz.dials.privacy import dp_dial, dp_expected_error, plot_dp_tradeoff
from course_lib.viz.dials.run_grid import grid_point, plot_run_grid, run_grid_dial
from course_lib.viz.dials.saturation import (
    hidden_saturation,
    plot_hidden_saturation,
    saturation_dial,
)
from course_lib.viz.dials.threshold import (
    plot_threshold_tradeoff,
    threshold_dial,
    threshold_sweep,
    threshold_tradeoff,
)

__all__ = [
    "Dial",
    "decayed_share_history",
    "dial_panel",
    "dp_dial",
    "dp_expected_error",
    "gate_dial",
    "gate_outcomes",
    "grid_point",
    "half_life_dial",
    "hidden_saturation",
    "logit_loss_dial",
    "logit_losses",
    "page_hinkley_dial",
    "page_hinkley_trace",
    "page_hinkley_tradeoff",
    "plot_dp_tradeoff",
    "plot_gate_outcomes",
    "plot_half_life_tradeoff",
    "plot_hidden_saturation",
    "plot_logit_losses",
    "plot_page_hinkley_tradeoff",
    "plot_run_grid",
    "plot_threshold_tradeoff",
    "run_grid_dial",
    "saturation_dial",
    "threshold_dial",
    "threshold_sweep",
    "threshold_tradeoff",
    "total_variation",
]
