"""The house rules of the package, checked on its source: layers, no cycles, short modules.

Sub-packages are layered by job; a module may import its own layer and the layers below
it, never one above (the order is written once, here and in README's layout table).
Imports only for type checkers (``if TYPE_CHECKING:``) do not count: they never run.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from programme_monitoring.settings import PROJECT_ROOT

PACKAGE_DIR = PROJECT_ROOT / "include" / "programme_monitoring"
# Lower number = lower layer. Equal numbers may not import each other (intake, urs and sources are siblings).
LAYERS = {
    "settings": 0,
    "atomic_files": 0,
    "process_memory": 0,
    "reference": 1,
    "report_format": 2,
    "quality": 3,
    "warehouse": 4,
    "intake": 5,
    "urs": 5,
    "sources": 5,
    "dev": 6,
    "publishing": 7,
    "orchestration": 8,
    "cli": 9,
    "__main__": 10,
}
MAX_LINES = 500
LONG_MODULE_REASON = "Longer than 500 lines because"


def _modules() -> dict[str, Path]:
    return {
        ".".join(path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts).removesuffix(".__init__"): path
        for path in sorted(PACKAGE_DIR.rglob("*.py"))
    }


def _type_checking_only(node: ast.If) -> bool:
    return isinstance(node.test, ast.Name | ast.Attribute) and "TYPE_CHECKING" in ast.unparse(node.test)


def _imports(path: Path, module_level_only: bool) -> set[str]:
    """Modules of the package that ``path`` imports (at run time)."""
    found: set[str] = set()

    def visit(node: ast.AST, top: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _type_checking_only(child):
                continue
            if isinstance(child, ast.ImportFrom) and (child.module or "").startswith("programme_monitoring"):
                if top or not module_level_only:
                    found.add(child.module)
                    found.update(f"{child.module}.{alias.name}" for alias in child.names)
            elif isinstance(child, ast.Import):
                if top or not module_level_only:
                    found.update(a.name for a in child.names if a.name.startswith("programme_monitoring"))
            is_scope = isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
            visit(child, top and not is_scope)

    visit(ast.parse(path.read_text(encoding="utf-8")), True)
    modules = _modules()
    return {name for name in found if name in modules}


def _layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "settings"


def test_every_sub_package_has_a_layer():
    assert {_layer(m) for m in _modules()} - {"programme_monitoring"} <= set(LAYERS)


@pytest.mark.parametrize("module", sorted(_modules()))
def test_nothing_imports_a_layer_above_its_own(module):
    own = _layer(module)
    upward = [
        target
        for target in _imports(_modules()[module], module_level_only=False)
        if _layer(target) != own and LAYERS[_layer(target)] >= LAYERS[own]
    ]
    assert not upward, f"{module} ({own}) imports {upward}: move the shared piece down a layer"


def test_no_import_cycle_between_modules():
    modules = _modules()
    graph = {m: _imports(p, module_level_only=True) - {m} for m, p in modules.items()}
    # a package's __init__ is imported with any of its modules: an edge to it is an edge to that file
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def walk(node: str, stack: list[str]) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append(stack[stack.index(nxt) :] + [nxt])
            elif nxt not in state:
                walk(nxt, stack)
        stack.pop()
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            walk(name, [])
    assert not cycles, f"import cycles: {cycles}"


@pytest.mark.parametrize("module", sorted(_modules()))
def test_a_module_over_500_lines_says_why_at_its_top(module):
    text = _modules()[module].read_text(encoding="utf-8")
    if text.count("\n") > MAX_LINES:
        assert LONG_MODULE_REASON in text[:3000], f"{module} is long: split it or say why at its top"


def test_every_sub_package_says_what_lives_there():
    for init in PACKAGE_DIR.rglob("__init__.py"):
        if init.parent == PACKAGE_DIR:
            continue
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert doc and len(doc) > 80, f"{init.relative_to(PROJECT_ROOT)} needs a docstring: what lives here"
