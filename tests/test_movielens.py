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

from course_lib.data import ML100K_GENRES, DatasetError, load_movielens_100k, movielens

U_DATA = (
    "196\t242\t3\t881250949\n186\t302\t3\t891717742\n22\t377\t1\t878887116\n"
    "196\t302\t5\t881251000\n22\t242\t4\t878900000\n"
)
U_USER = "22|25|M|writer|40206\n186|39|F|executive|00000\n196|49|M|writer|55105\n"
FLAGS0 = "|".join(["0"] * 19)


def _item(iid, title, date, genres):
    flags = ["1" if g in genres else "0" for g in ML100K_GENRES]
    return f"{iid}|{title}|{date}||http://us.imdb.com/M/title-exact?x|" + "|".join(flags) + "\n"


U_ITEM = (
    _item(242, "Kolya (1996)", "24-Jan-1997", {"Comedy"})
    + _item(302, "L.A. Confidential (1997)", "01-Jan-1997", {"Crime", "Film-Noir"})
    + _item(377, "Señor Nobody (1995)", "", set())
)  # latin-1 title, no date, no genre
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
    monkeypatch.setattr(movielens, "_fetch", server)
    monkeypatch.setattr(movielens, "ML100K_MD5", hashlib.md5(server.payload).hexdigest())
    return server


def test_download_once_then_cache(tmp_path, served):
    shop = load_movielens_100k(download=True, cache_dir=tmp_path)
    assert served.calls == [movielens.ML100K_URL]
    again = load_movielens_100k(download=True, cache_dir=tmp_path)
    assert len(served.calls) == 1  # a good copy is never re-downloaded
    assert again.ratings.equals(shop.ratings)
    assert load_movielens_100k(cache_dir=tmp_path).ratings.equals(shop.ratings)


def test_mapped_to_the_ratings_schema(tmp_path, served):
    shop = load_movielens_100k(download=True, cache_dir=tmp_path)
    r = shop.ratings
    assert r.columns.tolist() == ["user_id", "item_id", "rating", "timestamp", "day"]
    assert r["rating"].dtype == "float64" and r["timestamp"].is_monotonic_increasing
    assert r["day"].iloc[0] == 0
    assert r["day"].tolist() == ((r["timestamp"] - 878860800) // 86400).tolist()
    assert shop.users.loc[186].to_dict() == {
        "age": 39,
        "gender": "F",
        "occupation": "executive",
        "zip_code": "00000",
    }
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
    (broken / "u.data").write_text("garbage")  # no checksum marker: not a good copy
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
    assert movielens.ML100K_MD5 == "0e33842e24a9c977be4e0107933c0723"
    assert movielens.ML100K_URL == "https://files.grouplens.org/datasets/movielens/ml-100k.zip"


# --------------------------------------------------------------------------- bad files
def write_folder(folder, data=U_DATA, user=U_USER, item=U_ITEM):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "u.data").write_bytes(data.encode("latin-1") if isinstance(data, str) else data)
    (folder / "u.user").write_bytes(user.encode("latin-1") if isinstance(user, str) else user)
    (folder / "u.item").write_bytes(item.encode("latin-1") if isinstance(item, str) else item)
    return folder


