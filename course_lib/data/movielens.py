"""MovieLens 100K, real ratings for the benchmark: download once, check, cache, load.

Used by the benchmark ``course bench --data movielens-100k`` (chapter 09,
``notebooks/09_incremental_updates.ipynb``; chapter 06 mentions it).
:func:`load_movielens_100k` reads the real MovieLens 100K from a folder, or
downloads the official archive once into a cache with ``download=True``
(checked against the MD5 GroupLens publishes, unpacked atomically, never
cached if it cannot be read).  The result is a
:class:`~course_lib.data.shop_world.ShopData` in the course's ratings schema,
read by :func:`course_lib.data.movielens_files.read_movielens_folder`.

Examples
--------
>>> ML100K_URL
'https://files.grouplens.org/datasets/movielens/ml-100k.zip'
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import tempfile
import urllib.request
import zipfile
from pathlib import Path

from course_lib.data.errors import DatasetError
from course_lib.data.movielens_files import ML100K_REQUIRED, read_movielens_folder
from course_lib.data.shop_world import ShopData

__all__ = ["ML100K_URL", "ML100K_MD5", "default_cache_dir", "load_movielens_100k"]

ML100K_URL = "https://files.grouplens.org/datasets/movielens/ml-100k.zip"
# MD5 published by GroupLens next to the archive (ml-100k.zip.md5); 4,924,029 bytes.
ML100K_MD5 = "0e33842e24a9c977be4e0107933c0723"


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
            "unzip it and pass path='.../ml-100k'."
        )
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = {Path(m).name: m for m in archive.namelist()}
    except zipfile.BadZipFile as exc:
        raise DatasetError(
            f"MovieLens 100K download from {ML100K_URL} is not a zip archive "
            f"({exc}). Nothing was cached; download it by hand, unzip it and pass "
            "path='.../ml-100k'."
        ) from None
    missing = [name for name in ML100K_REQUIRED if name not in members]
    if missing:
        raise DatasetError(
            f"MovieLens 100K download from {ML100K_URL} has no {missing} inside. "
            "Nothing was cached; download it by hand, unzip it and pass "
            "path='.../ml-100k'."
        )
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=".ml-100k-"))
    except OSError as exc:
        raise _cache_problem(target, exc) from None
    try:
        for name in ("u.data", "u.user", "u.item", "u.genre", "README"):
            if name in members:
                (tmp / name).write_bytes(archive.read(members[name]))
        read_movielens_folder(tmp)  # refuse to cache something we cannot read
        (tmp / "ml-100k.zip.md5").write_text(ML100K_MD5 + "\n")
        if target.exists():  # a broken earlier copy: replace it
            shutil.rmtree(target)
        os.replace(tmp, target)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise _cache_problem(target, exc) from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _cache_problem(target: Path, exc: OSError) -> DatasetError:
    return DatasetError(
        f"{target}: cannot write the MovieLens cache there ({exc}). Set "
        "COURSE_LIB_CACHE (or pass cache_dir=) to a folder you may write to, or "
        "unzip the archive yourself and pass path='.../ml-100k'."
    )


def load_movielens_100k(
    path: str | os.PathLike | None = None,
    download: bool = False,
    cache_dir: str | os.PathLike | None = None,
) -> ShopData:
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
        good = (
            marker.is_file()
            and marker.read_text().strip() == ML100K_MD5
            and all((target / name).is_file() for name in ML100K_REQUIRED)
        )
    except (OSError, UnicodeDecodeError):
        good = False
    if not good:
        if not download:
            raise DatasetError(
                f"MovieLens 100K is not in the cache folder {target}. Call "
                "load_movielens_100k(download=True) to fetch it once (about 5 MB, from "
                f"{ML100K_URL}), or pass path= to a folder with the unzipped files. Set "
                "COURSE_LIB_CACHE to use another cache folder."
            )
        try:
            data = _fetch(ML100K_URL)
        except OSError as exc:  # URLError, timeouts, refused connections
            raise DatasetError(
                f"could not download MovieLens 100K from {ML100K_URL} ({exc}). Nothing was "
                "cached. Check your internet connection and try again, or download the zip "
                "by hand (e.g. in a browser), unzip it and pass path='.../ml-100k'."
            ) from None
        _extract_archive(data, target)
    return read_movielens_folder(target)
