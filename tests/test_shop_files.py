"""The shipped ShopSim files: regenerable bit for bit, validated on load."""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
import zlib
from pathlib import Path

import pandas as pd
import pytest

from course_lib.data import (
    DATA_DIR,
    SHOP_FILES,
    DatasetError,
    load_shop,
    save_shop,
    shop_files,
    shop_save,
    simulate,
)

FILES = [*SHOP_FILES, "manifest.json"]


@pytest.fixture(scope="module")
def manifest():
    return json.loads((DATA_DIR / "manifest.json").read_text())


@pytest.fixture(scope="module")
def shipped():
    return load_shop()


@pytest.fixture
def copy(tmp_path):
    dst = tmp_path / "datasets"
    shutil.copytree(DATA_DIR, dst, ignore=shutil.ignore_patterns("README.md"))
    return dst


def _content(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if path.name.endswith(".gz") else data


def test_shipped_files_regenerate_identically(tmp_path, manifest):
    """What matters is identical: the CSV text of every file and the whole manifest.

    The gzip container is not compared byte for byte: its deflate stream may
    differ with another zlib.  The manifest holds checksums of the text.
    """
    shop = simulate(manifest["scenario"], seed=manifest["seed"])
    save_shop(shop, tmp_path)
    for name in FILES:
        assert _content(tmp_path / name) == _content(DATA_DIR / name), (
            f"{name} differs from a fresh regeneration: run `course shop --out datasets` "
            "and commit the result"
        )


def test_manifest_checksums_are_of_the_decompressed_text(manifest):
    for name in SHOP_FILES:
        text = _content(DATA_DIR / name)
        entry = manifest["files"][name]
        assert hashlib.sha256(text).hexdigest() == entry["content_sha256"], name
        assert len(text) == entry["content_bytes"], name
    assert manifest["format_version"] == shop_files.FORMAT_VERSION == 2


def test_gzip_container_is_fixed():
    """No mtime, no file name, OS byte 255, whatever the Python version."""
    blob = shop_save._gzip_bytes(b"a,b\n1,2\n")
    assert blob[:10] == b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
    assert gzip.decompress(blob) == b"a,b\n1,2\n"
    assert blob == shop_save._gzip_bytes(b"a,b\n1,2\n")
    for name in SHOP_FILES:
        if name.endswith(".gz"):
            assert (DATA_DIR / name).read_bytes()[:10] == blob[:10], name


@pytest.mark.skipif(
    zlib.ZLIB_RUNTIME_VERSION != "1.2.13",
    reason="the shipped deflate streams were made by zlib 1.2.13",
)
def test_the_deflate_stream_matches_this_zlib():
    """Same zlib, same bytes: regenerating with this zlib reproduces a shipped file exactly."""
    path = DATA_DIR / "items.csv.gz"
    assert shop_save._gzip_bytes(gzip.decompress(path.read_bytes())) == path.read_bytes()


def test_shipped_size_is_small(manifest):
    total = sum((DATA_DIR / name).stat().st_size for name in FILES)
    assert total < 20e6
    assert manifest["command"] == "course shop --out datasets --scenario all --seed 2024"


def test_load_shop_equals_the_simulation(shipped, manifest):
    sim = simulate(manifest["scenario"], seed=manifest["seed"])
    for attr in (
        "ratings",
        "rating_truth",
        "users",
        "items",
        "interactions",
        "views",
        "view_truth",
        "drift_events",
    ):
        pd.testing.assert_frame_equal(
            getattr(shipped, attr), getattr(sim, attr), check_index_type=False
        )
    assert (shipped.n_days, shipped.scenario, shipped.seed) == (180, "all", 2024)
    r = shipped.ratings.head(200)
    pd.testing.assert_series_equal(
        pd.Series(shipped.truth.expected_rating(r["user_id"], r["item_id"], r["day"])),
        pd.Series(sim.truth.expected_rating(r["user_id"], r["item_id"], r["day"])),
    )


def test_contract_columns(shipped):
    assert shipped.ratings.columns.tolist() == ["user_id", "item_id", "rating", "timestamp", "day"]
    assert shipped.ratings["rating"].dtype == "float64"
    assert shipped.ratings["timestamp"].is_monotonic_increasing
    assert shipped.rating_truth.columns.tolist() == ["expected_rating"]
    assert shipped.users.index.name == "user_id" and shipped.items.index.name == "item_id"
    assert {"purchased"} <= set(shipped.views.columns)
    assert shipped.view_truth.columns.tolist() == ["purchase_prob", "expected_rating"]


def test_missing_file_says_how_to_regenerate(copy):
    (copy / "ratings.csv.gz").unlink()
    with pytest.raises(
        DatasetError,
        match=r"ratings.csv.gz: file not found\. Regenerate .*"
        r"course shop --out datasets",
    ):
        load_shop(copy)


def test_missing_manifest(copy):
    (copy / "manifest.json").unlink()
    with pytest.raises(DatasetError, match=r"manifest.json: file not found"):
        load_shop(copy)


def test_truncated_file_is_a_checksum_error(copy):
    path = copy / "interactions.csv.gz"
    path.write_bytes(path.read_bytes()[:1000])
    for verify in (True, False):
        with pytest.raises(
            DatasetError,
            match=r"interactions.csv.gz: cannot be read \(EOFError: "
            r"Compressed file ended.*Regenerate",
        ):
            load_shop(copy, verify=verify)


def test_an_edited_file_is_a_checksum_error(copy):
    path = copy / "ratings.csv.gz"
    lines = gzip.decompress(path.read_bytes()).split(b"\n")
    fields = lines[1].split(b",")
    fields[2] = b"1" if fields[2] != b"1" else b"2"  # one rating changed by hand
    lines[1] = b",".join(fields)
    path.write_bytes(shop_save._gzip_bytes(b"\n".join(lines)))
    with pytest.raises(DatasetError, match=r"ratings.csv.gz: checksum mismatch .*Regenerate"):
        load_shop(copy)
    edited = load_shop(copy, verify=False).ratings["rating"]
    assert (edited != load_shop().ratings["rating"]).sum() == 1


def test_wrong_schema_is_named(copy):
    path = copy / "users.csv.gz"
    df = pd.read_csv(path).drop(columns="income")
    path.write_bytes(gzip.compress(df.to_csv(index=False).encode(), mtime=0))
    with pytest.raises(DatasetError, match=r"users.csv.gz: missing column\(s\) \['income'\]"):
        load_shop(copy, verify=False)


# --------------------------------------------------------------------------- failed writes
def snapshot(folder: Path) -> dict:
    """Every file and folder under ``folder`` (hidden ones too), with the files' bytes."""
    return {
        str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else "dir")
        for p in sorted(folder.rglob("*"))
    }


