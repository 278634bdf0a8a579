"""Pictures of optimizers at work, and the learning-rate/beta explorer widget.

Explained in chapter 03 (``notebooks/03_momentum_rmsprop_adam.ipynb``).  The
plot helpers take ``ax=None`` and return the ``ax`` they drew on.  The widget
is a thin shell around :func:`explorer_paths` and :func:`summarize_paths`,
which are pure functions (and tested).

>>> from course_lib.foundations.optim import Quadratic
>>> paths = explorer_paths(Quadratic(), x0=(-2.0, 1.0), learning_rate=0.05, n_steps=30)
>>> sorted(paths)
['Adam', 'Momentum', 'RMSProp', 'SGD']
"""

from __future__ import annotations

import numpy as np

from course_lib.foundations.optim import SGD, Adam, Momentum, RMSProp, minimize

__all__ = ["explorer_paths", "summarize_paths", "off_plot_from", "status_notes",
           "plot_contours", "plot_paths", "plot_loss_curves", "optimizer_explorer"]

_STYLE = {"SGD": ("tab:gray", "o"), "Momentum": ("tab:blue", "s"),
          "RMSProp": ("tab:green", "^"), "Adam": ("tab:red", "D")}
# SGD and Momentum take the same first step (the velocity starts at 0): dash SGD and draw it
# on top, so that it stays visible where the two overlap.
_LINESTYLE = {"SGD": (0, (4, 2))}
_ON_TOP = {"SGD": 3}


def _short_number(value: float) -> str:
    """``1e6`` for 1e6, ``1e4`` for 1e4, ``2.5e3`` for 2500 (for legends and titles).

    >>> _short_number(1e6), _short_number(2500.0), _short_number(10.0)
    ('1e6', '2.5e3', '10')
    """
    if 0.01 <= abs(value) < 1000:
        return f"{value:g}"
    mantissa, exponent = f"{value:.2g}".split("e") if "e" in f"{value:.2g}" else \
        (f"{value:.2g}", "0")
    return f"{mantissa}e{int(exponent)}"


def off_plot_from(path, xlim, ylim) -> int | None:
    """The step from which ``path`` stays outside the window ``xlim`` x ``ylim`` to its end.

    ``None`` when the path ends inside the window (a path that leaves and comes
    back is visible, so it needs no note).  A point that is not finite counts
    as outside.  A plot shows nothing of the path from that step on, so a
    legend should say so.

    Examples
    --------
    >>> off_plot_from(np.array([[0.0, 0.0], [0.5, 0.5], [3.0, 0.0]]), (-1, 1), (-1, 1))
    2
    >>> off_plot_from(np.array([[0.0, 0.0], [3.0, 0.0], [0.5, 0.5]]), (-1, 1), (-1, 1)) is None
    True
    """
    path = np.asarray(path, dtype=float)
    if path.ndim != 2 or path.shape[1] != 2:
        raise ValueError(f"off_plot_from: path must have shape (k, 2), got {path.shape}.")
    with np.errstate(invalid="ignore"):
        inside = ((path[:, 0] >= xlim[0]) & (path[:, 0] <= xlim[1])
                  & (path[:, 1] >= ylim[0]) & (path[:, 1] <= ylim[1]))
    if inside[-1]:
        return None
    shown = np.flatnonzero(inside)
    return int(shown[-1]) + 1 if shown.size else 0


