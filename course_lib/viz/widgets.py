"""Interactive explorers built with ipywidgets, with a static fallback.

Introduced in chapter 02 (``notebooks/02_gradient_descent.ipynb``).  The
explorer only *wires* sliders to a drawing function you pass in; the logic
(running gradient descent, drawing the run) lives in plain, tested functions
(``course_lib.foundations.linreg.gradient_descent``, ``course_lib.viz.plots.plot_descent``).

Widgets need a live kernel.  A reader of the executed notebook on the web
sees no sliders, so the explorer first draws the default setting as an
ordinary static figure; that figure is what gets saved in the notebook.

>>> batch_size_options([None, 8])
[('full batch', None), ('8', 8)]

The dropdown itself holds the *labels*: ipywidgets reads an option whose
value is ``None`` as "nothing selected" and shows an empty box, so "full
batch" is translated back to ``None`` only when ``draw`` is called.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from course_lib.core.validation import (
    ArgumentTypeError,
    argument_error,
    check_choice,
    check_int,
    check_number,
)

__all__ = ["gd_explorer", "batch_size_options"]


def batch_size_options(batch_sizes: Sequence[int | None]) -> list[tuple[str, int | None]]:
    """Dropdown labels for batch sizes: ``None`` is "full batch", ``1`` is "1 (SGD)".

    >>> batch_size_options([None, 1, 32])
    [('full batch', None), ('1 (SGD)', 1), ('32', 32)]
    """
    options: list[tuple[str, int | None]] = []
    for i, b in enumerate(batch_sizes):
        size = (
            None
            if b is None
            else check_int(
                b,
                f"batch_sizes[{i}]",
                "batch_size_options",
                minimum=1,
                fix="use None for full batch",
            )
        )
        options.append(
            ("full batch" if size is None else "1 (SGD)" if size == 1 else str(size), size)
        )
    if not options:
        raise argument_error(
            "batch_size_options",
            "batch_sizes",
            batch_sizes,
            "a non-empty list of batch sizes (None = full batch)",
            "e.g. [None, 1, 32]",
        )
    return options


def _check_sliders(
    learning_rate: float, learning_rate_range: Any, n_steps: int, max_steps: int
) -> tuple[float, tuple[float, float], int, int]:
    """The sliders' start values and ranges, checked: ``0 < low <= learning_rate <= high``."""
    try:
        lo, hi = (float(v) for v in learning_rate_range)
    except (TypeError, ValueError):
        lo = hi = float("nan")
    if not 0 < lo < hi:
        raise argument_error(
            "gd_explorer",
            "learning_rate_range",
            learning_rate_range,
            "(low, high) with 0 < low < high",
            "e.g. (1e-4, 1e-1)",
        )
    learning_rate = check_number(
        learning_rate,
        "learning_rate",
        "gd_explorer",
        low=lo,
        high=hi,
        fix="widen learning_rate_range or change learning_rate",
    )
    max_steps = check_int(max_steps, "max_steps", "gd_explorer", minimum=1)
    n_steps = check_int(
        n_steps,
        "n_steps",
        "gd_explorer",
        minimum=1,
        maximum=max_steps,
        fix="raise max_steps or lower n_steps",
    )
    return learning_rate, (lo, hi), n_steps, max_steps


def _controls(
    widgets: Any,
    learning_rate: float,
    n_steps: int,
    learning_rate_range: tuple[float, float],
    max_steps: int,
    options: list[tuple[str, int | None]],
    batch_label: str,
) -> tuple[Any, Any, Any]:
    """The explorer's three controls: learning-rate and steps sliders, batch-size dropdown."""
    lo, hi = learning_rate_range
    style = {"description_width": "initial"}  # full labels, not "learning r..."
    lr_slider = widgets.FloatLogSlider(
        value=learning_rate,
        base=10,
        min=math.log10(lo),
        max=math.log10(hi),
        step=0.05,
        description="learning rate",
        readout_format=".4f",
        continuous_update=False,
        style=style,
    )
    steps_slider = widgets.IntSlider(
        value=n_steps,
        min=1,
        max=max_steps,
        step=1,
        description="steps",
        continuous_update=False,
        style=style,
    )
    batch_dropdown = widgets.Dropdown(
        options=[label for label, _ in options],
        value=batch_label,
        description="batch size",
        style=style,
    )
    return lr_slider, steps_slider, batch_dropdown


