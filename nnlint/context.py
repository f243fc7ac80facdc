"""What every rule needs to know about a file, computed once per file.

- the alias table: which local name stands for which qualified name (`nn` -> `torch.nn`), built
  from the file's imports and simple module-level assignments in one statement-level walk (no
  scope analysis: LibCST's QualifiedNameProvider costs several times the parse itself);
- the classes of the file and which of them are `nn.Module`s, however torch was imported;
- where the visitor is (class, method) while the rules run;
- source positions, resolved lazily: only files with findings pay for them.
"""

from __future__ import annotations

import builtins
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Dict, Iterator, List, Optional, Sequence, Set, Tuple, TypeVar, Union

import libcst as cst
from libcst.metadata import CodeRange

from nnlint import torch_api
from nnlint.positions import Positions
from nnlint.tree import concrete_types, dotted_name, first_param_name, iter_nodes

if TYPE_CHECKING:
    from nnlint.project import ClassFacts, ProjectIndex
    from nnlint.requirements import TorchRange

_BUILTINS = frozenset(dir(builtins))

Scope = Union[cst.ClassDef, cst.FunctionDef]
T = TypeVar("T")


@dataclass(eq=False)
class ClassInfo:
    node: cst.ClassDef
    name: str
    base_names: List[Optional[str]]  # qualified (or local class) name of each base, None if unknown
    methods: Dict[str, cst.FunctionDef] = field(default_factory=dict)
    is_module: bool = False
    nodes_in: Optional[Callable] = field(default=None, repr=False)  # FileContext.nodes_in

    def methods_called_from(self, entry: str) -> Set[str]:
        """`entry` and the methods of this class it reaches through `self.method(...)` calls."""
        nodes_in = self.nodes_in or iter_nodes
        reached: Set[str] = set()
        todo = [entry]
        while todo:
            name = todo.pop()
            if name in reached or name not in self.methods:
                continue
            reached.add(name)
            method = self.methods[name]
            self_name = first_param_name(method)
            if self_name is None:
                continue
            for call in nodes_in(method, cst.Call):
                func = call.func
                if (isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name)
                        and func.value.value == self_name):
                    todo.append(func.attr.value)
        return reached


def _module_name(node: Optional[Union[cst.Attribute, cst.Name]]) -> str:
    return dotted_name(node) if node is not None else ""