def status_notes(problem, paths: dict[str, np.ndarray], n_steps: int, xlim, ylim) -> dict[str, str]:
    """One short note per method for a title: final loss, divergence, leaving the picture.

    A run that ``minimize`` stopped (fewer than ``n_steps + 1`` points, or a
    non-finite loss) "diverged at step k"; a run that ends outside the plot
    window is still named, with the step at which it left, so that a method
    missing from the picture is never silently missing.

    Examples
    --------
    >>> from course_lib.foundations.optim import Rosenbrock
    >>> v = Rosenbrock()
    >>> paths = explorer_paths(v, x0=(-1.2, 1.0), learning_rate=1.0, n_steps=300)
    >>> notes = status_notes(v, paths, 300, (-1.5, 1.5), (-0.5, 1.5))
    >>> notes["SGD"], notes["RMSProp"]
    ('diverged at step 2', '33, off the plot from step 1')
    """
    summary = summarize_paths(problem, paths, n_steps=n_steps)
    notes = {}
    for name, path in paths.items():
        path = np.asarray(path, dtype=float)
        if summary[name]["diverged"]:
            notes[name] = f"diverged at step {len(path) - 1}"
            continue
        note = f"{summary[name]['final_loss']:.2g}"
        gone = off_plot_from(path, xlim, ylim)
        if gone is not None:
            note += f", off the plot from step {gone}"
        notes[name] = note
    return notes


def explorer_paths(problem, x0=(-1.5, 2.0), learning_rate: float = 0.01, beta_1: float = 0.9,
                   beta_2: float = 0.999, n_steps: int = 100) -> dict[str, np.ndarray]:
    """Trajectories of SGD, Momentum, RMSProp and Adam from ``x0`` on ``problem``.

    One ``learning_rate`` for all four; ``beta_1`` is Momentum's ``momentum``
    and Adam's ``beta_1``; ``beta_2`` is RMSProp's ``rho`` and Adam's
    ``beta_2``, so each slider of the explorer moves the matching part of
    every method.

    Examples
    --------
    >>> from course_lib.foundations.optim import Rosenbrock
    >>> paths = explorer_paths(Rosenbrock(), learning_rate=0.001, n_steps=10)
    >>> {name: path.shape for name, path in paths.items()}["Adam"]
    (11, 2)
    """
    adam = Adam(learning_rate, beta_1, beta_2)   # validates the three sliders first
    optimizers = {"SGD": SGD(learning_rate), "Momentum": Momentum(learning_rate, beta_1),
                  "RMSProp": RMSProp(learning_rate, rho=beta_2), "Adam": adam}
    return {name: minimize(problem.grad, x0, opt, n_steps) for name, opt in optimizers.items()}


def summarize_paths(problem, paths: dict[str, np.ndarray], n_steps: int | None = None,
                    tol: float = 1e-3) -> dict[str, dict]:
    """Per method: final loss, first step with loss < ``tol``, and whether it diverged.

    A path diverged when it is shorter than ``n_steps + 1`` (``minimize``
    stopped it) or ends at a non-finite loss.

    Examples
    --------
    >>> from course_lib.foundations.optim import Quadratic
    >>> q = Quadratic(scales=(1.0, 25.0))
    >>> paths = explorer_paths(q, x0=(1.0, 1.0), learning_rate=0.1, n_steps=100)
    >>> summary = summarize_paths(q, paths, n_steps=100)
    >>> summary["SGD"]["diverged"], summary["Adam"]["diverged"]
    (True, False)
    >>> summary["Momentum"]["steps_to_tol"]
    65
    """
    if not isinstance(paths, dict) or not paths:
        raise ValueError("summarize_paths: paths must be a non-empty dict name -> trajectory, "
                         "as returned by explorer_paths.")
    out = {}
    for name, path in paths.items():
        path = np.asarray(path, dtype=float)
        if path.ndim != 2 or path.shape[1] != 2 or len(path) == 0:
            raise ValueError(f"summarize_paths: paths[{name!r}] has shape {path.shape}; expected "
                             "(n_steps + 1, 2), a 2-D trajectory from minimize.")
        with np.errstate(over="ignore", invalid="ignore"):
            losses = np.array([problem.value(x) for x in path])
        final = float(losses[-1])
        diverged = (n_steps is not None and len(path) < n_steps + 1) or not np.isfinite(final)
        below = np.flatnonzero(losses < tol)
        out[name] = {"final_loss": final, "diverged": bool(diverged),
                     "steps_to_tol": int(below[0]) if below.size and not diverged else None}
    return out


