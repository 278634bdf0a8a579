"""Load the course's data: the shipped ShopSim world and MovieLens 100K.

Explained in chapter 05 (``notebooks/05_shop_data.ipynb``).  Both loaders
return a :class:`course_lib.data.shop.ShopData` in the course's ratings schema
(``ratings`` with ``user_id, item_id, rating, timestamp, day``; ``users``
indexed by ``user_id``; ``items`` indexed by ``item_id``), so every chapter
from 06 on runs on either.

* :func:`load_shop` reads the files in ``<repo>/datasets/`` (written by
  :func:`save_shop`, i.e. ``python -m course_lib.data.shop --out datasets``) and
  checks them against ``datasets/manifest.json`` (SHA-256 of the decompressed
  text, row counts) and for impossible values.
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
import shutil
import struct
import tempfile
import urllib.request
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pandas as pd

from course_lib.data.shop import (DEFAULT_SEED, START_DATE, ShopData, ShopTruth,
                             views_from_interactions)

__all__ = ["DATA_DIR", "DatasetError", "load_shop", "save_shop", "SHOP_FILES",
           "load_movielens_100k", "read_movielens_folder", "ML100K_URL", "ML100K_MD5",
           "default_cache_dir"]

DATA_DIR = Path(__file__).resolve().parents[2] / "datasets"
REGENERATE = "python -m course_lib.data.shop --out datasets"
FORMAT_VERSION = 2          # 2: checksums of the decompressed text (1: of the .gz bytes)


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
# A gzip member header with nothing that varies: magic, deflate, no flags (so no file
# name), mtime 0, no extra flags, OS 255 ("unknown").  gzip.compress writes OS 3 on some
# Python versions and 255 on others, so the course writes the container itself.
_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"


def _gzip_bytes(data: bytes, level: int = 6) -> bytes:
    r"""``data`` as a gzip file whose bytes depend only on ``data``, ``level`` and zlib.

    >>> import gzip
    >>> blob = _gzip_bytes(b"user_id,age\n1,30\n")
    >>> blob[:10] == _GZIP_HEADER, gzip.decompress(blob)
    (True, b'user_id,age\n1,30\n')
    """
    deflate = zlib.compressobj(level, zlib.DEFLATED, -zlib.MAX_WBITS, 8,
                               zlib.Z_DEFAULT_STRATEGY)
    body = deflate.compress(data) + deflate.flush()
    return _GZIP_HEADER + body + struct.pack("<II", zlib.crc32(data), len(data) & 0xFFFFFFFF)


def _csv_text(df: pd.DataFrame, index: bool) -> bytes:
    """Deterministic CSV text: '%.10g' floats (values are rounded before), LF line ends."""
    return df.to_csv(index=index, float_format="%.10g", lineterminator="\n").encode("utf-8")


def _write_file(path: Path, data: bytes) -> None:
    """Write one file of a staged world (tests replace this to fail midway)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    os.chmod(path, 0o644)


def _swap_file(staged: Path, target: Path) -> None:
    """Move a staged file over its target in one atomic rename (tests replace this)."""
    os.replace(staged, target)


def _keep_copy(target: Path, backup: Path) -> None:
    """Keep the old ``target`` at ``backup`` (a hard link, or a copy where links fail)."""
    backup.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(target, backup)
    except OSError:
        shutil.copy2(target, backup)


def _write_problem(out: Path, exc: OSError, changed: str) -> DatasetError:
    where = exc.filename if getattr(exc, "filename", None) else out
    return DatasetError(
        f"{out}: cannot write the world there ({where}: {exc.strerror or exc}). {changed} "
        "Check that you may write to that folder and that no file stands where a folder is "
        "expected (or a folder where a file is), or pass another folder, e.g. "
        "`python -m course_lib.data.shop --out /tmp/shop`.")


