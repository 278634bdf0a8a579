"""JupyterLab in a browser: what a student sees when opening and running the notebooks.

Each test opens a *copy* of a notebook (see the ``lab`` fixture), waits for its
kernel to be idle, and reads the page as rendered.  Run All goes through
JupyterLab's own command (``notebook:run-all-cells``, whose promise resolves
when the last cell has run); sliders are moved with the keyboard and code is
typed into the cell editor, as a student would.  Three of the dials of
``course_lib.viz.dials`` (chapters 01, 07 and 12, the fastest chapters that have one)
are turned the same way as chapter 02's explorer.
"""

from __future__ import annotations

import json
import time
import urllib.request

import pytest

from tests.e2e.conftest import ROOT

#: The notebook on show (a hidden tab's panel stays in the page).
PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)"
KERNEL_IDLE = """() => {
    const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;
    const kernel = panel && panel.sessionContext && panel.sessionContext.session
        && panel.sessionContext.session.kernel;
    if (!kernel || kernel.status !== 'idle' || kernel.connectionStatus !== 'connected') {
        return false;
    }
    return [...panel.node.querySelectorAll('.jp-InputPrompt')]
        .every(p => !p.textContent.includes('*'));
}"""


def open_notebook(page, lab, path: str) -> None:
    page.goto(lab.url(path))  # a fresh workspace: only this notebook
    page.locator(f"{PANEL} .jp-Cell").first.wait_for(timeout=90_000)
    page.wait_for_function(KERNEL_IDLE, timeout=90_000)


def run_all(page, timeout: float = 150_000) -> bool:
    """Run All Cells; True when every cell ran without an error."""
    # The command's promise resolves when the last cell has run; keep it in the page and
    # wait for it with a timeout (evaluate() alone would wait forever on a stuck kernel).
    page.evaluate("""() => { window.__runAll = undefined;
        window.jupyterapp.commands.execute('notebook:run-all-cells')
            .then(ok => { window.__runAll = ok ? 'ok' : 'error'; },
                  err => { window.__runAll = 'error: ' + err; }); }""")
    page.wait_for_function("() => window.__runAll !== undefined", timeout=timeout)
    page.wait_for_function(KERNEL_IDLE, timeout=timeout)
    return page.evaluate("() => window.__runAll") == "ok"


def shut_down_kernel(page, lab) -> None:
    """End the notebook's kernel (a TensorFlow kernel holds memory the next tests need).

    Best effort: called after a failure too, it must not hide the failure.
    """
    from playwright.sync_api import Error as PlaywrightError

    try:
        session = page.evaluate("""() => { const panel = window.jupyterapp
            && window.jupyterapp.shell.currentWidget;
            return panel && panel.sessionContext && panel.sessionContext.session
                ? panel.sessionContext.session.id : null; }""")
        if session:
            request = urllib.request.Request(
                f"{lab.base}/api/sessions/{session}?token={lab.token}", method="DELETE"
            )
            with urllib.request.urlopen(request, timeout=20):
                pass
    except (OSError, PlaywrightError) as error:  # the server ends all kernels at the end
        print(f"could not shut the kernel down: {error}")


def readout_number(text: str) -> float:
    """The number a slider's readout shows (d3-format writes a minus sign, U+2212)."""
    return float(text.strip().replace("\u2212", "-"))


