"""Tests of course_lib.viz.widgets: wiring, static fallback, bad input."""

from __future__ import annotations

import contextlib
import io

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

from course_lib.viz.widgets import batch_size_options, gd_explorer  # noqa: E402


def _explore(**kwargs):
    calls = []
    with contextlib.redirect_stdout(io.StringIO()):
        box = gd_explorer(lambda **kw: calls.append(kw), **kwargs)
    return box, calls


def test_static_figure_first_then_redraw_on_change():
    box, calls = _explore(learning_rate=0.02, n_steps=30, batch_size=8)
    assert calls[0] == {"learning_rate": 0.02, "n_steps": 30, "batch_size": 8}
    lr, steps, batch = box.children[0].children
    with contextlib.redirect_stdout(io.StringIO()):
        steps.value = 60
        batch.value = "full batch"
    assert calls[-1]["n_steps"] == 60 and calls[-1]["batch_size"] is None
    assert batch.options[0] == "full batch"


def test_full_batch_is_a_visible_choice_not_a_blank_dropdown():
    # ipywidgets shows an option whose value is None as "nothing selected" (a blank box):
    # the dropdown must hold labels, and "full batch" must map back to batch_size=None.
    box, calls = _explore(batch_size=None, batch_sizes=(None, 1, 2))
    batch = box.children[0].children[2]
    assert batch.value == "full batch" and batch.index == 0
    assert None not in batch.options
    with contextlib.redirect_stdout(io.StringIO()):
        batch.value = "1 (SGD)"
        batch.value = "full batch"  # picked back: still shown, still None
    assert batch.value == "full batch" and batch.label == "full batch"
    assert [c["batch_size"] for c in calls[-2:]] == [1, None]


def test_slider_labels_are_not_cut():
    box, _ = _explore()
    for child in box.children[0].children:
        assert child.style.description_width == "initial", child.description
    assert [c.description for c in box.children[0].children] == [
        "learning rate",
        "steps",
        "batch size",
    ]


def test_no_static_figure_when_disabled():
    _, calls = _explore(show_static=False)
    assert all(c["n_steps"] == 100 for c in calls)  # only the widget's own first draw
    assert len(calls) <= 1


def test_batch_size_options_reject_bad_values():
    with pytest.raises(
        ValueError,
        match=r"batch_size_options\(batch_sizes\[0\]=0\): batch_sizes\[0\] must be an int >= 1",
    ):
        batch_size_options([0])
    with pytest.raises(ValueError, match=r"batch_sizes must be a non-empty list"):
        batch_size_options([])


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"learning_rate": -0.01}, "widen learning_rate_range"),
        ({"learning_rate_range": (-1, 1)}, "0 < low < high"),
        ({"n_steps": 0}, "n_steps must be an int with 1 <= n_steps <= 2000"),
        ({"batch_size": 7}, r"batch_size must be one of None, 1, 8, 32; add it to batch_sizes"),
    ],
)
def test_bad_settings_are_explained(kwargs, message):
    with pytest.raises(ValueError, match=message):
        _explore(**kwargs)


def test_draw_must_be_callable():
    with pytest.raises(TypeError, match="draw must be a function"):
        gd_explorer(None)
