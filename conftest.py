"""Root conftest: applies to tests/, course_lib doctests and the notebooks."""

from __future__ import annotations

import os
import sys

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "-1")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

collect_ignore_glob = ["tests/fixtures/*", "exercises/*", "build/*"]


def pytest_collectstart(collector):
    """nbval: never compare stderr or widget views, only what the lesson prints."""
    if collector.__class__.__name__ == "IPyNbFile":
        collector.skip_compare += (
            "stderr",
            "application/vnd.jupyter.widget-view+json",
            "text/html",
            "image/png",
            "image/svg+xml",
        )


def pytest_collection_modifyitems(config, items):
    for item in items:
        if str(item.fspath).endswith(".ipynb"):
            item.add_marker(pytest.mark.notebooks)


import numpy as _np  # noqa: E402

_PRISTINE_PRINT_OPTIONS = _np.get_printoptions()


@pytest.fixture(autouse=True)
def _isolate_display_state():
    """Doctests and tests must not see each other's print options or open figures.

    Every test starts from NumPy's default print options, whatever an earlier
    test or a module-scoped fixture (e.g. one calling setup_notebook) set.
    """
    _np.set_printoptions(**_PRISTINE_PRINT_OPTIONS)
    yield
    _np.set_printoptions(**_PRISTINE_PRINT_OPTIONS)
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")
