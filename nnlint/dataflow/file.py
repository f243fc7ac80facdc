"""Dataflow: the flows of one file's scopes and the attribute kinds of its classes, made on
demand and kept for the file (see nnlint.dataflow.local_kinds)."""

from __future__ import annotations

from typing import Dict, Optional, Set, Tuple

import libcst as cst

from nnlint.context import ClassInfo
from nnlint.dataflow.classes import ClassFacts
from nnlint.dataflow.flow import Flow
from nnlint.dataflow.lattice import BOTTOM, NOT_LOCAL, Kind, Scope, known
from nnlint.tree import children, first_param_name


class Dataflow(ClassFacts):
    """Flows of a file's scopes and the attribute kinds of its classes, made on demand."""

    def __init__(self, context):
        super().__init__()
        self.context = context
        # Most files have no `:=` or `yield`: skip looking for them statement by statement.
        self.has_walrus = ":=" in context.source
        self.has_yield = "yield" in context.source
        self._flows: Dict[Scope, Flow] = {}
        self._computing: Set[Scope] = set()
        self._used_pending = False  # set when an answer came from a provisional attribute map
        self._parents: Optional[Dict[cst.FunctionDef, Tuple[Scope, Optional[ClassInfo]]]] = None

    # ----- scopes ------------------------------------------------------------------------------
    def _index(self) -> Dict[cst.FunctionDef, Tuple[Scope, Optional[ClassInfo]]]:
        """Each function's enclosing scope (for free names) and, for a method, its class."""
        if self._parents is None:
            parents: Dict[cst.FunctionDef, Tuple[Scope, Optional[ClassInfo]]] = {}
            stack: list = [(self.context.module, self.context.module, None)]
            while stack:
                node, scope, klass = stack.pop()
                for child in children(node):
                    if isinstance(child, cst.FunctionDef):
                        parents[child] = (scope, klass)
                        stack.append((child.body, child, None))
                    elif isinstance(child, cst.ClassDef):
                        stack.append((child.body, scope, self.context.classes.get(child)))
                    elif not isinstance(child, (cst.SimpleStatementLine, cst.BaseExpression,
                                                cst.Decorator, cst.Parameters)):
                        stack.append((child, scope, klass))
            self._parents = parents
        return self._parents

    def class_of(self, function: cst.FunctionDef) -> Optional[ClassInfo]:
        entry = self._index().get(function)
        return entry[1] if entry is not None else None

    def flow(self, scope: Scope) -> Flow:
        """The flow of `scope`. A flow that read a class's attribute kinds while they were still
        being worked out depends on a provisional answer: it is made but not kept."""
        found = self._flows.get(scope)
        if found is None:
            klass = self.class_of(scope) if isinstance(scope, cst.FunctionDef) else None
            if klass is not None and first_param_name(scope) is not None:
                getter = self._attr_getter(klass)
            else:
                getter = _no_attrs
            outer_used, self._used_pending = self._used_pending, False
            self._computing.add(scope)
            try:
                found = Flow(self, scope, klass, getter)
            finally:
                self._computing.discard(scope)
                used, self._used_pending = self._used_pending, outer_used or self._used_pending
            if not used:
                self._flows[scope] = found
        return found

    def outer_kind(self, scope: Scope, name: str):
        """A free name of `scope`: what the enclosing scopes bind it to, all bindings joined."""
        if isinstance(scope, cst.Module):
            return NOT_LOCAL
        entry = self._index().get(scope)
        if entry is None:
            return NOT_LOCAL
        parent = entry[0]
        if parent in self._computing:
            return None
        parent_flow = self.flow(parent)
        if name in parent_flow.params:
            return parent_flow.params[name]
        if name in parent_flow.locals:
            return known(parent_flow.bound.get(name, BOTTOM))
        return self.outer_kind(parent, name)


def _no_attrs(_attr: str) -> Optional[Kind]:
    return None
