"""The ShopSim world on disk: which files, and :func:`load_shop`, which reads and checks them.

Explained in chapter 05 (``notebooks/05_shop_data.ipynb``).  The files live in
``<repo>/datasets/`` (see ``datasets/README.md`` for every column), are
written by :func:`course_lib.data.shop_save.save_shop` (``course shop
--out datasets``) and are checked on load against
``datasets/manifest.json`` (SHA-256 of the decompressed text, row counts) and
for impossible values.  The loader returns a
:class:`~course_lib.data.shop_world.ShopData` in the course's ratings schema
(``ratings`` with ``user_id, item_id, rating, timestamp, day``; ``users``
indexed by ``user_id``; ``items`` indexed by ``item_id``).

Examples
--------
>>> shop = load_shop()
>>> shop.scenario, shop.n_days
('all', 180)
>>> shop.ratings.columns.tolist()
['user_id', 'item_id', 'rating', 'timestamp', 'day']
>>> len(shop.rating_truth) == len(shop.ratings)
True
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from course_lib.data.errors import DatasetError
from course_lib.data.shop_config import DEFAULT_SEED
from course_lib.data.shop_world import ShopData, ShopTruth, views_from_interactions

__all__ = ["DATA_DIR", "SHOP_FILES", "load_shop"]

DATA_DIR = Path(__file__).resolve().parents[2] / "datasets"
REGENERATE = "course shop --out datasets"
FORMAT_VERSION = 2  # 2: checksums of the decompressed text (1: of the .gz bytes)


# file name -> (attribute, required columns with dtype kind: i=int, f=float, O=text)
SHOP_FILES = {
    "users.csv.gz": (
        "users",
        {
            "user_id": "i",
            "age": "i",
            "income": "f",
            "education": "i",
            "region": "O",
            "signup_day": "i",
        },
    ),
    "items.csv.gz": (
        "items",
        {
            "item_id": "i",
            "category": "O",
            "brand": "O",
            "price": "f",
            "quality": "f",
            "launch_day": "i",
        },
    ),
    "ratings.csv.gz": (
        "ratings",
        {"user_id": "i", "item_id": "i", "rating": "f", "timestamp": "i", "day": "i"},
    ),
    "interactions.csv.gz": (
        "interactions",
        {
            "user_id": "i",
            "item_id": "i",
            "event": "O",
            "price": "f",
            "timestamp": "i",
            "day": "i",
            "view_id": "i",
            "discount": "f",
        },
    ),
    "truth/rating_truth.csv.gz": ("rating_truth", {"expected_rating": "f"}),
    "truth/view_truth.csv.gz": ("view_truth", {"purchase_prob": "f", "expected_rating": "f"}),
    "truth/drift_events.csv": (
        "drift_events",
        {
            "day": "i",
            "kind": "O",
            "category": "O",
            "region": "O",
            "magnitude": "f",
            "description": "O",
        },
    ),
    "truth/timeline.csv.gz": (
        "timeline",
        {
            "day": "i",
            "region": "O",
            "category": "O",
            "appeal": "f",
            "expected_appeal": "f",
            "demand": "f",
            "traffic": "f",
        },
    ),
    "truth/users_latent.csv.gz": ("users_latent", {"user_id": "i", "bias": "f"}),
    "truth/items_latent.csv.gz": ("items_latent", {"item_id": "i", "bias": "f"}),
}
_INDEX = {
    "users": "user_id",
    "items": "item_id",
    "users_latent": "user_id",
    "items_latent": "item_id",
}


# --------------------------------------------------------------------------- reading
def _fail(path: Path, problem: str) -> DatasetError:
    return DatasetError(
        f"{path}: {problem}. Regenerate the shipped data with `{REGENERATE}` "
        "(run from the repository root; takes a few seconds)."
    )


def _read_manifest(path: Path) -> dict[str, Any]:
    """The parsed manifest, with every field the loader uses checked."""
    if not path.is_file():
        raise _fail(path, "file not found")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise _fail(path, f"not valid JSON ({exc})") from None
    if not isinstance(manifest, dict):
        raise _fail(
            path,
            f"should hold a JSON object (with 'files', 'n_days', ...), found a "
            f"{type(manifest).__name__}",
        )
    version = manifest.get("format_version")
    if version != FORMAT_VERSION:
        raise _fail(
            path,
            f"format_version is {version!r}, this course_lib reads "
            f"{FORMAT_VERSION} (checksums of the decompressed text)",
        )
    expected: dict[str, type | tuple[type, ...]] = {
        "files": dict,
        "n_days": int,
        "scenario": str,
        "rating_noise": (int, float),
    }
    for key, kind in expected.items():
        if key not in manifest:
            raise _fail(path, f"has no {key!r} entry")
        value = manifest[key]
        if isinstance(value, bool) or not isinstance(value, kind):
            raise _fail(
                path, f"{key!r} should be a {getattr(kind, '__name__', 'number')}, found {value!r}"
            )
    if manifest["n_days"] < 1 or not manifest["rating_noise"] > 0:
        raise _fail(
            path,
            f"n_days={manifest['n_days']} and rating_noise="
            f"{manifest['rating_noise']} must be positive",
        )
    seed = manifest.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise _fail(path, f"'seed' should be an int, found {seed!r}")
    if not isinstance(manifest.get("config", {}), dict):
        raise _fail(path, f"'config' should be an object, found {manifest['config']!r}")
    _check_file_entries(manifest["files"], path)
    return manifest


def _check_file_entries(files: dict[str, Any], path: Path) -> None:
    """Every file of ``SHOP_FILES`` has an entry with a SHA-256 and a row count."""
    for name in SHOP_FILES:
        entry = files.get(name)
        if not isinstance(entry, dict):
            raise _fail(
                path,
                f"has no entry for {name}"
                if entry is None
                else f"the entry for {name} should be an object, found {entry!r}",
            )
        digest, rows = entry.get("content_sha256"), entry.get("rows")
        if not (
            isinstance(digest, str)
            and len(digest) == 64
            and all(ch in "0123456789abcdef" for ch in digest)
        ):
            raise _fail(
                path,
                f"the entry for {name} needs 'content_sha256', 64 hex digits; found {digest!r}",
            )
        if isinstance(rows, bool) or not isinstance(rows, int) or rows < 0:
            raise _fail(path, f"the entry for {name} needs 'rows', a count; found {rows!r}")


def _check_columns(df: pd.DataFrame, spec: dict[str, str], path: Path) -> None:
    missing = [c for c in spec if c not in df.columns and c != df.index.name]
    if missing:
        raise _fail(path, f"missing column(s) {missing}; found {list(df.columns)}")
    for col, kind in spec.items():
        values = df.index if col == df.index.name else df[col]
        if kind == "i" and not pd.api.types.is_integer_dtype(values):
            raise _fail(path, f"column {col!r} should hold integers, got dtype {values.dtype}")
        if kind == "f" and not pd.api.types.is_numeric_dtype(values):
            raise _fail(path, f"column {col!r} should hold numbers, got dtype {values.dtype}")
        if kind in "if" and np.any(pd.isna(values)):
            raise _fail(path, f"column {col!r} has missing values")


def _first_bad(path: Path, column: str, values: pd.Series, bad: np.ndarray, rule: str) -> None:
    """Raise naming the first row (and CSV line) where ``bad`` is true."""
    if np.any(bad):
        row = int(np.flatnonzero(bad)[0])
        value = values.iloc[row]
        value = value.item() if isinstance(value, np.generic) else value
        raise _fail(path, f"line {row + 2} (data row {row + 1}): {column} = {value!r}, but {rule}")


def _check_values(t: dict[str, pd.DataFrame], folder: Path, n_days: int) -> None:
    """Cross-table checks a consistent-looking file could still fail."""
    for attr, key in (("users", "user_id"), ("items", "item_id")):
        index = t[attr].index
        if index.has_duplicates:
            dup = index[index.duplicated()][0]
            raise _fail(folder / f"{attr}.csv.gz", f"{key} {dup} appears more than once")
    for attr, name in (("ratings", "ratings.csv.gz"), ("interactions", "interactions.csv.gz")):
        df, path = t[attr], folder / name
        _first_bad(
            path,
            "user_id",
            df["user_id"],
            ~df["user_id"].isin(t["users"].index),
            "that user is not in users.csv.gz",
        )
        _first_bad(
            path,
            "item_id",
            df["item_id"],
            ~df["item_id"].isin(t["items"].index),
            "that item is not in items.csv.gz",
        )
        _first_bad(
            path,
            "day",
            df["day"],
            ~df["day"].between(0, n_days - 1),
            f"days run from 0 to n_days - 1 = {n_days - 1}",
        )
    r = t["ratings"]["rating"]
    _first_bad(
        folder / "ratings.csv.gz",
        "rating",
        r,
        ~r.isin([1.0, 2.0, 3.0, 4.0, 5.0]),
        "a rating is 1, 2, 3, 4 or 5 stars",
    )
    events = t["interactions"]["event"]
    _first_bad(
        folder / "interactions.csv.gz",
        "event",
        events,
        ~events.isin(["view", "cart", "purchase"]),
        "an event is 'view', 'cart' or 'purchase'",
    )


def _read_table(
    fpath: Path, spec: dict[str, str], attr: str, entry: dict[str, Any], verify: bool
) -> pd.DataFrame:
    """One file of the world as a table, checked against its manifest ``entry`` and ``spec``."""
    if not fpath.is_file():
        raise _fail(fpath, "file not found")
    try:
        data = fpath.read_bytes()
        text = gzip.decompress(data) if fpath.name.endswith(".gz") else data
    except (OSError, EOFError, zlib.error) as exc:
        raise _fail(fpath, f"cannot be read ({type(exc).__name__}: {exc})") from None
    if verify and hashlib.sha256(text).hexdigest() != entry["content_sha256"]:
        raise _fail(fpath, "checksum mismatch (the file is corrupted or was edited)")
    try:
        floats = {c: "float64" for c, k in spec.items() if k == "f"}
        df = pd.read_csv(io.BytesIO(text), dtype=floats)
    except (ValueError, pd.errors.ParserError) as exc:
        raise _fail(fpath, f"cannot be read ({type(exc).__name__}: {exc})") from None
    if df.empty:  # no rows (a world without drift events): no dtype to infer
        df = df.astype(
            {
                c: "int64" if k == "i" else "float64"
                for c, k in spec.items()
                if k in "if" and c in df.columns
            }
        )
    if attr in _INDEX and _INDEX[attr] in df.columns:
        df = df.set_index(_INDEX[attr])
    _check_columns(df, spec, fpath)
    if len(df) != entry["rows"]:
        raise _fail(fpath, f"has {len(df)} rows, the manifest says {entry['rows']}")
    return df


def load_shop(path: str | os.PathLike | None = None, *, verify: bool = True) -> ShopData:
    """Read the shipped ShopSim world and validate it.

    Parameters
    ----------
    path : path-like, optional
        Folder with ``manifest.json`` and the data files (default: the
        repository's ``datasets/``).
    verify : bool
        Check the SHA-256 of every file's decompressed text against the
        manifest (about 0.2 s of the 1.2 s a load takes).

    Returns
    -------
    ShopData
        ``ratings``, ``rating_truth``, ``users``, ``items``, ``interactions``,
        ``views``, ``view_truth``, ``drift_events``, ``truth``, ``n_days``,
        ``scenario``, ``seed``.

    Raises
    ------
    DatasetError
        A file is missing, corrupted or has the wrong schema, or the manifest
        is malformed; the message names the file and says how to regenerate.

    Examples
    --------
    >>> shop = load_shop()
    >>> shop.drift_events[["day", "kind"]].values.tolist()
    [[40, 'gradual_start'], [85, 'gradual_end'], [100, 'sudden'], [144, 'seasonal_start'], [176, 'seasonal_end']]
    >>> load_shop("no/such/folder")
    Traceback (most recent call last):
    ...
    course_lib.data.errors.DatasetError: no/such/folder/manifest.json: file not found. Regenerate ...
    """
    folder = DATA_DIR if path is None else Path(path)
    manifest_path = folder / "manifest.json"
    manifest = _read_manifest(manifest_path)
    tables = {
        attr: _read_table(folder / name, spec, attr, manifest["files"][name], verify)
        for name, (attr, spec) in SHOP_FILES.items()
    }
    _check_values(tables, folder, manifest["n_days"])
    if len(tables["rating_truth"]) != len(tables["ratings"]) or len(tables["view_truth"]) != int(
        (tables["interactions"]["event"] == "view").sum()
    ):
        raise _fail(folder, "truth tables are not aligned with the logs")
    try:
        truth = ShopTruth(
            users=tables["users_latent"],
            items=tables["items_latent"],
            timeline=tables["timeline"],
            rating_noise=float(manifest["rating_noise"]),
        )
        views = views_from_interactions(tables["interactions"], tables["items"])
    except (KeyError, ValueError, IndexError) as exc:
        raise _fail(
            folder, f"the truth tables are inconsistent ({type(exc).__name__}: {exc})"
        ) from None
    return ShopData(
        ratings=tables["ratings"],
        users=tables["users"],
        items=tables["items"],
        rating_truth=tables["rating_truth"],
        interactions=tables["interactions"],
        views=views,
        view_truth=tables["view_truth"],
        drift_events=tables["drift_events"],
        n_days=manifest["n_days"],
        scenario=manifest["scenario"],
        seed=manifest.get("seed", DEFAULT_SEED),
        truth=truth,
        config=dict(manifest.get("config", {})),
    )
