"""The shape of course_lib, as CONTRIBUTING.md draws it, checked.

* layers import only downwards, and no module imports itself back (directly or
  through others, also from inside a function);
* no module over 500 lines, no function over 60 lines of code;
* one definition of each concept (one ``rmse``, one ``softmax`` ...);
* one way to name the learning rate, and nothing outside the model pokes Keras internals.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

import pytest

LIB = Path(__file__).resolve().parents[1] / "course_lib"

#: Bottom to top: a module may import from its own layer or any layer to its left.
LAYERS = [
    "core",
    "foundations",
    "data",
    "evaluation",
    "models",
    "continual",
    "recsys",
    "responsible",
    "viz",
    "checks",
    "tools",
]
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 60
#: The simulator's core may be long: one pass over the days, kept in one piece on purpose.
LONG_FUNCTION_ALLOWED = {"course_lib.data.shop.simulate"}
#: Concepts that must have exactly one definition in the whole library.
SINGLE_DEFINITIONS = [
    "rmse",
    "mae",
    "mse",
    "softmax",
    "sigmoid",
    "plot_loss_curves",
    "_check_frame",
    "holdout_split",
    "psi",
]
#: Public names that several command-line modules legitimately share.
SHARED_PUBLIC = {"main", "build"}


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(LIB.rglob("*.py")):
        rel = path.relative_to(LIB.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


MODULES = _modules()
TREES = {name: ast.parse(path.read_text(encoding="utf-8")) for name, path in MODULES.items()}


def _layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def _imports(module: str) -> list[tuple[str, int]]:
    """Every course_lib module ``module`` imports, anywhere in the file, with its line."""
    is_package = MODULES[module].name == "__init__.py"
    out = []
    for node in ast.walk(TREES[module]):
        if isinstance(node, ast.Import):
            out += [(a.name, node.lineno) for a in node.names if a.name.startswith("course_lib")]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base if is_package else base[:-1]
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith("course_lib"):
                continue
            for alias in node.names:  # `from course_lib.data import shop` imports a module
                sub = f"{target}.{alias.name}"
                out.append((sub if sub in MODULES else target, node.lineno))
    return out


def test_layers_import_only_downwards():
    wrong = []
    for module in MODULES:
        src = _layer(module)
        for target, line in _imports(module):
            dst = _layer(target)
            if src is None or dst is None:
                continue
            assert src in LAYERS, f"{module}: layer {src!r} is not in LAYERS; add it in order"
            if LAYERS.index(dst) > LAYERS.index(src):
                wrong.append(f"{module}:{line} imports {target} ({src} < {dst})")
    assert not wrong, "imports that point up a layer:\n" + "\n".join(wrong)


def test_a_layer_never_imports_itself_through_its_package():
    """Inside a layer, modules import each other by file, so the package's lazy
    re-exports never sit in the middle of a cycle."""
    wrong = [
        f"{m}:{line} imports {t}"
        for m in MODULES
        if m.count(".") >= 2
        for t, line in _imports(m)
        if t == ".".join(m.split(".")[:2])
    ]
    assert not wrong, "\n".join(wrong)


def test_no_import_cycles():
    graph = {m: {t for t, _ in _imports(m) if t in MODULES and t != m} for m in MODULES}
    # a package's __init__ re-exports lazily: at run time it imports only course_lib.core.exports
    for m, path in MODULES.items():
        if path.name == "__init__.py" and m != "course_lib":
            graph[m] = {t for t in graph[m] if t == "course_lib.core.exports"}
    state: dict[str, int] = {}
    stack: list[str] = []
    cycles = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append(stack[stack.index(nxt) :] + [nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m)
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_module_is_short(module):
    n = len(MODULES[module].read_text(encoding="utf-8").splitlines())
    assert n <= MAX_MODULE_LINES, (
        f"{module} has {n} lines (> {MAX_MODULE_LINES}): split it by "
        "concept, one concept per module"
    )


def code_lines(node: ast.AST, source_lines: list[str]) -> int:
    """Lines of code of a function: no blank lines, comments or docstring."""
    skip: set[int] = set()
    body = getattr(node, "body", [])
    if (
        body
        and isinstance(body[0], ast.Expr)
        and isinstance(getattr(body[0], "value", None), ast.Constant)
        and isinstance(body[0].value.value, str)
    ):
        skip.update(range(body[0].lineno, body[0].end_lineno + 1))
    count = 0
    for i in range(node.lineno, node.end_lineno + 1):
        text = source_lines[i - 1].strip()
        if i not in skip and text and not text.startswith("#"):
            count += 1
    return count


def test_code_lines_counts_code_only():
    src = (
        'def f(x):\n    """Doc.\n\n    More.\n    """\n    # a comment\n\n    y = x\n    return y\n'
    )
    fn = ast.parse(src).body[0]
    assert code_lines(fn, src.splitlines()) == 3


def test_functions_are_short():
    long = []
    for module, tree in TREES.items():
        lines = MODULES[module].read_text(encoding="utf-8").splitlines()
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = code_lines(node, lines)
                if n > MAX_FUNCTION_LINES and f"{module}.{node.name}" not in LONG_FUNCTION_ALLOWED:
                    long.append(f"{module}.{node.name} (line {node.lineno}): {n} lines of code")
    assert not long, f"functions over {MAX_FUNCTION_LINES} lines of code:\n" + "\n".join(long)


def _definitions() -> dict[str, list[str]]:
    defs = defaultdict(list)
    for module, tree in TREES.items():
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                defs[node.name].append(module)
    return defs


@pytest.mark.parametrize("name", SINGLE_DEFINITIONS)
def test_one_definition_of_each_concept(name):
    where = _definitions().get(name, [])
    assert len(where) <= 1, f"{name} is defined {len(where)} times: {where}; keep one and import it"


def test_public_names_are_defined_once():
    dup = {
        n: w
        for n, w in _definitions().items()
        if len(w) > 1 and not n.startswith("_") and n not in SHARED_PUBLIC
    }
    assert not dup, "public names defined in several modules: " + repr(dup)


def test_learning_rate_has_one_name():
    wrong = []
    for module, tree in TREES.items():
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                a = node.args
                names = [x.arg for x in a.posonlyargs + a.args + a.kwonlyargs]
                if "lr" in names:
                    wrong.append(f"{module}.{node.name}")
    assert not wrong, "parameters called `lr` (use `learning_rate`): " + ", ".join(wrong)


KERAS_INTERNALS = re.compile(
    r"\.(train_function|make_train_function|_trainable_variables|"
    r"optimizer\.clipnorm|optimizer\._\w+)\b"
)


def test_nothing_reaches_into_keras_internals_outside_the_models():
    wrong = []
    for module, path in MODULES.items():
        if module.startswith("course_lib.models"):
            continue
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if KERAS_INTERNALS.search(line):
                wrong.append(f"{module}:{i}: {line.strip()}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("layer", LAYERS)
def test_each_layer_re_exports_its_public_names(layer):
    import importlib

    package = importlib.import_module(f"course_lib.{layer}")
    if layer == "checks":
        return  # checks export check_N_M, tested elsewhere
    exported = set(package.__all__)
    for module in MODULES:
        if not module.startswith(f"course_lib.{layer}.") or module.count(".") != 2:
            continue
        names = [n for n in _all_of(module) if n not in SHARED_PUBLIC]
        missing = sorted(set(names) - exported)
        assert not missing, f"course_lib.{layer} does not re-export {missing} of {module}"


def _all_of(module: str) -> list[str]:
    for node in TREES[module].body:
        if isinstance(node, ast.Assign) and any(
            getattr(t, "id", None) == "__all__" for t in node.targets
        ):
            try:
                return list(ast.literal_eval(node.value))
            except ValueError:  # a package: __all__ = sorted(_EXPORTS)
                import importlib

                return list(importlib.import_module(module).__all__)
    return []


@pytest.mark.parametrize("layer", LAYERS)
def test_no_module_is_named_like_a_name_its_layer_exports(layer):
    """``course_lib.evaluation.prequential`` (a module) would hide the function of that
    name once the module is imported: Python sets the submodule as the package's attribute."""
    import importlib

    package = importlib.import_module(f"course_lib.{layer}")
    modules = {m.split(".")[2] for m in MODULES if m.startswith(f"course_lib.{layer}.")}
    clash = sorted(modules & set(getattr(package, "__all__", ())))
    assert not clash, f"course_lib.{layer}: modules named like exported names: {clash}"


