"""MovieLens 100K loader, tested offline on a fixture in the exact file format.

The fixture is built here (a few users, items and ratings written the way
GroupLens writes them), zipped like the official archive, and served by a
monkeypatched fetch; no test touches the network.
"""

from __future__ import annotations

import hashlib
import io
import zipfile

import pytest

from course_lib import datasets
from course_lib.datasets import ML100K_GENRES, DatasetError, load_movielens_100k

U_DATA = "196\t242\t3\t881250949\n186\t302\t3\t891717742\n22\t377\t1\t878887116\n" \
         "196\t302\t5\t881251000\n22\t242\t4\t878900000\n"
U_USER = "22|25|M|writer|40206\n186|39|F|executive|00000\n196|49|M|writer|55105\n"
FLAGS0 = "|".join(["0"] * 19)


def _item(iid, title, date, genres):
    flags = ["1" if g in genres else "0" for g in ML100K_GENRES]
    return f"{iid}|{title}|{date}||http://us.imdb.com/M/title-exact?x|" + "|".join(flags) + "\n"


U_ITEM = (_item(242, "Kolya (1996)", "24-Jan-1997", {"Comedy"})
          + _item(302, "L.A. Confidential (1997)", "01-Jan-1997", {"Crime", "Film-Noir"})
          + _item(377, "Señor Nobody (1995)", "", set()))   # latin-1 title, no date, no genre
U_GENRE = "".join(f"{g}|{i}\n" for i, g in enumerate(ML100K_GENRES)) + "\n"


def fixture_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("ml-100k/u.data", U_DATA)
        z.writestr("ml-100k/u.user", U_USER)
        z.writestr("ml-100k/u.item", U_ITEM.encode("latin-1"))
        z.writestr("ml-100k/u.genre", U_GENRE)
        z.writestr("ml-100k/README", "MovieLens fixture for tests\n")
    return buf.getvalue()


class Server:
    """Stands in for the network: records the URLs asked for, returns ``payload``."""

    def __init__(self, payload: bytes):
        self.payload = payload
        self.calls: list[str] = []

    def __call__(self, url: str) -> bytes:
        self.calls.append(url)
        return self.payload


@pytest.fixture
def served(monkeypatch):
    """Serve the fixture zip instead of the network, and accept its MD5."""
    server = Server(fixture_zip())
    monkeypatch.setattr(datasets, "_fetch", server)
    monkeypatch.setattr(datasets, "ML100K_MD5", hashlib.md5(server.payload).hexdigest())
    return server


def test_download_once_then_cache(tmp_path, served):
    shop = load_movielens_100k(download=True, cache_dir=tmp_path)
    assert served.calls == [datasets.ML100K_URL]
    again = load_movielens_100k(download=True, cache_dir=tmp_path)
    assert len(served.calls) == 1                              # a good copy is never re-downloaded
    assert again.ratings.equals(shop.ratings)
    assert load_movielens_100k(cache_dir=tmp_path).ratings.equals(shop.ratings)


def test_mapped_to_the_ratings_schema(tmp_path, served):
    shop = load_movielens_100k(download=True, cache_dir=tmp_path)
    r = shop.ratings
    assert r.columns.tolist() == ["user_id", "item_id", "rating", "timestamp", "day"]
    assert r["rating"].dtype == "float64" and r["timestamp"].is_monotonic_increasing
    assert r["day"].iloc[0] == 0
    assert r["day"].tolist() == ((r["timestamp"] - 878860800) // 86400).tolist()
    assert shop.users.loc[186].to_dict() == {"age": 39, "gender": "F", "occupation": "executive",
                                             "zip_code": "00000"}
    assert shop.items.loc[377, "title"] == "Señor Nobody (1995)"
    assert shop.items.loc[302, "genre"] == "Crime" and shop.items.loc[377, "genre"] == "unknown"
    assert shop.items.loc[242, "year"] == 1997
    assert shop.rating_truth is None and shop.interactions is None
    assert shop.scenario == "movielens-100k" and shop.n_days == int(r["day"].max()) + 1


def test_truncated_download_is_an_error_and_caches_nothing(tmp_path, served):
    served.payload = fixture_zip()[:-40]
    with pytest.raises(DatasetError, match=r"truncated or corrupted\. Nothing was cached"):
        load_movielens_100k(download=True, cache_dir=tmp_path)
    assert not any(tmp_path.rglob("u.data")) and not any(tmp_path.rglob(".ml-100k-*"))
    assert not (tmp_path / "ml-100k").exists()


def test_checksum_mismatch_is_an_error(tmp_path, served):
    data = bytearray(fixture_zip())
    data[100] ^= 0xFF
    served.payload = bytes(data)
    with pytest.raises(DatasetError, match=r"has MD5 [0-9a-f]{32} .* but the official archive"):
        load_movielens_100k(download=True, cache_dir=tmp_path)
    assert not (tmp_path / "ml-100k").exists() and not any(tmp_path.rglob(".ml-100k-*"))


def test_a_broken_cache_is_replaced(tmp_path, served):
    broken = tmp_path / "ml-100k"
    broken.mkdir()
    (broken / "u.data").write_text("garbage")            # no checksum marker: not a good copy
    shop = load_movielens_100k(download=True, cache_dir=tmp_path)
    assert len(shop.ratings) == 5 and len(served.calls) == 1


def test_no_cache_without_download_explains(tmp_path):
    with pytest.raises(DatasetError, match=r"load_movielens_100k\(download=True\)"):
        load_movielens_100k(cache_dir=tmp_path)


def test_env_var_sets_the_cache(tmp_path, served, monkeypatch):
    monkeypatch.setenv("COURSE_LIB_CACHE", str(tmp_path / "c"))
    load_movielens_100k(download=True)
    assert (tmp_path / "c" / "ml-100k" / "u.data").is_file()


def test_path_reads_an_unzipped_folder(tmp_path):
    with zipfile.ZipFile(io.BytesIO(fixture_zip())) as z:
        z.extractall(tmp_path)
    shop = load_movielens_100k(path=tmp_path / "ml-100k")
    assert len(shop.ratings) == 5 and len(shop.users) == 3 and len(shop.items) == 3
    with pytest.raises(DatasetError, match=r"no u.data here"):
        load_movielens_100k(path=tmp_path)


def test_official_checksum_is_the_published_one():
    assert datasets.ML100K_MD5 == "0e33842e24a9c977be4e0107933c0723"
    assert datasets.ML100K_URL == "https://files.grouplens.org/datasets/movielens/ml-100k.zip"
