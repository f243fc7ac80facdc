"""The house plan (docs/ARCHITECTURE.md) holds: nnlint's modules import one another one way only.

Read statically with ast, so a lazy import inside a function counts (it is still a circle in
the design); imports under `if TYPE_CHECKING:` do not (they never run).
"""

import ast
from pathlib import Path
from typing import Dict, List, Set

PACKAGE = Path(__file__).resolve().parent.parent / "nnlint"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _type_checking_only(node: ast.AST) -> bool:
    test = node.test if isinstance(node, ast.If) else None
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or \
        (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.Module, this: str, is_package: bool, modules: Set[str]) -> Set[str]:
    found = set()
    stack: List[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if _type_checking_only(node):
            stack += node.orelse
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = this.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            for alias in node.names:  # `from nnlint import torch_api` imports a module
                found.add(f"{source}.{alias.name}" if f"{source}.{alias.name}" in modules else source)
        stack.extend(ast.iter_child_nodes(node))
    return {name for name in found if name in modules and name != this}


def import_graph() -> Dict[str, Set[str]]:
    paths = sorted(PACKAGE.rglob("*.py"))
    modules = {_module_name(path) for path in paths}
    return {
        _module_name(path): _imports(ast.parse(path.read_text(encoding="utf-8")), _module_name(path),
                                     path.name == "__init__.py", modules)
        for path in paths
    }


def cycles(graph: Dict[str, Set[str]]) -> List[List[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index: Dict[str, int] = {}
    low: Dict[str, int] = {}
    stack: List[str] = []
    on_stack: Set[str] = set()
    found: List[List[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycle_among_nnlint_modules():
    assert cycles(import_graph()) == []


def test_the_graph_is_read_right():
    graph = import_graph()
    assert "nnlint.tree" in graph["nnlint.context"]
    assert "nnlint.context" in graph["nnlint.dataflow.flow"]
    assert "nnlint.dataflow" in graph["nnlint.rules.nn105_tensor_attribute_not_buffer"]
    assert "nnlint.torch_api" in graph["nnlint.context"]  # `from nnlint import torch_api`
    assert "nnlint.check" in graph["nnlint.cli"]  # a lazy import inside main() counts
    assert "nnlint.dataflow.file" not in graph["nnlint.dataflow.flow"]  # under TYPE_CHECKING only
    # the dataflow is computed from a context, never owned by it
    assert not any(name.startswith("nnlint.dataflow") for name in graph["nnlint.context"])


def test_a_circle_is_found():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