class FileContext:
    def __init__(self, path: str, source: str, module: cst.Module,
                 project: Optional["ProjectIndex"] = None):
        self.path = path
        self.source = source
        self.module = module
        # What the other files of the project say (nnlint.project); None: this text alone.
        self.project = project
        self._project_classes: Dict[str, "ClassFacts"] = {}
        self.bindings: Dict[str, List[str]] = {}
        self.star_imports: List[str] = []  # `from .layers import *`: ".layers"
        self.classes: Dict[cst.ClassDef, ClassInfo] = {}
        self.classes_by_name: Dict[str, ClassInfo] = {}
        self.scope: List[Scope] = []  # maintained by the engine while rules visit
        # Every node of each function, in source order, recorded by the engine's single walk;
        # complete once the walk has left the function (see nodes_in).
        self.function_nodes: Dict[cst.FunctionDef, list] = {}
        self.walked_functions: Set[cst.FunctionDef] = set()
        self._positions: Optional[Positions] = None
        self._derived: Dict[Callable, object] = {}  # see derived()
        self._collect(module.body, module_level=True)
        self._resolve_module_classes()

    def nodes_in(self, root, node_type) -> Iterator:
        """Like iter_nodes, from the walk's record when `root` is a function already walked
        (class-level rules run at leave_ClassDef, when every method has been)."""
        if root in self.walked_functions:
            wanted = concrete_types(node_type)
            return (node for node in self.function_nodes[root] if type(node) in wanted)
        return iter_nodes(root, node_type)

    # ----- the alias table -------------------------------------------------------------------
    def _bind(self, name: str, qualified: str) -> None:
        self.bindings.setdefault(name, []).append(qualified)

    def _collect(self, body: Sequence[cst.CSTNode], module_level: bool) -> None:
        """A statement-level walk: imports anywhere, classes anywhere, assignments at top level."""
        for stmt in body:
            if isinstance(stmt, cst.SimpleStatementLine):
                for small in stmt.body:
                    self._collect_small(small, module_level)
            elif isinstance(stmt, cst.ClassDef):
                self._add_class(stmt)
                self._collect(_block(stmt.body), module_level=False)
            elif isinstance(stmt, cst.FunctionDef):
                self._collect(_block(stmt.body), module_level=False)
            elif isinstance(stmt, (cst.If, cst.Try, cst.TryStar, cst.With, cst.For, cst.While)):
                for block in _blocks_of(stmt):
                    self._collect(block, module_level)

    def _collect_small(self, small: cst.BaseSmallStatement, module_level: bool) -> None:
        if isinstance(small, cst.Import):
            for alias in small.names:
                full = _module_name(alias.name)
                if alias.asname is not None:
                    self._bind(alias.asname.name.value, full)
                else:
                    root = full.split(".")[0]
                    self._bind(root, root)
        elif isinstance(small, cst.ImportFrom):
            base = "." * len(small.relative) + _module_name(small.module)
            if isinstance(small.names, cst.ImportStar):
                self.star_imports.append(base)
                return
            for alias in small.names:
                name = _module_name(alias.name)
                local = alias.asname.name.value if alias.asname is not None else name
                sep = "" if base.endswith(".") else "."
                self._bind(local, f"{base}{sep}{name}")
        elif module_level and isinstance(small, cst.Assign) and len(small.targets) == 1:
            target = small.targets[0].target
            if isinstance(target, cst.Name):
                qualified = self.qualified_name(small.value)
                if qualified and qualified != target.value:
                    self._bind(target.value, qualified)

    def qualified_name(self, expr: cst.BaseExpression) -> Optional[str]:
        """`torch.nn.functional.dropout` for `F.dropout` after `import torch.nn.functional as F`.

        Builtins resolve to `builtins.X`; local classes to their own name; anything else
        (locals, attributes of unknown objects) to None.
        """
        if isinstance(expr, cst.Name):
            bound = self.bindings.get(expr.value)
            if bound:
                return bound[0]
            if expr.value in self.classes_by_name:
                return expr.value
            if expr.value in _BUILTINS:
                return f"builtins.{expr.value}"
            return None
        if isinstance(expr, cst.Attribute):
            base = self.qualified_name(expr.value)
            return f"{base}.{expr.attr.value}" if base else None
        return None

    def spell(self, qualified: str) -> Optional[str]:
        """The shortest expression that names `qualified` with the file's own imports, or None."""
        best = None
        for name, targets in self.bindings.items():
            target = targets[0]
            if qualified == target or qualified.startswith(target + "."):
                candidate = name + qualified[len(target):]
                if best is None or len(candidate) < len(best):
                    best = candidate
        return best

    def spell_or_import(self, qualified: str) -> Optional[Tuple[str, Tuple[Tuple[str, str], ...]]]:
        """How a fix names `qualified`: (spelling, imports to add). The file's own imports when
        they can (`nn.ModuleList`, no import), else `from torch.nn import ModuleList` and
        `ModuleList`; None when that name already appears anywhere in the file's text (a local
        of that name, a comment mentioning it: never risk shadowing)."""
        spelled = self.spell(qualified)
        if spelled is not None:
            return spelled, ()
        module, _, name = qualified.rpartition(".")
        if not module or re.search(rf"\b{re.escape(name)}\b", self.source):
            return None
        return name, ((module, name),)

    # ----- classes -----------------------------------------------------------------------------
    def _add_class(self, node: cst.ClassDef) -> None:
        info = ClassInfo(
            node=node,
            name=node.name.value,
            base_names=[self._base_name(arg.value) for arg in node.bases if arg.keyword is None],
            methods={s.name.value: s for s in _block(node.body) if isinstance(s, cst.FunctionDef)},
            nodes_in=self.nodes_in,
        )
        self.classes[node] = info
        self.classes_by_name.setdefault(info.name, info)

    def _base_name(self, expr: cst.BaseExpression) -> Optional[str]:
        if isinstance(expr, cst.Subscript):  # Generic[...]-style bases: look at the value
            expr = expr.value
        if isinstance(expr, cst.Name) and expr.value not in self.bindings:
            return expr.value  # a class of this file, or unknown
        qualified = self.qualified_name(expr)
        if qualified is None and self.star_imports:  # `nn.Module`, `nn` from `from .parts import *`
            return dotted_name(expr)
        return qualified

    def _resolve_module_classes(self) -> None:
        resolved: Dict[str, bool] = {}

        def is_module(info: ClassInfo, seen: Set[str]) -> bool:
            if info.name in resolved:
                return resolved[info.name]
            seen = seen | {info.name}
            answer = False
            for base in info.base_names:
                if base is None:
                    continue
                if torch_api.is_module_class(base):
                    answer = True
                elif base in self.classes_by_name and base not in seen:
                    answer = is_module(self.classes_by_name[base], seen)
                elif base not in self.classes_by_name:  # imported, or from a star import
                    answer = bool(self.project_class(base).is_module)
                if answer:
                    break
            resolved[info.name] = answer
            return answer

        for info in self.classes.values():
            info.is_module = is_module(info, set())

    def project_class(self, name: str) -> "ClassFacts":
        """What the project knows of the class `name` names in this file: a qualified name
        (`.layers.Block`, `pkg.nets.Net`) or a plain name the alias table does not know (from
        a star import). UNKNOWN without a project to ask."""
        found = self._project_classes.get(name)
        if found is None:
            from nnlint.project import UNKNOWN

            if self.project is None:
                found = UNKNOWN
            elif "." in name:
                found = self.project.class_facts(name, self.path)
                if found is UNKNOWN and self.star_imports and name.split(".")[0] not in self.bindings:
                    # `nn.Module` where `nn` came with `from .parts import *` (milesial/Pytorch-UNet)
                    found = self.project.class_facts_in_file(name, self.path)
            elif self.star_imports and name not in _BUILTINS:
                found = self.project.class_facts_in_file(name, self.path)
            else:
                found = UNKNOWN
            self._project_classes[name] = found
        return found

    def declared_torch(self) -> Optional["TorchRange"]:
        """The torch versions the project supports (config or metadata), None when unknown."""
        return self.project.torch_range(self.path) if self.project is not None else None

    @property
    def module_classes(self) -> List[ClassInfo]:
        return [info for info in self.classes.values() if info.is_module]

    def builds_module(self, call: cst.Call) -> Optional[str]:
        """The class name if `call` constructs a torch Module, a Module class of this file, or
        one imported from another file of the project (its name as imported)."""
        qualified = self.qualified_name(call.func)
        if torch_api.is_module_class(qualified):
            return "nn." + qualified.rsplit(".", 1)[1]
        info = self.classes_by_name.get(qualified or "")
        if info is not None:
            return info.name if info.is_module else None
        name = qualified.rsplit(".", 1)[1] if qualified and "." in qualified else ""
        # CapWords names only (PEP 8's classes): most calls are functions, not worth a lookup
        if name[:1].isupper() and not qualified.startswith(("torch.", "builtins.")) \
                and self.project_class(qualified).is_module:
            return name
        return None

    def builds_parameter(self, call: cst.Call) -> bool:
        return torch_api.is_parameter_class(self.qualified_name(call.func))

    # ----- where the visitor is ------------------------------------------------------------------
    @property
    def enclosing_class(self) -> Optional[ClassInfo]:
        for node in reversed(self.scope):
            if isinstance(node, cst.ClassDef):
                return self.classes.get(node)
        return None

    @property
    def enclosing_module_class(self) -> Optional[ClassInfo]:
        info = self.enclosing_class
        return info if info is not None and info.is_module else None

    @property
    def current_method(self) -> Optional[cst.FunctionDef]:
        """The method of the innermost class that encloses the visitor (through nested defs)."""
        for i in range(len(self.scope) - 1, -1, -1):
            if isinstance(self.scope[i], cst.ClassDef):
                following = self.scope[i + 1] if i + 1 < len(self.scope) else None
                return following if isinstance(following, cst.FunctionDef) else None
        return None

    @property
    def self_name(self) -> Optional[str]:
        method = self.current_method
        return first_param_name(method) if method is not None else None

    def is_self(self, expr: cst.BaseExpression) -> bool:
        name = self.self_name
        return name is not None and isinstance(expr, cst.Name) and expr.value == name

    @property
    def current_function(self) -> Optional[cst.FunctionDef]:
        """The innermost function around the visitor (None at module level or in a class body)."""
        for node in reversed(self.scope):
            if isinstance(node, cst.FunctionDef):
                return node
        return None

    # ----- facts other modules derive from this file -----------------------------------------------
    def derived(self, make: Callable[["FileContext"], T]) -> T:
        """`make(self)`, computed once per file when first asked (the dataflow, a parent map):
        the context keeps such facts without knowing what they are."""
        found = self._derived.get(make)
        if found is None:
            found = self._derived[make] = make(self)
        return found

    # ----- positions -----------------------------------------------------------------------------
    @property
    def positions(self) -> Positions:
        if self._positions is None:
            self._positions = Positions(self.module)
        return self._positions

    def position(self, node: cst.CSTNode) -> CodeRange:
        return self.positions[node]


def _block(body: cst.BaseSuite) -> Sequence[cst.CSTNode]:
    return body.body if isinstance(body, cst.IndentedBlock) else ()


def _blocks_of(stmt: cst.CSTNode) -> Iterator[Sequence[cst.CSTNode]]:
    yield _block(stmt.body)
    if isinstance(stmt, (cst.Try, cst.TryStar)):
        for handler in stmt.handlers:
            yield _block(handler.body)
        if stmt.finalbody is not None:
            yield _block(stmt.finalbody.body)
    orelse = getattr(stmt, "orelse", None)
    while orelse is not None:
        yield _block(orelse.body)
        orelse = getattr(orelse, "orelse", None) if isinstance(orelse, cst.If) else None
