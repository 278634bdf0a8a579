"""One call that makes a notebook quiet, deterministic and good-looking.

Explained in chapter 00 (``notebooks/00_start_here.ipynb``) and called in the
first code cell of every notebook::

    from course_lib import setup_notebook
    setup_notebook(seed=42)

What it does, in order:

1. sets environment variables that TensorFlow reads when it is *first*
   imported (CPU only, quiet C++ logs, oneDNN off unless asked for, so results repeat);
2. seeds Python's ``random``, NumPy's legacy global generator and TensorFlow
   through ``keras.utils.set_random_seed`` and turns on op determinism.  Course
   code never relies on that global state: every random function in
   ``course_lib`` takes a ``seed`` or an ``np.random.Generator``;
3. fixes TensorFlow's thread pools so that a run on a laptop repeats exactly;
4. sets display precision for NumPy and pandas and one plotting theme;
5. returns the versions of the libraries, so the notebook shows what it ran on.
"""

from __future__ import annotations

import logging
import os
import random
import types
import warnings

__all__ = [
    "setup_notebook",
    "library_versions",
    "quiet_tensorflow_environment",
    "check_python",
    "TESTED_PYTHONS",
]

_STATE = {"configured": False}
#: CPython versions the course is tested on (CI runs the tests on each one present).
TESTED_PYTHONS = ((3, 10), (3, 11), (3, 12), (3, 13))
_LIBRARIES = (
    "python",
    "numpy",
    "pandas",
    "matplotlib",
    "seaborn",
    "tensorflow",
    "keras",
    "ipywidgets",
)


def quiet_tensorflow_environment() -> None:
    """Set the environment variables TensorFlow reads at import time.

    They only take effect if TensorFlow has not been imported yet in this
    process, which is why :func:`setup_notebook` must run in the first cell.

    >>> quiet_tensorflow_environment()
    >>> os.environ["TF_CPP_MIN_LOG_LEVEL"]
    '3'
    """
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"  # C++ logs: errors only
    # oneDNN reorders float sums; off unless the environment asks for it on purpose
    # (CI runs every notebook a second time with it on, to prove no claim depends on it)
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    os.environ["CUDA_VISIBLE_DEVICES"] = "-1"  # the course runs on the CPU
    os.environ["TF_DETERMINISTIC_OPS"] = "1"
    os.environ.setdefault("PYTHONHASHSEED", "0")


def check_python(version: tuple[int, ...] | None = None) -> str | None:
    """Say what to do when Python is not one the course is tested on (else ``None``).

    >>> check_python((3, 11, 7)) is None
    True
    >>> print(check_python((3, 14, 0)))
    Python 3.14 is not one the course is tested on (3.10, 3.11, 3.12, 3.13); TensorFlow may have no wheels for it. Create the environment with a tested Python, e.g. `uv venv --python 3.12 .venv`, `pyenv install 3.12`, or `conda create -n course python=3.12`.
    """
    import sys

    major_minor = tuple((version or sys.version_info)[:2])
    if major_minor in TESTED_PYTHONS:
        return None
    tested = ", ".join(f"{a}.{b}" for a, b in TESTED_PYTHONS)
    return (
        f"Python {major_minor[0]}.{major_minor[1]} is not one the course is tested on "
        f"({tested}); TensorFlow may have no wheels for it. Create the environment with a "
        "tested Python, e.g. `uv venv --python 3.12 .venv`, `pyenv install 3.12`, or "
        "`conda create -n course python=3.12`."
    )


def library_versions() -> dict[str, str]:
    """Return ``{library: version}`` for the course's stack (missing ones say so).

    Versions are read from the installed package metadata, so asking for them
    never imports TensorFlow.

    >>> versions = library_versions()
    >>> sorted(versions)[:3]
    ['ipywidgets', 'keras', 'matplotlib']
    """
    import platform
    from importlib import metadata

    versions = {"python": platform.python_version()}
    for name in _LIBRARIES[1:]:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def _import_tensorflow_silently() -> types.ModuleType:
    """Import TensorFlow with the C-level stderr muted.

    TensorFlow prints CUDA-probing lines from C++ before its logging is
    configured; in a notebook they would show up as red noise in the first cell.
    """
    import sys

    if "tensorflow" in sys.modules:
        return sys.modules["tensorflow"]
    try:
        saved = os.dup(2)
    except OSError:  # pragma: no cover - no real fd 2 (unusual embedding)
        import tensorflow as tf

        return tf
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        import tensorflow as tf
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
    return tf


