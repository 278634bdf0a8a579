"""course_lib: the helper library of *Continual Learning for E-commerce Models*.

Each module holds one concept and says in its docstring which chapter explains
it.  Importing ``course_lib`` is cheap: it never imports TensorFlow (only
``course_lib.models.networks`` and the modules above it do), so the numpy chapters and
their tests stay fast.

>>> from course_lib import setup_notebook
>>> setup_notebook.__module__
'course_lib.core.notebook_setup'
"""

from course_lib.core.notebook_setup import setup_notebook

__all__ = ["setup_notebook"]
__version__ = "0.1.0"
