"""Write a simulated world to disk in the shipped format, all or nothing.

Explained in chapter 05 (``notebooks/05_shop_data.ipynb``); the command line
``course shop --out datasets`` calls :func:`save_shop`.
The files, their columns and the manifest are described in
``course_lib.data.shop_files`` (which reads them back) and
``datasets/README.md``.  Every byte depends only on the world: floats are
rounded and printed with ``%.10g`` and the gzip container is written by hand
with no time stamp.

Examples
--------
>>> import gzip
>>> gzip.decompress(_gzip_bytes(b"user_id,age")), _gzip_bytes(b"")[:10] == _GZIP_HEADER
(b'user_id,age', True)
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import struct
import tempfile
import zlib
from pathlib import Path
from typing import Any

import pandas as pd

from course_lib.core.validation import argument_error
from course_lib.data.errors import DatasetError
from course_lib.data.shop_config import START_DATE
from course_lib.data.shop_files import FORMAT_VERSION, SHOP_FILES
from course_lib.data.shop_world import ShopData

__all__ = ["save_shop"]

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
    deflate = zlib.compressobj(level, zlib.DEFLATED, -zlib.MAX_WBITS, 8, zlib.Z_DEFAULT_STRATEGY)
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
        "`course shop --out /tmp/shop`."
    )


def _check_targets(out: Path, names: list[str]) -> None:
    """Refuse before writing anything if a path we must write is of the wrong kind."""
    if out.exists() and not out.is_dir():
        raise DatasetError(
            f"{out}: this is a file, but the world is written to a folder. "
            "Pass a folder (it is created if needed), e.g. --out datasets."
        )
    for name in names:
        target = out / name
        for parent in list(target.relative_to(out).parents)[:-1]:
            if (out / parent).exists() and not (out / parent).is_dir():
                raise DatasetError(
                    f"{out / parent}: a file stands where the folder "
                    f"{parent}/ of the world belongs; move it away or pass "
                    "another folder. Nothing was changed."
                )
        if target.exists() and not target.is_file():
            raise DatasetError(
                f"{target}: a folder stands where the file {name} belongs; "
                "move it away or pass another folder. Nothing was changed."
            )


def _swap_in(stage: Path, out: Path, names: list[str]) -> None:
    """Replace the files ``names`` of ``out`` by those of ``stage``, all or nothing.

    Every old file is kept (hard link) in a backup folder first; each new file then
    replaces its target in one rename.  If any step fails, the files already
    swapped get their old version back, and files that did not exist are removed.
    """
    backup = Path(tempfile.mkdtemp(dir=out, prefix=".shop-old-"))
    done: list[tuple[str, bool]] = []
    made_dirs = [
        out / d
        for d in sorted({str(Path(n).parent) for n in names} - {"."})
        if not (out / d).exists()
    ]
    try:
        for name in names:
            target = out / name
            target.parent.mkdir(parents=True, exist_ok=True)
            had_old = target.is_file()
            if had_old:
                _keep_copy(target, backup / name)
            done.append((name, had_old))
            _swap_file(stage / name, target)
    except BaseException as exc:
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
        if failed:  # keep the backup: it holds the only copy of the old files
            raise DatasetError(
                f"{out}: writing failed and the old files {failed} could not be "
                f"put back; they are in {backup}. Move them back by hand."
            ) from exc
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
    >>> from course_lib.data import load_shop, simulate
    >>> world = simulate("stable", seed=1, n_days=20, n_users=50, n_items=20)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     paths = save_shop(world, folder)
    ...     load_shop(folder).ratings.equals(world.ratings)
    True
    """
    if shop.truth is None or shop.interactions is None:
        raise argument_error(
            "save_shop",
            "shop",
            shop,
            "a simulated world, with truth and interactions",
            "only the output of course_lib.data.simulate can be saved",
        )
    out = Path(out)
    blobs = _serialise(shop)
    names = list(blobs)  # manifest.json last
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
        raise _write_problem(
            out, exc, "The files already in that folder were left as they were."
        ) from exc
    finally:
        shutil.rmtree(stage, ignore_errors=True)
        if not existed and out.is_dir() and not any(out.iterdir()):
            out.rmdir()  # a failed first write leaves no empty folder
    return [out / name for name in names]


def _serialise(shop: ShopData) -> dict[str, bytes]:
    """Every file of the world as bytes, in the order of ``SHOP_FILES``, ``manifest.json`` last."""
    assert shop.truth is not None and shop.interactions is not None
    tables = {
        "users": (shop.users, True),
        "items": (shop.items, True),
        "ratings": (shop.ratings, False),
        "interactions": (shop.interactions, False),
        "rating_truth": (shop.rating_truth, False),
        "view_truth": (shop.view_truth, False),
        "drift_events": (shop.drift_events, False),
        "timeline": (shop.truth.timeline, False),
        "users_latent": (shop.truth.users, True),
        "items_latent": (shop.truth.items, True),
    }
    blobs: dict[str, bytes] = {}
    entries: dict[str, dict[str, Any]] = {}
    for name, (attr, _) in SHOP_FILES.items():
        df, index = tables[attr]
        text = _csv_text(df, index)
        blobs[name] = _gzip_bytes(text) if name.endswith(".gz") else text
        entries[name] = {
            "content_sha256": hashlib.sha256(text).hexdigest(),
            "content_bytes": len(text),
            "rows": len(df),
        }
    manifest = {
        "format_version": FORMAT_VERSION,
        "generator": "course_lib.data.shop.simulate",
        "command": f"course shop --out datasets --scenario {shop.scenario} --seed {shop.seed}",
        "scenario": shop.scenario,
        "seed": shop.seed,
        "n_days": shop.n_days,
        "start_date": START_DATE,
        "rating_noise": shop.truth.rating_noise,
        "config": {k: (list(v) if isinstance(v, tuple) else v) for k, v in shop.config.items()},
        "files": entries,
    }
    blobs["manifest.json"] = (json.dumps(manifest, indent=1, sort_keys=True) + "\n").encode()
    return blobs