@pytest.fixture(scope="module")
def tiny():
    return simulate("stable", seed=1, n_days=20, n_users=100, n_items=40)


@pytest.fixture
def world(copy):
    """A copy of the shipped world plus a README, as `--out datasets` finds it."""
    (copy / "README.md").write_text("the datasheet\n")
    return copy


def fail_on_call(n: int, exc: BaseException, real):
    calls = {"n": 0}

    def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == n:
            raise exc
        return real(*args, **kwargs)

    return flaky


def test_a_failed_serialisation_leaves_old_files_intact(world, tiny, monkeypatch):
    before = snapshot(world)
    monkeypatch.setattr(
        shop_save, "_csv_text", fail_on_call(4, RuntimeError("out of memory"), shop_save._csv_text)
    )
    with pytest.raises(RuntimeError, match="out of memory"):
        save_shop(tiny, world)
    assert snapshot(world) == before


@pytest.mark.parametrize("n", [1, 4, 11])
def test_a_failed_staging_write_leaves_old_files_intact(world, tiny, monkeypatch, n):
    before = snapshot(world)
    full = OSError(28, "No space left on device", str(world / "x"))
    monkeypatch.setattr(shop_save, "_write_file", fail_on_call(n, full, shop_save._write_file))
    with pytest.raises(
        DatasetError,
        match=r"cannot write the world there .*No space left.*"
        r"left as they were",
    ):
        save_shop(tiny, world)
    assert snapshot(world) == before