def plot_contours(problem, xlim=(-2.0, 2.0), ylim=(-1.0, 3.0), ax=None, n_levels: int = 25):
    """Log-spaced contour lines of ``problem.value`` and a star at its minimum.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from course_lib.foundations.optim import Rosenbrock
    >>> plot_contours(Rosenbrock(), xlim=(-1.5, 1.5), ylim=(-0.5, 1.5)).get_ylabel()
    'parameter $x_2$ (unitless)'
    """
    import matplotlib.pyplot as plt
    from matplotlib.colors import LogNorm

    if ax is None:
        _, ax = plt.subplots()
    xs, ys = np.linspace(*xlim, 200), np.linspace(*ylim, 200)
    grid = np.stack(np.meshgrid(xs, ys))
    z = problem.value(grid) + 1e-3
    levels = np.logspace(np.log10(z.min()), np.log10(z.max()), n_levels)
    ax.contour(xs, ys, z, levels=levels, norm=LogNorm(), cmap="Greys", linewidths=0.7)
    ax.plot(*problem.minimum, marker="*", color="gold", markersize=16, markeredgecolor="k",
            linestyle="none", label="minimum")
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_xlabel("parameter $x_1$ (unitless)")
    ax.set_ylabel("parameter $x_2$ (unitless)")
    return ax


