"""Browser tests: JupyterLab and the book, driven in headless Chromium by Playwright.

They run only when asked for, and only where a browser is available::

    pip install -e ".[e2e,book]"          # Playwright (Python) and the book's Sphinx
    apt-get install chromium              # or set COURSE_CHROMIUM=/path/to/chrome
    pytest -m e2e tests/e2e

Playwright's own browser download is never used (``playwright install`` needs
the network): the tests launch the system Chromium.  JupyterLab runs on a free
local port, on copies of the notebooks in a temporary folder, so typing into a
notebook never changes the repository.  As root, JupyterLab is started with
``--allow-root``.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import importlib.util
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
HOW = (
    'run them with: pip install -e ".[e2e,book]"; apt-get install chromium '
    "(or set COURSE_CHROMIUM=/path/to/chromium); pytest -m e2e tests/e2e"
)
#: Flags for a headless Chromium that makes no background connections (offline machines
#: refuse them, many at a time) and runs as root in a container.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
#: Notebooks the JupyterLab tests open (copied, never the repository's own files).
LAB_FILES = [
    "notebooks/00_start_here.ipynb",
    "notebooks/02_gradient_descent.ipynb",
    "exercises/01_loss_functions.ipynb",
    # the dials of chapters 01, 07 and 12 (the fastest of the chapters with a dial)
    "notebooks/01_loss_functions.ipynb",
    "notebooks/07_purchase_prediction.ipynb",
    "notebooks/12_beyond.ipynb",
]


def pytest_collection_modifyitems(config, items):
    """Mark everything here ``e2e``; skip it unless ``-m`` asks for e2e."""
    asked = "e2e" in (config.getoption("markexpr", "") or "")
    for item in items:
        if HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.e2e)
            if not asked:
                item.add_marker(pytest.mark.skip(reason=f"browser test, not run by default: {HOW}"))


def chromium_executable() -> str | None:
    """The system Chromium: ``$COURSE_CHROMIUM``, else the first one on ``PATH``."""
    explicit = os.environ.get("COURSE_CHROMIUM")
    if explicit:
        return explicit if Path(explicit).is_file() else None
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


def free_port() -> int:
    with contextlib.closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def browser():
    if importlib.util.find_spec("playwright") is None:
        pytest.skip(f"Playwright is not installed; {HOW}")
    executable = chromium_executable()
    if executable is None:
        pytest.skip(f"no Chromium found; {HOW}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw, tempfile.TemporaryDirectory(prefix="e2e-chromium-") as profile:
        # A new, empty profile: Playwright's launch() refuses --user-data-dir, so the
        # profile is given to a persistent context instead (it adds --headless itself).
        context = pw.chromium.launch_persistent_context(
            profile,
            executable_path=executable,
            headless=True,
            args=[a for a in CHROMIUM_ARGS if a != "--headless"],
            viewport={"width": 1280, "height": 900},
        )
        context.set_default_timeout(30_000)
        yield context
        context.close()


@pytest.fixture
def page(browser):
    page = browser.new_page()
    yield page
    page.close()


class Lab:
    """A running JupyterLab server: ``url(path)`` opens a file in it."""

    def __init__(self, base: str, token: str, root: Path):
        self.base, self.token, self.root = base, token, root

    def url(self, path: str) -> str:
        """Open ``path`` in a workspace of its own, so no earlier tab is restored."""
        self.opened = getattr(self, "opened", 0) + 1
        return f"{self.base}/lab/workspaces/e2e-{self.opened}/tree/{path}?reset&token={self.token}"


def _lab_settings(folder: Path) -> None:
    """User settings: every cell in the DOM, no autosave, no news or update checks."""
    settings = {
        "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
        "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
        "@jupyterlab/apputils-extension/notification": {
            "fetchNews": "false",
            "checkForUpdates": False,
        },
    }
    for plugin, values in settings.items():
        package, name = plugin.rsplit("/", 1)
        path = folder / package / f"{name}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values), encoding="utf-8")


@pytest.fixture(scope="session")
def lab(browser, tmp_path_factory):
    if importlib.util.find_spec("jupyterlab") is None:
        pytest.skip("JupyterLab is not installed: pip install -r requirements.txt")
    tmp = tmp_path_factory.mktemp("lab")
    work = tmp / "course"
    for name in LAB_FILES:
        (work / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, work / name)
    _lab_settings(tmp / "settings")
    port, token = free_port(), secrets.token_hex(16)
    command = [
        sys.executable,
        "-m",
        "jupyter",
        "lab",
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={work}",
        "--LabApp.expose_app_in_browser=True",
        f"--LabApp.user_settings_dir={tmp / 'settings'}",
        f"--LabApp.workspaces_dir={tmp / 'workspaces'}",
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")  # JupyterLab refuses root without it
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(tmp / "config"),
        "JUPYTER_RUNTIME_DIR": str(tmp / "runtime"),
        "PYTHONPATH": str(ROOT),
    }
    with open(tmp / "jupyterlab.log", "w") as log:
        yield from _serve_lab(command, work, env, log, tmp, port, token)


def _serve_lab(command, work, env, log, tmp, port, token):
    server = subprocess.Popen(command, cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    log.flush()
                    pytest.fail(
                        "JupyterLab did not start:\n" + (tmp / "jupyterlab.log").read_text()[-3000:]
                    )
                time.sleep(0.5)
        yield Lab(base, token, work)
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()


@pytest.fixture(scope="session")
def book_site(tmp_path_factory):
    """The book, built once into a temporary folder and served over local HTTP."""
    if any(importlib.util.find_spec(m) is None for m in ("sphinx", "myst_nb", "sphinx_book_theme")):
        pytest.skip('the book needs its extras: pip install -e ".[book]"')
    from course_lib.tools.book import build

    out = tmp_path_factory.mktemp("book") / "html"
    start = time.perf_counter()
    build(out)
    print(f"\nbook built in {time.perf_counter() - start:.1f} s")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    class Server(http.server.ThreadingHTTPServer):
        def handle_error(self, request, client_address):
            if not isinstance(sys.exc_info()[1], ConnectionError):  # a cancelled download
                super().handle_error(request, client_address)

    server = Server(("127.0.0.1", 0), functools.partial(Quiet, directory=str(out)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", out
    finally:
        server.shutdown()
        server.server_close()