def _configure_tensorflow(seed: int, n_threads: int) -> None:
    tf = _import_tensorflow_silently()
    import absl.logging
    import keras

    absl.logging.set_verbosity(absl.logging.ERROR)
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    tf.get_logger().setLevel(logging.ERROR)
    # TF_NUM_INTRAOP_THREADS / TF_NUM_INTEROP_THREADS, when set, win over n_threads: CI's
    # second notebook run uses one thread to prove that no checked output depends on it.
    intra = int(os.environ.get("TF_NUM_INTRAOP_THREADS", n_threads))
    inter = int(os.environ.get("TF_NUM_INTEROP_THREADS", n_threads))
    try:  # only possible before TensorFlow's runtime starts
        tf.config.threading.set_intra_op_parallelism_threads(intra)
        tf.config.threading.set_inter_op_parallelism_threads(inter)
    except RuntimeError:
        pass  # the cell was run a second time: the pools are already fixed
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
    keras.utils.disable_interactive_logging()  # no progress bars in saved outputs


def setup_notebook(
    seed: int = 42, *, tensorflow: bool = True, n_threads: int = 2, precision: int = 4
) -> dict[str, str]:
    """Make the notebook deterministic and quiet; return library versions.

    Parameters
    ----------
    seed : int
        Seed for Python, NumPy's legacy global generator and TensorFlow.
    tensorflow : bool
        Configure TensorFlow/Keras too (imports TensorFlow, ~5 s).  The numpy
        chapters may pass ``False`` to stay light.
    n_threads : int
        TensorFlow intra- and inter-op threads (2 matches a laptop CI machine).
        The environment variables ``TF_NUM_INTRAOP_THREADS`` and
        ``TF_NUM_INTEROP_THREADS`` override it when set, and
        ``TF_ENABLE_ONEDNN_OPTS=1`` turns oneDNN on (CI runs the notebooks a
        second time that way to show that no checked output depends on them).
    precision : int
        Digits shown by NumPy and pandas.

    Examples
    --------
    >>> versions = setup_notebook(seed=0, tensorflow=False)
    >>> import numpy as np
    >>> float(np.random.rand()) == 0.5488135039273248   # the legacy global is seeded
    True
    >>> setup_notebook(seed=-1, tensorflow=False)
    Traceback (most recent call last):
    ...
    ValueError: setup_notebook(seed=-1): seed must be ... pass e.g. seed=42.
    """
    from course_lib.core.validation import check_int  # numpy: only once a notebook starts

    check_int(seed, "seed", "setup_notebook", minimum=0, maximum=2**32 - 1, fix="pass e.g. seed=42")
    check_int(n_threads, "n_threads", "setup_notebook", minimum=1, fix="use e.g. n_threads=2")
    import sys

    if tensorflow and "tensorflow" in sys.modules and not _STATE["configured"] and _in_notebook():
        warnings.warn(
            "TensorFlow was imported before setup_notebook(), so its logging and CPU settings "
            "could not be applied. Restart the kernel and call setup_notebook() before "
            "`import keras` / `import tensorflow` (put those imports below it).",
            UserWarning,
            stacklevel=2,
        )
    advice = check_python()
    if advice:
        warnings.warn(advice, UserWarning, stacklevel=2)
    quiet_tensorflow_environment()

    import numpy as np

    random.seed(seed)
    np.random.seed(seed)
    np.set_printoptions(precision=precision, suppress=True)
    try:
        import pandas as pd

        pd.set_option("display.precision", precision)
        pd.set_option("display.max_columns", 20)
        pd.set_option("display.width", 120)
    except ImportError:  # pragma: no cover
        pass
    _set_plot_theme()
    if tensorflow:
        _configure_tensorflow(seed, n_threads)
        _STATE["configured"] = True
    return library_versions()


def _in_notebook() -> bool:
    """True inside a Jupyter kernel (where the import-order warning helps)."""
    import sys

    shell = sys.modules.get("IPython")
    ipython = getattr(shell, "get_ipython", lambda: None)() if shell else None
    return ipython is not None and type(ipython).__name__ == "ZMQInteractiveShell"


def _set_plot_theme() -> None:
    import matplotlib

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            import seaborn as sns

            sns.set_theme(context="notebook", style="whitegrid", palette="colorblind")
        except ImportError:  # pragma: no cover
            pass
    matplotlib.rcParams.update(
        {
            "figure.figsize": (7.0, 4.0),
            "figure.dpi": 100,
            "axes.titleweight": "bold",
            "savefig.bbox": "tight",
        }
    )
