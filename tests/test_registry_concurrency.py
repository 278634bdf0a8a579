"""The model registry shared by several processes (and threads) at once.

Each test starts real Python processes that use one registry folder together,
the way a training job and a serving job would.  Workers wait at a start
barrier (a file) so they really overlap; a worker that must be caught in the
middle of a save or a write pauses on a file the test controls, so the
outcome never depends on timing.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from course_lib.continual import ModelRegistry, RegistryError

WORKER = r"""
import json, os, sys, time
from pathlib import Path

from course_lib.continual.registry import ModelRegistry

args = json.loads(sys.argv[1])


def wait_for(path):
    while not os.path.exists(path):
        time.sleep(0.005)


def pause():
    Path(args["paused"]).touch()
    if args.get("resume"):
        wait_for(args["resume"])
    else:
        time.sleep(600)  # until the test kills this process


class Toy:
    def __init__(self, w, parts=0, pause_at=None):
        self.w, self.parts, self.pause_at = w, parts, pause_at

    def save(self, path):
        path.mkdir()
        (path / "w.json").write_text(json.dumps(self.w))
        for i in range(self.parts):
            if i == self.pause_at:
                pause()
            (path / f"part{i:04d}").write_text(str(i))


if args.get("ready"):  # start barrier: every worker begins at the same moment
    Path(args["ready"]).touch()
    wait_for(args["go"])
reg = ModelRegistry(args["root"])
action = args["action"]
if action == "register_promote":
    for i in range(args["n"]):
        version = reg.register(Toy([args["tag"], i]), metrics={"i": i})
        reg.promote(version)
        print(version, flush=True)
elif action == "read":          # a serving process polling while the writers work
    for _ in range(args["n"]):
        production = reg.production
        history = reg.history                      # read later: it may have grown since
        assert production is None or production in reg.versions(), production
        assert production is None or production in history, (production, history)
elif action == "promote":
    for version in args["versions"]:
        reg.promote(version)