def _check_targets(out: Path, names: list[str]) -> None:
    """Refuse before writing anything if a path we must write is of the wrong kind."""
    if out.exists() and not out.is_dir():
        raise DatasetError(f"{out}: this is a file, but the world is written to a folder. "
                           "Pass a folder (it is created if needed), e.g. --out datasets.")
    for name in names:
        target = out / name
        for parent in list(target.relative_to(out).parents)[:-1]:
            if (out / parent).exists() and not (out / parent).is_dir():
                raise DatasetError(f"{out / parent}: a file stands where the folder "
                                   f"{parent}/ of the world belongs; move it away or pass "
                                   "another folder. Nothing was changed.")
        if target.exists() and not target.is_file():
            raise DatasetError(f"{target}: a folder stands where the file {name} belongs; "
                               "move it away or pass another folder. Nothing was changed.")


def _swap_in(stage: Path, out: Path, names: list[str]) -> None:
    """Replace the files ``names`` of ``out`` by those of ``stage``, all or nothing.

    Every old file is kept (hard link) in a backup folder first; each new file then
    replaces its target in one rename.  If any step fails, the files already
    swapped get their old version back, and files that did not exist are removed.
    """
    backup = Path(tempfile.mkdtemp(dir=out, prefix=".shop-old-"))
    done: list[tuple[str, bool]] = []
    made_dirs = [out / d for d in sorted({str(Path(n).parent) for n in names} - {"."})
                 if not (out / d).exists()]
    try:
        for name in names:
            target = out / name
            target.parent.mkdir(parents=True, exist_ok=True)
            had_old = target.is_file()
            if had_old:
                _keep_copy(target, backup / name)
            done.append((name, had_old))
            _swap_file(stage / name, target)
    except BaseException:
        failed = []
        for name, had_old in reversed(done):
            target = out / name
            try:
                if had_old:
                    os.replace(backup / name, target)
                elif target.exists():
                    target.unlink()
            except OSError:
                failed.append(name)
        for folder in made_dirs:
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
        if failed:   # keep the backup: it holds the only copy of the old files
            raise DatasetError(f"{out}: writing failed and the old files {failed} could not be "
                               f"put back; they are in {backup}. Move them back by hand.")
        shutil.rmtree(backup, ignore_errors=True)
        raise
    shutil.rmtree(backup, ignore_errors=True)


def save_shop(shop: ShopData, out: str | os.PathLike) -> list[Path]:
    """Write a simulated world to ``out`` in the shipped format; return the paths.

    All or nothing: the files are serialised in memory, written to a temporary
    folder inside ``out`` and only then swapped in (``manifest.json`` last); if
    any step fails, ``out`` is left exactly as it was and a :class:`DatasetError`
    says why.  Other files in ``out`` (such as ``README.md``) are kept.

    The manifest records, for every file, the SHA-256 and the size of its
    *decompressed* text and its row count, so it does not depend on how a
    Python version lays out the gzip container.

    Examples
    --------
    >>> import tempfile
    >>> from course_lib.data.shop import simulate
    >>> world = simulate("stable", seed=1, n_days=20, n_users=50, n_items=20)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     paths = save_shop(world, folder)
    ...     load_shop(folder).ratings.equals(world.ratings)
    True
    """
    if shop.truth is None or shop.interactions is None:
        raise ValueError("save_shop(shop): only a simulated world (course_lib.data.shop.simulate) "
                         "can be saved; this one has no truth/interactions.")
    out = Path(out)
    tables = {"users": (shop.users, True), "items": (shop.items, True),
              "ratings": (shop.ratings, False), "interactions": (shop.interactions, False),
              "rating_truth": (shop.rating_truth, False), "view_truth": (shop.view_truth, False),
              "drift_events": (shop.drift_events, False),
              "timeline": (shop.truth.timeline, False),
              "users_latent": (shop.truth.users, True), "items_latent": (shop.truth.items, True)}
    blobs, entries = {}, {}
    for name, (attr, _) in SHOP_FILES.items():
        df, index = tables[attr]
        text = _csv_text(df, index)
        blobs[name] = _gzip_bytes(text) if name.endswith(".gz") else text
        entries[name] = {"content_sha256": hashlib.sha256(text).hexdigest(),
                         "content_bytes": len(text), "rows": len(df)}
    manifest = {
        "format_version": FORMAT_VERSION,
        "generator": "course_lib.data.shop.simulate",
        "command": f"python -m course_lib.data.shop --out datasets --scenario {shop.scenario} "
                   f"--seed {shop.seed}",
        "scenario": shop.scenario, "seed": shop.seed, "n_days": shop.n_days,
        "start_date": START_DATE, "rating_noise": shop.truth.rating_noise,
        "config": {k: (list(v) if isinstance(v, tuple) else v) for k, v in shop.config.items()},
        "files": entries,
    }
    blobs["manifest.json"] = (json.dumps(manifest, indent=1, sort_keys=True) + "\n").encode()
    names = list(blobs)                       # manifest.json last
    _check_targets(out, names)
    existed = out.is_dir()
    try:
        out.mkdir(parents=True, exist_ok=True)
        stage = Path(tempfile.mkdtemp(dir=out, prefix=".shop-new-"))
    except OSError as exc:
        raise _write_problem(out, exc, "Nothing was changed.") from exc
    try:
        for name in names:
            _write_file(stage / name, blobs[name])
        _swap_in(stage, out, names)
    except OSError as exc:
        raise _write_problem(out, exc, "The files already in that folder were left as they "
                                       "were.") from exc
    finally:
        shutil.rmtree(stage, ignore_errors=True)
        if not existed and out.is_dir() and not any(out.iterdir()):
            out.rmdir()                       # a failed first write leaves no empty folder
    return [out / name for name in names]


