"""Lazy re-exports: how each layer folder offers its public names in one place.

Every layer of ``course_lib`` (``foundations``, ``data``, ``models`` ...) re-exports the
public names of its modules, so a lesson writes ``from course_lib.models import
RatingModel`` instead of remembering which file holds it.  The re-export is lazy: a
module is imported the first time one of its names is used, so ``import
course_lib.models`` does not import TensorFlow until a Keras model is asked for.

>>> import types
>>> exports = {"sqrt": "math", "pi": "math"}
>>> getattr_, dir_ = lazy_exports("example", exports)
>>> getattr_("pi") > 3
True
>>> dir_()
['pi', 'sqrt']
>>> getattr_("tau")
Traceback (most recent call last):
AttributeError: module 'example' has no attribute 'tau'
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(
    package: str, exports: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for a package that re-exports ``exports``.

    ``exports`` maps each public name to the module that defines it, either absolute
    (``"math"``) or relative to ``package`` (``".losses"``).
    """

    def __getattr__(name: str) -> Any:
        try:
            module = exports[name]
        except KeyError:
            raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        return getattr(importlib.import_module(module, package), name)

    def __dir__() -> list[str]:
        return sorted(exports)

    return __getattr__, __dir__
