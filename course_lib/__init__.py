"""course_lib: the helper library of *Continual Learning for E-commerce Models*.

Each module holds one concept and says in its docstring which chapter explains
it.  Importing ``course_lib`` is cheap: it never imports TensorFlow (only
``course_lib.models`` and the modules above it do), so the numpy chapters and
their tests stay fast.

>>> import course_lib, sys
>>> "tensorflow" in sys.modules and not course_lib.TENSORFLOW_IMPORTED_BEFORE
False
"""

import sys as _sys

from course_lib.setup import setup_notebook

TENSORFLOW_IMPORTED_BEFORE = "tensorflow" in _sys.modules

__all__ = ["setup_notebook"]
__version__ = "0.1.0"
