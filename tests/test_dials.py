"""Tests of course_lib.viz.dials: the pure functions against the library, gradients, speed, wiring."""

from __future__ import annotations

import contextlib
import io
import math
import time

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from course_lib.foundations import check_gradient
from course_lib.viz import dials
from course_lib.viz.dials import (
    Dial,
    decayed_share_history,
    dial_panel,
    dp_expected_error,
    gate_outcomes,
    grid_point,
    hidden_saturation,
    logit_losses,
    page_hinkley_trace,
    page_hinkley_tradeoff,
    threshold_sweep,
    threshold_tradeoff,
    total_variation,
)

FAST = 0.2  # seconds for the pure function of one dial position (2 busy cores)
REDRAW = 1.0  # seconds for one whole redraw (compute + draw)


def best_time(fn, repeats=3):
    """The fastest of a few runs: the cost of the call, not of the neighbours' load."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def quiet(fn, *args, **kwargs):
    with contextlib.redirect_stdout(io.StringIO()):
        out = fn(*args, **kwargs)
    plt.close("all")
    return out


# --------------------------------------------------------------------------- the panel
def test_panel_draws_the_default_first_then_redraws_on_change():
    calls = []
    box = quiet(
        dial_panel,
        lambda **kw: calls.append(kw),
        {"t": Dial("threshold", 0.3, low=0.0, high=1.0), "y": Dial("label", 1, options=(0, 1))},
    )
    assert calls[0] == {"t": 0.3, "y": 1}
    t, y = box.children[0].children
    assert [t.description, y.description] == ["threshold", "label"]
    assert t.style.description_width == "initial"
    with contextlib.redirect_stdout(io.StringIO()):
        t.value = 0.6
        y.value = 0
    plt.close("all")
    assert calls[-1] == {"t": 0.6, "y": 0}


def test_panel_log_and_integer_sliders():
    box = quiet(
        dial_panel,
        lambda **kw: None,
        {
            "lam": Dial("λ", 1.0, low=0.2, high=5.0, log=True),
            "k": Dial("k", 3, low=1, high=10, integer=True),
        },
        show_static=False,
    )
    lam, k = box.children[0].children
    assert type(lam).__name__ == "FloatLogSlider" and math.isclose(lam.value, 1.0)
    assert type(k).__name__ == "IntSlider" and k.value == 3


@pytest.mark.parametrize(
    "dial, message",
    [
        (Dial("x", 2.0, low=0.0, high=1.0), r"value must be a number with 0 <= value <= 1; widen"),
        (Dial("x", 0.5, low=1.0, high=0.0), r"high must be a number > 1; .* low < high"),
        (Dial("x", 0.5, low=0.0, high=1.0, log=True), r"low must be a positive number.*log slider"),
        (Dial("x", 3, options=(0, 1)), "value must be one of 0, 1"),
    ],
)
def test_panel_explains_bad_dials(dial, message):
    with pytest.raises(ValueError, match=message):
        dial_panel(lambda **kw: None, {"x": dial})


def test_panel_rejects_non_dials_and_non_functions():
    with pytest.raises(TypeError, match="must be a Dial"):
        dial_panel(lambda **kw: None, {"x": 0.5})
    with pytest.raises(TypeError, match="draw must be a function"):
        dial_panel("plot", {"x": Dial("x", 0.5, low=0, high=1)})
    with pytest.raises(ValueError, match="at least one Dial"):
        dial_panel(lambda **kw: None, {})


# --------------------------------------------------------------------------- ch 01
@pytest.mark.parametrize("y", [0, 1])
def test_logit_loss_gradients_match_finite_differences(y):
    z = np.linspace(-6, 6, 13)
    for key in ("mse", "bce"):
        result = check_gradient(
            lambda q, key=key: float(logit_losses(q, y)[key].sum()),
            lambda q, key=key: logit_losses(q, y)[f"{key}_gradient"],
            z,
        )
        assert result.passed, (key, result)


def test_logit_losses_agree_with_the_losses_module():
    from course_lib.foundations import losses, sigmoid

    z = np.array([-40.0, -3.0, 0.0, 2.5, 40.0])
    for y in (0, 1):
        r = logit_losses(z, y)
        labels = np.full(z.size, float(y))
        for k in range(z.size):
            assert np.isclose(
                r["bce"][k],
                losses.binary_crossentropy(labels[k : k + 1], z[k : k + 1], from_logits=True),
            )
        assert np.allclose(r["p"], sigmoid(z))
    assert np.isfinite(logit_losses(np.array([-800.0, 800.0]), 1)["bce"]).all()


def test_squared_error_gradient_vanishes_when_confidently_wrong():
    r = logit_losses(np.array([-8.0]), 1)
    assert abs(r["mse_gradient"][0]) < 1e-3 and abs(r["bce_gradient"][0]) > 0.99


def test_logit_losses_bad_input():
    with pytest.raises(ValueError, match="0 or 1"):
        logit_losses([0.0], y=2)
    with pytest.raises(ValueError, match="finite"):
        logit_losses([np.nan], y=1)


# --------------------------------------------------------------------------- ch 04
@pytest.fixture(scope="module")
def network():
    from course_lib.foundations import init_params

    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 10))
    y = rng.integers(0, 2, size=(400, 1)).astype(float)
    return init_params(10, 20, seed=0), X, y


def test_hidden_saturation_matches_the_chain_rule(network):
    from course_lib.foundations import activation_derivative, forward

    params, X, y = network
    p = {**params, "W1": 10 * params["W1"]}
    c = forward(p, X, "sigmoid")
    deriv = activation_derivative(c["Z1"], "sigmoid")
    arriving = (c["Y"] - y) / len(X) @ p["W2"].T
    r = hidden_saturation(params, X, y, 10.0)
    assert np.isclose(r["shrink"], np.linalg.norm(arriving * deriv) / np.linalg.norm(arriving))
    assert np.isclose(r["saturated"], np.mean(deriv < 0.01))
    assert hidden_saturation(params, X, y, 0.5)["shrink"] <= 0.25
    relu = [hidden_saturation(params, X, y, s, "relu")["shrink"] for s in (1.0, 30.0)]
    assert min(relu) > 0.5  # active ReLU units pass the delta unchanged


def test_hidden_saturation_bad_scale(network):
    params, X, y = network
    with pytest.raises(ValueError, match="scale"):
        hidden_saturation(params, X, y, 0.0)


# --------------------------------------------------------------------------- ch 07
@pytest.fixture(scope="module")
def purchases():
    rng = np.random.default_rng(1)
    p_true = rng.beta(1, 4, size=42_000)
    y = (rng.random(p_true.size) < p_true).astype(int)
    scores = np.clip(p_true + rng.normal(0, 0.1, p_true.size), 0, 1).round(3)  # with ties
    return y, scores, p_true


def test_threshold_tradeoff_agrees_with_the_metrics(purchases):
    from course_lib.evaluation.metrics import precision, recall

    y, scores, p_true = purchases
    for t in (0.1, 0.25, 0.5, 0.9):
        r = threshold_tradeoff(y, scores, t, p_true=p_true, value=4, cost=1)
        flag = (scores >= t).astype(int)
        assert np.isclose(r["precision"], precision(y, flag))
        assert np.isclose(r["recall"], recall(y, flag))
        assert np.isclose(r["profit"], np.sum(4 * p_true[flag == 1] - 1))
    realised = threshold_tradeoff(y, scores, 0.25)  # no p_true: the outcomes themselves
    assert np.isclose(realised["profit"], np.sum(4 * y[scores >= 0.25] - 1))


def test_threshold_sweep_equals_one_threshold_at_a_time(purchases):
    y, scores, p_true = purchases
    grid = np.r_[0.0, np.unique(scores)[::97], 1.0]
    sweep = threshold_sweep(y, scores, grid, p_true=p_true)
    for i, t in enumerate(grid):
        one = threshold_tradeoff(y, scores, t, p_true=p_true)
        for key in ("precision", "recall", "flagged", "profit"):
            assert np.isclose(sweep[key][i], one[key]), (t, key)


def test_threshold_dial_is_fast(purchases):
    y, scores, p_true = purchases
    assert best_time(lambda: threshold_tradeoff(y, scores, 0.3, p_true=p_true)) < FAST
    sweep = threshold_sweep(y, scores, p_true=p_true)
    point = threshold_tradeoff(y, scores, 0.3, p_true=p_true)
    assert (
        best_time(lambda: (dials.plot_threshold_tradeoff(sweep, point), plt.close("all")), 2)
        < REDRAW
    )


def test_threshold_bad_input(purchases):
    y, scores, _ = purchases
    with pytest.raises(ValueError, match="threshold"):
        threshold_tradeoff(y, scores, 1.5)
    with pytest.raises(ValueError, match="same non-zero length"):
        threshold_tradeoff(y[:10], scores, 0.5)
    with pytest.raises(ValueError, match="0/1 labels"):
        threshold_tradeoff(np.full(3, 2), [0.1, 0.2, 0.3], 0.5)


# --------------------------------------------------------------------------- ch 08
@pytest.fixture(scope="module")
def daily_errors():
    rng = np.random.default_rng(2)
    stable = [rng.normal(0.8, 0.05, 90) for _ in range(5)]
    sudden = [np.r_[rng.normal(0.8, 0.05, 40), rng.normal(0.95, 0.05, 50)] for _ in range(5)]
    return stable, sudden, [[40]] * 5


def test_page_hinkley_tradeoff_equals_the_detector_loop(daily_errors):
    from course_lib.continual import PageHinkley, run_detector, score_detections

    stable, sudden, changes = daily_errors
    for lam in (0.25, 1.0, 3.0):
        r = page_hinkley_tradeoff(stable, sudden, changes, delta=0.01, threshold=lam, max_delay=30)

        def make(lam=lam):
            return PageHinkley(delta=0.01, threshold=lam, min_instances=7, mode="both")

        fa = [
            score_detections(run_detector(make(), s), [], 90).false_alarms_per_100 for s in stable
        ]
        scored = [
            score_detections(run_detector(make(), s), c, 90, max_delay=30)
            for s, c in zip(sudden, changes, strict=True)
        ]
        delays = [d for s in scored for d in s.delays]
        assert np.isclose(r["false_alarms_per_100"], np.mean(fa))
        assert r["missed"] == sum(s.missed for s in scored)
        assert (math.isnan(r["mean_delay"]) and not delays) or np.isclose(
            r["mean_delay"], np.mean(delays)
        )


def test_page_hinkley_trace_alarms_are_run_detector(daily_errors):
    from course_lib.continual import PageHinkley, run_detector

    _, sudden, _ = daily_errors
    trace = page_hinkley_trace(sudden[0], delta=0.01, threshold=0.5)
    expected = run_detector(
        PageHinkley(delta=0.01, threshold=0.5, min_instances=7, mode="both"), sudden[0]
    )
    assert trace["alarms"].tolist() == expected
    assert trace["statistic"].shape == (90,) and (trace["statistic"] >= 0).all()


def test_page_hinkley_dial_is_fast(daily_errors):
    stable, sudden, changes = daily_errors

    def one():
        return page_hinkley_tradeoff(stable, sudden, changes, delta=0.01, threshold=1.0)

    assert best_time(one) < FAST
    box = quiet(dials.page_hinkley_dial, stable, sudden, changes, max_delay=30)
    _, lam = box.children[0].children

    def move():
        with contextlib.redirect_stdout(io.StringIO()):
            lam.value = lam.value * 1.1
        plt.close("all")

    assert best_time(move, 2) < REDRAW


def test_page_hinkley_tradeoff_bad_input(daily_errors):
    stable, sudden, _ = daily_errors
    with pytest.raises(ValueError, match="one list of change points per sudden stream"):
        page_hinkley_tradeoff(stable, sudden, [[40]], delta=0.01, threshold=1.0)
    with pytest.raises(ValueError, match="threshold"):
        page_hinkley_tradeoff(stable, sudden, [[40]] * 5, delta=0.01, threshold=0.0)


# --------------------------------------------------------------------------- ch 10
def test_gate_outcomes_is_the_validation_gate():
    from course_lib.continual import ValidationGate

    rng = np.random.default_rng(3)
    n = 300
    cand, prod = rng.uniform(0.9, 1.3, n), rng.uniform(0.9, 1.3, n)
    cand_g, prod_g = rng.uniform(0.9, 1.3, n), rng.uniform(0.9, 1.3, n)
    psi = rng.uniform(0, 0.5, n)
    cand[::37] = np.nan  # a diverged candidate
    psi[5::41] = np.nan
    gate = ValidationGate(tolerance=0.02, guard_tolerance=0.05, max_label_psi=0.25)
    out = gate_outcomes(
        cand, prod, cand_g, prod_g, psi, tolerance=0.02, guard_tolerance=0.05, max_label_psi=0.25
    )
    expected = [
        gate.decide(c, p, guard=(cg, pg), label_psi=s).accepted
        for c, p, cg, pg, s in zip(cand, prod, cand_g, prod_g, psi, strict=True)
    ]
    assert out["accepted"].tolist() == expected
    assert 0 < out["accepted"].sum() < n


def test_gate_outcomes_monotone_in_the_tolerance_and_fast():
    rng = np.random.default_rng(4)
    cols = [rng.uniform(0.9, 1.3, 16) for _ in range(4)] + [rng.uniform(0, 0.3, 16)]
    counts = [
        gate_outcomes(*cols, tolerance=t, guard_tolerance=math.inf)["accepted"].sum()
        for t in np.linspace(0, 0.5, 11)
    ]
    assert np.all(np.diff(counts) >= 0) and counts[-1] == 16
    assert best_time(lambda: gate_outcomes(*cols, tolerance=0.02, guard_tolerance=0.05)) < FAST
    with pytest.raises(ValueError, match="one value per batch"):
        gate_outcomes(cols[0][:3], *cols[1:], tolerance=0.02, guard_tolerance=0.05)


def test_gate_dial_builds_and_redraws_fast():
    import pandas as pd

    rng = np.random.default_rng(5)
    log = pd.DataFrame(
        {
            c: rng.uniform(0.9, 1.3, 16)
            for c in (
                "candidate_recent_rmse",
                "production_recent_rmse",
                "candidate_guard_rmse",
                "production_guard_rmse",
            )
        }
    ).assign(label_psi=rng.uniform(0, 0.3, 16))
    box = quiet(dials.gate_dial, log)
    tol = box.children[0].children[0]
    assert [c.description for c in box.children[0].children] == [
        "tolerance",
        "guard tolerance",
        "max label PSI",
    ]

    def move():
        with contextlib.redirect_stdout(io.StringIO()):
            tol.value = 0.05 if tol.value != 0.05 else 0.06
        plt.close("all")

    assert best_time(move, 2) < REDRAW


# --------------------------------------------------------------------------- ch 11
def test_decayed_share_history_is_the_tracker():
    from course_lib.recsys import CategoryPreferenceTracker

    rng = np.random.default_rng(6)
    n_days, n_users, k = 40, 12, 4
    days = np.arange(0, 2 * n_days, 2)  # not every calendar day
    counts = rng.poisson(0.3, size=(n_days, n_users, k)).astype(float)
    for half_life in (3.0, 10.0, None):
        history = decayed_share_history(days, counts, half_life)
        tracker = CategoryPreferenceTracker(k, half_life=half_life)
        for t, d in enumerate(days):
            assert np.allclose(history[t], tracker.shares(np.arange(n_users), d)), (half_life, t)
            u, c = np.nonzero(counts[t])
            tracker.update(
                np.repeat(u, counts[t][u, c].astype(int)),
                np.repeat(c, counts[t][u, c].astype(int)),
                d,
            )


def test_decayed_share_history_is_fast_at_chapter_size():
    rng = np.random.default_rng(7)
    counts = rng.poisson(0.05, size=(180, 750, 8)).astype(float)
    assert best_time(lambda: decayed_share_history(np.arange(180), counts, 14.0)) < FAST


def test_decayed_share_history_bad_input():
    with pytest.raises(ValueError, match="n_days = len"):
        decayed_share_history([0, 1], np.zeros((3, 4)), 7.0)
    with pytest.raises(ValueError, match="increasing"):
        decayed_share_history([1, 0], np.zeros((2, 4)), 7.0)
    with pytest.raises(ValueError, match="half_life"):
        decayed_share_history([0, 1], np.zeros((2, 4)), -1.0)


def test_total_variation():
    assert total_variation([1, 0], [0, 1]) == 1.0
    assert np.allclose(total_variation(np.eye(3), np.eye(3)), 0.0)


# --------------------------------------------------------------------------- ch 12
def test_dp_expected_error_matches_monte_carlo():
    from course_lib.responsible import laplace_mechanism

    exact = np.array([2000.0, 500.0, 130.0, 40.0])
    clipped = np.array([1900.0, 480.0, 128.0, 40.0])
    for cap, eps in ((10, 1.0), (5, 0.1), (20, 2.0)):
        r = dp_expected_error(clipped, exact, cap, eps)
        draws = np.array(
            [laplace_mechanism(clipped, sensitivity=cap, epsilon=eps, seed=s) for s in range(4000)]
        )
        simulated = (np.abs(draws - exact) / exact).mean(axis=0)
        assert np.allclose(r["per_count"], simulated, rtol=0.05), (cap, eps)
        assert r["scale"] == cap / eps


def test_dp_expected_error_limits_and_errors():
    r = dp_expected_error([10.0], [10.0], sensitivity=1, epsilon=0.5)
    assert np.isclose(r["per_count"][0], 2.0 / 10)  # unbiased: mean |L| = b
    far = dp_expected_error([0.0], [100.0], sensitivity=1, epsilon=100.0)
    assert np.isclose(far["per_count"][0], 1.0)  # tiny noise: only the clipping bias
    with pytest.raises(ValueError, match="epsilon"):
        dp_expected_error([1.0], [1.0], 1, 0.0)
    with pytest.raises(ValueError, match="exact count must be > 0"):
        dp_expected_error([1.0], [0.0], 1, 1.0)


# --------------------------------------------------------------------------- builders
def test_every_builder_draws_a_static_figure_and_returns_controls(network, purchases):
    params, X, y = network
    yy, scores, _ = purchases
    counts = np.random.default_rng(8).poisson(1.0, size=(30, 4)).astype(float)
    days = np.arange(30)
    truth = np.full((30, 4), 0.25)

    def errors(h):
        return {
            "region": float(total_variation(decayed_share_history(days, counts, h), truth).mean())
        }

    def history(h):
        return days, decayed_share_history(days, counts, h)[:, 0], truth[:, 0]

    built = {
        "logit": (dials.logit_loss_dial, (), ["logit z", "label y"]),
        "saturation": (dials.saturation_dial, (params, X, y), ["W1 scale"]),
        "threshold": (dials.threshold_dial, (yy, scores), ["threshold"]),
        "half-life": (dials.half_life_dial, (errors, history), ["half-life (days)"]),
        "dp": (
            dials.dp_dial,
            (
                list("abcd"),
                [100.0, 50, 20, 10],
                {1: np.array([60.0, 30, 15, 8]), 10: np.array([100.0, 50, 20, 10])},
            ),
            ["ε (privacy budget)", "cap m"],
        ),
    }
    for name, (builder, args, labels) in built.items():
        shown = []
        original = plt.show
        plt.show = lambda *a, shown=shown, **k: shown.append(plt.gcf())
        try:
            box = quiet(builder, *args)
        finally:
            plt.show = original
        assert shown, name  # the static figure came first
        assert [c.description for c in box.children[0].children] == labels, name


def test_dials_module_does_not_import_tensorflow():
    import subprocess
    import sys

    code = (
        "import course_lib.viz.dials, course_lib.foundations.nn, course_lib.continual.drift.page_hinkley, "
        "course_lib.recsys.preferences, course_lib.responsible.privacy, sys; "
        "print('tensorflow' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# --------------------------------------------------------------------------- ch 09
def test_grid_point_picks_the_nearest_run():
    import pandas as pd

    grid = pd.DataFrame(
        {
            "replay_ratio": [0.0, 0.25, 1.0, 2.0],
            "season_forgetting": [0.2, 0.15, 0.1, 0.08],
            "examples_per_update": [600, 750, 1200, 1800],
        }
    )
    assert grid_point(grid, "replay_ratio", 0.3)["season_forgetting"] == 0.15
    assert grid_point(grid, "replay_ratio", 5.0)["examples_per_update"] == 1800
    assert best_time(lambda: grid_point(grid, "replay_ratio", 1.2)) < FAST
    with pytest.raises(ValueError, match="not a column"):
        grid_point(grid, "buffer_size", 1.0)
    box = quiet(
        dials.run_grid_dial,
        grid,
        "replay_ratio",
        1.0,
        quality=["season_forgetting"],
        cost="examples_per_update",
        label="replay ratio",
    )
    slider = box.children[0].children[0]
    assert type(slider).__name__ == "SelectionSlider" and slider.value == 1.0
    assert list(slider.options) == [0.0, 0.25, 1.0, 2.0]