def turn_slider(page, box, slider, presses: int) -> tuple[str, str]:
    """Press ArrowRight ``presses`` times on ``slider``'s handle; wait for ``box`` to redraw.

    ``box`` is the widget (a ``.widget-vbox``) whose output area holds the figure.
    Returns the slider's readout before and after.  Fails, with what the output
    area shows, unless a new figure replaces the old one and is the only one there.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    figure = box.locator(".widget-output img").first
    figure.wait_for(timeout=30_000)
    before = figure.get_attribute("src")
    readout = slider.locator(".widget-readout").first
    value_before = readout.inner_text()
    handle = slider.locator(".noUi-handle").first
    handle.focus()
    for _ in range(presses):
        handle.press("ArrowRight")
    try:
        page.wait_for_function(
            """([box, old]) => {
                const img = box.querySelector('.widget-output img');
                return img && img.getAttribute('src') !== old && img.complete
                    && img.naturalWidth > 0;
            }""",
            arg=[box.element_handle(), before],
            timeout=60_000,
        )
        # Each press may redraw; once the kernel is idle, one figure is left, fully loaded.
        page.wait_for_function(KERNEL_IDLE, timeout=60_000)
        page.wait_for_function(
            """box => { const imgs = [...box.querySelectorAll('.widget-output img')];
                return imgs.length === 1 && imgs[0].complete && imgs[0].naturalWidth > 0; }""",
            arg=box.element_handle(),
            timeout=30_000,
        )
    except PlaywrightTimeout:  # say what the output area shows instead
        shown = box.locator(".widget-output").first.inner_text(timeout=10_000)
        raise AssertionError(
            f"the figure was not redrawn after {presses} presses; the "
            f"output area shows: {shown[-2000:]!r}"
        ) from None
    errors = box.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    assert errors.count() == 0, f"the redraw wrote to stderr: {errors.all_inner_texts()}"
    return value_before, readout.inner_text()


def code_cell(page, text: str):
    """The one code cell whose source contains ``text``."""
    cells = page.locator(f"{PANEL} .jp-CodeCell").filter(has_text=text)
    assert cells.count() == 1, f"{cells.count()} code cells contain {text!r}"
    return cells.first


def replace_source(page, cell, source: str) -> None:
    """Click into the cell's editor, select everything and type ``source`` instead."""
    cell.locator(".cm-content").click()
    page.keyboard.press("Control+a")
    page.keyboard.press("Delete")
    page.keyboard.insert_text(source)  # no auto-indent: the text arrives as is
    page.keyboard.press("Escape")  # back to command mode


