"""The package's layout keeps the data flow of docs/architecture.md: no upward import, no cycle.

Each private subpackage sits on a layer; a module may import its own
subpackage and the layers below it, never above. Imports made only for type
checking (under ``if TYPE_CHECKING:``) are exempt, as the architecture page says.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

import hf_api_governance

PACKAGE = Path(hf_api_governance.__file__).parent

# The layers of docs/architecture.md, lowest first.
LAYERS: dict[str, int] = {
    "exceptions": 0,
    "_base": 1,
    "_confidential": 2,
    "_model": 3,
    "_policy": 4,
    "_storage": 4,
    "_audit": 5,
    "_client": 5,
    "_defaults": 5,
    "_registry": 6,
    "_facade": 7,
    "_migrate": 7,
    "_report": 7,
    "_cli": 8,
    "testing": 8,
    "strategies": 8,
    "testing_plugin": 9,
    "__init__": 10,
    "__main__": 10,
}


def _modules() -> Iterator[tuple[str, Path]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]  # a package is known by its own name
        yield ".".join(parts), path


_MODULE_NAMES = frozenset(module for module, _ in _modules())


def _unit(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"  # the package's own __init__


def _runtime_imports(path: Path) -> Iterator[tuple[str, bool]]:
    """Yield (imported module, at top level) for every import not under TYPE_CHECKING."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    type_only: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            type_only.update(id(n) for n in ast.walk(node))
    top = {id(n) for n in tree.body}
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "hf_api_governance":
                # "from hf_api_governance import x": x is a submodule or a name of __init__
                for alias in node.names:
                    named = f"hf_api_governance.{alias.name}"
                    yield named if named in _MODULE_NAMES else "hf_api_governance", id(node) in top
            elif node.module.startswith("hf_api_governance."):
                yield node.module, id(node) in top
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("hf_api_governance."):
                    yield alias.name, id(node) in top


def test_every_part_of_the_package_has_a_layer() -> None:
    units = {_unit(module) for module, _ in _modules()}
    assert units <= set(LAYERS), (
        f"place these in LAYERS and docs/architecture.md: {units - set(LAYERS)}"
    )


@pytest.mark.parametrize("module", [module for module, _ in _modules()])
def test_no_module_imports_a_higher_layer(module: str) -> None:
    path = dict(_modules())[module]
    here = _unit(module)
    upward = sorted(
        target
        for target, _ in _runtime_imports(path)
        if _unit(target) in LAYERS and LAYERS[_unit(target)] > LAYERS[here]
    )
    assert upward == [], f"{module} (layer {LAYERS[here]}) imports upwards: {upward}"


def test_top_level_imports_form_no_cycle() -> None:
    graph: dict[str, set[str]] = {}
    names = {module for module, _ in _modules()}
    for module, path in _modules():
        graph[module] = set()
        for target, top in _runtime_imports(path):
            while target not in names and "." in target:
                target = target.rsplit(".", 1)[0]  # a name imported from a module
            if top and target != module:
                graph[module].add(target)
    seen: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        seen[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if seen.get(nxt) == 1:
                cycle = [*stack[stack.index(nxt) :], nxt]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if nxt not in seen:
                visit(nxt)
        stack.pop()
        seen[node] = 2

    for node in sorted(graph):
        if node not in seen:
            visit(node)


def test_the_architecture_page_names_every_subpackage() -> None:
    page = (Path(__file__).parent.parent / "docs" / "architecture.md").read_text(encoding="utf-8")
    for unit in LAYERS:
        if unit.startswith("_") and not unit.startswith("__"):
            assert f"`{unit}" in page, f"docs/architecture.md does not describe {unit}"
