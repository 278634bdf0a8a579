"""Read an unpacked MovieLens 100K folder, checking every line against the official format.

Used by the benchmark ``course bench --data movielens-100k`` (chapter 09).
:func:`read_movielens_folder` maps the three files of the archive (``u.data``,
``u.user``, ``u.item``) to the course's ratings schema, so the benchmark runs
on the real data as on ShopSim.  A line that breaks the format of
the archive's README raises :class:`~course_lib.data.errors.DatasetError`
naming the file and the line.  Downloading and caching the archive is
:func:`course_lib.data.movielens.load_movielens_100k`.

Examples
--------
>>> len(ML100K_GENRES), ML100K_GENRES[:3]
(19, ('unknown', 'Action', 'Adventure'))
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from course_lib.data.errors import DatasetError
from course_lib.data.shop_world import ShopData

__all__ = ["ML100K_GENRES", "read_movielens_folder"]

ML100K_GENRES = (
    "unknown",
    "Action",
    "Adventure",
    "Animation",
    "Children's",
    "Comedy",
    "Crime",
    "Documentary",
    "Drama",
    "Fantasy",
    "Film-Noir",
    "Horror",
    "Musical",
    "Mystery",
    "Romance",
    "Sci-Fi",
    "Thriller",
    "War",
    "Western",
)

# name -> (separator, field names); the formats of the README in the official archive
ML100K_REQUIRED = ("u.data", "u.user", "u.item")
_ML_FORMATS = {
    "u.data": ("\t", ("user_id", "item_id", "rating", "timestamp")),
    "u.user": ("|", ("user_id", "age", "gender", "occupation", "zip_code")),
    "u.item": (
        "|",
        ("item_id", "title", "release_date", "video_release_date", "imdb_url", *ML100K_GENRES),
    ),
}
_ML_FIX = (
    "Use the file from the official archive (load_movielens_100k(download=True) fetches "
    "it), or correct that line."
)


class _MovieLensFile:
    """One MovieLens text file as a table of strings, remembering each row's line number."""

    def __init__(self, path: Path) -> None:
        self.path = path
        sep, self.fields = _ML_FORMATS[path.name]
        sep_name = "tabs" if sep == "\t" else f"'{sep}'"
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise DatasetError(f"{path}: cannot be read ({exc}).") from None
        text = None
        if data.startswith(b"\xef\xbb\xbf"):  # saved as UTF-8 by an editor
            try:
                text = data[3:].decode("utf-8")
            except UnicodeDecodeError:
                data = data[3:]
        if text is None:
            text = data.decode("latin-1")  # the archive's encoding; never fails
        rows, self.lines, self.text = [], [], []
        for number, line in enumerate(text.split("\n"), start=1):
            line = line.rstrip("\r")
            if not line.strip():
                continue
            parts = line.split(sep)
            if len(parts) != len(self.fields):
                shown = ", ".join(self.fields[:6]) + (", ..." if len(self.fields) > 6 else "")
                raise self.fail(
                    number,
                    line,
                    f"expected {len(self.fields)} fields separated by "
                    f"{sep_name} ({shown}), found {len(parts)}",
                )
            rows.append(parts)
            self.lines.append(number)
            self.text.append(line)
        if not rows:
            raise DatasetError(
                f"{path}: the file is empty (no {self.fields[0]} lines). "
                f"{_ML_FIX.split(', or')[0]}."
            )
        self.table = pd.DataFrame(rows, columns=list(self.fields))

    def fail(self, number: int, line: str, problem: str, fix: str = _ML_FIX) -> DatasetError:
        shown = line if len(line) <= 120 else line[:117] + "..."
        return DatasetError(
            f"{self.path}, line {number}: {problem}; the line reads {shown!r}. {fix}"
        )

    def fail_row(self, row: int, problem: str, fix: str = _ML_FIX) -> DatasetError:
        return self.fail(self.lines[row], self.text[row], problem, fix)

    def ints(self, column: str, low: int, high: int | None = None, unit: str = "") -> pd.Series:
        """The column as int64, every value a whole number in ``[low, high]``."""
        try:  # fast path: every value a clean integer
            values = self.table[column].astype("int64")
        except (ValueError, OverflowError, TypeError):
            raw = self.table[column].str.strip()
            ok = raw.str.fullmatch(r"[+-]?[0-9]{1,18}").to_numpy()
            row = int(np.flatnonzero(~ok)[0]) if not ok.all() else 0
            raise self.fail_row(
                row,
                f"{column} must be a whole number{unit}, found {self.table[column].iloc[row]!r}",
            ) from None
        bad = (values < low) | ((values > high) if high is not None else False)
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            rule = (
                f"{low} or {high}"
                if high == low + 1
                else f"from {low} to {high}"
                if high is not None
                else f">= {low}"
            )
            raise self.fail_row(row, f"{column} must be {rule}{unit}, found {values.iloc[row]}")
        return values

    def unique(self, values: pd.Series, column: str) -> None:
        dup = values.duplicated().to_numpy()
        if dup.any():
            row = int(np.flatnonzero(dup)[0])
            first = int(np.flatnonzero((values == values.iloc[row]).to_numpy())[0])
            raise self.fail_row(
                row,
                f"{column} {values.iloc[row]} appears twice (first on line "
                f"{self.lines[first]}); each {column} must appear once",
            )

    def known(self, values: pd.Series, column: str, index: pd.Index, other: str) -> None:
        bad = ~values.isin(index).to_numpy()
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise self.fail_row(
                row,
                f"{column} {values.iloc[row]} is not in {other}; every "
                f"rating needs its {column} listed there",
                "Use u.data, u.user and u.item from the same archive "
                "(load_movielens_100k(download=True) fetches it).",
            )