def plot_paths(problem, paths: dict[str, np.ndarray], xlim=(-2.0, 2.0), ylim=(-1.0, 3.0),
               ax=None, title: str | None = None):
    """Contours of ``problem`` with each optimizer's path drawn on top.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from course_lib.foundations.optim import Quadratic
    >>> q = Quadratic()
    >>> ax = plot_paths(q, explorer_paths(q, learning_rate=0.02, n_steps=20))
    >>> ax.get_xlabel()
    'parameter $x_1$ (unitless)'
    """
    ax = plot_contours(problem, xlim, ylim, ax=ax)
    for name, path in paths.items():
        color, marker = _STYLE.get(name, (None, "."))
        gone = off_plot_from(path, xlim, ylim)
        label = name if gone is None else f"{name} (off the plot from step {gone})"
        ax.plot(path[:, 0], path[:, 1], color=color, marker=marker, markersize=3,
                markevery=max(1, len(path) // 15), linewidth=1.3, label=label,
                linestyle=_LINESTYLE.get(name, "-"), zorder=_ON_TOP.get(name, 2))
    ax.plot(*np.asarray(next(iter(paths.values())))[0], "ko", label="start")
    ax.legend(loc="best", fontsize=8)
    if title:
        ax.set_title(title)
    return ax


def plot_loss_curves(problem, paths: dict[str, np.ndarray], ax=None, title: str | None = None,
                     ceiling: float | None = None):
    """Loss ``f(x_t) - f(x*)`` against the step number, log scale.

    ``ceiling`` (optional) keeps one diverging run from squashing the others
    into a flat line: losses above it (or not finite) are not drawn as a
    line but as triangles on the ceiling, and the legend says from which
    step ("diverged" when the run ends up there, "off the scale" when it
    comes back), so no run silently disappears.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from course_lib.foundations.optim import Quadratic
    >>> q = Quadratic()
    >>> plot_loss_curves(q, explorer_paths(q, n_steps=5)).get_xlabel()
    'step t'
    >>> paths = explorer_paths(q, x0=(1.0, 1.0), learning_rate=0.1, n_steps=100)  # SGD diverges
    >>> ax = plot_loss_curves(q, paths, ceiling=1e4)
    >>> bool(max(np.nanmax(line.get_ydata()) for line in ax.get_lines()) <= 1e4)
    True
    >>> [t.get_text() for t in ax.get_legend().get_texts()][0]
    'SGD (diverged: above 1e4 from step 9)'
    """
    import matplotlib.pyplot as plt

    if ceiling is not None and not (isinstance(ceiling, (int, float)) and ceiling > 0):
        raise ValueError(f"plot_loss_curves: ceiling must be a positive number or None, got "
                         f"{ceiling!r}; e.g. ceiling=1e4 cuts curves of diverging runs.")

    if ax is None:
        _, ax = plt.subplots()
    best = problem.value(problem.minimum)
    for name, path in paths.items():
        with np.errstate(over="ignore", invalid="ignore"):
            gap = np.array([problem.value(x) for x in path]) - best
        steps = np.arange(len(path))
        color, _ = _STYLE.get(name, (None, "."))
        label = name
        over = ~(gap <= ceiling) if ceiling is not None else ~np.isfinite(gap)
        if over.any():
            first = int(np.flatnonzero(over)[0])
            where = f"above {_short_number(ceiling)}" if ceiling is not None else "not finite"
            label = (f"{name} (diverged: {where} from step {first})" if over[-1]
                     else f"{name} (off the scale: {where} at step {first})")
        (line,) = ax.semilogy(steps, np.where(over, np.nan, np.maximum(gap, 1e-16)),
                              color=color, label=label, linestyle=_LINESTYLE.get(name, "-"),
                              zorder=_ON_TOP.get(name, 2))
        if over.any() and ceiling is not None:
            ax.plot(steps[over], np.full(over.sum(), float(ceiling)), linestyle="none",
                    marker="^", markersize=6, color=line.get_color(), clip_on=False)
    ax.set_xlabel("step t")
    ax.set_ylabel("loss gap $f(x_t) - f(x^*)$ (log scale)")
    ax.legend(loc="best", fontsize=8)
    if title:
        ax.set_title(title)
    return ax


def optimizer_explorer(problem, x0=(-1.5, 2.0), n_steps: int = 100, xlim=(-2.0, 2.0),
                       ylim=(-1.0, 3.0)):
    """An ipywidgets explorer: sliders for lr, beta_1, beta_2 redraw the four paths.

    Returns the widget (display it as the last expression of a cell).  In a
    static copy of the notebook the sliders do nothing; the lesson shows a
    fixed plot next to it.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from course_lib.foundations.optim import Rosenbrock
    >>> import contextlib, io
    >>> with contextlib.redirect_stdout(io.StringIO()):   # the first draw, outside Jupyter
    ...     widget = optimizer_explorer(Rosenbrock(), n_steps=10)
    >>> [child.description for child in widget.children[:3]]
    ['lr', 'β1', 'β2']
    """
    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    def draw(learning_rate, beta_1, beta_2):
        paths = explorer_paths(problem, x0, learning_rate, beta_1, beta_2, n_steps)
        fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
        plot_paths(problem, paths, xlim, ylim, ax=left,
                   title=f"lr={learning_rate:.3g}, β1={beta_1:.3f}, β2={beta_2:.4f}")
        plot_loss_curves(problem, paths, ax=right, ceiling=1e6,
                         title="loss gap per step (▲: above 1e6, off the scale)")
        notes = "; ".join(f"{name}: {note}" for name, note in
                          status_notes(problem, paths, n_steps, xlim, ylim).items())
        fig.suptitle(f"final loss after {n_steps} steps: {notes}", fontsize=9)
        plt.show()

    return widgets.interactive(
        draw,
        learning_rate=widgets.FloatLogSlider(value=0.01, base=10, min=-4, max=0, step=0.1,
                                             description="lr"),
        beta_1=widgets.FloatSlider(value=0.9, min=0.0, max=0.99, step=0.01, description="β1"),
        beta_2=widgets.FloatSlider(value=0.999, min=0.9, max=0.9999, step=0.0001,
                                   readout_format=".4f", description="β2"),
    )
