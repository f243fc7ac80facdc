"""Dataflow: the flows of one file's scopes and the attribute kinds of its classes, made on
demand and kept for the file (see nnlint.dataflow.local_kinds)."""

from __future__ import annotations

from collections import Counter
from typing import Dict, List, Optional, Set, Tuple

import libcst as cst

from nnlint.context import ClassInfo
from nnlint.dataflow.annotations import annotated
from nnlint.dataflow.classes import ClassFacts
from nnlint.dataflow.flow import Flow
from nnlint.dataflow.lattice import BOTTOM, NOT_LOCAL, Kind, Scope, Value, join, known
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
        self._base_flows: Dict[Scope, Flow] = {}
        self._computing_base: Set[Scope] = set()
        self._returns: Dict[cst.FunctionDef, Value] = {}
        self._arguments: Dict[cst.FunctionDef, Dict[str, Value]] = {}
        self._sites: Optional[Dict[str, List[Tuple[cst.Call, Scope]]]] = None
        self._references: Optional[Counter] = None
        # the module-level functions of the file, by name: factories and call-site typing look here
        self.functions: Dict[str, cst.FunctionDef] = {
            s.name.value: s for s in context.module.body if isinstance(s, cst.FunctionDef)}

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

    def base_flow(self, scope: Scope) -> Flow:
        """The flow of `scope` with its parameters typed by annotations only: what the callers'
        arguments are evaluated with (one level of call sites, so no call cycle)."""
        if scope in self._arguments and not self._arguments[scope] or not self._typeable(scope):
            return self.flow(scope)
        found = self._base_flows.get(scope)
        if found is None:
            klass = self.class_of(scope) if isinstance(scope, cst.FunctionDef) else None
            getter = self._attr_getter(klass) if klass is not None and first_param_name(scope) else _no_attrs
            outer_used, self._used_pending = self._used_pending, False
            self._computing_base.add(scope)
            try:
                found = Flow(self, scope, klass, getter, typed=False)
            finally:
                self._computing_base.discard(scope)
                used, self._used_pending = self._used_pending, outer_used or self._used_pending
            if not used:
                self._base_flows[scope] = found
        return found

    def function_returns(self, function: cst.FunctionDef) -> Value:
        """What calling a function of the file returns: its return annotation, else the join of
        its `return`s, followed with its parameters as annotated (its base flow: what a call
        returns never waits for the flows of the function's callers); None in a recursion."""
        if function.returns is not None:
            promised = annotated(self.context, function.returns.annotation)
            if promised is not None:
                return promised
        if function in self._returns:
            return self._returns[function]
        if function in self._computing or function in self._computing_base:
            return None
        outer_used, self._used_pending = self._used_pending, False
        try:
            value = known(self.base_flow(function).returns)
        finally:
            used, self._used_pending = self._used_pending, outer_used or self._used_pending
        if not used:
            self._returns[function] = value
        return value

    # ----- parameters typed from the calls of the file ----------------------------------------
    def _typeable(self, scope: Scope) -> bool:
        """A module-level function, or a class's `__init__` (typed from `Cls(...)`), with an
        unannotated parameter."""
        if not isinstance(scope, cst.FunctionDef):
            return False
        params = scope.params
        if not any(p.annotation is None for p in (*params.posonly_params, *params.params, *params.kwonly_params)):
            return False
        if self.functions.get(scope.name.value) is scope:
            return True
        klass = self.class_of(scope)
        return scope.name.value == "__init__" and klass is not None and klass.methods.get("__init__") is scope \
            and not any(klass.name in other.base_names for other in self.context.classes.values())

    def argument_kinds(self, function: cst.FunctionDef) -> Dict[str, Value]:
        """param -> the join of the arguments every call of `function` in the file passes to it
        (`train(model, loader, opt)`, `Trainer(net, opt)` for `__init__`); empty when the file
        never calls it, or uses it other than by calling it (a callback could get anything).
        The arguments are evaluated with the callers' base flows (see base_flow)."""
        found = self._arguments.get(function)
        if found is not None:
            return found
        if not self._typeable(function):
            self._arguments[function] = {}
            return {}
        method = self.functions.get(function.name.value) is not function  # a class's __init__
        name = self.class_of(function).name if method else function.name.value
        sites = self._call_sites().get(name, [])
        params = [p for p in (*function.params.posonly_params, *function.params.params)]
        if method:
            params = params[1:]
        keywords = {p.name.value for p in (*params, *function.params.kwonly_params)}
        result: Dict[str, Value] = {}
        if not sites or self._references[name] > len(sites):
            self._arguments[function] = {}
            return {}
        provisional = False
        for call, caller in sites:
            if caller is function:
                continue  # a recursive call passes on what the function was given
            if caller in self._computing_base or caller in self._computing:
                self._used_pending = provisional = True
                result = {}
                break
            flow = self.base_flow(caller)
            passed: Dict[str, Value] = {}
            position = 0
            for arg in call.args:
                if arg.star:
                    passed = None
                    break
                if arg.keyword is None:
                    if position < len(params):
                        passed[params[position].name.value] = flow.kind(arg.value)
                    position += 1
                elif arg.keyword.value in keywords:
                    passed[arg.keyword.value] = flow.kind(arg.value)
            if passed is None:
                result = {}
                break
            for param in keywords:
                result[param] = join(result.get(param, BOTTOM), passed.get(param))
        if not provisional:
            self._arguments[function] = result
        return result

    def _call_sites(self) -> Dict[str, List[Tuple[cst.Call, Scope]]]:
        """name -> (call, the scope it is in) for every call of a plain name in the file; and
        how often each name is read at all (self._references), to tell callbacks apart."""
        if self._sites is None:
            sites: Dict[str, List[Tuple[cst.Call, Scope]]] = {}
            references: Counter = Counter()
            stack: list = [(self.context.module, self.context.module)]
            while stack:
                node, scope = stack.pop()
                kind = type(node)
                if kind is cst.Name:
                    references[node.value] += 1
                    continue
                if kind is cst.Call and type(node.func) is cst.Name:
                    sites.setdefault(node.func.value, []).append((node, scope))
                if kind is cst.FunctionDef:
                    parts = [*node.decorators, node.params, node.body]
                    if node.returns is not None:
                        parts.append(node.returns)
                    stack.extend((part, node if part is node.body else scope) for part in parts)
                    continue
                if kind is cst.ClassDef:
                    stack.extend((part, scope) for part in (*node.decorators, *node.bases, *node.keywords, node.body))
                    continue
                if kind is cst.Attribute:
                    stack.append((node.value, scope))
                    continue
                if kind is cst.Param:
                    stack.extend((part, scope) for part in (node.annotation, node.default) if part is not None)
                    continue
                if kind is cst.Arg:
                    stack.append((node.value, scope))
                    continue
                if kind is cst.Import or kind is cst.ImportFrom:
                    continue
                stack.extend((child, scope) for child in children(node))
            self._sites, self._references = sites, references
        return self._sites

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
