"""setup_notebook and the import-cost promise of course_lib."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from course_lib import setup_notebook
from course_lib.core.notebook_setup import library_versions


def test_importing_course_lib_does_not_import_tensorflow():
    code = (
        "import sys, course_lib, course_lib.checks, course_lib.tools.exercises, "
        "course_lib.tools.grade, course_lib.tools.nbtools, course_lib.tools.coursemap, "
        "course_lib.tools.cli\n"
        "print('tensorflow' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_numpy_layers_do_not_import_tensorflow():
    """Every module of core, foundations, data and evaluation, and the numpy models."""
    code = (
        "import importlib, pkgutil, sys\n"
        "names = []\n"
        "for layer in ['core', 'foundations', 'data', 'evaluation']:\n"
        "    package = importlib.import_module('course_lib.' + layer)\n"
        "    names += [f'course_lib.{layer}.{m.name}' for m in pkgutil.iter_modules("
        "package.__path__)]\n"
        "names += ['course_lib.models.baselines', 'course_lib.models.mf', "
        "'course_lib.viz.dials', 'course_lib.tools.bench']\n"
        "for name in names:\n"
        "    importlib.import_module(name)\n"
        "print(len(names) > 20, 'tensorflow' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True False"


def test_same_seed_same_numbers():
    setup_notebook(seed=3, tensorflow=False)
    first = np.random.rand(3)
    setup_notebook(seed=3, tensorflow=False)
    assert np.array_equal(first, np.random.rand(3))


@pytest.mark.parametrize("seed", [-1, 2**32, 1.5, "42", True])
def test_bad_seed_is_explained(seed):
    with pytest.raises(ValueError, match=r"seed must be an int with 0 <= seed <= 4294967295"):
        setup_notebook(seed=seed, tensorflow=False)


def test_bad_thread_count_is_explained():
    with pytest.raises(ValueError, match="n_threads=0"):
        setup_notebook(seed=1, tensorflow=False, n_threads=0)


def test_versions_cover_the_stack():
    versions = library_versions()
    for name in [
        "python",
        "numpy",
        "pandas",
        "matplotlib",
        "seaborn",
        "tensorflow",
        "keras",
        "ipywidgets",
    ]:
        assert versions[name] != "not installed", name
    assert versions["keras"].startswith("3.")


def test_tensorflow_is_quiet_and_deterministic_in_a_fresh_process():
    code = (
        "from course_lib import setup_notebook\n"
        "v = setup_notebook(seed=5)\n"
        "import keras, numpy as np\n"
        "m = keras.Sequential([keras.Input((2,)), keras.layers.Dense(3)])\n"
        "print(np.round(m.get_weights()[0].ravel(), 6).tolist())\n"
    )
    runs = [
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        for _ in range(2)
    ]
    assert runs[0].stdout == runs[1].stdout  # same seed, same initial weights
    assert "WARNING" not in runs[0].stderr and "cuda" not in runs[0].stderr.lower()


def test_warns_when_tensorflow_was_imported_first():
    code = (
        "import warnings, tensorflow\n"
        "from course_lib.core import notebook_setup as s\n"
        "s._in_notebook = lambda: True  # as in a Jupyter kernel\n"
        "from course_lib import setup_notebook\n"
        "with warnings.catch_warnings(record=True) as w:\n"
        "    warnings.simplefilter('always')\n"
        "    setup_notebook(seed=1)\n"
        "print(any('before setup_notebook' in str(x.message) for x in w))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().endswith("True")


def test_numpy_only_setup_does_not_import_tensorflow():
    code = (
        "import sys\nfrom course_lib import setup_notebook\n"
        "v = setup_notebook(seed=1, tensorflow=False)\n"
        "print('tensorflow' in sys.modules, v['tensorflow'] != 'not installed')"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False True"