def gd_explorer(
    draw: Callable[..., object],
    *,
    learning_rate: float = 0.01,
    n_steps: int = 100,
    batch_size: int | None = None,
    learning_rate_range: tuple[float, float] = (1e-4, 1e-1),
    max_steps: int = 2000,
    batch_sizes: Sequence[int | None] = (None, 1, 8, 32),
    show_static: bool = True,
) -> Any:
    """Sliders for learning rate, number of steps and batch size that redraw ``draw``.

    Parameters
    ----------
    draw : callable
        ``draw(learning_rate=..., n_steps=..., batch_size=...)`` draws one
        figure (e.g. with ``plots.plot_descent``); called once per change.
    learning_rate, n_steps, batch_size
        The default setting, drawn statically first.
    learning_rate_range : (float, float)
        Range of the log-scaled learning-rate slider (both positive).
    max_steps : int
        Upper end of the steps slider.
    batch_sizes : sequence of int or None
        Choices for the batch-size dropdown (None = full batch).
    show_static : bool
        Draw the default setting as a plain figure first (what readers of the
        executed notebook see).

    Returns
    -------
    ipywidgets.VBox or None
        The controls and their output area; None when ipywidgets is not
        installed (the static figure is still shown).

    Examples
    --------
    >>> import contextlib, io, matplotlib
    >>> matplotlib.use("Agg")
    >>> calls = []
    >>> with contextlib.redirect_stdout(io.StringIO()):   # the widget's output area
    ...     box = gd_explorer(lambda **kw: calls.append(kw), n_steps=50)
    >>> calls[0]
    {'learning_rate': 0.01, 'n_steps': 50, 'batch_size': None}
    >>> [child.description for child in box.children[0].children]
    ['learning rate', 'steps', 'batch size']
    >>> box.children[0].children[2].value          # never blank, even for batch_size=None
    'full batch'
    """
    if not callable(draw):
        raise argument_error(
            "gd_explorer",
            "draw",
            draw,
            f"a function of (learning_rate, n_steps, batch_size), got {type(draw).__name__}",
            exc=ArgumentTypeError,
        )
    learning_rate, (lo, hi), n_steps, max_steps = _check_sliders(
        learning_rate, learning_rate_range, n_steps, max_steps
    )
    options = batch_size_options(batch_sizes)
    check_choice(
        batch_size,
        "batch_size",
        "gd_explorer",
        [b for _, b in options],
        fix="add it to batch_sizes",
    )

    import matplotlib.pyplot as plt

    size_of = dict(options)  # label -> batch size (None = full batch)
    label_of = {b: label for label, b in options}

    def redraw(learning_rate: float, n_steps: int, batch_size: int | None) -> None:
        draw(learning_rate=learning_rate, n_steps=n_steps, batch_size=batch_size)
        plt.show()

    def redraw_from_widgets(learning_rate: float, n_steps: int, batch_label: str) -> None:
        redraw(learning_rate, n_steps, size_of[batch_label])

    if show_static:
        redraw(learning_rate, n_steps, batch_size)
    try:
        import ipywidgets as widgets
    except ImportError:  # pragma: no cover - ipywidgets is in requirements.txt
        return None
    lr_slider, steps_slider, batch_dropdown = _controls(
        widgets, learning_rate, n_steps, (lo, hi), max_steps, options, label_of[batch_size]
    )
    controls = {"learning_rate": lr_slider, "n_steps": steps_slider, "batch_label": batch_dropdown}
    out = widgets.interactive_output(redraw_from_widgets, controls)
    return widgets.VBox([widgets.HBox([lr_slider, steps_slider, batch_dropdown]), out])
