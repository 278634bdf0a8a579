"""Load the course's data: the shipped ShopSim world and MovieLens 100K.

Explained in chapter 05 (``notebooks/05_shop_data.ipynb``).  Both loaders
return a :class:`course_lib.shop.ShopData` in the course's ratings schema
(``ratings`` with ``user_id, item_id, rating, timestamp, day``; ``users``
indexed by ``user_id``; ``items`` indexed by ``item_id``), so every chapter
from 06 on runs on either.

* :func:`load_shop` reads the files in ``<repo>/datasets/`` (written by
  :func:`save_shop`, i.e. ``python -m course_lib.shop --out datasets``) and
  checks them against ``datasets/manifest.json`` (SHA-256 and row counts).
* :func:`load_movielens_100k` reads the real MovieLens 100K from a folder, or
  downloads the official archive once into a cache with ``download=True``.

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
import tempfile
import urllib.request
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from course_lib.shop import (DEFAULT_SEED, START_DATE, ShopData, ShopTruth,
                             views_from_interactions)

__all__ = ["DATA_DIR", "DatasetError", "load_shop", "save_shop", "SHOP_FILES",
           "load_movielens_100k", "read_movielens_folder", "ML100K_URL", "ML100K_MD5",
           "default_cache_dir"]

DATA_DIR = Path(__file__).resolve().parent.parent / "datasets"
REGENERATE = "python -m course_lib.shop --out datasets"
FORMAT_VERSION = 1


class DatasetError(RuntimeError):
    """A data file is missing, corrupted or not in the expected schema."""


# file name -> (attribute, required columns with dtype kind: i=int, f=float, O=text)
SHOP_FILES = {
    "users.csv.gz": ("users", {"user_id": "i", "age": "i", "income": "f", "education": "i",
                               "region": "O", "signup_day": "i"}),
    "items.csv.gz": ("items", {"item_id": "i", "category": "O", "brand": "O", "price": "f",
                               "quality": "f", "launch_day": "i"}),
    "ratings.csv.gz": ("ratings", {"user_id": "i", "item_id": "i", "rating": "f",
                                   "timestamp": "i", "day": "i"}),
    "interactions.csv.gz": ("interactions", {"user_id": "i", "item_id": "i", "event": "O",
                                             "price": "f", "timestamp": "i", "day": "i",
                                             "view_id": "i", "discount": "f"}),
    "truth/rating_truth.csv.gz": ("rating_truth", {"expected_rating": "f"}),
    "truth/view_truth.csv.gz": ("view_truth", {"purchase_prob": "f", "expected_rating": "f"}),
    "truth/drift_events.csv": ("drift_events", {"day": "i", "kind": "O", "category": "O",
                                                "region": "O", "magnitude": "f",
                                                "description": "O"}),
    "truth/timeline.csv.gz": ("timeline", {"day": "i", "region": "O", "category": "O",
                                           "appeal": "f", "expected_appeal": "f", "demand": "f",
                                           "traffic": "f"}),
    "truth/users_latent.csv.gz": ("users_latent", {"user_id": "i", "bias": "f"}),
    "truth/items_latent.csv.gz": ("items_latent", {"item_id": "i", "bias": "f"}),
}
_INDEX = {"users": "user_id", "items": "item_id", "users_latent": "user_id",
          "items_latent": "item_id"}


# --------------------------------------------------------------------------- writing
def _csv_bytes(df: pd.DataFrame, gz: bool, index: bool) -> bytes:
    """Deterministic CSV bytes: '%.10g' floats (values are rounded before), gzip mtime 0."""
    text = df.to_csv(index=index, float_format="%.10g", lineterminator="\n")
    data = text.encode("utf-8")
    return gzip.compress(data, compresslevel=6, mtime=0) if gz else data


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def save_shop(shop: ShopData, out: str | os.PathLike) -> list[Path]:
    """Write a simulated world to ``out`` in the shipped format; return the paths.

    All files are serialised in memory first, so a failure leaves old files
    untouched; each file is then written to a temporary name and renamed.
    ``manifest.json`` (checksums, row counts, generator settings) is written last.
    """
    if shop.truth is None or shop.interactions is None:
        raise ValueError("save_shop(shop): only a simulated world (course_lib.shop.simulate) "
                         "can be saved; this one has no truth/interactions.")
    out = Path(out)
    tables = {"users": (shop.users, True), "items": (shop.items, True),
              "ratings": (shop.ratings, False), "interactions": (shop.interactions, False),
              "rating_truth": (shop.rating_truth, False), "view_truth": (shop.view_truth, False),
              "drift_events": (shop.drift_events, False),
              "timeline": (shop.truth.timeline, False),
              "users_latent": (shop.truth.users, True), "items_latent": (shop.truth.items, True)}
    blobs = {}
    for name, (attr, _) in SHOP_FILES.items():
        df, index = tables[attr]
        blobs[name] = (_csv_bytes(df, name.endswith(".gz"), index), len(df))
    manifest = {
        "format_version": FORMAT_VERSION,
        "generator": "course_lib.shop.simulate",
        "command": f"python -m course_lib.shop --out datasets --scenario {shop.scenario} "
                   f"--seed {shop.seed}",
        "scenario": shop.scenario, "seed": shop.seed, "n_days": shop.n_days,
        "start_date": START_DATE, "rating_noise": shop.truth.rating_noise,
        "config": {k: (list(v) if isinstance(v, tuple) else v) for k, v in shop.config.items()},
        "files": {name: {"sha256": hashlib.sha256(data).hexdigest(), "rows": rows,
                         "bytes": len(data)} for name, (data, rows) in blobs.items()},
    }
    paths = []
    for name, (data, _) in blobs.items():
        _write_atomic(out / name, data)
        paths.append(out / name)
    _write_atomic(out / "manifest.json",
                  (json.dumps(manifest, indent=1, sort_keys=True) + "\n").encode())
    paths.append(out / "manifest.json")
    return paths


# --------------------------------------------------------------------------- reading
def _fail(path: Path, problem: str) -> DatasetError:
    return DatasetError(f"{path}: {problem}. Regenerate the shipped data with `{REGENERATE}` "
                        "(run from the repository root; takes a few seconds).")


def _check_columns(df: pd.DataFrame, spec: dict, path: Path) -> None:
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


def load_shop(path: str | os.PathLike | None = None, *, verify: bool = True) -> ShopData:
    """Read the shipped ShopSim world and validate it.

    Parameters
    ----------
    path : path-like, optional
        Folder with ``manifest.json`` and the data files (default: the
        repository's ``datasets/``).
    verify : bool
        Check every file's SHA-256 against the manifest (a few ms).

    Returns
    -------
    ShopData
        ``ratings``, ``rating_truth``, ``users``, ``items``, ``interactions``,
        ``views``, ``view_truth``, ``drift_events``, ``truth``, ``n_days``,
        ``scenario``, ``seed``.

    Raises
    ------
    DatasetError
        A file is missing, corrupted or has the wrong schema; the message says
        how to regenerate the data.

    Examples
    --------
    >>> shop = load_shop()
    >>> shop.drift_events[["day", "kind"]].values.tolist()
    [[40, 'gradual_start'], [85, 'gradual_end'], [100, 'sudden'], [144, 'seasonal_start'], [176, 'seasonal_end']]
    >>> load_shop("no/such/folder")
    Traceback (most recent call last):
    ...
    course_lib.datasets.DatasetError: no/such/folder/manifest.json: file not found. Regenerate ...
    """
    folder = DATA_DIR if path is None else Path(path)
    manifest_path = folder / "manifest.json"
    if not manifest_path.is_file():
        raise _fail(manifest_path, "file not found")
    try:
        manifest = json.loads(manifest_path.read_text())
        files = manifest["files"]
    except (ValueError, KeyError) as exc:
        raise _fail(manifest_path, f"not a valid manifest ({exc})") from None
    tables = {}
    for name, (attr, spec) in SHOP_FILES.items():
        fpath = folder / name
        if not fpath.is_file():
            raise _fail(fpath, "file not found")
        data = fpath.read_bytes()
        if name not in files:
            raise _fail(manifest_path, f"has no entry for {name}")
        if verify and hashlib.sha256(data).hexdigest() != files[name]["sha256"]:
            raise _fail(fpath, "checksum mismatch (the file is corrupted or was edited)")
        try:
            raw = gzip.decompress(data) if name.endswith(".gz") else data
            floats = {c: "float64" for c, k in spec.items() if k == "f"}
            df = pd.read_csv(io.BytesIO(raw), dtype=floats)
        except (OSError, EOFError, ValueError, pd.errors.ParserError) as exc:
            raise _fail(fpath, f"cannot be read ({type(exc).__name__}: {exc})") from None
        if attr in _INDEX and _INDEX[attr] in df.columns:
            df = df.set_index(_INDEX[attr])
        _check_columns(df, spec, fpath)
        if len(df) != files[name]["rows"]:
            raise _fail(fpath, f"has {len(df)} rows, the manifest says {files[name]['rows']}")
        tables[attr] = df
    if len(tables["rating_truth"]) != len(tables["ratings"]) or \
            len(tables["view_truth"]) != int((tables["interactions"]["event"] == "view").sum()):
        raise _fail(folder, "truth tables are not aligned with the logs")
    truth = ShopTruth(users=tables["users_latent"], items=tables["items_latent"],
                      timeline=tables["timeline"], rating_noise=float(manifest["rating_noise"]))
    config = dict(manifest.get("config", {}))
    return ShopData(ratings=tables["ratings"], users=tables["users"], items=tables["items"],
                    rating_truth=tables["rating_truth"], interactions=tables["interactions"],
                    views=views_from_interactions(tables["interactions"], tables["items"]),
                    view_truth=tables["view_truth"], drift_events=tables["drift_events"],
                    n_days=int(manifest["n_days"]), scenario=manifest["scenario"],
                    seed=manifest.get("seed", DEFAULT_SEED), truth=truth, config=config)


# --------------------------------------------------------------------------- MovieLens
ML100K_URL = "https://files.grouplens.org/datasets/movielens/ml-100k.zip"
# MD5 published by GroupLens next to the archive (ml-100k.zip.md5); 4,924,029 bytes.
ML100K_MD5 = "0e33842e24a9c977be4e0107933c0723"
ML100K_GENRES = ("unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime",
                 "Documentary", "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery",
                 "Romance", "Sci-Fi", "Thriller", "War", "Western")


def default_cache_dir() -> Path:
    """``$COURSE_LIB_CACHE`` if set, else ``~/.cache/course_lib``."""
    env = os.environ.get("COURSE_LIB_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "course_lib"


def _fetch(url: str) -> bytes:
    """Download ``url`` into memory (tests replace this function)."""
    with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 - fixed https URL
        return response.read()


def _md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()  # noqa: S324 - checksum published by GroupLens


def _extract_archive(data: bytes, target: Path) -> None:
    """Verify, then unpack ml-100k.zip into ``target`` atomically (temp dir + rename)."""
    if _md5(data) != ML100K_MD5:
        raise DatasetError(
            f"MovieLens 100K download from {ML100K_URL} has MD5 {_md5(data)} ({len(data)} bytes) "
            f"but the official archive has MD5 {ML100K_MD5} (4924029 bytes): the download is "
            "truncated or corrupted. Nothing was cached; try again, or download the zip by hand, "
            "unzip it and pass path='.../ml-100k'.")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=".ml-100k-"))
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for member in archive.namelist():
                name = Path(member).name
                if name in ("u.data", "u.user", "u.item", "u.genre", "README"):
                    (tmp / name).write_bytes(archive.read(member))
        read_movielens_folder(tmp)           # refuse to cache something we cannot read
        (tmp / "ml-100k.zip.md5").write_text(ML100K_MD5 + "\n")
        if target.exists():                  # a broken earlier copy: replace it
            import shutil

            shutil.rmtree(target)
        os.replace(tmp, target)
    except BaseException:
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
        raise


def read_movielens_folder(folder: str | os.PathLike) -> ShopData:
    """Read an unpacked ``ml-100k`` folder (``u.data``, ``u.user``, ``u.item``).

    ``day`` counts days since the first rating (UTC); ``items`` has the title,
    release year and one 0/1 column per genre, plus ``genre`` (the first one
    listed) as a category-like column.
    """
    folder = Path(folder)
    for name in ("u.data", "u.user", "u.item"):
        if not (folder / name).is_file():
            raise DatasetError(f"{folder}: no {name} here; pass the folder that holds the "
                               "unzipped MovieLens 100K files (u.data, u.user, u.item).")
    try:
        r = pd.read_csv(folder / "u.data", sep="\t", header=None,
                        names=["user_id", "item_id", "rating", "timestamp"], dtype="int64")
        users = pd.read_csv(folder / "u.user", sep="|", header=None,
                            names=["user_id", "age", "gender", "occupation", "zip_code"],
                            dtype={"zip_code": str}).set_index("user_id")
        items = pd.read_csv(folder / "u.item", sep="|", header=None, encoding="latin-1",
                            names=["item_id", "title", "release_date", "video_release_date",
                                   "imdb_url", *ML100K_GENRES]).set_index("item_id")
    except (ValueError, pd.errors.ParserError) as exc:
        raise DatasetError(f"{folder}: the MovieLens files are not in the expected format "
                           f"({exc}).") from None
    r = r.sort_values(["timestamp", "user_id", "item_id"], kind="stable").reset_index(drop=True)
    r["rating"] = r["rating"].astype(float)
    first = int(r["timestamp"].min()) // 86400 * 86400
    r["day"] = (r["timestamp"] - first) // 86400
    items = items.drop(columns=["video_release_date", "imdb_url"])
    items["year"] = pd.to_datetime(items["release_date"], format="%d-%b-%Y",
                                   errors="coerce").dt.year.astype("Int64")
    genre_flags = items[list(ML100K_GENRES)].to_numpy()
    items["genre"] = np.where(genre_flags.any(axis=1),
                              np.array(ML100K_GENRES)[genre_flags.argmax(axis=1)], "unknown")
    return ShopData(ratings=r[["user_id", "item_id", "rating", "timestamp", "day"]],
                    users=users, items=items, n_days=int(r["day"].max()) + 1,
                    scenario="movielens-100k", seed=None)


def load_movielens_100k(path: str | os.PathLike | None = None, download: bool = False,
                        cache_dir: str | os.PathLike | None = None) -> ShopData:
    """The real MovieLens 100K ratings in the course's ratings schema.

    943 users rated 1,682 movies 100,000 times (1-5 stars) between September
    1997 and April 1998.  ``users`` has age, gender, occupation, zip code;
    ``items`` has title, release date/year and 19 genre flags.  There is no
    ground truth (``rating_truth`` is None) and no interaction log.

    **Licence** (GroupLens research licence, summarised; read the README in
    the archive): use for research only, no commercial use without
    permission; do not redistribute the data; acknowledge it in publications
    by citing F. M. Harper and J. A. Konstan, *The MovieLens Datasets: History
    and Context*, ACM TiiS 5(4), 2015.  This is why the course does not ship
    it: you download it yourself.

    Parameters
    ----------
    path : path-like, optional
        A folder with the unzipped files (``u.data``, ``u.user``, ``u.item``).
        If None, the cache folder ``<cache_dir>/ml-100k`` is used.
    download : bool
        If the cache has no good copy, fetch the official archive
        (``ML100K_URL``) once, check its MD5 and unpack it into the cache.  A
        cached copy that passed the check is never downloaded again.
    cache_dir : path-like, optional
        Default ``$COURSE_LIB_CACHE`` or ``~/.cache/course_lib``.

    Raises
    ------
    DatasetError
        No data and ``download=False``; or a truncated/corrupted download
        (nothing is cached in that case).
    """
    if path is not None:
        return read_movielens_folder(path)
    target = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    target = target / "ml-100k"
    marker = target / "ml-100k.zip.md5"
    good = marker.is_file() and marker.read_text().strip() == ML100K_MD5
    if not good:
        if not download:
            raise DatasetError(
                f"MovieLens 100K is not in the cache folder {target}. Call "
                "load_movielens_100k(download=True) to fetch it once (about 5 MB, from "
                f"{ML100K_URL}), or pass path= to a folder with the unzipped files. Set "
                "COURSE_LIB_CACHE to use another cache folder.")
        _extract_archive(_fetch(ML100K_URL), target)
    return read_movielens_folder(target)