# --------------------------------------------------------------------------- reading
def _fail(path: Path, problem: str) -> DatasetError:
    return DatasetError(f"{path}: {problem}. Regenerate the shipped data with `{REGENERATE}` "
                        "(run from the repository root; takes a few seconds).")


def _read_manifest(path: Path) -> dict:
    """The parsed manifest, with every field the loader uses checked."""
    if not path.is_file():
        raise _fail(path, "file not found")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise _fail(path, f"not valid JSON ({exc})") from None
    if not isinstance(manifest, dict):
        raise _fail(path, f"should hold a JSON object (with 'files', 'n_days', ...), found a "
                          f"{type(manifest).__name__}")
    version = manifest.get("format_version")
    if version != FORMAT_VERSION:
        raise _fail(path, f"format_version is {version!r}, this course_lib reads "
                          f"{FORMAT_VERSION} (checksums of the decompressed text)")
    expected = {"files": dict, "n_days": int, "scenario": str, "rating_noise": (int, float)}
    for key, kind in expected.items():
        if key not in manifest:
            raise _fail(path, f"has no {key!r} entry")
        value = manifest[key]
        if isinstance(value, bool) or not isinstance(value, kind):
            raise _fail(path, f"{key!r} should be a {getattr(kind, '__name__', 'number')}, "
                              f"found {value!r}")
    if manifest["n_days"] < 1 or not manifest["rating_noise"] > 0:
        raise _fail(path, f"n_days={manifest['n_days']} and rating_noise="
                          f"{manifest['rating_noise']} must be positive")
    seed = manifest.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise _fail(path, f"'seed' should be an int, found {seed!r}")
    if not isinstance(manifest.get("config", {}), dict):
        raise _fail(path, f"'config' should be an object, found {manifest['config']!r}")
    for name in SHOP_FILES:
        entry = manifest["files"].get(name)
        if not isinstance(entry, dict):
            raise _fail(path, f"has no entry for {name}" if entry is None else
                        f"the entry for {name} should be an object, found {entry!r}")
        digest, rows = entry.get("content_sha256"), entry.get("rows")
        if not (isinstance(digest, str) and len(digest) == 64
                and all(ch in "0123456789abcdef" for ch in digest)):
            raise _fail(path, f"the entry for {name} needs 'content_sha256', 64 hex digits; "
                              f"found {digest!r}")
        if isinstance(rows, bool) or not isinstance(rows, int) or rows < 0:
            raise _fail(path, f"the entry for {name} needs 'rows', a count; found {rows!r}")
    return manifest


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