ITEM_X = U_ITEM.replace(
    "|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0\n", "|0|x|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0\n"
)
BAD_FILES = [
    # (file, content, message): every message names the file and the line
    (
        "u.data",
        "".join(line + "\t7\n" for line in U_DATA.splitlines()),
        r"u.data, line 1: expected 4 fields separated by tabs \(user_id, item_id, rating, "
        r"timestamp\), found 5; the line reads '196\\t242\\t3\\t881250949\\t7'\. Use the file from "
        r"the official archive",
    ),
    (
        "u.data",
        U_DATA.replace("22\t377\t1\t", "22\t377\t9\t"),
        r"u.data, line 3: rating must be from 1 to 5 \(stars\), found 9",
    ),
    (
        "u.data",
        U_DATA.replace("22\t377\t1\t", "22\t377\t-3\t"),
        r"u.data, line 3: rating must be from 1 to 5 \(stars\), found -3",
    ),
    (
        "u.data",
        U_DATA.replace("22\t377\t1\t", "22\t377\t3.5\t"),
        r"u.data, line 3: rating must be a whole number \(stars\), found '3.5'",
    ),
    (
        "u.data",
        U_DATA.replace("186\t302", "999\t302"),
        r"u.data, line 2: user_id 999 is not in u.user; every rating needs its user_id listed "
        r"there; .*Use u.data, u.user and u.item from the same archive",
    ),
    (
        "u.data",
        U_DATA.replace("186\t302", "186\t4000"),
        r"u.data, line 2: item_id 4000 is not in u.item",
    ),
    (
        "u.data",
        U_DATA + "196\t242\t5\t881250999\n",
        r"u.data, line 6: user 196 rates item 242 a second time \(first on line 1\)",
    ),
    ("u.data", "", r"u.data: the file is empty \(no user_id lines\)"),
    ("u.data", "\n\n", r"u.data: the file is empty"),
    (
        "u.data",
        "user_id\titem_id\trating\ttimestamp\n" + U_DATA,
        r"u.data, line 1: user_id must be a whole number, found 'user_id'",
    ),
    (
        "u.data",
        U_DATA.replace("\t", ","),
        r"u.data, line 1: expected 4 fields separated by tabs"
        r" .* found 1",
    ),
    (
        "u.data",
        U_DATA.replace("891717742", "-5"),
        r"u.data, line 2: timestamp must be >= 0 \(Unix seconds\), found -5",
    ),
    (
        "u.data",
        U_DATA.replace("891717742", "99999999999999999999999"),
        r"u.data, line 2: timestamp must be a whole number",
    ),
    (
        "u.user",
        U_USER + "22|30|F|artist|12345\n",
        r"u.user, line 4: user_id 22 appears twice \(first on line 1\); each user_id must appear "
        r"once",
    ),
    (
        "u.user",
        U_USER.replace("|25|M|", "|0|M|"),
        r"u.user, line 1: age must be from 1 to 120 \(years\), found 0",
    ),
    (
        "u.user",
        U_USER.replace("|39|F|", "|39|X|"),
        r"u.user, line 2: gender must be M or F, "
        r"found 'X'",
    ),
    ("u.user", "22|25|M|writer\n", r"u.user, line 1: expected 5 fields separated by '\|'"),
    ("u.user", b"", r"u.user: the file is empty"),
    (
        "u.item",
        "242|Kolya (1996)\n",
        r"u.item, line 1: expected 24 fields separated by '\|' "
        r"\(item_id, title, release_date, video_release_date, "
        r"imdb_url, unknown, \.\.\.\), found 2",
    ),
    (
        "u.item",
        ITEM_X,
        r"u.item, line 3: Action must be a whole number \(a genre flag\), "
        r"found 'x'",
    ),
    (
        "u.item",
        U_ITEM.replace("|0|0|0|0|0|1|0|0|", "|0|0|0|0|0|2|0|0|", 1),
        r"u.item, line 1: Comedy must be 0 or 1 \(a genre flag\), found 2",
    ),
    (
        "u.item",
        U_ITEM.replace("24-Jan-1997", "1997-01-24"),
        r"u.item, line 1: release_date must look like 01-Jan-1995 or be empty, found '1997-01-24'",
    ),
    (
        "u.item",
        U_ITEM + U_ITEM.splitlines(keepends=True)[0],
        r"u.item, line 4: item_id 242 appears twice \(first on line 1\)",
    ),
]


@pytest.mark.parametrize(
    "name, content, match", BAD_FILES, ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(BAD_FILES)]
)
def test_a_bad_file_names_the_file_and_the_line(tmp_path, name, content, match):
    folder = write_folder(tmp_path / "ml", **{name[2:]: content})
    with pytest.raises(DatasetError, match=match):
        load_movielens_100k(path=folder)


def test_windows_line_ends_blank_lines_and_spaces_are_fine(tmp_path):
    plain = load_movielens_100k(path=write_folder(tmp_path / "a"))
    crlf = write_folder(
        tmp_path / "b",
        data=U_DATA.replace("\n", "\r\n") + "\r\n\r\n",
        user=U_USER.replace("\n", "\r\n"),
        item=U_ITEM.replace("\n", "\r\n"),
    )
    other = load_movielens_100k(path=crlf)
    assert other.ratings.equals(plain.ratings) and other.users.equals(plain.users)
    assert other.items.equals(plain.items)


def test_the_long_line_in_a_message_is_shortened(tmp_path):
    long = "1\t2\t3\t4\t" + "x" * 500 + "\n"
    with pytest.raises(DatasetError, match=r"line 1: .*the line reads '1\\t2.{100,}\.\.\.'\. "):
        load_movielens_100k(path=write_folder(tmp_path / "ml", data=long))


