"""The model registry: versions, promotion, rollback, and nothing half-written."""

from __future__ import annotations

import json

import pytest

from course_lib.continual import ModelRegistry, RegistryError


class Toy:
    def __init__(self, w, fail=False):
        self.w, self.fail = w, fail

    def save(self, path):
        path.mkdir()
        (path / "w.json").write_text(json.dumps(self.w))
        if self.fail:
            raise OSError("disk full")


def load_toy(path):
    return Toy(json.loads((path / "w.json").read_text()))


def test_versions_are_numbered_and_keep_metadata(tmp_path):
    reg = ModelRegistry(tmp_path)
    v1 = reg.register(Toy(1), metrics={"rmse": 1.0}, notes="initial")
    v2 = reg.register(Toy(2), metrics={"rmse": 0.9}, parent=v1)
    assert (v1, v2) == ("v0001", "v0002") and reg.versions() == [v1, v2]
    assert reg.meta(v2) == {
        "version": "v0002",
        "metrics": {"rmse": 0.9},
        "parent": "v0001",
        "notes": "",
    }
    assert reg.production is None


def test_promote_rollback_and_reopen(tmp_path):
    reg = ModelRegistry(tmp_path)
    versions = [reg.register(Toy(i)) for i in range(3)]
    for v in versions:
        reg.promote(v)
    assert reg.rolled_back == {}
    assert reg.rollback(reason="worse on live traffic") == "v0002"
    reopened = ModelRegistry(tmp_path)  # state lives on disk
    assert reopened.production == "v0002" and reopened.history == ["v0001", "v0002"]
    assert reopened.rolled_back == {"v0003": {"to": "v0002", "reason": "worse on live traffic"}}
    assert reopened.load(loader=load_toy).w == 1
    assert reopened.load("v0003", loader=load_toy).w == 2


def test_failed_save_leaves_nothing_behind(tmp_path):
    reg = ModelRegistry(tmp_path)
    reg.promote(reg.register(Toy(1)))
    with pytest.raises(OSError, match="disk full"):
        reg.register(Toy(2, fail=True))
    assert reg.versions() == ["v0001"]
    assert [p.name for p in (tmp_path / "versions").iterdir()] == ["v0001"]
    assert reg.register(Toy(3)) == "v0002"


def test_leftover_temporary_folder_is_cleaned_on_open(tmp_path):
    (tmp_path / "versions" / ".tmp-crashed").mkdir(parents=True)
    ModelRegistry(tmp_path)
    assert not (tmp_path / "versions" / ".tmp-crashed").exists()


def test_errors_explain(tmp_path):
    reg = ModelRegistry(tmp_path)
    with pytest.raises(RegistryError, match="nothing to roll back to"):
        reg.rollback()
    with pytest.raises(RegistryError, match="no version has been promoted"):
        reg.load(loader=load_toy)
    with pytest.raises(RegistryError, match="'v0009' is not registered"):
        reg.promote("v0009")
    with pytest.raises(RegistryError, match="not a version name"):
        reg.promote("latest")
    with pytest.raises(
        TypeError,
        match=r"register\(model=.*\): model must be a model with a "
        r"save\(path\) method",
    ):
        reg.register(object())


def test_rollback_mark_is_written_with_the_pointer_and_cleared_on_re_promotion(tmp_path):
    reg = ModelRegistry(tmp_path)
    for v in [reg.register(Toy(i)) for i in range(2)]:
        reg.promote(v)
    reg.rollback()
    state = json.loads((tmp_path / "registry.json").read_text())
    assert state["production"] == "v0001" and state["rolled_back"] == {
        "v0002": {"to": "v0001", "reason": ""}
    }
    reg.rolled_back["v0002"]["reason"] = "edited"  # a copy: the registry is unchanged
    assert reg.rolled_back["v0002"]["reason"] == ""
    reg.promote("v0002")
    assert reg.rolled_back == {} and reg.production == "v0002"


def test_registry_files_without_rollback_marks_still_open(tmp_path):
    (tmp_path / "registry.json").write_text(json.dumps({"production": None, "history": []}))
    reg = ModelRegistry(tmp_path)
    assert reg.rolled_back == {}
    with pytest.raises(TypeError, match=r"rollback\(reason=3\): reason must be a str"):
        reg.rollback(reason=3)


@pytest.mark.parametrize(
    "content, problem",
    [
        ("{}", "the key 'production' is missing"),
        ("[]", "expected a JSON object, found a list"),
        ("", "not valid JSON"),
        ('{"production": "v0001", "history": "v0001"}', "'history' should be a list"),
        ('{"production": "v0002", "history": ["v0001"]}', "'production' should be the last"),
        ('{"production": null, "history": [], "rolled_back": []}', "'rolled_back' should map"),
    ],
)
def test_a_damaged_index_is_refused_with_a_way_to_recover(tmp_path, content, problem):
    reg = ModelRegistry(tmp_path)
    reg.promote(reg.register(Toy(1)))
    (tmp_path / "registry.json").write_text(content)
    for attempt in (
        lambda: reg.production,
        lambda: reg.promote("v0001"),
        lambda: reg.register(Toy(2)),
        lambda: ModelRegistry(tmp_path),
    ):
        with pytest.raises(RegistryError, match="damaged") as info:
            attempt()
        assert problem in str(info.value)
        assert "rebuild_index(" in str(info.value) and "production='v0001'" in str(info.value)
    assert reg.versions() == ["v0001"]  # nothing was registered meanwhile
    rebuilt = ModelRegistry.rebuild_index(tmp_path, production="v0001")
    assert rebuilt.production == "v0001" and rebuilt.history == ["v0001"]
    (aside,) = tmp_path.glob("registry.json.broken-*")  # the damaged file is kept
    assert aside.read_text() == content
    assert rebuilt.register(Toy(2)) == "v0002"


def test_a_missing_index_is_never_silently_reset(tmp_path):
    reg = ModelRegistry(tmp_path)
    for v in [reg.register(Toy(i)) for i in range(3)]:
        reg.promote(v)
    (tmp_path / "registry.json").unlink()
    with pytest.raises(RegistryError, match="missing although versions") as info:
        ModelRegistry(tmp_path)
    assert "rebuild_index(" in str(info.value) and "production='v0003'" in str(info.value)
    with pytest.raises(RegistryError, match="missing although versions"):
        _ = reg.production  # an open registry notices too
    assert not (tmp_path / "registry.json").exists()  # nothing was written meanwhile
    with pytest.raises(RegistryError, match="'v0009' is not registered"):
        ModelRegistry.rebuild_index(tmp_path, production="v0009")
    rebuilt = ModelRegistry.rebuild_index(tmp_path)  # no production until promoted
    assert rebuilt.production is None and rebuilt.versions() == ["v0001", "v0002", "v0003"]
    rebuilt.promote("v0002")
    assert rebuilt.load(loader=load_toy).w == 1
    with pytest.raises(RegistryError, match="nothing to rebuild"):
        ModelRegistry.rebuild_index(tmp_path, production="v0003")


def test_version_numbers_are_never_reused(tmp_path):
    import shutil

    reg = ModelRegistry(tmp_path)
    for v in [reg.register(Toy(i)) for i in range(2)]:
        reg.promote(v)
    reg.rollback()
    shutil.rmtree(tmp_path / "versions" / "v0002")  # deleted by hand, still in the marks
    assert reg.register(Toy(9)) == "v0003"


def test_lock_timeout_is_checked(tmp_path):
    with pytest.raises(ValueError, match="lock_timeout"):
        ModelRegistry(tmp_path, lock_timeout=-1)
