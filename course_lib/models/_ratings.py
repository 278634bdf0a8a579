"""The ratings-frame check shared by the rating models (private to ``course_lib.models``).

Built on :func:`course_lib.core.validation.check_frame`, so a wrong frame gives
the one message style of the course::

    Where(ratings=...): ratings must be RULE; FIX.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from course_lib.core.validation import argument_error, check_frame

RATING_MIN, RATING_MAX = 1.0, 5.0
IDS = ("user_id", "item_id")
RATINGS = ("user_id", "item_id", "rating")


def check_ratings(
    ratings: object, where: str, *, need_rating: bool = True, name: str = "ratings"
) -> pd.DataFrame:
    """Check a ratings frame (``user_id``, ``item_id`` and, to learn from it, ``rating``).

    With ``need_rating`` the frame must also be non-empty and its ratings finite.

    >>> df = pd.DataFrame({"user_id": [1], "item_id": [2], "rating": [np.nan]})
    >>> check_ratings(df, "GlobalMean.fit")
    Traceback (most recent call last):
    ...
    ValueError: GlobalMean.fit(ratings=DataFrame of shape (1, 3)): ratings must be a table of finite ratings, found 1 NaN or inf; drop those rows first.
    """
    check_frame(ratings, name, where, columns=RATINGS if need_rating else IDS)
    assert isinstance(ratings, pd.DataFrame)
    if need_rating:
        if len(ratings) == 0:
            raise argument_error(
                where,
                name,
                ratings,
                "a table with at least one row",
                "there is nothing to learn from",
            )
        bad = int((~np.isfinite(ratings["rating"].to_numpy(dtype=float))).sum())
        if bad:
            raise argument_error(
                where,
                name,
                ratings,
                f"a table of finite ratings, found {bad} NaN or inf",
                "drop those rows first",
            )
    return ratings
