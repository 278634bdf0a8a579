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

NumPy (and matplotlib / ipywidgets for drawing) only: no TensorFlow.

>>> Dial("threshold", 0.25, low=0.0, high=1.0).check("threshold")   # a valid slider
>>> Dial("threshold", 2.0, low=0.0, high=1.0).check("threshold")
Traceback (most recent call last):
...
ValueError: Dial('threshold'): value=2.0 is outside [0.0, 1.0]; widen the range or move the default.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from course_lib.core.validation import check_int, check_number

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


# --------------------------------------------------------------------------- the panel
@dataclass(frozen=True)
class Dial:
    """One control of a :func:`dial_panel`: a slider, or a dropdown if ``options`` is given.

    Parameters
    ----------
    label : str
        The text shown next to the control.
    value
        The default position (drawn as the static figure).
    low, high : float
        Range of a slider.
    step : float, optional
        Slider step (log sliders: step of the exponent); default 1/100 of the range.
    log : bool
        A log-scaled slider (``low > 0``).
    integer : bool
        An integer slider.
    options : sequence, optional
        Choices of a dropdown (then ``low``/``high`` are not used).
    select_slider : bool
        Show ``options`` on a slider that snaps to them instead of a dropdown.
    """

    label: str
    value: object
    low: float | None = None
    high: float | None = None
    step: float | None = None
    log: bool = False
    integer: bool = False
    options: tuple | None = None
    select_slider: bool = False

    def check(self, name: str) -> None:
        """Raise a ValueError that names the dial if its settings cannot make a control."""
        where = f"Dial({name!r})"
        if self.options is not None:
            if self.value not in self.options:
                raise ValueError(f"{where}: value={self.value!r} is not one of the options "
                                 f"{list(self.options)}; pick one of them as the default.")
            return
        if self.low is None or self.high is None or not self.low < self.high:
            raise ValueError(f"{where}: a slider needs low < high, got low={self.low!r}, "
                             f"high={self.high!r}.")
        if self.log and self.low <= 0:
            raise ValueError(f"{where}: a log slider needs low > 0, got low={self.low!r}.")
        if not self.low <= self.value <= self.high:
            raise ValueError(f"{where}: value={self.value!r} is outside [{self.low}, "
                             f"{self.high}]; widen the range or move the default.")

    def widget(self):
        """The ipywidgets control (imported here: ipywidgets is needed only to interact)."""
        import ipywidgets as widgets

        style = {"description_width": "initial"}            # full labels, not "thresh..."
        if self.options is not None and self.select_slider:
            return widgets.SelectionSlider(options=list(self.options), value=self.value,
                                           description=self.label, continuous_update=False,
                                           style=style)
        if self.options is not None:
            return widgets.Dropdown(options=list(self.options), value=self.value,
                                    description=self.label, style=style)
        common = {"description": self.label, "continuous_update": False, "style": style}
        if self.log:
            lo, hi = math.log10(self.low), math.log10(self.high)
            return widgets.FloatLogSlider(value=self.value, base=10, min=lo, max=hi,
                                          step=self.step or (hi - lo) / 100,
                                          readout_format=".3g", **common)
        if self.integer:
            return widgets.IntSlider(value=int(self.value), min=int(self.low),
                                     max=int(self.high), step=int(self.step or 1), **common)
        return widgets.FloatSlider(value=self.value, min=self.low, max=self.high,
                                   step=self.step or (self.high - self.low) / 100,
                                   readout_format=".3g", **common)


def dial_panel(draw: Callable[..., object], dials: Mapping[str, Dial], *,
               show_static: bool = True):
    """Controls for ``dials`` that call ``draw(**positions)`` and show its figure.

    Parameters
    ----------
    draw : callable
        Draws one figure for keyword arguments named like ``dials``.
    dials : mapping of str to Dial
        The controls, in display order.
    show_static : bool
        First draw the default positions as a plain figure (what a reader of the
        executed notebook sees, where no Python runs the sliders).

    Returns
    -------
    ipywidgets.VBox or None
        The controls above their output area; None if ipywidgets is missing.

    Examples
    --------
    >>> import contextlib, io, matplotlib
    >>> matplotlib.use("Agg")
    >>> calls = []
    >>> with contextlib.redirect_stdout(io.StringIO()):
    ...     box = dial_panel(lambda **kw: calls.append(kw),
    ...                      {"x": Dial("x", 0.5, low=0.0, high=1.0)})
    >>> calls[0]
    {'x': 0.5}
    >>> box.children[0].children[0].description
    'x'
    """
    if not callable(draw):
        raise TypeError(f"dial_panel: draw must be a function of the dials' values, got "
                        f"{type(draw).__name__}.")
    if not dials:
        raise ValueError("dial_panel: pass at least one Dial, e.g. {'threshold': Dial(...)}.")
    for name, dial in dials.items():
        if not isinstance(dial, Dial):
            raise TypeError(f"dial_panel: dials[{name!r}] must be a Dial, got "
                            f"{type(dial).__name__}.")
        dial.check(name)
    import matplotlib.pyplot as plt

    def redraw(**positions):
        draw(**positions)
        plt.gcf().tight_layout()
        plt.show()

    if show_static:
        redraw(**{name: dial.value for name, dial in dials.items()})
    try:
        import ipywidgets as widgets
    except ImportError:  # pragma: no cover - ipywidgets is in requirements.txt
        return None
    controls = {name: dial.widget() for name, dial in dials.items()}
    out = widgets.interactive_output(redraw, controls)
    return widgets.VBox([widgets.HBox(list(controls.values())), out])