def test_chapter_00_outputs_render(page, lab):
    path = "notebooks/00_start_here.ipynb"
    open_notebook(page, lab, path)
    nb = json.loads((ROOT / path).read_text(encoding="utf-8"))
    n_cells = sum(1 for c in nb["cells"] if c["cell_type"] == "code" and c.get("outputs"))
    rendered = page.locator(f"{PANEL} .jp-CodeCell .jp-OutputArea-output")
    assert rendered.count() >= n_cells, (rendered.count(), n_cells)
    errors = page.locator(
        f"{PANEL} .jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']"
    )
    assert errors.count() == 0, errors.all_inner_texts()
    # The course map, a markdown output, renders as a table with one row per chapter.
    rows = page.locator(f"{PANEL} .jp-OutputArea-output table tbody tr")
    assert rows.count() == len(list((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")))
    # Local images only: the Colab/Binder badges are served by colab.research.google.com and
    # mybinder.org, which an offline test machine cannot reach.
    local = page.evaluate("""() => [...document.querySelectorAll('.jp-NotebookPanel img')]
        .filter(i => ['data:', 'blob:', location.origin].some(p => i.src.startsWith(p)))
        .map(i => ({src: i.src.slice(0, 80), ok: i.complete && i.naturalWidth > 0}))""")
    assert [i["src"] for i in local if not i["ok"]] == []


def test_widget_slider_redraws_the_figure(page, lab):
    open_notebook(page, lab, "notebooks/02_gradient_descent.ipynb")
    # The formulas of the prose are typeset (JupyterLab bundles MathJax, no network needed).
    page.locator(f"{PANEL} .jp-RenderedMarkdown mjx-container").first.wait_for(
        state="attached", timeout=30_000
    )
    start = time.perf_counter()
    assert run_all(page), "Run All stopped on an error"
    print(f"\nRun All of chapter 02 took {time.perf_counter() - start:.1f} s")
    explorer = page.locator(f"{PANEL} .jp-OutputArea-output .widget-vbox").first
    explorer.wait_for(state="attached", timeout=30_000)
    explorer.scroll_into_view_if_needed()
    explorer.wait_for(timeout=30_000)
    slider = explorer.locator(".widget-slider").first
    value_before, value_after = turn_slider(page, explorer, slider, 4)  # 4 steps of 0.05 decades
    assert value_after != value_before, "the slider did not move"


CORRECT = """def mse_gradient(y_true, y_pred):
    y_true = np.asarray(y_true, dtype=float)
    y_pred = np.asarray(y_pred, dtype=float)
    return 2 * (y_pred - y_true) / y_pred.size
"""
WRONG = CORRECT.replace("2 * (y_pred - y_true)", "(y_pred - y_true)")


def test_exercise_self_check_explains_a_wrong_answer(page, lab):
    open_notebook(page, lab, "exercises/01_loss_functions.ipynb")
    answer = code_cell(page, "def mse_gradient")
    check = code_cell(page, "check_1_1(mse_gradient)")

    replace_source(page, answer, CORRECT)
    assert run_all(page), "Run All stopped on an error"
    message = check.locator(".jp-OutputArea").inner_text()
    assert "Exercise 1.1 passed" in message, message

    replace_source(page, answer, WRONG)
    answer.locator(".jp-InputPrompt").click()  # select the cell (command mode)
    page.keyboard.press("Shift+Enter")  # run it, move to the check
    page.keyboard.press("Shift+Enter")  # run the check
    page.wait_for_function(KERNEL_IDLE, timeout=60_000)
    message = check.locator(".jp-OutputArea").inner_text()
    assert "Exercise 1.1 is not right yet" in message, message
    assert "factor 2" in message, message  # the hint names the mistake


#: (notebook, the slider's label, presses of ArrowRight, the readout expected after them
#: from the one before, its tolerance: half a step, so 3 or 5 steps fail). Labels and steps
#: are those of course_lib.viz.dials; the readouts show 3 significant digits.
DIALS = [
    pytest.param(
        "notebooks/01_loss_functions.ipynb",
        "logit z",
        4,
        lambda z: z + 4 * 0.1,
        {"abs": 0.05},
        id="01-logit",
    ),
    pytest.param(
        "notebooks/07_purchase_prediction.ipynb",
        "threshold",
        4,
        lambda t: t + 4 * 0.01,
        {"abs": 0.005},
        id="07-threshold",
    ),
    pytest.param(
        "notebooks/12_beyond.ipynb",
        "privacy budget",
        4,  # a log slider,
        lambda eps: eps * 10 ** (4 * 0.02),
        {"rel": 0.02},
        id="12-epsilon",
    ),  # 0.02 decades
]


@pytest.mark.parametrize(("path", "label", "presses", "expected", "tolerance"), DIALS)
def test_dial_slider_redraws_the_figure(page, lab, path, label, presses, expected, tolerance):
    open_notebook(page, lab, path)
    try:
        start = time.perf_counter()
        assert run_all(page, timeout=120_000), f"Run All of {path} stopped on an error"
        print(f"\nRun All of {path} took {time.perf_counter() - start:.1f} s")
        # The slider named `label`, and the dial (a VBox: controls above a figure) holding it.
        named = page.locator(".widget-slider").filter(
            has=page.locator(".widget-label", has_text=label)
        )
        sliders = page.locator(f"{PANEL} .jp-OutputArea-output").locator(named)
        sliders.first.wait_for(state="attached", timeout=30_000)
        assert sliders.count() == 1, f"{sliders.count()} sliders are labelled {label!r}"
        box = page.locator(f"{PANEL} .jp-OutputArea-output .widget-vbox").filter(has=named)
        assert box.count() == 1, f"{box.count()} dials hold the slider {label!r}"
        box.scroll_into_view_if_needed()
        box.wait_for(timeout=30_000)
        value_before, value_after = turn_slider(page, box, sliders.first, presses)
        want = expected(readout_number(value_before))
        got = readout_number(value_after)
        print(f"{label}: {value_before} -> {value_after} after {presses} steps; figure redrawn")
        assert got == pytest.approx(want, **tolerance), (
            f"{label}: the readout went from {value_before!r} to {value_after!r}, "
            f"expected about {want:.3g} after {presses} steps"
        )
    finally:
        shut_down_kernel(page, lab)
