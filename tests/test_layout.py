"""The package's shape, checked: file sizes, names a reader can guess, and imports that point one way.

A module imports what it uses at its top. An import of the package's own modules inside a function
is a dependency running up the layers; each one that remains is listed in ``LATE_IMPORTS`` with the
cycle that forces it, so a new one is a visible decision (this test fails until it is listed).
"""
from __future__ import annotations

import ast
import pathlib

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "kittygrad"
MAX_LINES = 1000
VAGUE_NAMES = ("more_", "_extra", "misc")


def _modules():
    return sorted(p for p in PACKAGE.rglob("*.py") if "examples" not in p.parts)


def _rel(path: pathlib.Path) -> str:
    return path.relative_to(PACKAGE.parent).as_posix()


def test_no_module_is_over_a_thousand_lines():
    long = {_rel(p): n for p in _modules() if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert not long, f"split these by family: {long}"


def test_module_names_say_what_they_hold():
    vague = [_rel(p) for p in _modules() if any(v in p.stem for v in VAGUE_NAMES)]
    assert not vague, f"name these by what they hold: {vague}"


def _own_module(node: ast.ImportFrom | ast.Import) -> bool:
    if isinstance(node, ast.ImportFrom):
        return node.level > 0 or (node.module or "").split(".")[0] == "kittygrad"
    return any(a.name.split(".")[0] == "kittygrad" for a in node.names)


def late_imports() -> dict[str, list[str]]:
    """``{"file:function": [imported module, ...]}`` for imports of kittygrad modules inside functions."""
    found: dict[str, list[str]] = {}
    for path in _modules():
        tree = ast.parse(path.read_text())
        for fn in ast.walk(tree):
            if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(fn):
                if isinstance(node, (ast.Import, ast.ImportFrom)) and _own_module(node):
                    what = ("." * node.level + (node.module or "")) if isinstance(node, ast.ImportFrom) else \
                        node.names[0].name
                    found.setdefault(f"{_rel(path)}:{fn.name}", []).append(what)
    return found


#: every late import of the package's own modules, with the cycle that forces it
LATE_IMPORTS: dict[str, str] = {
    "kittygrad/autograd/graph_array.py:_k": "double backward runs backward formulas on Tensors through the whole "
    "op library, and the ops are built on autograd (ops -> autograd)",
    "kittygrad/tensor.py:_creation": "Tensor.new_* call the factories, and the factories build Tensors "
    "(creation -> tensor)",
}


def test_late_imports_are_few_and_each_has_a_reason():
    found = late_imports()
    unlisted = sorted(set(found) - set(LATE_IMPORTS))
    assert not unlisted, "late imports without a listed reason (import at the top, or list the cycle): " + \
        ", ".join(f"{k} -> {found[k]}" for k in unlisted)
    stale = sorted(set(LATE_IMPORTS) - set(found))
    assert not stale, f"listed late imports that no longer exist: {stale}"
    assert sum(len(v) for v in found.values()) <= 25


def import_graph() -> dict[str, set[str]]:
    """``{module: {module it imports at its top, ...}}`` over the package's own modules."""
    modules = {}
    for path in _modules():
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        modules[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    graph = {}
    for name, (path, is_package) in modules.items():
        here = name.split(".") if is_package else name.split(".")[:-1]
        deps = set()
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.Import):
                deps |= {a.name for a in node.names if a.name in modules}
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = ".".join(here[: len(here) - node.level + 1] + ([node.module] if node.module else []))
                else:
                    base = node.module or ""
                for alias in node.names:
                    full = f"{base}.{alias.name}"
                    deps.add(full if full in modules else base)
        graph[name] = {d for d in deps if d in modules and d != name}
    return graph


def test_module_imports_form_no_cycle():
    graph = import_graph()
    state: dict[str, int] = {}

    def visit(module, path):
        state[module] = 1
        for dep in sorted(graph[module]):
            if state.get(dep) == 1:
                raise AssertionError("import cycle: " + " -> ".join(path[path.index(dep):] + [dep]))
            if not state.get(dep):
                visit(dep, path + [dep])
        state[module] = 2

    for module in sorted(graph):
        if not state.get(module):
            visit(module, [module])


#: what each layer must not import at its top (the layering is
#: backend -> autograd core -> ops -> tensor -> nn.functional -> nn -> optim / utils)
LAYERS = {
    "kittygrad.backend": ("kittygrad.",),
    "kittygrad.autograd.engine": ("kittygrad.ops", "kittygrad.tensor", "kittygrad.creation", "kittygrad.nn"),
    "kittygrad.autograd.function": ("kittygrad.ops", "kittygrad.tensor", "kittygrad.creation", "kittygrad.nn"),
    "kittygrad.autograd.graph_array": ("kittygrad.ops", "kittygrad.tensor", "kittygrad.creation", "kittygrad.nn"),
    "kittygrad.autograd.gradients": ("kittygrad.ops", "kittygrad.tensor", "kittygrad.creation", "kittygrad.nn"),
    "kittygrad.ops": ("kittygrad.tensor", "kittygrad.creation", "kittygrad.nn", "kittygrad.optim", "kittygrad.utils"),
    "kittygrad.nn": ("kittygrad.optim", "kittygrad.utils.data"),
}


def test_dependencies_point_one_way():
    wrong = []
    for module, deps in import_graph().items():
        for layer, banned in LAYERS.items():
            if module == layer or module.startswith(layer + "."):
                wrong += [f"{module} -> {d}" for d in deps if d.startswith(banned)]
    assert not wrong, "imports running up the layers: " + ", ".join(sorted(wrong))