def _axes(axes, n: int, figsize):
    import matplotlib.pyplot as plt

    if axes is None:
        _, axes = plt.subplots(1, n, figsize=figsize)
    return list(np.atleast_1d(axes))


# --------------------------------------------------------------------------- ch 01
def logit_losses(z, y) -> dict[str, np.ndarray]:
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
    if y not in (0, 1) or isinstance(y, bool):
        raise ValueError(f"{where}(y={y!r}): y is the label, 0 or 1.")
    z = np.asarray(z, dtype=float)
    if not np.all(np.isfinite(z)):
        raise ValueError(f"{where}: z must hold finite logits; got a NaN or inf.")
    e = np.exp(-np.abs(z))
    p = np.where(z >= 0, 1 / (1 + e), e / (1 + e))
    bce = np.maximum(z, 0) - z * y + np.log1p(e)
    return {"p": p, "mse": (p - y) ** 2, "bce": bce,
            "mse_gradient": 2 * (p - y) * p * (1 - p), "bce_gradient": p - y}


def plot_logit_losses(z: float, y: int, *, z_range=(-10.0, 10.0), axes=None):
    """Loss and gradient of both losses against the logit, with ``z`` marked (chapter 01)."""
    left, right = _axes(axes, 2, (11, 3.8))
    grid = np.linspace(*z_range, 401)
    curve, here = logit_losses(grid, y), logit_losses(np.array([z]), y)
    for key, name, color in (("mse", "squared error (p − y)²", "tab:orange"),
                             ("bce", "cross-entropy", "tab:blue")):
        left.plot(grid, curve[key], color=color, label=name)
        left.plot(z, here[key][0], "o", color=color)
        right.plot(grid, np.abs(curve[f"{key}_gradient"]), color=color, label=name)
        right.plot(z, abs(here[f"{key}_gradient"][0]), "o", color=color)
    left.set(xlabel="logit z", ylabel="loss", ylim=(0, 1.2 * max(1.0, float(here["bce"][0]))),
             title=f"label y = {y}, z = {z:.2f}: p = {here['p'][0]:.3f}")
    right.set(xlabel="logit z", ylabel="|d loss / dz|", ylim=(0, 1.05),
              title=f"gradient: squared error {here['mse_gradient'][0]:+.4f}, "
                    f"cross-entropy {here['bce_gradient'][0]:+.4f}")
    left.legend(fontsize=8)
    right.legend(fontsize=8)
    return left, right


def logit_loss_dial(z: float = -4.0, y: int = 1, *, z_range=(-10.0, 10.0),
                    show_static: bool = True):
    """Slider for the logit and a choice of label, redrawing :func:`plot_logit_losses`."""
    return dial_panel(lambda z, y: plot_logit_losses(z, y, z_range=z_range),
                      {"z": Dial("logit z", z, low=z_range[0], high=z_range[1], step=0.1),
                       "y": Dial("label y", y, options=(0, 1))}, show_static=show_static)