def test_a_bad_genre_flag_is_a_clear_benchmark_error(tmp_path, capsys):
    from course_lib.tools import bench

    folder = write_folder(tmp_path / "ml", item=ITEM_X)
    assert bench.main(["--data", "movielens-100k", "--path", str(folder)]) == 2
    err = capsys.readouterr().err
    assert "u.item, line 3: Action must be a whole number" in err and "Traceback" not in err


# --------------------------------------------------------------------------- download and cache
def test_a_network_error_is_a_dataset_error(tmp_path, monkeypatch):
    import urllib.error

    def offline(url):
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(movielens, "_fetch", offline)
    with pytest.raises(
        DatasetError,
        match=r"could not download MovieLens 100K from https://.*"
        r"name resolution.*Nothing was cached.*path=",
    ):
        load_movielens_100k(download=True, cache_dir=tmp_path)
    monkeypatch.setattr(movielens, "_fetch", lambda url: (_ for _ in ()).throw(TimeoutError()))
    with pytest.raises(DatasetError, match=r"could not download"):
        load_movielens_100k(download=True, cache_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_a_cache_folder_that_cannot_be_written(tmp_path, served):
    (tmp_path / "cache").write_text("a file, not a folder")
    with pytest.raises(
        DatasetError,
        match=r"cannot write the MovieLens cache there .*Set "
        r"COURSE_LIB_CACHE",
    ):
        load_movielens_100k(download=True, cache_dir=tmp_path / "cache")
    assert (tmp_path / "cache").read_text() == "a file, not a folder"


def test_a_cache_with_a_marker_but_no_data_is_downloaded_again(tmp_path, served):
    load_movielens_100k(download=True, cache_dir=tmp_path)
    (tmp_path / "ml-100k" / "u.data").unlink()
    with pytest.raises(DatasetError, match=r"not in the cache folder"):
        load_movielens_100k(cache_dir=tmp_path)
    assert len(load_movielens_100k(download=True, cache_dir=tmp_path).ratings) == 5
    assert len(served.calls) == 2


def _zip(files: dict) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, text in files.items():
            z.writestr(name, text)
    return buf.getvalue()


@pytest.mark.parametrize(
    "payload, match",
    [
        (b"<html>rate limited</html>", r"is not a zip archive"),
        (_zip({"ml-100k/u.data": U_DATA, "ml-100k/u.user": U_USER}), r"has no \['u.item'\] inside"),
        (
            _zip(
                {
                    "ml-100k/u.data": U_DATA.replace("\t3\t", "\t9\t", 1),
                    "ml-100k/u.user": U_USER,
                    "ml-100k/u.item": U_ITEM.encode("latin-1"),
                }
            ),
            r"u.data, line 1: rating must be",
        ),
    ],
)
def test_an_archive_we_cannot_use_caches_nothing(tmp_path, monkeypatch, payload, match):
    monkeypatch.setattr(movielens, "_fetch", Server(payload))
    monkeypatch.setattr(movielens, "ML100K_MD5", hashlib.md5(payload).hexdigest())
    with pytest.raises(DatasetError, match=match):
        load_movielens_100k(download=True, cache_dir=tmp_path)
    assert list(tmp_path.iterdir()) in ([], [tmp_path])
    assert not (tmp_path / "ml-100k").exists() and not any(tmp_path.rglob(".ml-100k-*"))


def test_a_byte_order_mark_is_ignored(tmp_path):
    plain = load_movielens_100k(path=write_folder(tmp_path / "a"))
    bom = write_folder(
        tmp_path / "b",
        data=b"\xef\xbb\xbf" + U_DATA.encode(),
        item=b"\xef\xbb\xbf" + U_ITEM.encode("utf-8"),
    )
    other = load_movielens_100k(path=bom)
    assert other.ratings.equals(plain.ratings)
    assert other.items.loc[377, "title"] == "Señor Nobody (1995)"


def test_the_zip_itself_is_explained(tmp_path):
    (tmp_path / "ml-100k.zip").write_bytes(fixture_zip())
    with pytest.raises(DatasetError, match=r"ml-100k.zip: this is the zip archive; unzip it"):
        load_movielens_100k(path=tmp_path / "ml-100k.zip")