elif action == "save_with_pause":
    print(reg.register(Toy("big", parts=args["parts"], pause_at=args["parts"] // 2)))
elif action == "promote_with_pause":
    real_replace = os.replace

    def replace_then_pause(src, dst):
        if Path(dst).name == "registry.json":
            pause()
        return real_replace(src, dst)

    os.replace = replace_then_pause
    reg.promote(args["version"])
else:
    raise SystemExit(f"unknown action {action!r}")
"""


class Toy:
    def __init__(self, w):
        self.w = w

    def save(self, path):
        path.mkdir()
        (path / "w.json").write_text(json.dumps(self.w))


def load_toy(path):
    return Toy(json.loads((path / "w.json").read_text()))


def start(**args) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", WORKER, json.dumps(args, default=str)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(path: Path, proc: subprocess.Popen, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if proc.poll() is not None:
            pytest.fail(
                f"the worker exited with {proc.returncode} before {path.name}:\n"
                f"{proc.stderr.read()}"
            )
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"the worker did not reach {path.name} in {timeout} s")
        time.sleep(0.005)


def finish(proc: subprocess.Popen) -> str:
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, f"a worker failed:\n{err}"
    return out


def run_together(tmp_path: Path, jobs: list[dict]) -> list[str]:
    """Start one worker per job, release them at once, return their outputs."""
    go = tmp_path / "go"
    procs = [start(ready=tmp_path / f"ready{k}", go=go, **job) for k, job in enumerate(jobs)]
    for k, proc in enumerate(procs):
        wait_for(tmp_path / f"ready{k}", proc)
    go.touch()
    return [finish(proc) for proc in procs]


def leftovers(root: Path) -> list[str]:
    """Temporary files and folders a writer left behind."""
    return sorted(
        [p.name for p in (root / "versions").iterdir() if p.name.startswith(".")]
        + [p.name for p in root.iterdir() if p.name.endswith(".tmp")]
    )


def test_opening_the_registry_never_deletes_another_process_save_in_progress(tmp_path):
    root = tmp_path / "reg"
    ModelRegistry(root)
    proc = start(
        root=root,
        action="save_with_pause",
        parts=400,
        paused=tmp_path / "paused",
        resume=tmp_path / "resume",
    )
    wait_for(tmp_path / "paused", proc)  # half of the 400 parts are written
    ModelRegistry(root)  # a second process opens the registry
    (tmp_path / "resume").touch()
    version = finish(proc).strip()
    saved = ModelRegistry(root)._path(version) / "model"
    assert len(list(saved.glob("part*"))) == 400
    assert leftovers(root) == []


def test_writers_registering_and_promoting_at_once_lose_nothing(tmp_path):
    root = tmp_path / "reg"
    ModelRegistry(root)
    n_workers, n_each = 3, 10
    writers = [
        {"root": root, "action": "register_promote", "tag": t, "n": n_each}
        for t in range(n_workers)
    ]
    reader = {"root": root, "action": "read", "n": 100}
    outs = run_together(tmp_path, writers + [reader])[:n_workers]
    reg = ModelRegistry(root)
    made = [out.split() for out in outs]
    assert sorted(v for vs in made for v in vs) == reg.versions()
    assert len(reg.versions()) == n_workers * n_each
    weights = {tuple(reg.load(v, loader=load_toy).w) for v in reg.versions()}
    assert weights == {(t, i) for t in range(n_workers) for i in range(n_each)}
    assert all(reg.meta(v)["version"] == v for v in reg.versions())
    history = reg.history
    assert sorted(history) == reg.versions()  # every promotion is recorded once
    for vs in made:  # in the order each writer made it
        assert [v for v in history if v in vs] == vs
    assert reg.production == history[-1]
    assert leftovers(root) == []


def test_promotions_from_two_processes_are_all_in_the_history(tmp_path):
    root = tmp_path / "reg"
    reg = ModelRegistry(root)
    n_each = 60
    versions = [reg.register(Toy(i)) for i in range(2 * n_each)]
    mine, theirs = versions[0::2], versions[1::2]
    run_together(
        tmp_path,
        [
            {"root": root, "action": "promote", "versions": mine},
            {"root": root, "action": "promote", "versions": theirs},
        ],
    )
    history = reg.history
    assert len(history) == 2 * n_each and sorted(history) == versions
    assert [v for v in history if v in mine] == mine
    assert reg.production == history[-1]
    assert leftovers(root) == []


def test_a_writer_killed_mid_save_leaves_a_folder_the_next_open_removes(tmp_path):
    root = tmp_path / "reg"
    reg = ModelRegistry(root)
    reg.promote(reg.register(Toy(1)))
    proc = start(root=root, action="save_with_pause", parts=10, paused=tmp_path / "paused")
    wait_for(tmp_path / "paused", proc)
    assert leftovers(root) != []  # its temporary folder, in use
    ModelRegistry(root)  # an open while it lives keeps it
    assert leftovers(root) != []
    proc.kill()
    proc.communicate()
    reopened = ModelRegistry(root)  # its owner is dead: removed
    assert leftovers(root) == []
    assert reopened.register(Toy(2)) == "v0002" and reopened.versions() == ["v0001", "v0002"]


def test_a_writer_killed_mid_promote_leaves_the_registry_as_it_was(tmp_path):
    root = tmp_path / "reg"
    reg = ModelRegistry(root, lock_timeout=0.3)
    reg.promote(reg.register(Toy(1)))
    for attempt in range(3):
        version = reg.register(Toy(2 + attempt))
        proc = start(
            root=root,
            action="promote_with_pause",
            version=version,
            paused=tmp_path / f"paused{attempt}",
        )
        wait_for(tmp_path / f"paused{attempt}", proc)  # the new index is written, not in place
        with pytest.raises(RegistryError, match="another process"):
            reg.promote(version)  # it holds the lock: we wait, then explain
        proc.kill()
        proc.communicate()
        assert reg.production == "v0001" and reg.history == ["v0001"]
    reg.promote("v0002")  # the lock died with its owner
    assert reg.history == ["v0001", "v0002"]
    assert leftovers(root) == []


def test_threads_sharing_one_registry_or_opening_their_own(tmp_path):
    shared = ModelRegistry(tmp_path)
    made: list[str] = []
    errors: list[BaseException] = []

    def work(tag, reg):
        try:
            for i in range(5):
                version = reg.register(Toy([tag, i]))
                reg.promote(version)
                made.append(version)
        except Exception as exc:  # noqa: BLE001 - a thread's error would vanish otherwise
            errors.append(exc)

    threads = [
        threading.Thread(target=work, args=(t, shared if t % 2 else ModelRegistry(tmp_path)))
        for t in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(made) == shared.versions() and len(made) == 20
    assert sorted(shared.history) == shared.versions()
    assert leftovers(tmp_path) == []


def test_files_left_by_an_older_crash_are_removed_on_open(tmp_path):
    reg = ModelRegistry(tmp_path)
    (tmp_path / ".registry.json.abc123.tmp").write_text("{")  # killed mid-write
    (tmp_path / "versions" / ".tmp-crashed").mkdir()
    (tmp_path / "versions" / ".tmp-orphan.lock").write_text("")
    ModelRegistry(tmp_path)
    assert leftovers(tmp_path) == []
    assert reg.production is None