# --------------------------------------------------------------------------- ch 04
def hidden_saturation(params: Mapping, X, y, scale: float, hidden_activation: str = "sigmoid",
                      *, saturated_below: float = 0.01) -> dict:
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
    >>> from course_lib.foundations.nn import init_params
    >>> rng = np.random.default_rng(0)
    >>> X, y = rng.normal(size=(50, 3)), rng.integers(0, 2, size=(50, 1)).astype(float)
    >>> p = init_params(3, 4, seed=0)
    >>> small, big = (hidden_saturation(p, X, y, s) for s in (1.0, 30.0))
    >>> bool(big["saturated"] > small["saturated"]), bool(big["shrink"] < small["shrink"] <= 0.25)
    (True, True)
    """
    from course_lib.foundations.nn import activation_derivative, forward

    scale = check_number(scale, "scale", "hidden_saturation", low=0, low_inclusive=False)
    p = {**params, "W1": scale * np.asarray(params["W1"])}
    cache = forward(p, X, hidden_activation)
    y = np.asarray(y, dtype=float).reshape(cache["Y"].shape)
    deriv = activation_derivative(cache["Z1"], hidden_activation)
    arriving = (cache["Y"] - y) / len(y) @ p["W2"].T          # the delta before phi'
    delta1 = arriving * deriv
    return {"derivative": deriv, "saturated": float(np.mean(deriv < saturated_below)),
            "shrink": float(np.linalg.norm(delta1) / np.linalg.norm(arriving))}


def plot_hidden_saturation(params, X, y, scale: float, *, scales=None, axes=None):
    """Histogram of sigmoid derivatives at ``scale`` and the shrink factor against the scale."""
    left, right = _axes(axes, 2, (11, 3.8))
    scales = np.geomspace(0.1, 30, 25) if scales is None else np.asarray(scales)
    here = hidden_saturation(params, X, y, scale)
    left.hist(here["derivative"].ravel(), bins=np.linspace(0, 0.25, 41), color="tab:blue")
    left.set(xlabel="sigmoid derivative at the hidden pre-activations, σ′(Z₁)",
             ylabel="count (hidden units × examples)",
             title=f"W1 × {scale:.3g}: {here['saturated']:.0%} saturated (σ′ < 0.01)")
    for act, color in (("sigmoid", "tab:blue"), ("relu", "tab:green")):
        right.plot(scales, [hidden_saturation(params, X, y, s, act)["shrink"] for s in scales],
                   color=color, label=f"{act} hidden units")
    right.plot(scale, here["shrink"], "o", color="tab:blue")
    right.axvline(scale, color="0.6", ls=":")
    right.set(xscale="log", xlabel="scale of the first-layer weights W1", ylim=(0, 1.05),
              ylabel="|δ₁| / |δ₂ W₂ᵀ|", title=f"shrink factor of the delta: {here['shrink']:.3f}")
    right.legend(fontsize=8)
    return left, right


def saturation_dial(params, X, y, scale: float = 1.0, *, show_static: bool = True):
    """Log slider for the first-layer weight scale, redrawing :func:`plot_hidden_saturation`."""
    scales = np.geomspace(0.1, 30, 25)
    return dial_panel(lambda scale: plot_hidden_saturation(params, X, y, scale, scales=scales),
                      {"scale": Dial("W1 scale", scale, low=0.1, high=30.0, log=True)},
                      show_static=show_static)


# --------------------------------------------------------------------------- ch 07
def _threshold_inputs(y_true, scores, p_true, where):
    y = np.asarray(y_true).ravel()
    s = np.asarray(scores, dtype=float).ravel()
    if y.shape != s.shape or y.size == 0:
        raise ValueError(f"{where}: y_true and scores must be 1-D of the same non-zero length, "
                         f"got {y.shape} and {s.shape}.")
    if not np.isin(y, (0, 1)).all():
        raise ValueError(f"{where}: y_true must hold 0/1 labels.")
    worth = y.astype(float) if p_true is None else np.asarray(p_true, dtype=float).ravel()
    if worth.shape != y.shape:
        raise ValueError(f"{where}: p_true must have one probability per view, got shape "
                         f"{worth.shape} for {y.size} views.")
    return y.astype(int), s, worth


def threshold_tradeoff(y_true, scores, threshold: float, *, p_true=None, value: float = 4.0,
                       cost: float = 1.0) -> dict[str, float]:
    """Precision, recall, share flagged and expected profit of flagging ``scores >= threshold``.

    The profit of flagging a view is ``value * p - cost``, with ``p`` the true
    purchase probability ``p_true`` when it is known (ShopSim) and otherwise
    the outcome ``y_true`` itself (the realised profit). Chapter 07, section 9.

    Examples
    --------
    >>> r = threshold_tradeoff([1, 0, 1, 0], [0.9, 0.6, 0.4, 0.1], 0.5, value=4, cost=1)
    >>> r["precision"], r["recall"], r["flagged"], r["profit"]
    (0.5, 0.5, 0.5, 2.0)
    """
    where = "threshold_tradeoff"
    threshold = check_number(threshold, "threshold", where, low=0, high=1)
    y, s, worth = _threshold_inputs(y_true, scores, p_true, where)
    flag = s >= threshold
    tp, n_flag, n_pos = int(np.sum(y[flag])), int(np.sum(flag)), int(np.sum(y))
    return {"threshold": threshold, "precision": tp / n_flag if n_flag else 0.0,
            "recall": tp / n_pos if n_pos else 0.0, "flagged": n_flag / y.size,
            "profit": float(np.sum(value * worth[flag] - cost))}


def threshold_sweep(y_true, scores, thresholds=None, *, p_true=None, value: float = 4.0,
                    cost: float = 1.0) -> dict[str, np.ndarray]:
    """:func:`threshold_tradeoff` at many thresholds at once (one sort, cumulative sums).

    Examples
    --------
    >>> sweep = threshold_sweep([1, 0, 1, 0], [0.9, 0.6, 0.4, 0.1], [0.0, 0.5, 1.0])
    >>> sweep["precision"].tolist(), sweep["profit"].tolist()
    ([0.5, 0.5, 0.0], [4.0, 2.0, 0.0])
    """
    y, s, worth = _threshold_inputs(y_true, scores, p_true, "threshold_sweep")
    t = np.linspace(0, 1, 201) if thresholds is None else np.asarray(thresholds, dtype=float)
    order = np.argsort(-s, kind="stable")
    s_desc = s[order]
    tp = np.r_[0, np.cumsum(y[order])]
    gain = np.r_[0.0, np.cumsum(value * worth[order] - cost)]
    n_flag = np.searchsorted(-s_desc, -t, side="right")       # how many scores >= t
    with np.errstate(invalid="ignore", divide="ignore"):
        prec = np.where(n_flag > 0, tp[n_flag] / np.maximum(n_flag, 1), 0.0)
    return {"threshold": t, "precision": prec, "recall": tp[n_flag] / max(int(y.sum()), 1),
            "flagged": n_flag / y.size, "profit": gain[n_flag]}


def plot_threshold_tradeoff(sweep: Mapping, point: Mapping, *, axes=None):
    """Precision/recall/flagged share and expected profit against the threshold, ``point`` marked."""
    left, right = _axes(axes, 2, (11, 3.8))
    t = sweep["threshold"]
    for key, color in (("precision", "tab:blue"), ("recall", "tab:orange"),
                       ("flagged", "tab:gray")):
        label = "share of views flagged" if key == "flagged" else key
        left.plot(t, sweep[key], color=color, label=label)
        left.plot(point["threshold"], point[key], "o", color=color)
    left.axvline(point["threshold"], color="0.6", ls=":")
    left.set(xlabel="decision threshold", ylabel="share", ylim=(0, 1.02),
             title=f"threshold {point['threshold']:.2f}: precision {point['precision']:.2f}, "
                   f"recall {point['recall']:.2f}")
    left.legend(fontsize=8)
    right.plot(t, sweep["profit"], color="tab:green")
    right.plot(point["threshold"], point["profit"], "o", color="tab:green")
    right.axhline(0, color="k", lw=0.8)
    right.axvline(point["threshold"], color="0.6", ls=":")
    right.set(xlabel="decision threshold", ylabel="expected profit (EUR)",
              title=f"expected profit EUR {point['profit']:,.0f}")
    return left, right


def threshold_dial(y_true, scores, *, p_true=None, value: float = 4.0, cost: float = 1.0,
                   threshold: float = 0.25, show_static: bool = True):
    """Threshold slider over :func:`threshold_tradeoff`; the curves are computed once."""
    sweep = threshold_sweep(y_true, scores, p_true=p_true, value=value, cost=cost)

    def draw(threshold):
        point = threshold_tradeoff(y_true, scores, threshold, p_true=p_true, value=value,
                                   cost=cost)
        plot_threshold_tradeoff(sweep, point)

    return dial_panel(draw, {"threshold": Dial("threshold", threshold, low=0.0, high=1.0,
                                               step=0.01)}, show_static=show_static)


# --------------------------------------------------------------------------- ch 08
def page_hinkley_trace(stream, *, delta: float, threshold: float, min_instances: int = 7,
                       mode: str = "both") -> dict[str, np.ndarray]:
    """Page-Hinkley's statistic after each value of ``stream``, and the alarm steps.

    At an alarm the trace holds the value that crossed the threshold; the
    detector then resets, so the statistic restarts from 0.

    >>> r = page_hinkley_trace([0.0] * 10 + [2.0] * 5, delta=0.1, threshold=3, min_instances=5)
    >>> r["alarms"].tolist()
    [11]
    """
    from course_lib.continual.drift import PageHinkley, statistic_trace

    detector = PageHinkley(delta=delta, threshold=threshold, min_instances=min_instances,
                           mode=mode)
    stat, alarms = statistic_trace(detector, np.asarray(stream, dtype=float), return_alarms=True)
    return {"statistic": stat, "alarms": alarms}


def page_hinkley_tradeoff(stable_streams: Sequence, sudden_streams: Sequence,
                          change_points: Sequence[Sequence[int]], *, delta: float,
                          threshold: float, max_delay: int | None = None,
                          min_instances: int = 7, mode: str = "both") -> dict[str, float]:
    """False alarms on streams without change and delay on streams with one, for one (δ, λ).

    Parameters
    ----------
    stable_streams : sequence of 1-D arrays
        Monitored values (e.g. a static model's daily MAE) of worlds where
        nothing changes: every alarm is false.
    sudden_streams : sequence of 1-D arrays
        Values of worlds with changes at ``change_points`` (one list per stream).
    delta, threshold, min_instances, mode
        Page-Hinkley's settings (``course_lib.continual.drift.PageHinkley``).
    max_delay : int, optional
        An alarm later than this after a change does not detect it.

    Returns
    -------
    dict
        ``false_alarms_per_100`` (mean over the stable streams, per 100 steps),
        ``mean_delay`` (steps, over all detected changes; NaN if none) and
        ``missed`` (changes without an alarm). Chapter 08, section 5.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> calm = [rng.normal(1.0, 0.05, 90) for _ in range(3)]
    >>> jump = [np.r_[rng.normal(1.0, 0.05, 30), rng.normal(1.3, 0.05, 60)] for _ in range(3)]
    >>> r = page_hinkley_tradeoff(calm, jump, [[30]] * 3, delta=0.01, threshold=1.0)
    >>> r["false_alarms_per_100"], r["missed"], r["mean_delay"] < 6
    (0.0, 0, True)
    """
    from course_lib.continual.drift import score_detections

    where = "page_hinkley_tradeoff"
    if len(sudden_streams) != len(change_points):
        raise ValueError(f"{where}: give one list of change points per sudden stream, got "
                         f"{len(sudden_streams)} streams and {len(change_points)} lists.")
    if not stable_streams or not sudden_streams:
        raise ValueError(f"{where}: pass at least one stable and one sudden stream.")
    settings = {"delta": delta, "threshold": threshold, "min_instances": min_instances,
                "mode": mode}
    false_alarms = []
    for stream in stable_streams:
        alarms = page_hinkley_trace(stream, **settings)["alarms"]
        false_alarms.append(score_detections(alarms, [], len(stream)).false_alarms_per_100)
    delays, missed = [], 0
    for stream, changes in zip(sudden_streams, change_points):
        alarms = page_hinkley_trace(stream, **settings)["alarms"]
        s = score_detections(alarms, list(changes), len(stream), max_delay=max_delay)
        delays += s.delays
        missed += s.missed
    return {"delta": float(delta), "threshold": float(threshold),
            "false_alarms_per_100": float(np.mean(false_alarms)),
            "mean_delay": float(np.mean(delays)) if delays else math.nan, "missed": missed}


def plot_page_hinkley_tradeoff(example_stream, example_changes, curve: Sequence[Mapping],
                               point: Mapping, *, axes=None):
    """The statistic on one changing stream (left) and delay vs false alarms over λ (right)."""
    left, right = _axes(axes, 2, (11, 3.8))
    trace = page_hinkley_trace(example_stream, delta=point["delta"],
                               threshold=point["threshold"])
    left.plot(trace["statistic"], color="tab:blue", label="Page-Hinkley statistic")
    left.axhline(point["threshold"], color="tab:red", ls="--", label=f"λ = {point['threshold']:.3g}")
    if trace["alarms"].size:
        left.plot(trace["alarms"], np.full(trace["alarms"].size, point["threshold"]), "v",
                  color="tab:red", label="alarm")
    for i, c in enumerate(example_changes):
        left.axvline(c, color="k", ls=":", label="change point" if i == 0 else None)
    left.set(xlabel="monitored day", ylabel="statistic (stars)",
             title=f"one 'sudden' world, δ = {point['delta']:.3g}")
    left.legend(fontsize=8)
    xs = [c["mean_delay"] for c in curve]
    ys = [c["false_alarms_per_100"] for c in curve]
    right.plot(xs, ys, "o-", color="0.6", ms=3, label=f"λ from {curve[0]['threshold']:.3g} "
                                                       f"to {curve[-1]['threshold']:.3g}")
    right.plot(point["mean_delay"], point["false_alarms_per_100"], "o", color="tab:red", ms=8,
               label="this λ")
    right.set(xlabel="mean detection delay on 'sudden' worlds (days)",
              ylabel="false alarms per 100 days ('stable')",
              title=f"delay {point['mean_delay']:.1f} d, false alarms "
                    f"{point['false_alarms_per_100']:.2f}/100 d, missed {point['missed']}")
    right.legend(fontsize=8)
    return left, right


def page_hinkley_dial(stable_streams, sudden_streams, change_points, *, delta: float = 0.01,
                      threshold: float = 1.0, max_delay: int | None = None,
                      show_static: bool = True):
    """Sliders for δ and λ redrawing :func:`plot_page_hinkley_tradeoff`."""
    lambdas = np.geomspace(0.2, 5.0, 10)

    def draw(delta, threshold):
        run = {"delta": delta, "max_delay": max_delay}
        curve = [page_hinkley_tradeoff(stable_streams, sudden_streams, change_points,
                                       threshold=lam, **run) for lam in lambdas]
        point = page_hinkley_tradeoff(stable_streams, sudden_streams, change_points,
                                      threshold=threshold, **run)
        plot_page_hinkley_tradeoff(sudden_streams[0], change_points[0], curve, point)

    return dial_panel(draw, {"delta": Dial("δ (tolerated change)", delta, low=0.0, high=0.1,
                                           step=0.005),
                             "threshold": Dial("λ (threshold)", threshold, low=0.2, high=5.0,
                                               log=True)},
                      show_static=show_static)


# --------------------------------------------------------------------------- ch 09
def grid_point(grid, key: str, value: float) -> dict:
    """The run of a precomputed grid whose ``key`` is nearest to ``value``, as a dict.

    When each run is expensive (chapter 09 trains Keras models), the dial
    moves over a small grid computed once, and this lookup is all a move costs.

    >>> grid = {"replay_ratio": [0.0, 0.5, 1.0], "season_forgetting": [0.12, 0.08, 0.05]}
    >>> grid_point(grid, "replay_ratio", 0.6)
    {'replay_ratio': 0.5, 'season_forgetting': 0.08}
    """
    where = "grid_point"
    if key not in grid:
        raise ValueError(f"{where}: key={key!r} is not a column of the grid; it has "
                         f"{list(grid.keys())}.")
    xs = np.asarray(grid[key], dtype=float)
    if xs.size == 0:
        raise ValueError(f"{where}: the grid is empty; run at least one setting first.")
    value = check_number(value, "value", where)
    i = int(np.argmin(np.abs(xs - value)))
    return {name: np.asarray(grid[name])[i].item() for name in grid}


def plot_run_grid(grid, key: str, value: float, *, quality: Sequence[str], cost: str,
                  xlabel: str | None = None, axes=None):
    """Quality columns (left) and a cost column (right) of a grid of runs, ``value`` marked."""
    left, right = _axes(axes, 2, (11, 3.8))
    point = grid_point(grid, key, value)
    xs = np.asarray(grid[key], dtype=float)
    order = np.argsort(xs)
    colors = ["tab:green", "tab:purple", "tab:orange", "tab:blue"]
    for name, color in zip(quality, colors):
        ys = np.asarray(grid[name], dtype=float)
        left.plot(xs[order], ys[order], "o-", color=color, label=name.replace("_", " "))
        left.plot(point[key], point[name], "o", color=color, ms=11, mfc="none", mew=2)
    left.axvline(point[key], color="0.6", ls=":")
    left.set(xlabel=xlabel or key, ylabel="RMSE (stars)",
             title=", ".join(f"{n.replace('_', ' ')} {point[n]:.3f}" for n in quality))
    left.legend(fontsize=8)
    ys = np.asarray(grid[cost], dtype=float)
    right.plot(xs[order], ys[order], "o-", color="tab:gray")
    right.plot(point[key], point[cost], "o", color="tab:red", ms=9)
    right.set(xlabel=xlabel or key, ylabel=cost.replace("_", " "), ylim=(0, None),
              title=f"{cost.replace('_', ' ')}: {point[cost]:,.0f}")
    return left, right


def run_grid_dial(grid, key: str, value: float, *, quality: Sequence[str], cost: str,
                  label: str | None = None, show_static: bool = True):
    """A slider that snaps to the grid's ``key`` values and redraws :func:`plot_run_grid`."""
    options = tuple(sorted(float(x) for x in np.asarray(grid[key], dtype=float)))
    start = grid_point(grid, key, value)[key]
    return dial_panel(
        lambda value: plot_run_grid(grid, key, value, quality=quality, cost=cost, xlabel=label),
        {"value": Dial(label or key, float(start), options=options, select_slider=True)},
        show_static=show_static)


# --------------------------------------------------------------------------- ch 10
def gate_outcomes(candidate_recent, production_recent, candidate_guard, production_guard,
                  label_psi, *, tolerance: float, guard_tolerance: float,
                  max_label_psi: float = math.inf) -> dict[str, np.ndarray]:
    """The validation gate's verdict for logged per-batch numbers, for other tolerances.

    The same rule as ``course_lib.continual.pipeline.ValidationGate.decide``, for many
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
    guard_tolerance = check_number(guard_tolerance, "guard_tolerance", where, low=0,
                                   allow_inf=True)
    max_label_psi = check_number(max_label_psi, "max_label_psi", where, low=0, allow_inf=True)
    cols = [np.asarray(c, dtype=float).ravel() for c in
            (candidate_recent, production_recent, candidate_guard, production_guard, label_psi)]
    if len({c.size for c in cols}) != 1:
        raise ValueError(f"{where}: the five columns must have one value per batch each, got "
                         f"lengths {[c.size for c in cols]}.")
    cand, prod, cand_g, prod_g, psi_ = cols
    recent_ok = cand <= prod + tolerance                     # NaN compares False: rejected
    guard_ok = cand_g <= prod_g + guard_tolerance
    labels_ok = psi_ <= max_label_psi
    return {"recent_ok": recent_ok, "guard_ok": guard_ok, "labels_ok": labels_ok,
            "accepted": recent_ok & guard_ok & labels_ok}


def plot_gate_outcomes(log, tolerance: float, guard_tolerance: float, max_label_psi: float,
                       *, batch_labels=None, axes=None):
    """Per-batch gaps with the tolerances (left) and accepted batches against the tolerance.

    ``log`` has the columns of ``UpdatePipeline.log``: ``candidate_recent_rmse``,
    ``production_recent_rmse``, ``candidate_guard_rmse``, ``production_guard_rmse``,
    ``label_psi``.
    """
    left, right = _axes(axes, 2, (12, 3.8))
    cols = [np.asarray(log[c], dtype=float) for c in
            ("candidate_recent_rmse", "production_recent_rmse", "candidate_guard_rmse",
             "production_guard_rmse", "label_psi")]
    out = gate_outcomes(*cols, tolerance=tolerance, guard_tolerance=guard_tolerance,
                        max_label_psi=max_label_psi)
    x = np.arange(cols[0].size) if batch_labels is None else np.asarray(batch_labels)
    recent_gap, guard_gap = cols[0] - cols[1], cols[2] - cols[3]
    left.axhline(tolerance, color="tab:blue", ls="--", lw=1, label=f"tolerance {tolerance:.3g}")
    left.axhline(guard_tolerance, color="tab:orange", ls="--", lw=1,
                 label=f"guard tolerance {guard_tolerance:.3g}")
    left.plot(x, recent_gap, "o", color="tab:blue", label="recent: candidate − production")
    left.plot(x, guard_gap, "s", color="tab:orange", ms=4, label="guard: candidate − production")
    rejected = ~out["accepted"]
    left.plot(x[rejected], np.maximum(recent_gap, guard_gap)[rejected] + 0.02, "x", color="red",
              ms=9, mew=2, label="rejected")
    shifted = ~out["labels_ok"]
    for xi in x[shifted]:
        left.axvspan(xi - 0.4, xi + 0.4, color="tab:red", alpha=0.12, lw=0)
    left.set(xlabel="batch (week)", ylabel="RMSE gap (stars)",
             title=f"accepted {int(out['accepted'].sum())} of {x.size} "
                   f"(red band: label PSI > {max_label_psi:.3g})")
    left.legend(fontsize=7, ncol=2)
    grid = np.linspace(0, 0.2, 81)
    for g_tol, style in ((guard_tolerance, "-"), (math.inf, ":")):
        counts = [int(gate_outcomes(*cols, tolerance=t, guard_tolerance=g_tol,
                                    max_label_psi=max_label_psi)["accepted"].sum()) for t in grid]
        right.step(grid, counts, style, where="post", color="tab:blue",
                   label="with the guard" if style == "-" else "without the guard")
    right.plot(tolerance, out["accepted"].sum(), "o", color="tab:red")
    right.yaxis.get_major_locator().set_params(integer=True)
    right.set(xlabel="tolerance on the recent slice (stars of RMSE)",
              ylabel="batches accepted", ylim=(0, x.size + 0.5),
              title=f"tolerance {tolerance:.3g}: {int(out['accepted'].sum())} accepted, "
                    f"{int(rejected.sum())} rejected")
    right.legend(fontsize=8)
    return left, right


def gate_dial(log, *, tolerance: float = 0.02, guard_tolerance: float = 0.05,
              max_label_psi: float = 0.25, batch_labels=None, show_static: bool = True):
    """Sliders for the gate's three thresholds, redrawing :func:`plot_gate_outcomes`."""
    return dial_panel(
        lambda tolerance, guard_tolerance, max_label_psi: plot_gate_outcomes(
            log, tolerance, guard_tolerance, max_label_psi, batch_labels=batch_labels),
        {"tolerance": Dial("tolerance", tolerance, low=0.0, high=0.2, step=0.005),
         "guard_tolerance": Dial("guard tolerance", guard_tolerance, low=0.0, high=0.2,
                                 step=0.005),
         "max_label_psi": Dial("max label PSI", max_label_psi, low=0.01, high=3.0, log=True)},
        show_static=show_static)


# --------------------------------------------------------------------------- ch 11
def decayed_share_history(days, counts, half_life: float | None, *,
                          prior: float = 1.0) -> np.ndarray:
    r"""Category shares estimated *before* each day, from decayed counts of the earlier days.

    ``counts[t]`` holds the events of day ``days[t]`` (shape ``(n_days, ..., K)``,
    e.g. ``(n_days, K)`` for one profile or ``(n_days, n_users, K)`` per user).
    The estimate for day :math:`d_t` is
    :math:`(n_c + \text{prior}/K) / (\sum_c n_c + \text{prior})` with
    :math:`n_c = \sum_{s<t} \text{counts}_{s,c}\, 0.5^{(d_t - d_s)/h}`: exactly what
    ``recsys.CategoryPreferenceTracker(half_life=h, prior=prior)`` returns when
    it is asked before it learns each day (chapter 11, section 3), for all
    days at once.

    Examples
    --------
    Two books on day 0, one sports item on day 10; asked on days 0, 10 and 20:

    >>> counts = np.array([[2.0, 0.0], [0.0, 1.0], [0.0, 0.0]])
    >>> decayed_share_history([0, 10, 20], counts, half_life=10, prior=0.0)
    array([[0.5, 0.5],
           [1. , 0. ],
           [0.5, 0.5]])

    (Nothing known on day 0: uniform. On day 20 the books weigh 2 x 0.25 and
    the sports item 1 x 0.5.)
    """
    where = "decayed_share_history"
    days = np.asarray(days, dtype=float).ravel()
    counts = np.asarray(counts, dtype=float)
    if counts.ndim < 2 or counts.shape[0] != days.size:
        raise ValueError(f"{where}: counts must have shape (n_days, ..., n_categories) with "
                         f"n_days = len(days) = {days.size}, got {counts.shape}.")
    if np.any(np.diff(days) < 0):
        raise ValueError(f"{where}: days must be in increasing order.")
    h = None if half_life is None else check_number(half_life, "half_life", where, low=0,
                                                    low_inclusive=False)
    prior = check_number(prior, "prior", where, low=0)
    k = counts.shape[-1]
    running = np.zeros(counts.shape[1:])
    out = np.empty_like(counts)
    for t in range(days.size):
        if t and h is not None:
            running *= 0.5 ** ((days[t] - days[t - 1]) / h)
        total = running.sum(axis=-1, keepdims=True) + prior
        with np.errstate(invalid="ignore", divide="ignore"):
            out[t] = np.where(total > 0, (running + prior / k) / total, 1.0 / k)
        running += counts[t]
    return out


def total_variation(p, q) -> np.ndarray:
    """Half the sum of absolute differences over the last axis (0 = equal, 1 = disjoint).

    >>> float(total_variation([0.5, 0.5], [1.0, 0.0]))
    0.5
    """
    return 0.5 * np.abs(np.asarray(p, dtype=float) - np.asarray(q, dtype=float)).sum(axis=-1)


def plot_half_life_tradeoff(days, share_est, share_true, curve: Mapping, half_life,
                            point: Mapping, *, window=None, share_label: str = "share",
                            axes=None):
    """Tracked vs true share over the days (left) and tracking error against the half-life."""
    left, right = _axes(axes, 2, (11, 3.8))
    left.plot(days, share_true, "k--", lw=2, label="truth")
    left.plot(days, share_est, color="tab:blue", label="tracked share")
    if window is not None:
        left.axvspan(*window, color="0.92", zorder=0, label="scored days")
    left.set(xlabel="day", ylabel=share_label, ylim=(0, None),
             title=f"half-life {'all-time' if half_life is None else f'{half_life:.3g} days'}")
    left.legend(fontsize=8)
    for key, color, name in (("region", "tab:blue", "one profile for the region"),
                             ("user", "tab:orange", "one profile per user")):
        if key in curve:
            right.plot(curve["half_life"], curve[key], color=color, label=name)
            right.plot(half_life if half_life is not None else curve["half_life"][-1],
                       point[key], "o", color=color)
    right.set(xscale="log", xlabel="half-life (days)",
              ylabel="mean total-variation distance to the truth",
              title="  ".join(f"{k}: {v:.3f}" for k, v in point.items()))
    right.legend(fontsize=8)
    return left, right


def half_life_dial(errors: Callable[[float | None], Mapping], history: Callable,
                   *, half_life: float = 14.0, half_lives=None, window=None,
                   share_label: str = "share", show_static: bool = True):
    """Half-life slider. ``errors(h)`` returns the tracking errors (e.g. ``{"region": ..,
    "user": ..}``) and ``history(h)`` returns ``(days, estimated, true)`` shares to plot; both
    are cheap calls of :func:`decayed_share_history` on counts precomputed by the caller."""
    grid = np.geomspace(2, 200, 15) if half_lives is None else np.asarray(half_lives)
    rows = [errors(float(h)) for h in grid]
    curve = {"half_life": grid, **{k: np.array([r[k] for r in rows]) for k in rows[0]}}

    def draw(half_life):
        days, est, true = history(half_life)
        plot_half_life_tradeoff(days, est, true, curve, half_life, errors(half_life),
                                window=window, share_label=share_label)

    return dial_panel(draw, {"half_life": Dial("half-life (days)", half_life, low=float(grid[0]),
                                               high=float(grid[-1]), log=True)},
                      show_static=show_static)


# --------------------------------------------------------------------------- ch 12
def dp_expected_error(clipped, exact, sensitivity: float, epsilon: float) -> dict:
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
        raise ValueError(f"{where}: clipped and exact must have the same shape and every exact "
                         f"count must be > 0 (a relative error needs it), got shapes "
                         f"{clipped.shape}, {exact.shape}.")
    b = sensitivity / epsilon
    gap = np.abs(clipped - exact)
    per_count = (gap + b * np.exp(-gap / b)) / exact
    return {"scale": b, "per_count": per_count, "mean": float(per_count.mean())}


def plot_dp_tradeoff(names, exact, clipped_by_cap: Mapping[int, np.ndarray], cap: int,
                     epsilon: float, *, seed: int = 0, epsilons=None, axes=None):
    """One noisy release next to the exact counts (left), expected error against ε (right)."""
    from course_lib.responsible.audit import laplace_mechanism

    left, right = _axes(axes, 2, (12, 3.8))
    clipped = np.asarray(clipped_by_cap[cap], dtype=float)
    exact = np.asarray(exact, dtype=float)
    here = dp_expected_error(clipped, exact, cap, epsilon)
    noisy = laplace_mechanism(clipped, sensitivity=cap, epsilon=epsilon, seed=seed)
    x = np.arange(len(names))
    left.bar(x - 0.2, exact, 0.4, color="0.7", label="exact")
    left.bar(x + 0.2, noisy, 0.4, color="tab:blue", label=f"released (one draw, seed {seed})")
    left.errorbar(x + 0.2, clipped, yerr=here["scale"], fmt="none", ecolor="k", capsize=3,
                  label="clipped ± noise scale b")
    left.set_xticks(x, list(names), rotation=30, fontsize=8)
    left.set(ylabel="purchases", title=f"cap m = {cap}, ε = {epsilon:.3g}: b = m/ε = "
                                       f"{here['scale']:.3g}")
    left.legend(fontsize=8)
    grid = np.geomspace(0.05, 5, 60) if epsilons is None else np.asarray(epsilons)
    for m in sorted(clipped_by_cap):
        errs = [dp_expected_error(clipped_by_cap[m], exact, m, e)["mean"] for e in grid]
        right.plot(grid, errs, color="tab:blue" if m == cap else "0.8",
                   lw=2 if m == cap else 1, label=f"cap m = {m}" if m == cap else None)
    right.plot(epsilon, here["mean"], "o", color="tab:red")
    right.set(xscale="log", yscale="log", xlabel="privacy budget ε (smaller = more private)",
              ylabel="expected relative error (mean)",
              title=f"expected relative error {here['mean']:.3f} (grey: other caps)")
    right.legend(fontsize=8)
    return left, right


def dp_dial(names, exact, clipped_by_cap: Mapping[int, np.ndarray], *, epsilon: float = 1.0,
            cap: int = 10, seed: int = 0, show_static: bool = True):
    """Sliders for ε and the cap m, redrawing :func:`plot_dp_tradeoff`."""
    caps = tuple(sorted(clipped_by_cap))
    check_int(cap, "cap", "dp_dial")
    return dial_panel(
        lambda epsilon, cap: plot_dp_tradeoff(names, exact, clipped_by_cap, cap, epsilon,
                                              seed=seed),
        {"epsilon": Dial("ε (privacy budget)", epsilon, low=0.05, high=5.0, log=True),
         "cap": Dial("cap m", cap, options=caps)}, show_static=show_static)