@pytest.mark.parametrize("n", [1, 5, 11])  # the first file, one in the middle, the manifest
def test_a_failed_swap_puts_every_old_file_back(world, tiny, monkeypatch, n):
    before = snapshot(world)
    denied = PermissionError(13, "Permission denied", str(world / "truth"))
    monkeypatch.setattr(shop_save, "_swap_file", fail_on_call(n, denied, shop_save._swap_file))
    with pytest.raises(DatasetError, match=r"Permission denied.*left as they were"):
        save_shop(tiny, world)
    assert snapshot(world) == before


def test_an_interrupted_swap_puts_every_old_file_back(world, tiny, monkeypatch):
    before = snapshot(world)
    monkeypatch.setattr(
        shop_save, "_swap_file", fail_on_call(6, KeyboardInterrupt(), shop_save._swap_file)
    )
    with pytest.raises(KeyboardInterrupt):
        save_shop(tiny, world)
    assert snapshot(world) == before


def test_a_failed_first_write_leaves_nothing(tmp_path, tiny, monkeypatch):
    out = tmp_path / "new"
    monkeypatch.setattr(
        shop_save, "_swap_file", fail_on_call(3, OSError(5, "I/O error"), shop_save._swap_file)
    )
    with pytest.raises(DatasetError, match="I/O error"):
        save_shop(tiny, out)
    assert not out.exists()


def test_a_successful_save_replaces_the_world_and_keeps_other_files(world, tiny):
    (world / "notes.txt").write_text("mine\n")
    save_shop(tiny, world)
    assert (world / "README.md").read_text() == "the datasheet\n"
    assert (world / "notes.txt").read_text() == "mine\n"
    assert sorted(p.name for p in world.iterdir() if p.name.startswith(".")) == []
    assert load_shop(world).ratings.equals(tiny.ratings)


def test_a_file_where_a_folder_belongs_changes_nothing(world, tiny, tmp_path):
    before = snapshot(world)
    with pytest.raises(
        DatasetError,
        match=r"manifest.json: this is a file, but the world is "
        r"written to a folder",
    ):
        save_shop(tiny, world / "manifest.json")
    shutil.rmtree(world / "truth" / "timeline.csv.gz", ignore_errors=True)
    (world / "truth" / "timeline.csv.gz").unlink()
    (world / "truth" / "timeline.csv.gz").mkdir()
    before = snapshot(world)
    with pytest.raises(
        DatasetError,
        match=r"timeline.csv.gz: a folder stands where the file "
        r"truth/timeline.csv.gz belongs.*Nothing was changed",
    ):
        save_shop(tiny, world)
    assert snapshot(world) == before
    other = tmp_path / "other"
    other.mkdir()
    (other / "truth").write_text("not a folder")
    with pytest.raises(DatasetError, match=r"truth: a file stands where the folder truth/"):
        save_shop(tiny, other)
    assert snapshot(other) == {"truth": b"not a folder"}
    (tmp_path / "plain").write_text("x")
    with pytest.raises(DatasetError, match=r"plain/sub: cannot write the world there"):
        save_shop(tiny, tmp_path / "plain" / "sub")


