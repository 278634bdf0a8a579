"""The panel every dial uses: :class:`Dial` (one control) and :func:`dial_panel`."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from course_lib.core.validation import ArgumentTypeError, argument_error, check_choice, check_number

__all__ = ["Dial", "axes_row", "dial_panel"]


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
    value: Any
    low: float | None = None
    high: float | None = None
    step: float | None = None
    log: bool = False
    integer: bool = False
    options: tuple | None = None
    select_slider: bool = False

    def check(self, name: str) -> None:
        """Raise a ValueError that names the dial if its settings cannot make a control.

        ``name`` is the dial's key in :func:`dial_panel`'s ``dials``; the message
        names it in the fix.

        >>> Dial("x", 0.5, low=1.0, high=0.0).check("x")
        Traceback (most recent call last):
        ...
        ValueError: Dial(high=0.0): high must be a number > 1; give dial 'x' low < high, ...
        """
        if self.options is not None:
            check_choice(
                self.value,
                "value",
                "Dial",
                self.options,
                fix=f"pick one of the options of dial {name!r} as its default",
            )
            return
        fix = f"give dial {name!r} low < high, or options for a dropdown"
        low = check_number(self.low, "low", "Dial", fix=fix)
        high = check_number(self.high, "high", "Dial", low=low, low_inclusive=False, fix=fix)
        if self.log:
            check_number(
                low,
                "low",
                "Dial",
                low=0,
                low_inclusive=False,
                fix=f"a log slider needs it: give dial {name!r} a positive low or set log=False",
            )
        check_number(
            self.value,
            "value",
            "Dial",
            low=low,
            high=high,
            fix=f"widen the range of dial {name!r} or move its default",
        )

    def widget(self) -> Any:
        """The ipywidgets control (imported here: ipywidgets is needed only to interact)."""
        import ipywidgets as widgets

        style = {"description_width": "initial"}  # full labels, not "thresh..."
        if self.options is not None and self.select_slider:
            return widgets.SelectionSlider(
                options=list(self.options),
                value=self.value,
                description=self.label,
                continuous_update=False,
                style=style,
            )
        if self.options is not None:
            return widgets.Dropdown(
                options=list(self.options), value=self.value, description=self.label, style=style
            )
        common = {"description": self.label, "continuous_update": False, "style": style}
        low, high = float(self.low or 0.0), float(self.high or 0.0)  # set: see check()
        if self.log:
            lo, hi = math.log10(low), math.log10(high)
            return widgets.FloatLogSlider(
                value=self.value,
                base=10,
                min=lo,
                max=hi,
                step=self.step or (hi - lo) / 100,
                readout_format=".3g",
                **common,
            )
        if self.integer:
            return widgets.IntSlider(
                value=int(self.value),
                min=int(low),
                max=int(high),
                step=int(self.step or 1),
                **common,
            )
        return widgets.FloatSlider(
            value=self.value,
            min=low,
            max=high,
            step=self.step or (high - low) / 100,
            readout_format=".3g",
            **common,
        )


def dial_panel(
    draw: Callable[..., object], dials: Mapping[str, Dial], *, show_static: bool = True
) -> Any:
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
        raise argument_error(
            "dial_panel",
            "draw",
            draw,
            f"a function of the dials' values, got {type(draw).__name__}",
            exc=ArgumentTypeError,
        )
    if not dials:
        raise argument_error(
            "dial_panel", "dials", dials, "at least one Dial", "e.g. {'threshold': Dial(...)}"
        )
    for name, dial in dials.items():
        if not isinstance(dial, Dial):
            raise argument_error(
                "dial_panel",
                f"dials[{name!r}]",
                dial,
                f"a Dial, got {type(dial).__name__}",
                exc=ArgumentTypeError,
            )
        dial.check(name)
    import matplotlib.pyplot as plt

    def redraw(**positions: Any) -> None:
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


def axes_row(axes: Any, n: int, figsize: tuple[float, float]) -> list:
    """``axes`` as a list, or a new row of ``n`` axes of ``figsize`` when it is None."""
    import matplotlib.pyplot as plt

    if axes is None:
        _, axes = plt.subplots(1, n, figsize=figsize)
    return list(np.atleast_1d(axes))