def test_layer_packages_are_generated_and_up_to_date():
    """Each layer's __init__.py is what `course layers` writes from the modules' __all__."""
    from course_lib.tools.layers import generate

    stale = generate(check=True)
    assert not stale, f"stale: {[str(p) for p in stale]}; run `course layers`"


#: Errors raised directly, not through core.validation, because they are not about an
#: argument: a file's content, a JSON hook's contract, the grader's own control flow.
NOT_ARGUMENT_ERRORS = {
    "course_lib.core.validation": "the checker itself",
    "course_lib.models.rating_io": "json's default= hook must raise TypeError",
    "course_lib.tools.coursemap": "README.md lacks the course-map markers",
    "course_lib.tools.cloud": "pyproject.toml lacks [project.urls] Repository",
    "course_lib.tools.grading.grader": "no check cell: raised and caught inside the grader",
    "course_lib.tools.grading.reading": "the file is not a valid notebook",
    "course_lib.tools.bench_data": "the ratings CSV's content (header, cells, rows)",
}


def test_argument_errors_go_through_the_one_checker():
    """No module builds a ValueError/TypeError itself: core.validation words them all."""
    wrong = []
    for module, tree in TREES.items():
        if module in NOT_ARGUMENT_ERRORS:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
                name = getattr(node.exc.func, "id", None)
                if name in {"ValueError", "TypeError", "ArgumentTypeError"}:
                    wrong.append(f"{module}:{node.lineno} raises {name}(...) directly")
    assert not wrong, "use core.validation (check_* or argument_error):\n" + "\n".join(wrong)


def test_importing_course_lib_is_cheap():
    """`import course_lib` (every notebook's first import) loads neither numpy nor TensorFlow."""
    import subprocess
    import sys

    code = "import sys, course_lib; print('numpy' in sys.modules, 'tensorflow' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
