"""``course layers``: write each layer's ``__init__.py`` from the ``__all__`` of its modules.

Every folder of ``course_lib`` that is a layer (``foundations``, ``data``,
``models`` ...) re-exports the public names of its modules lazily (see
:mod:`course_lib.core.exports`).  Those ``__init__.py`` files are generated, never
edited by hand: after adding, renaming or moving a public name, run ::

    course layers            # rewrite the layer packages' __init__.py
    course layers --check    # fail (exit 1) and name the stale ones

The generated text is already in the shape ``ruff format`` and ``ruff check``
(isort) want, so the two never fight.

>>> text = render("Docs.", {".b": ["beta", "Alpha", "GAMMA"], ".a": ["one"]})
>>> print(text.split("lazily\\n")[1].split("_EXPORTS")[0].rstrip())
    from .a import one
    from .b import GAMMA, Alpha, beta
"""

from __future__ import annotations

import argparse
import ast
from pathlib import Path

from course_lib.tools.nbtools import write_atomic

__all__ = ["LAYER_DOCS", "render", "exports_of", "generate", "main"]

ROOT = Path(__file__).resolve().parents[2]
LIB = ROOT / "course_lib"
LINE = 100

#: The re-exporting packages, bottom layer first, with the docstring of each.
LAYER_DOCS: dict[str, str] = {
    "core": "The ground floor: the one argument checker, the four roles (Protocols), notebook "
    "setup.",
    "foundations": "Chapters 01-04 in numpy: losses, activations, gradient checking, "
    "optimizers, linear regression and a small network.",
    "data": "Chapter 05: the shop simulator and its files, MovieLens, streams of batches and "
    "feature tables.",
    "evaluation": "How good a model is: error and classification metrics, ranking metrics, "
    "and the prequential (test-then-train) loop with forgetting.",
    "models": "Rating and purchase models: baselines, one matrix factorisation (ALS or SGD) "
    "and the Keras models.",
    "continual/drift": "Chapter 08: drift detectors (one per module), the population stability "
    "index and how to score detections.",
    "continual": "Keeping a model up to date: drift detectors, update strategies (fine-tune, "
    "replay, EWC), the gated pipeline and the model registry.",
    "recsys": "Chapter 11: preference tracking, ranking, bandits and Q-learning.",
    "responsible": "Chapter 12: explaining a model, auditing it by segment, private releases.",
    "viz": "Plots, and the interactive dials and widgets of the lessons.",
    "tools": "The course's tooling, apart from the teaching library: the `course` command, "
    "grader, exercise builder, notebook tools, course map, book and benchmark.",
}
#: Command-line entry points share these names; they are not re-exported.
NOT_EXPORTED = {"main", "build"}


def _names_in(path: Path) -> list[str]:
    """The names a module lists in ``__all__`` (a generated package: its ``_EXPORTS`` keys)."""
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(
            getattr(t, "id", None) in ("__all__", "_EXPORTS") for t in node.targets
        ):
            try:
                value = ast.literal_eval(node.value)
            except ValueError:  # `__all__ = sorted(_EXPORTS)`: keep looking
                continue
            return list(value)
    return []


def exports_of(package: Path) -> dict[str, list[str]]:
    """``{".module": [names]}`` for the modules and sub-packages of ``package``."""
    sources = [p for p in sorted(package.glob("*.py")) if p.name != "__init__.py"]
    sources += sorted(p / "__init__.py" for p in package.iterdir() if (p / "__init__.py").exists())
    out: dict[str, list[str]] = {}
    seen: dict[str, str] = {}
    for path in sources:
        stem = "." + (path.parent.name if path.name == "__init__.py" else path.stem)
        for name in _names_in(path):
            if name in NOT_EXPORTED or name in seen:
                continue
            seen[name] = stem
            out.setdefault(stem, []).append(name)
    return out


def _isort_key(name: str) -> tuple[int, str]:
    """isort's order-by-type: CONSTANTS, then Classes, then functions and variables."""
    kind = 0 if name.isupper() and len(name) > 1 else 1 if name[:1].isupper() else 2
    return kind, name.lower()


def _import(module: str, names: list[str]) -> list[str]:
    names = sorted(names, key=_isort_key)
    line = f"    from {module} import {', '.join(names)}"
    if len(line) <= LINE:
        return [line]
    return [f"    from {module} import (", *[f"        {n}," for n in names], "    )"]


def render(doc: str, exports: dict[str, list[str]]) -> str:
    """The text of one layer's ``__init__.py``."""
    lines = [
        f'"""{doc}"""',
        "",
        "from __future__ import annotations",
        "",
        "from typing import TYPE_CHECKING",
        "",
        "from course_lib.core.exports import lazy_exports",
        "",
        "if TYPE_CHECKING:  # what a type checker and an IDE see; at run time names load lazily",
    ]
    for module in sorted(exports):
        lines += _import(module, exports[module])
    lines += ["", "_EXPORTS = {"]
    for module in sorted(exports):
        lines += [f'    "{n}": "{module}",' for n in sorted(exports[module], key=_isort_key)]
    lines += [
        "}",
        "__all__ = sorted(_EXPORTS)",
        "__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)",
    ]
    return "\n".join(lines) + "\n"


def generate(check: bool = False, root: Path = LIB) -> list[Path]:
    """Write (or with ``check``, only compare) every layer's ``__init__.py``; the stale ones."""
    stale = []
    for layer, doc in LAYER_DOCS.items():
        target = root / layer / "__init__.py"
        text = render(doc, exports_of(root / layer))
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            stale.append(target)
            if not check:
                write_atomic(target, text)
    return stale


def main(argv: list[str] | None = None) -> int:
    """``course layers [--check]``."""
    parser = argparse.ArgumentParser(prog="course layers", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 and name the stale __init__.py files",
    )
    args = parser.parse_args(argv)
    stale = generate(check=args.check)
    for path in stale:
        verb = "stale" if args.check else "wrote"
        print(f"{verb}: {path.relative_to(ROOT)}")
    if args.check and stale:
        print("run `course layers` to regenerate them")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
