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
      versions/v0001/        one folder per version: the model + meta.json
      versions/v0002/

Nothing is ever half-written: a version is saved into a temporary folder that
is renamed into place only after the model and its metadata are complete, and
``registry.json`` is replaced atomically.  A crash leaves the registry as it
was before the call.

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
from pathlib import Path
from typing import Any, Callable

__all__ = ["ModelRegistry", "RegistryError"]

_VERSION = re.compile(r"^v(\d{4,})$")


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


class ModelRegistry:
    """Versioned storage of models with a production pointer.

    Parameters
    ----------
    root : str or Path
        Folder of the registry (created if missing).
    """

    def __init__(self, root):
        self.root = Path(root)
        self.versions_dir = self.root / "versions"
        self.versions_dir.mkdir(parents=True, exist_ok=True)
        self._index = self.root / "registry.json"
        if not self._index.exists():
            _write_json_atomic(self._index, {"production": None, "history": []})
        for stale in self.versions_dir.glob(".tmp-*"):  # left by a crash mid-save
            shutil.rmtree(stale, ignore_errors=True)

    # -- reading -----------------------------------------------------------------
    def _state(self) -> dict:
        try:
            return json.loads(self._index.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise RegistryError(f"cannot read {self._index}: {exc}. The file is written "
                                "atomically, so this means it was edited by hand.") from exc

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
            raise RegistryError(f"version={version!r} is not a version name; use one of "
                                f"{self.versions()} (names look like 'v0001').")
        path = self.versions_dir / version
        if not path.is_dir():
            raise RegistryError(f"version {version!r} is not registered; known versions: "
                                f"{self.versions()}")
        return path

    # -- writing -----------------------------------------------------------------
    def register(self, model: Any, *, metrics: dict | None = None, parent: str | None = None,
                 notes: str = "", extra: dict | None = None) -> str:
        """Save ``model`` as a new version and return its name (``'v0001'``, ...).

        ``model.save(path)`` is called with a path inside a temporary folder;
        the folder becomes the version only when everything is written.
        """
        if not hasattr(model, "save"):
            raise TypeError(f"register(model={type(model).__name__}): the model needs a "
                            "save(path) method (course_lib.models.RatingModel has one).")
        if parent is not None:
            self._path(parent)
        existing = [int(_VERSION.match(v).group(1)) for v in self.versions()]
        version = f"v{(max(existing) + 1 if existing else 1):04d}"
        tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=self.versions_dir))
        try:
            model.save(tmp / "model")
            meta = {"version": version, "metrics": dict(metrics or {}), "parent": parent,
                    "notes": notes, **(extra or {})}
            (tmp / "meta.json").write_text(json.dumps(meta, indent=2, sort_keys=True,
                                                      default=float), encoding="utf-8")
            os.rename(tmp, self.versions_dir / version)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return version

    def promote(self, version: str) -> None:
        """Make ``version`` the production model."""
        self._path(version)
        state = self._state()
        if state["production"] != version:
            state["production"] = version
            state["history"].append(version)
            state.get("rolled_back", {}).pop(version, None)
            _write_json_atomic(self._index, state)

    def rollback(self, reason: str = "") -> str:
        """Point production back at the previously promoted version; return it.

        The withdrawn version is marked in :attr:`rolled_back` with ``reason``
        (pointer, history and mark are written together, atomically).
        """
        if not isinstance(reason, str):
            raise TypeError(f"rollback(reason={reason!r}): pass a short text saying why, "
                            "e.g. 'worse than the previous version on live traffic'.")
        state = self._state()
        if len(state["history"]) < 2:
            raise RegistryError("nothing to roll back to: only "
                                f"{len(state['history'])} version(s) were ever promoted "
                                f"({state['history']}).")
        withdrawn = state["history"].pop()
        state["production"] = state["history"][-1]
        state.setdefault("rolled_back", {})[withdrawn] = {"to": state["production"],
                                                          "reason": reason}
        _write_json_atomic(self._index, state)
        return state["production"]

    def load(self, version: str | None = None, *, loader: Callable[[Path], Any]) -> Any:
        """Load ``version`` (default: production) with ``loader(path)``.

        For a RatingModel: ``registry.load(loader=RatingModel.load)``.
        """
        if version is None:
            version = self.production
            if version is None:
                raise RegistryError("no version has been promoted to production yet; "
                                    "call promote(version) first.")
        return loader(self._path(version) / "model")
