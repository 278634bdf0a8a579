"""The one error of the data loaders: a data file that is missing, corrupted or malformed.

Raised by :func:`course_lib.data.shop_files.load_shop` /
:func:`~course_lib.data.shop_save.save_shop` and by the MovieLens loader
(:mod:`course_lib.data.movielens`).  A wrong *argument* raises ``TypeError`` /
``ValueError`` from :mod:`course_lib.core.validation` instead.

>>> issubclass(DatasetError, RuntimeError)
True
"""

from __future__ import annotations

__all__ = ["DatasetError"]


class DatasetError(RuntimeError):
    """A data file is missing, corrupted or not in the expected schema."""
