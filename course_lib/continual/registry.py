"""A tiny model registry: numbered versions, a production pointer, rollback.

Explained in chapter 10 (the incremental pipeline).  Every model the update
loop produces is *registered* as a new immutable version with its metrics;
only a version that passes the validation gate is *promoted* to production;
if production misbehaves, :meth:`ModelRegistry.rollback` points production
back at the version before it and marks the withdrawn version as rolled back
(with the reason), in the same atomic write.

Layout on disk::

    root/
      registry.json          production pointer, promotion history, rollback marks
                             (atomic rewrite)
      .registry.lock         the inter-process lock (see below)
      versions/v0001/        one folder per version: the model + meta.json
      versions/v0002/

Nothing is ever half-written: a version is saved into a temporary folder that
is renamed into place only after the model and its metadata are complete, and
``registry.json`` is replaced atomically.  A crash leaves the registry as it
was before the call.

Several processes may share one registry (a training job registering, a
serving job reading, a second trainer...).  Every read-modify-write of
``registry.json``, and the choice of a new version number, happens under an
inter-process lock (:mod:`filelock`: ``flock`` on Linux and macOS, a Windows
file lock on Windows; the operating system releases it when its process dies,
even after ``kill -9``).  The slow part, ``model.save``, runs outside the lock
in a temporary folder its process keeps locked, so opening the registry
elsewhere never deletes a save in progress; temporary files whose owner died
are removed, under the lock, by the next process that opens the registry or
registers a model.  A missing or damaged ``registry.json`` is never silently
replaced by an empty history: the registry raises :class:`RegistryError` and
:meth:`ModelRegistry.rebuild_index` rebuilds it from the versions on disk.

The model object only needs ``save(path)`` (and a loader for :meth:`load`),
so the registry works for ``course_lib.models.RatingModel`` and anything else.

>>> import tempfile, json
>>> class Toy:
...     def __init__(self, w): self.w = w
...     def save(self, path):
...         path.mkdir(); (path / "w.json").write_text(json.dumps(self.w))
>>> def load_toy(path): return Toy(json.loads((path / "w.json").read_text()))
>>> reg = ModelRegistry(tempfile.mkdtemp())
>>> v1 = reg.register(Toy(1.0), metrics={"rmse": 0.95})
>>> reg.promote(v1)
>>> v2 = reg.register(Toy(2.0), metrics={"rmse": 0.91}, parent=v1)
>>> reg.promote(v2)
>>> reg.production, reg.load(loader=load_toy).w
('v0002', 2.0)
>>> reg.rollback(reason="worse than v0001 on live traffic")
'v0001'
>>> reg.load(loader=load_toy).w
1.0
>>> reg.rolled_back
{'v0002': {'reason': 'worse than v0001 on live traffic', 'to': 'v0001'}}
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from course_lib.core.validation import ArgumentTypeError, argument_error, check_number

__all__ = ["ModelRegistry", "RegistryError"]

_VERSION = re.compile(r"^v(\d{4,})$")
_INDEX = "registry.json"
_LOCK = ".registry.lock"
_SAVE_PREFIX = ".tmp-"  # versions/.tmp-XXXX/ is a save in progress and
_OWNER_SUFFIX = ".lock"  # versions/.tmp-XXXX.lock is held by its process


class RegistryError(RuntimeError):
    """An operation the registry cannot do (unknown version, nothing to roll back to...)."""


def _write_json_atomic(path: Path, data: dict) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2, sort_keys=True)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _fresh_state(production: str | None = None) -> dict:
    return {
        "production": production,
        "history": [production] if production else [],
        "rolled_back": {},
    }


def _problem(state: Any) -> str | None:
    """What is wrong with the parsed content of registry.json (None if nothing)."""
    if not isinstance(state, dict):
        return f"expected a JSON object, found a {type(state).__name__} ({json.dumps(state)[:60]})"
    for key in ("production", "history"):
        if key not in state:
            return f"the key {key!r} is missing (found keys {sorted(state)})"
    history, production = state["history"], state["production"]
    if not isinstance(history, list) or not all(
        isinstance(v, str) and _VERSION.match(v) for v in history
    ):
        return f"'history' should be a list of version names, found {history!r:.80}"
    if production != (history[-1] if history else None):
        return (
            f"'production' should be the last promoted version "
            f"{history[-1] if history else None!r}, found {production!r:.40}"
        )
    marks = state.get("rolled_back", {})
    if not isinstance(marks, dict) or not all(
        isinstance(v, str) and _VERSION.match(v) and isinstance(m, dict) for v, m in marks.items()
    ):
        return f"'rolled_back' should map version names to marks, found {marks!r:.80}"
    return None


class ModelRegistry:
    """Versioned storage of models with a production pointer.

    Safe to share between processes and threads: see the module docstring.

    Parameters
    ----------
    root : str or Path
        Folder of the registry (created if missing).
    lock_timeout : float, default 60
        Seconds to wait for another process that holds the registry's lock
        (it is registering or promoting) before raising :class:`RegistryError`.

    Raises
    ------
    RegistryError
        If ``registry.json`` is damaged, or missing while versions exist; the
        message says how to recover (see :meth:`rebuild_index`).
    """

    def __init__(self, root: str | os.PathLike[str], *, lock_timeout: float = 60.0) -> None:
        self.lock_timeout = check_number(
            lock_timeout,
            "lock_timeout",
            "ModelRegistry",
            low=0,
            fix="give the seconds to wait for another process, e.g. 60",
        )
        self.root = Path(root)
        self.versions_dir = self.root / "versions"
        self.versions_dir.mkdir(parents=True, exist_ok=True)
        self._index = self.root / _INDEX
        self._lock = FileLock(self.root / _LOCK)
        with self._locked():
            if not self._index.exists() and not self.versions():
                self._write_state(_fresh_state())  # a new registry
            self._state()  # refuse a missing or damaged index now
            self._remove_stale_files()

    # -- the lock and the index --------------------------------------------------
    @contextmanager
    def _locked(self) -> Iterator[None]:
        """Hold the inter-process lock (re-entrant within one thread)."""
        try:
            self._lock.acquire(timeout=self.lock_timeout, poll_interval=0.005)
        except Timeout:
            raise RegistryError(
                f"another process has held the lock {self.root / _LOCK} for more than "
                f"{self.lock_timeout:g} s: it is registering or promoting a model in this "
                "registry. Wait for it to finish, or open the registry with a larger "
                "lock_timeout=. (The lock is released when its process ends, even by a "
                "crash, so its holder is still running.)"
            ) from None
        try:
            yield
        finally:
            self._lock.release()

    def _recovery_hint(self) -> str:
        found = self.versions()
        latest = found[-1] if found else None
        return (
            f"To recover, restore {_INDEX} from a backup, or rebuild it from the "
            f"{len(found)} version(s) on disk with ModelRegistry.rebuild_index("
            f"{str(self.root)!r}, production={latest!r}), naming the version that should "
            "serve traffic (the promotion history and rollback marks cannot be recovered; "
            "a damaged file is kept aside)."
        )

    def _state(self) -> dict:
        """Read and check registry.json (under the lock, so no writer replaces it meanwhile)."""
        with self._locked():
            try:
                text = self._index.read_text(encoding="utf-8")
            except FileNotFoundError:
                raise RegistryError(
                    f"{self._index} is missing although versions {self.versions()} are on disk: "
                    "the production pointer and the promotion history are lost, and the registry "
                    "will not silently start an empty history over them. " + self._recovery_hint()
                ) from None
            except OSError as exc:
                raise RegistryError(f"cannot read {self._index}: {exc}.") from exc
            problem: str | None
            try:
                state = json.loads(text)
            except json.JSONDecodeError as exc:
                problem = f"it is not valid JSON ({exc})"
            else:
                problem = _problem(state)
            if problem is not None:
                raise RegistryError(
                    f"{self._index} is damaged: {problem}. The registry only ever replaces it "
                    "whole, so it was edited or damaged by something else. " + self._recovery_hint()
                )
            return state

    def _write_state(self, state: dict) -> None:
        with self._locked():
            self._remove_stale_index_files()
            _write_json_atomic(self._index, state)

    def _remove_stale_index_files(self) -> None:
        """Remove what a writer killed while writing registry.json left (call under the lock)."""
        for stale in self.root.glob(f".{_INDEX}.*.tmp"):  # a live writer would hold the lock
            stale.unlink(missing_ok=True)

    def _remove_stale_files(self) -> None:
        """Remove temporary files whose owner process has died (call under the lock)."""
        self._remove_stale_index_files()
        for entry in self.versions_dir.glob(f"{_SAVE_PREFIX}*"):
            folder = entry.with_name(entry.name.removesuffix(_OWNER_SUFFIX))
            if entry != folder and folder.exists():
                continue  # handled with its folder
            owner = FileLock(folder.with_name(folder.name + _OWNER_SUFFIX))
            try:
                owner.acquire(timeout=0)
            except Timeout:
                continue  # its process is still saving
            try:
                if folder.is_dir():
                    shutil.rmtree(folder, ignore_errors=True)
                else:
                    folder.unlink(missing_ok=True)
            finally:
                owner.release()
                Path(owner.lock_file).unlink(missing_ok=True)

    def _next_version(self, state: dict) -> str:
        """A number never used before, also by versions deleted by hand (call under the lock)."""
        named = set(self.versions()) | set(state["history"]) | set(state.get("rolled_back", {}))
        used = [int(m.group(1)) for m in map(_VERSION.match, named) if m is not None]
        return f"v{(max(used) + 1 if used else 1):04d}"

    # -- reading -----------------------------------------------------------------
    @property
    def production(self) -> str | None:
        """The version serving traffic now (None before the first promotion)."""
        return self._state()["production"]

    @property
    def history(self) -> list[str]:
        """Versions in the order they were promoted (rollbacks remove the tail)."""
        return list(self._state()["history"])

    @property
    def rolled_back(self) -> dict[str, dict]:
        """Versions withdrawn by :meth:`rollback`: ``{version: {"to": ..., "reason": ...}}``.

        A rolled-back version stays registered (and loadable) for inspection;
        this mark says it once served traffic and was taken out.  Promoting it
        again removes the mark.
        """
        return {v: dict(info) for v, info in self._state().get("rolled_back", {}).items()}

    def versions(self) -> list[str]:
        """Every registered version, oldest first."""
        return sorted(p.name for p in self.versions_dir.iterdir() if _VERSION.match(p.name))

    def meta(self, version: str) -> dict:
        """The metadata saved with ``version`` (metrics, parent, notes)."""
        return json.loads((self._path(version) / "meta.json").read_text(encoding="utf-8"))

    def _path(self, version: str) -> Path:
        if not isinstance(version, str) or not _VERSION.match(version):
            raise RegistryError(
                f"version={version!r} is not a version name; use one of "
                f"{self.versions()} (names look like 'v0001')."
            )
        path = self.versions_dir / version
        if not path.is_dir():
            raise RegistryError(
                f"version {version!r} is not registered; known versions: {self.versions()}"
            )
        return path

    # -- writing -----------------------------------------------------------------
    def register(
        self,
        model: Any,
        *,
        metrics: dict | None = None,
        parent: str | None = None,
        notes: str = "",
        extra: dict | None = None,
    ) -> str:
        """Save ``model`` as a new version and return its name (``'v0001'``, ...).

        ``model.save(path)`` is called with a path inside a temporary folder
        (without holding the registry's lock, so a slow save does not block
        other processes); the folder becomes the version, and takes the next
        free number, only when everything is written.
        """
        if not callable(getattr(model, "save", None)):
            raise argument_error(
                "ModelRegistry.register",
                "model",
                model,
                f"a model with a save(path) method, got {type(model).__name__}",
                "RatingModel has one; the registry calls it to write a version",
                exc=ArgumentTypeError,
            )
        if parent is not None:
            self._path(parent)
        with self._locked():
            self._state()  # a damaged index: refuse before the slow save
            self._remove_stale_files()
            tmp = Path(tempfile.mkdtemp(prefix=_SAVE_PREFIX, dir=self.versions_dir))
            owner = FileLock(tmp.with_name(tmp.name + _OWNER_SUFFIX))
            owner.acquire(timeout=0)  # says "alive" to _remove_stale_files elsewhere
        try:
            model.save(tmp / "model")
            with self._locked():
                version = self._next_version(self._state())
                meta = {
                    "version": version,
                    "metrics": dict(metrics or {}),
                    "parent": parent,
                    "notes": notes,
                    **(extra or {}),
                }
                (tmp / "meta.json").write_text(
                    json.dumps(meta, indent=2, sort_keys=True, default=float), encoding="utf-8"
                )
                os.rename(tmp, self.versions_dir / version)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)  # only if the save failed
            owner.release()
            Path(owner.lock_file).unlink(missing_ok=True)
        return version

    def promote(self, version: str) -> None:
        """Make ``version`` the production model."""
        with self._locked():
            self._path(version)
            state = self._state()
            if state["production"] != version:
                state["production"] = version
                state["history"].append(version)
                state.get("rolled_back", {}).pop(version, None)
                self._write_state(state)

    def rollback(self, reason: str = "") -> str:
        """Point production back at the previously promoted version; return it.

        The withdrawn version is marked in :attr:`rolled_back` with ``reason``
        (pointer, history and mark are written together, atomically).
        """
        if not isinstance(reason, str):
            raise argument_error(
                "ModelRegistry.rollback",
                "reason",
                reason,
                f"a str, got {type(reason).__name__}",
                "pass a short text saying why, e.g. 'worse than the previous "
                "version on live traffic'",
                exc=ArgumentTypeError,
            )
        with self._locked():
            state = self._state()
            if len(state["history"]) < 2:
                raise RegistryError(
                    "nothing to roll back to: only "
                    f"{len(state['history'])} version(s) were ever promoted "
                    f"({state['history']})."
                )
            withdrawn = state["history"].pop()
            state["production"] = state["history"][-1]
            state.setdefault("rolled_back", {})[withdrawn] = {
                "to": state["production"],
                "reason": reason,
            }
            self._write_state(state)
        return state["production"]

    def load(self, version: str | None = None, *, loader: Callable[[Path], Any]) -> Any:
        """Load ``version`` (default: production) with ``loader(path)``.

        For a RatingModel: ``registry.load(loader=RatingModel.load)``.
        """
        if version is None:
            version = self.production
            if version is None:
                raise RegistryError(
                    "no version has been promoted to production yet; call promote(version) first."
                )
        return loader(self._path(version) / "model")

    # -- recovery ----------------------------------------------------------------
    @classmethod
    def rebuild_index(
        cls,
        root: str | os.PathLike[str],
        *,
        production: str | None = None,
        lock_timeout: float = 60.0,
    ) -> ModelRegistry:
        """Rebuild a missing or damaged ``registry.json`` from the versions on disk.

        The versions themselves (models and metadata) are all kept; what a
        lost index cannot give back is the promotion history and the rollback
        marks, so the new history is ``[production]`` (empty if ``production``
        is None).  A damaged index is kept aside as
        ``registry.json.broken-<date>-<time>`` for inspection.  A readable
        index is never replaced.

        Parameters
        ----------
        root : str or Path
            Folder of the registry.
        production : str or None
            The registered version that should serve traffic.
        lock_timeout : float, default 60
            As in :class:`ModelRegistry`.

        Returns
        -------
        ModelRegistry
            The registry, open and working again.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> root = pathlib.Path(tempfile.mkdtemp())
        >>> (root / "versions" / "v0001").mkdir(parents=True)
        >>> (root / "registry.json").write_text("{}")
        2
        >>> ModelRegistry(root)
        Traceback (most recent call last):
        ...
        course_lib.continual.registry.RegistryError: .../registry.json is damaged: the key 'production' is missing ...
        >>> ModelRegistry.rebuild_index(root, production="v0001").history
        ['v0001']
        >>> sorted(p.name.split("-")[0] for p in root.glob("registry.json*"))
        ['registry.json', 'registry.json.broken']
        """
        root = Path(root)
        (root / "versions").mkdir(parents=True, exist_ok=True)
        probe = cls.__new__(cls)  # the locking and reading parts, no open checks
        probe.root, probe.versions_dir, probe._index = root, root / "versions", root / _INDEX
        probe.lock_timeout = check_number(lock_timeout, "lock_timeout", "rebuild_index", low=0)
        probe._lock = FileLock(root / _LOCK)
        with probe._locked():
            if production is not None:
                probe._path(production)
            try:
                probe._state()
            except RegistryError:
                pass
            else:
                raise RegistryError(
                    f"{probe._index} is readable, so there is nothing to "
                    "rebuild; use promote(version) or rollback() to change "
                    "production."
                )
            if probe._index.exists():
                stamp = time.strftime("%Y%m%d-%H%M%S")
                aside = root / f"{_INDEX}.broken-{stamp}"
                k = 1
                while aside.exists():
                    k += 1
                    aside = root / f"{_INDEX}.broken-{stamp}-{k}"
                os.replace(probe._index, aside)
            probe._write_state(_fresh_state(production))
        return cls(root, lock_timeout=lock_timeout)
