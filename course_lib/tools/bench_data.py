"""The benchmark's data (``course bench --data``): the shipped shop, MovieLens 100K, a CSV."""

from __future__ import annotations

from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd

from course_lib.core.validation import argument_error, check_choice

__all__ = ["read_ratings_csv", "load_data"]

CSV_CONVENTIONS = (
    {"user_id": "user_id", "item_id": "item_id", "rating": "rating", "timestamp": "timestamp"},
    {"userId": "user_id", "movieId": "item_id", "rating": "rating", "timestamp": "timestamp"},
)


def read_ratings_csv(path: str | Path | IO[str]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """``(ratings, users, items)`` from a ratings CSV; users and items are empty side tables.

    The file needs a header with ``user_id,item_id,rating,timestamp`` (the
    course's names) or ``userId,movieId,rating,timestamp`` (MovieLens'
    ``ratings.csv``); other columns are ignored.  Ratings may be on any scale
    (half stars 0.5-5 too); timestamps are integer seconds.  Rows are sorted
    by time and get the ``day`` column of the ratings schema.

    Examples
    --------
    >>> import io
    >>> text = "userId,movieId,rating,timestamp\\n1,10,4.5,86400\\n2,10,0.5,0\\n"
    >>> ratings, users, items = read_ratings_csv(io.StringIO(text))
    >>> ratings.to_dict("list")
    {'user_id': [2, 1], 'item_id': [10, 10], 'rating': [0.5, 4.5], 'timestamp': [0, 86400], 'day': [0, 1]}
    >>> len(users.columns), users.index.name
    (0, 'user_id')
    """
    name = getattr(path, "name", path)
    try:
        df = pd.read_csv(path)
    except FileNotFoundError:
        raise FileNotFoundError(
            f"--path {name}: no such file; give the path of a ratings CSV."
        ) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise ValueError(
            f"--path {name}: not a readable CSV ({exc}); give a comma-separated "
            "file with a header line."
        ) from None
    for names in CSV_CONVENTIONS:
        if set(names) <= set(df.columns):
            break
    else:
        raise ValueError(
            f"{name}: the CSV has the columns {list(df.columns)}, but needs "
            f"user_id,item_id,rating,timestamp (or MovieLens' userId,movieId,rating,timestamp); "
            f"rename the columns in the header line."
        )
    df = df[list(names)].rename(columns=names)
    for column in ("rating", "timestamp"):
        values = pd.to_numeric(df[column], errors="coerce")
        bad = ~np.isfinite(values.to_numpy(dtype=float))
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            value = df[column].iloc[row]
            shown = "empty" if pd.isna(value) else repr(str(value))
            raise ValueError(
                f"{name}, line {row + 2}: {column} is {shown}, not a number; fix or drop that line."
            )
        df[column] = values
    if len(df) == 0:
        raise ValueError(f"{name}: the CSV has a header but no ratings.")
    df["rating"] = df["rating"].astype(float)
    df["timestamp"] = df["timestamp"].astype(np.int64)
    df = df.sort_values("timestamp", kind="mergesort").reset_index(drop=True)
    df["day"] = ((df["timestamp"] - df["timestamp"].min()) // 86400).astype(np.int64)
    users = pd.DataFrame(index=pd.Index(pd.unique(df["user_id"]), name="user_id"))
    items = pd.DataFrame(index=pd.Index(pd.unique(df["item_id"]), name="item_id"))
    return df, users, items


def load_data(
    name: str = "shop", path: str | Path | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.Series | None]:
    """``(ratings, users, items, truth)`` for ``--data``; truth is None for real data."""
    check_choice(
        name,
        "name",
        "load_data",
        ("shop", "movielens-100k", "csv"),
        fix="use 'shop' (the shipped ShopSim world), 'movielens-100k' (with path= the "
        "unzipped ml-100k folder) or 'csv' (with path= a ratings CSV)",
    )
    if name == "shop":
        from course_lib.data import load_shop

        shop = load_shop(path) if path else load_shop()
        truth = shop.rating_truth["expected_rating"] if shop.rating_truth is not None else None
        return shop.ratings, shop.users, shop.items, truth
    if name == "movielens-100k":
        from course_lib.data import load_movielens_100k

        ml = load_movielens_100k(path=path)
        return ml.ratings, ml.users, ml.items, None
    if path is None:  # name == "csv"
        raise argument_error(
            "load_data",
            "path",
            path,
            "a ratings CSV file with name='csv'",
            "on the command line, --data csv needs --path FILE.csv (a ratings file with a header)",
        )
    ratings, users, items = read_ratings_csv(path)
    return ratings, users, items, None