def _read_users(folder: Path) -> pd.DataFrame:
    """``u.user`` as ``users`` indexed by ``user_id`` (age, gender, occupation, zip code)."""
    ufile = _MovieLensFile(folder / "u.user")
    user_id = ufile.ints("user_id", 1)
    ufile.unique(user_id, "user_id")
    age = ufile.ints("age", 1, 120, " (years)")
    gender = ufile.table["gender"].str.strip()
    bad = ~gender.isin(["M", "F"]).to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ufile.fail_row(row, f"gender must be M or F, found {gender.iloc[row]!r}")
    return pd.DataFrame(
        {
            "age": age.to_numpy(),
            "gender": gender.to_numpy(),
            "occupation": ufile.table["occupation"].to_numpy(),
            "zip_code": ufile.table["zip_code"].to_numpy(),
        },
        index=pd.Index(user_id.to_numpy(), name="user_id"),
    )


def _read_items(folder: Path) -> pd.DataFrame:
    """``u.item`` as ``items`` indexed by ``item_id``: title, dates, genre flags, ``genre``."""
    ifile = _MovieLensFile(folder / "u.item")
    item_id = ifile.ints("item_id", 1)
    ifile.unique(item_id, "item_id")
    flags = {g: ifile.ints(g, 0, 1, " (a genre flag)").to_numpy() for g in ML100K_GENRES}
    date = ifile.table["release_date"].str.strip()
    parsed = pd.to_datetime(date, format="%d-%b-%Y", errors="coerce")
    bad = ((date != "") & parsed.isna()).to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ifile.fail_row(
            row, f"release_date must look like 01-Jan-1995 or be empty, found {date.iloc[row]!r}"
        )
    items = pd.DataFrame(
        {
            "title": ifile.table["title"].to_numpy(),
            "release_date": date.replace("", np.nan).to_numpy(),
            **flags,
        },
        index=pd.Index(item_id.to_numpy(), name="item_id"),
    )
    items["year"] = pd.array(parsed.dt.year.to_numpy(), dtype="Int64")
    genre_flags = items[list(ML100K_GENRES)].to_numpy()
    items["genre"] = np.where(
        genre_flags.any(axis=1), np.array(ML100K_GENRES)[genre_flags.argmax(axis=1)], "unknown"
    )
    return items


def _read_ratings(folder: Path, users: pd.DataFrame, items: pd.DataFrame) -> pd.DataFrame:
    """``u.data`` in time order, with ``day`` (days since the first rating, UTC)."""
    dfile = _MovieLensFile(folder / "u.data")
    r = pd.DataFrame(
        {
            "user_id": dfile.ints("user_id", 1),
            "item_id": dfile.ints("item_id", 1),
            "rating": dfile.ints("rating", 1, 5, " (stars)"),
            "timestamp": dfile.ints("timestamp", 0, unit=" (Unix seconds)"),
        }
    )
    dfile.known(r["user_id"], "user_id", users.index, "u.user")
    dfile.known(r["item_id"], "item_id", items.index, "u.item")
    pair = r["user_id"] * (int(items.index.max()) + 1) + r["item_id"]
    dup = pair.duplicated().to_numpy()
    if dup.any():
        row = int(np.flatnonzero(dup)[0])
        first = int(np.flatnonzero((pair == pair.iloc[row]).to_numpy())[0])
        raise dfile.fail_row(
            row,
            f"user {r['user_id'].iloc[row]} rates item "
            f"{r['item_id'].iloc[row]} a second time (first on line "
            f"{dfile.lines[first]}); MovieLens 100K has one rating per "
            "user and item",
        )
    r = r.sort_values(["timestamp", "user_id", "item_id"], kind="stable").reset_index(drop=True)
    r["rating"] = r["rating"].astype(float)
    first_day = int(r["timestamp"].min()) // 86400 * 86400
    r["day"] = (r["timestamp"] - first_day) // 86400
    return r[["user_id", "item_id", "rating", "timestamp", "day"]]


def read_movielens_folder(folder: str | os.PathLike) -> ShopData:
    """Read an unpacked ``ml-100k`` folder (``u.data``, ``u.user``, ``u.item``).

    Every line is checked against the format of the official README (number of
    fields, whole numbers, ratings 1-5, unique ids, ids of ``u.data`` listed in
    ``u.user`` / ``u.item``, genre flags 0/1, dates ``dd-Mon-yyyy``); a bad
    line raises :class:`DatasetError` naming the file and the line.

    ``day`` counts days since the first rating (UTC); ``items`` has the title,
    release year and one 0/1 column per genre, plus ``genre`` (the first one
    listed) as a category-like column.
    """
    folder = Path(folder)
    if folder.is_file() and folder.suffix.lower() == ".zip":
        raise DatasetError(
            f"{folder}: this is the zip archive; unzip it and pass the ml-100k "
            "folder it contains, or use load_movielens_100k(download=True)."
        )
    for name in ML100K_REQUIRED:
        if not (folder / name).is_file():
            raise DatasetError(
                f"{folder}: no {name} here; pass the folder that holds the "
                "unzipped MovieLens 100K files (u.data, u.user, u.item)."
            )
    users = _read_users(folder)
    items = _read_items(folder)
    ratings = _read_ratings(folder, users, items)
    return ShopData(
        ratings=ratings,
        users=users,
        items=items,
        n_days=int(ratings["day"].max()) + 1,
        scenario="movielens-100k",
        seed=None,
    )