def test_cli_errors_exit_2_without_a_traceback(world, monkeypatch, capsys, tiny):
    from course_lib.data import shop as shopmod

    monkeypatch.setattr(shopmod, "simulate", lambda scenario, seed: tiny)
    before = snapshot(world)
    assert shopmod.main(["--out", str(world / "README.md")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("course shop: error: ") and "Traceback" not in err
    denied = PermissionError(13, "Permission denied", str(world / ".shop-new-x"))
    monkeypatch.setattr(shop_save, "_write_file", fail_on_call(1, denied, shop_save._write_file))
    assert shopmod.main(["--out", str(world)]) == 2  # what a read-only --out looks like
    assert "Permission denied" in capsys.readouterr().err
    assert snapshot(world) == before


def test_cli_bad_seed_exits_2(capsys, tmp_path):
    from course_lib.data import shop as shopmod

    assert shopmod.main(["--out", str(tmp_path / "w"), "--seed", "-1"]) == 2
    assert "seed=-1" in capsys.readouterr().err and not (tmp_path / "w").exists()


# --------------------------------------------------------------------------- bad manifests
def _edit_manifest(folder: Path, edit) -> None:
    path = folder / "manifest.json"
    manifest = json.loads(path.read_text())
    path.write_text(json.dumps(edit(manifest)))


def _drop(key):
    def edit(m):
        del m[key]
        return m

    return edit


def _set(key, value):
    def edit(m):
        m[key] = value
        return m

    return edit


def _entry(field, value):
    def edit(m):
        if value is None:
            del m["files"]["ratings.csv.gz"][field]
        else:
            m["files"]["ratings.csv.gz"][field] = value
        return m

    return edit


@pytest.mark.parametrize(
    "edit, match",
    [
        (lambda m: list(m), r"should hold a JSON object .* found a list"),
        (_drop("rating_noise"), r"has no 'rating_noise' entry"),
        (_drop("files"), r"has no 'files' entry"),
        (_set("files", []), r"'files' should be a dict, found \[\]"),
        (_set("n_days", "180"), r"'n_days' should be a int, found '180'"),
        (_set("n_days", 0), r"n_days=0 and rating_noise=0.95 must be positive"),
        (_set("rating_noise", None), r"'rating_noise' should be a number, found None"),
        (_set("seed", "2024"), r"'seed' should be an int, found '2024'"),
        (_set("config", [1]), r"'config' should be an object"),
        (_set("format_version", 1), r"format_version is 1, this course_lib reads 2"),
        (_drop("format_version"), r"format_version is None"),
        (
            _entry("content_sha256", None),
            r"the entry for ratings.csv.gz needs 'content_sha256'.*None",
        ),
        (
            _entry("content_sha256", "abc"),
            r"the entry for ratings.csv.gz needs 'content_sha256', 64 hex digits; found 'abc'",
        ),
        (_entry("rows", -1), r"the entry for ratings.csv.gz needs 'rows', a count; found -1"),
        (
            lambda m: {**m, "files": {**m["files"], "ratings.csv.gz": "x"}},
            r"the entry for ratings.csv.gz should be an object, found 'x'",
        ),
        (
            lambda m: {**m, "files": {k: v for k, v in m["files"].items() if k != "users.csv.gz"}},
            r"has no entry for users.csv.gz",
        ),
    ],
)
def test_a_bad_manifest_is_named(copy, edit, match):
    _edit_manifest(copy, edit)
    with pytest.raises(DatasetError, match=r"manifest.json: " + match + r".*Regenerate"):
        load_shop(copy)


def test_a_manifest_that_is_not_json(copy):
    (copy / "manifest.json").write_bytes(b"\xff\xfe{")
    with pytest.raises(DatasetError, match=r"manifest.json: not valid JSON"):
        load_shop(copy)


# --------------------------------------------------------------------------- bad data files
def _rewrite(folder: Path, name: str, edit, index_col=None) -> None:
    """Edit one CSV of the world and fix the manifest's checksum and row count for it."""
    path = folder / name
    df = edit(pd.read_csv(path, index_col=index_col))
    text = df.to_csv(index=index_col is not None, lineterminator="\n").encode()
    path.write_bytes(shop_save._gzip_bytes(text))

    def fix(m):
        m["files"][name].update(content_sha256=hashlib.sha256(text).hexdigest(), rows=len(df))
        return m

    _edit_manifest(folder, fix)


def _cell(column, row, value):
    def edit(df):
        df.loc[row, column] = value
        return df

    return edit


@pytest.mark.parametrize(
    "name, edit, index_col, match",
    [
        (
            "ratings.csv.gz",
            _cell("rating", 6, 9.0),
            None,
            r"ratings.csv.gz: line 8 \(data row 7\): rating = 9.0, but a rating is 1, 2, 3, 4 or 5",
        ),
        ("ratings.csv.gz", _cell("rating", 0, -3.0), None, r"line 2 .*rating = -3.0"),
        (
            "ratings.csv.gz",
            _cell("user_id", 3, 999999),
            None,
            r"line 5 .*user_id = 999999, but that user is not in users.csv.gz",
        ),
        (
            "interactions.csv.gz",
            _cell("item_id", 10, 0),
            None,
            r"interactions.csv.gz: line 12 .*item_id = 0, but that item is not in items.csv.gz",
        ),
        (
            "ratings.csv.gz",
            _cell("day", 2, 500),
            None,
            r"line 4 .*day = 500, but days run from 0 to n_days - 1 = 179",
        ),
        ("interactions.csv.gz", _cell("event", 0, "like"), None, r"event = 'like'"),
        (
            "users.csv.gz",
            lambda df: pd.concat([df, df.iloc[:1]]),
            None,
            r"users.csv.gz: user_id 1 appears more than once",
        ),
        (
            "ratings.csv.gz",
            lambda df: df.astype({"rating": object}).pipe(_cell("rating", 1, "x")),
            None,
            r"ratings.csv.gz: cannot be read \(ValueError: could not convert string to float",
        ),
        (
            "users.csv.gz",
            lambda df: df.astype({"age": object}).pipe(_cell("age", 1, "old")),
            None,
            r"users.csv.gz: column 'age' should hold integers, got dtype (object|str)",
        ),
        ("ratings.csv.gz", lambda df: df.iloc[:0], None, r"truth tables are not aligned"),
    ],
)
def test_bad_values_are_named_even_with_a_consistent_manifest(copy, name, edit, index_col, match):
    _rewrite(copy, name, edit, index_col)
    with pytest.raises(DatasetError, match=match):
        load_shop(copy)


def test_a_file_that_is_not_gzip(copy):
    (copy / "items.csv.gz").write_bytes(b"item_id,category\n1,toys\n")
    with pytest.raises(DatasetError, match=r"items.csv.gz: cannot be read \(BadGzipFile"):
        load_shop(copy, verify=False)
    (copy / "items.csv.gz").write_bytes(b"")
    with pytest.raises(DatasetError, match=r"items.csv.gz: cannot be read"):
        load_shop(copy, verify=False)


def test_a_folder_where_a_file_belongs(copy):
    (copy / "users.csv.gz").unlink()
    (copy / "users.csv.gz").mkdir()
    with pytest.raises(DatasetError, match=r"users.csv.gz: file not found"):
        load_shop(copy)


def test_save_requires_a_simulated_world(shipped):
    from course_lib.data import ShopData

    with pytest.raises(
        ValueError, match=r"save_shop\(shop=ShopData\(.*\): shop must be a simulated world"
    ):
        save_shop(
            ShopData(ratings=shipped.ratings, users=shipped.users, items=shipped.items), "unused"
        )


def test_cli_empty_out_is_a_usage_error(capsys):
    from course_lib.data import shop as shopmod

    with pytest.raises(SystemExit) as stop:
        shopmod.main(["--out", ""])
    assert stop.value.code == 2 and "--out: empty" in capsys.readouterr().err