def _first_bad(path: Path, column: str, values: pd.Series, bad: np.ndarray, rule: str) -> None:
    """Raise naming the first row (and CSV line) where ``bad`` is true."""
    if np.any(bad):
        row = int(np.flatnonzero(bad)[0])
        value = values.iloc[row]
        value = value.item() if isinstance(value, np.generic) else value
        raise _fail(path, f"line {row + 2} (data row {row + 1}): {column} = {value!r}, "
                          f"but {rule}")


def _check_values(t: dict, folder: Path, n_days: int) -> None:
    """Cross-table checks a consistent-looking file could still fail."""
    for attr, key in (("users", "user_id"), ("items", "item_id")):
        index = t[attr].index
        if index.has_duplicates:
            dup = index[index.duplicated()][0]
            raise _fail(folder / f"{attr}.csv.gz", f"{key} {dup} appears more than once")
    for attr, name in (("ratings", "ratings.csv.gz"), ("interactions", "interactions.csv.gz")):
        df, path = t[attr], folder / name
        _first_bad(path, "user_id", df["user_id"], ~df["user_id"].isin(t["users"].index),
                   "that user is not in users.csv.gz")
        _first_bad(path, "item_id", df["item_id"], ~df["item_id"].isin(t["items"].index),
                   "that item is not in items.csv.gz")
        _first_bad(path, "day", df["day"], ~df["day"].between(0, n_days - 1),
                   f"days run from 0 to n_days - 1 = {n_days - 1}")
    r = t["ratings"]["rating"]
    _first_bad(folder / "ratings.csv.gz", "rating", r, ~r.isin([1.0, 2.0, 3.0, 4.0, 5.0]),
               "a rating is 1, 2, 3, 4 or 5 stars")
    events = t["interactions"]["event"]
    _first_bad(folder / "interactions.csv.gz", "event", events,
               ~events.isin(["view", "cart", "purchase"]),
               "an event is 'view', 'cart' or 'purchase'")


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
    course_lib.data.datasets.DatasetError: no/such/folder/manifest.json: file not found. Regenerate ...
    """
    folder = DATA_DIR if path is None else Path(path)
    manifest_path = folder / "manifest.json"
    manifest = _read_manifest(manifest_path)
    files = manifest["files"]
    tables = {}
    for name, (attr, spec) in SHOP_FILES.items():
        fpath = folder / name
        if not fpath.is_file():
            raise _fail(fpath, "file not found")
        try:
            data = fpath.read_bytes()
            text = gzip.decompress(data) if name.endswith(".gz") else data
        except (OSError, EOFError, zlib.error) as exc:
            raise _fail(fpath, f"cannot be read ({type(exc).__name__}: {exc})") from None
        if verify and hashlib.sha256(text).hexdigest() != files[name]["content_sha256"]:
            raise _fail(fpath, "checksum mismatch (the file is corrupted or was edited)")
        try:
            floats = {c: "float64" for c, k in spec.items() if k == "f"}
            df = pd.read_csv(io.BytesIO(text), dtype=floats)
        except (ValueError, pd.errors.ParserError) as exc:
            raise _fail(fpath, f"cannot be read ({type(exc).__name__}: {exc})") from None
        if df.empty:        # no rows (a world without drift events): no dtype to infer
            df = df.astype({c: "int64" if k == "i" else "float64" for c, k in spec.items()
                            if k in "if" and c in df.columns})
        if attr in _INDEX and _INDEX[attr] in df.columns:
            df = df.set_index(_INDEX[attr])
        _check_columns(df, spec, fpath)
        if len(df) != files[name]["rows"]:
            raise _fail(fpath, f"has {len(df)} rows, the manifest says {files[name]['rows']}")
        tables[attr] = df
    _check_values(tables, folder, manifest["n_days"])
    if len(tables["rating_truth"]) != len(tables["ratings"]) or \
            len(tables["view_truth"]) != int((tables["interactions"]["event"] == "view").sum()):
        raise _fail(folder, "truth tables are not aligned with the logs")
    try:
        truth = ShopTruth(users=tables["users_latent"], items=tables["items_latent"],
                          timeline=tables["timeline"], rating_noise=float(manifest["rating_noise"]))
        views = views_from_interactions(tables["interactions"], tables["items"])
    except (KeyError, ValueError, IndexError) as exc:
        raise _fail(folder, f"the truth tables are inconsistent ({type(exc).__name__}: {exc})") \
            from None
    return ShopData(ratings=tables["ratings"], users=tables["users"], items=tables["items"],
                    rating_truth=tables["rating_truth"], interactions=tables["interactions"],
                    views=views, view_truth=tables["view_truth"],
                    drift_events=tables["drift_events"], n_days=manifest["n_days"],
                    scenario=manifest["scenario"], seed=manifest.get("seed", DEFAULT_SEED),
                    truth=truth, config=dict(manifest.get("config", {})))


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
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = {Path(m).name: m for m in archive.namelist()}
    except zipfile.BadZipFile as exc:
        raise DatasetError(f"MovieLens 100K download from {ML100K_URL} is not a zip archive "
                           f"({exc}). Nothing was cached; download it by hand, unzip it and pass "
                           "path='.../ml-100k'.") from None
    missing = [name for name in ML100K_REQUIRED if name not in members]
    if missing:
        raise DatasetError(f"MovieLens 100K download from {ML100K_URL} has no {missing} inside. "
                           "Nothing was cached; download it by hand, unzip it and pass "
                           "path='.../ml-100k'.")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=".ml-100k-"))
    except OSError as exc:
        raise _cache_problem(target, exc) from None
    try:
        for name in ("u.data", "u.user", "u.item", "u.genre", "README"):
            if name in members:
                (tmp / name).write_bytes(archive.read(members[name]))
        read_movielens_folder(tmp)           # refuse to cache something we cannot read
        (tmp / "ml-100k.zip.md5").write_text(ML100K_MD5 + "\n")
        if target.exists():                  # a broken earlier copy: replace it
            shutil.rmtree(target)
        os.replace(tmp, target)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise _cache_problem(target, exc) from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _cache_problem(target: Path, exc: OSError) -> DatasetError:
    return DatasetError(f"{target}: cannot write the MovieLens cache there ({exc}). Set "
                        "COURSE_LIB_CACHE (or pass cache_dir=) to a folder you may write to, or "
                        "unzip the archive yourself and pass path='.../ml-100k'.")


# name -> (separator, field names); the formats of the README in the official archive
ML100K_REQUIRED = ("u.data", "u.user", "u.item")
_ML_FORMATS = {
    "u.data": ("\t", ("user_id", "item_id", "rating", "timestamp")),
    "u.user": ("|", ("user_id", "age", "gender", "occupation", "zip_code")),
    "u.item": ("|", ("item_id", "title", "release_date", "video_release_date", "imdb_url",
                     *ML100K_GENRES)),
}
_ML_FIX = ("Use the file from the official archive (load_movielens_100k(download=True) fetches "
           "it), or correct that line.")


class _MovieLensFile:
    """One MovieLens text file as a table of strings, remembering each row's line number."""

    def __init__(self, path: Path):
        self.path = path
        sep, self.fields = _ML_FORMATS[path.name]
        sep_name = "tabs" if sep == "\t" else f"'{sep}'"
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise DatasetError(f"{path}: cannot be read ({exc}).") from None
        text = None
        if data.startswith(b"\xef\xbb\xbf"):         # saved as UTF-8 by an editor
            try:
                text = data[3:].decode("utf-8")
            except UnicodeDecodeError:
                data = data[3:]
        if text is None:
            text = data.decode("latin-1")              # the archive's encoding; never fails
        rows, self.lines, self.text = [], [], []
        for number, line in enumerate(text.split("\n"), start=1):
            line = line.rstrip("\r")
            if not line.strip():
                continue
            parts = line.split(sep)
            if len(parts) != len(self.fields):
                shown = ", ".join(self.fields[:6]) + (", ..." if len(self.fields) > 6 else "")
                raise self.fail(number, line, f"expected {len(self.fields)} fields separated by "
                                              f"{sep_name} ({shown}), found {len(parts)}")
            rows.append(parts)
            self.lines.append(number)
            self.text.append(line)
        if not rows:
            raise DatasetError(f"{path}: the file is empty (no {self.fields[0]} lines). "
                               f"{_ML_FIX.split(', or')[0]}.")
        self.table = pd.DataFrame(rows, columns=list(self.fields))

    def fail(self, number: int, line: str, problem: str, fix: str = _ML_FIX) -> DatasetError:
        shown = line if len(line) <= 120 else line[:117] + "..."
        return DatasetError(f"{self.path}, line {number}: {problem}; the line reads "
                            f"{shown!r}. {fix}")

    def fail_row(self, row: int, problem: str, fix: str = _ML_FIX) -> DatasetError:
        return self.fail(self.lines[row], self.text[row], problem, fix)

    def ints(self, column: str, low: int, high: int | None = None, unit: str = "") -> pd.Series:
        """The column as int64, every value a whole number in ``[low, high]``."""
        try:                                  # fast path: every value a clean integer
            values = self.table[column].astype("int64")
        except (ValueError, OverflowError, TypeError):
            raw = self.table[column].str.strip()
            ok = raw.str.fullmatch(r"[+-]?[0-9]{1,18}").to_numpy()
            row = int(np.flatnonzero(~ok)[0]) if not ok.all() else 0
            raise self.fail_row(row, f"{column} must be a whole number{unit}, found "
                                     f"{self.table[column].iloc[row]!r}") from None
        bad = (values < low) | ((values > high) if high is not None else False)
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            rule = (f"{low} or {high}" if high == low + 1 else f"from {low} to {high}"
                    if high is not None else f">= {low}")
            raise self.fail_row(row, f"{column} must be {rule}{unit}, found {values.iloc[row]}")
        return values

    def unique(self, values: pd.Series, column: str) -> None:
        dup = values.duplicated().to_numpy()
        if dup.any():
            row = int(np.flatnonzero(dup)[0])
            first = int(np.flatnonzero((values == values.iloc[row]).to_numpy())[0])
            raise self.fail_row(row, f"{column} {values.iloc[row]} appears twice (first on line "
                                     f"{self.lines[first]}); each {column} must appear once")

    def known(self, values: pd.Series, column: str, index: pd.Index, other: str) -> None:
        bad = ~values.isin(index).to_numpy()
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise self.fail_row(row, f"{column} {values.iloc[row]} is not in {other}; every "
                                     f"rating needs its {column} listed there",
                                "Use u.data, u.user and u.item from the same archive "
                                "(load_movielens_100k(download=True) fetches it).")


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
        raise DatasetError(f"{folder}: this is the zip archive; unzip it and pass the ml-100k "
                           "folder it contains, or use load_movielens_100k(download=True).")
    for name in ML100K_REQUIRED:
        if not (folder / name).is_file():
            raise DatasetError(f"{folder}: no {name} here; pass the folder that holds the "
                               "unzipped MovieLens 100K files (u.data, u.user, u.item).")
    ufile = _MovieLensFile(folder / "u.user")
    user_id = ufile.ints("user_id", 1)
    ufile.unique(user_id, "user_id")
    age = ufile.ints("age", 1, 120, " (years)")
    gender = ufile.table["gender"].str.strip()
    bad = ~gender.isin(["M", "F"]).to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ufile.fail_row(row, f"gender must be M or F, found {gender.iloc[row]!r}")
    users = pd.DataFrame({"age": age.to_numpy(), "gender": gender.to_numpy(),
                          "occupation": ufile.table["occupation"].to_numpy(),
                          "zip_code": ufile.table["zip_code"].to_numpy()},
                         index=pd.Index(user_id.to_numpy(), name="user_id"))

    ifile = _MovieLensFile(folder / "u.item")
    item_id = ifile.ints("item_id", 1)
    ifile.unique(item_id, "item_id")
    flags = {g: ifile.ints(g, 0, 1, " (a genre flag)").to_numpy()
             for g in ML100K_GENRES}
    date = ifile.table["release_date"].str.strip()
    parsed = pd.to_datetime(date, format="%d-%b-%Y", errors="coerce")
    bad = ((date != "") & parsed.isna()).to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ifile.fail_row(row, f"release_date must look like 01-Jan-1995 or be empty, found "
                                  f"{date.iloc[row]!r}")
    items = pd.DataFrame({"title": ifile.table["title"].to_numpy(),
                          "release_date": date.replace("", np.nan).to_numpy(), **flags},
                         index=pd.Index(item_id.to_numpy(), name="item_id"))
    items["year"] = pd.array(parsed.dt.year.to_numpy(), dtype="Int64")
    genre_flags = items[list(ML100K_GENRES)].to_numpy()
    items["genre"] = np.where(genre_flags.any(axis=1),
                              np.array(ML100K_GENRES)[genre_flags.argmax(axis=1)], "unknown")

    dfile = _MovieLensFile(folder / "u.data")
    r = pd.DataFrame({"user_id": dfile.ints("user_id", 1), "item_id": dfile.ints("item_id", 1),
                      "rating": dfile.ints("rating", 1, 5, " (stars)"),
                      "timestamp": dfile.ints("timestamp", 0, unit=" (Unix seconds)")})
    dfile.known(r["user_id"], "user_id", users.index, "u.user")
    dfile.known(r["item_id"], "item_id", items.index, "u.item")
    pair = r["user_id"] * (int(items.index.max()) + 1) + r["item_id"]
    dup = pair.duplicated().to_numpy()
    if dup.any():
        row = int(np.flatnonzero(dup)[0])
        first = int(np.flatnonzero((pair == pair.iloc[row]).to_numpy())[0])
        raise dfile.fail_row(row, f"user {r['user_id'].iloc[row]} rates item "
                                  f"{r['item_id'].iloc[row]} a second time (first on line "
                                  f"{dfile.lines[first]}); MovieLens 100K has one rating per "
                                  "user and item")
    r = r.sort_values(["timestamp", "user_id", "item_id"], kind="stable").reset_index(drop=True)
    r["rating"] = r["rating"].astype(float)
    first = int(r["timestamp"].min()) // 86400 * 86400
    r["day"] = (r["timestamp"] - first) // 86400
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
        No data and ``download=False``; a failed, truncated or corrupted
        download (nothing is cached in that case); a cache folder that cannot
        be written; a file not in the MovieLens 100K format (the message names
        the file and the line).
    """
    if path is not None:
        return read_movielens_folder(path)
    target = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    target = target / "ml-100k"
    marker = target / "ml-100k.zip.md5"
    try:
        good = (marker.is_file() and marker.read_text().strip() == ML100K_MD5
                and all((target / name).is_file() for name in ML100K_REQUIRED))
    except (OSError, UnicodeDecodeError):
        good = False
    if not good:
        if not download:
            raise DatasetError(
                f"MovieLens 100K is not in the cache folder {target}. Call "
                "load_movielens_100k(download=True) to fetch it once (about 5 MB, from "
                f"{ML100K_URL}), or pass path= to a folder with the unzipped files. Set "
                "COURSE_LIB_CACHE to use another cache folder.")
        try:
            data = _fetch(ML100K_URL)
        except OSError as exc:           # URLError, timeouts, refused connections
            raise DatasetError(
                f"could not download MovieLens 100K from {ML100K_URL} ({exc}). Nothing was "
                "cached. Check your internet connection and try again, or download the zip "
                "by hand (e.g. in a browser), unzip it and pass path='.../ml-100k'.") from None
        _extract_archive(data, target)
    return read_movielens_folder(target)
