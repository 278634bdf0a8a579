"""Saving and loading a :class:`~course_lib.models.rating_model.RatingModel` (chapter 06).

``model`` below is a ``RatingModel``; typed ``Any`` because this module must not
import the one that imports it.

A saved model is a directory: ``model.keras`` (weights and optimizer),
``state.json`` (settings, id encoders, standardisation, generator state) and
``tables.npz`` (the side features).  It is written to a temporary directory
next to the target and then renamed, so a crash never leaves half a model.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import warnings
from pathlib import Path
from typing import Any

import keras
import numpy as np

from course_lib.core.validation import ArgumentTypeError, argument_error
from course_lib.data.features import FeatureTable, IdEncoder
from course_lib.data.standardizer import Standardizer

__all__: list[str] = []

# Keras 3.15 converts TF variables with np.array(x, copy=False) while saving; numpy 2
# warns about it.  The message is Keras's own business, so save() silences only it.
_NUMPY_COPY_WARNING = r"__array__ implementation doesn't accept a copy keyword"


def json_default(obj: Any) -> Any:
    """``json.dumps`` helper for numpy scalars and arrays."""
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f"cannot serialise {type(obj).__name__}")


def _state(model: Any) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    ucfg, uarr = model.user_table.to_state()
    icfg, iarr = model.item_table.to_state()
    state = {
        "format": 1,
        "hyper": model.hyper,
        "trained": model.trained,
        "n_ratings_learned": getattr(model, "n_ratings_learned", 0),
        "passed_stats": model._passed_stats,
        "user_encoder": model.user_encoder.to_dict(),
        "item_encoder": model.item_encoder.to_dict(),
        "user_stats": model.user_stats.to_dict(),
        "item_stats": model.item_stats.to_dict(),
        "user_table": ucfg,
        "item_table": icfg,
        "rng": model._rng.bit_generator.state,
    }
    arrays = {
        "user_ids": uarr["ids"],
        "user_X": uarr["X"],
        "item_ids": iarr["ids"],
        "item_X": iarr["X"],
    }
    return state, arrays


def save(model: Any, path: str | Path) -> Path:
    """Write ``model`` to the directory ``path`` atomically; return the path."""
    path = Path(path)
    if path.suffix == ".keras":
        raise argument_error(
            "RatingModel.save",
            "path",
            str(path),
            "a directory name such as 'rating_model'",
            "a .keras file alone cannot hold the id encoders",
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.tmp-", dir=path.parent))
    try:
        with warnings.catch_warnings():  # Keras 3 + numpy 2 internal, not ours
            warnings.filterwarnings(
                "ignore", message=_NUMPY_COPY_WARNING, category=DeprecationWarning
            )
            model.keras_model.save(tmp / "model.keras")
        state, arrays = _state(model)
        (tmp / "state.json").write_text(json.dumps(state, default=json_default))
        np.savez(
            tmp / "tables.npz",
            user_ids=arrays["user_ids"],
            user_X=arrays["user_X"],
            item_ids=arrays["item_ids"],
            item_X=arrays["item_X"],
        )
        old = None
        if path.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{path.name}.old-", dir=path.parent))
            os.replace(path, old / "previous")
        os.replace(tmp, path)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return path


def load(cls: Any, path: str | Path) -> Any:
    """Read what :func:`save` wrote into a new ``cls`` instance."""
    path = Path(path)
    if not (path / "state.json").exists():
        raise FileNotFoundError(
            f"RatingModel.load({str(path)!r}): no state.json there; "
            "pass the directory that RatingModel.save wrote."
        )
    state = json.loads((path / "state.json").read_text())
    arrays = np.load(path / "tables.npz", allow_pickle=False)
    m = cls.__new__(cls)
    m.hyper = state["hyper"]
    m._passed_stats = state["passed_stats"]
    m.user_table = FeatureTable.from_state(
        state["user_table"], {"ids": arrays["user_ids"], "X": arrays["user_X"]}
    )
    m.item_table = FeatureTable.from_state(
        state["item_table"], {"ids": arrays["item_ids"], "X": arrays["item_X"]}
    )
    m.user_encoder = IdEncoder.from_dict(state["user_encoder"])
    m.item_encoder = IdEncoder.from_dict(state["item_encoder"])
    m.user_stats = Standardizer.from_dict(state["user_stats"])
    m.item_stats = Standardizer.from_dict(state["item_stats"])
    m._rng = np.random.default_rng()
    m._rng.bit_generator.state = state["rng"]
    m.trained = state["trained"]
    m._touched = True
    m._base_regularizers = None
    m.n_ratings_learned = state.get("n_ratings_learned", 0)
    m.history_ = None
    m.keras_model = keras.saving.load_model(path / "model.keras")
    return m


def as_standardizer(value: Any, which: str) -> Standardizer:
    """A copy of ``feature_stats[which]`` (a Standardizer or its dict), or a new one."""
    if value is None:
        return Standardizer()
    if isinstance(value, Standardizer):
        return Standardizer.from_dict(value.to_dict())
    if isinstance(value, dict):
        return Standardizer.from_dict(value)
    raise argument_error(
        "RatingModel",
        f"feature_stats['{which}']",
        value,
        f"a Standardizer or its to_dict(), got {type(value).__name__}",
        "pass e.g. {'user': Standardizer().fit(X)}",
        exc=ArgumentTypeError,
    )


def copy_table(table: FeatureTable) -> FeatureTable:
    """An independent copy of a side table."""
    cfg, arr = table.to_state()
    return FeatureTable.from_state(
        json.loads(json.dumps(cfg, default=json_default)),
        {"ids": arr["ids"].copy(), "X": arr["X"].copy()},
    )
