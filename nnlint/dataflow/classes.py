"""Class-attribute inference: the kinds of `self.attr` (the join of every write to it in the
classes of a hierarchy, followed round after round until they settle), what a file-local
Module's `forward` returns, and which classes of the file are optimizers.

ClassFacts is the half of Dataflow about classes; it shares the Dataflow's record of which
answers were provisional (asked while still being worked out), so it lives on the same object.
"""

from __future__ import annotations

from typing import Callable, Dict, List, Optional, Set

import libcst as cst

from nnlint import torch_api
from nnlint.context import ClassInfo, FileContext
from nnlint.dataflow.flow import Flow
from nnlint.dataflow.lattice import BOTTOM, TENSOR, TENSOR_KIND, Kind, Value, join, known
from nnlint.torch_tables import LAYER_ORIGINS, LAYERS_NOT_A_TENSOR
from nnlint.tree import children, first_param_name


class ClassFacts:
    """Mixin of Dataflow (see nnlint.dataflow.file): its methods about the file's classes."""

    context: FileContext
    _computing: set  # Dataflow's: the scopes whose flow is being made
    _used_pending: bool  # Dataflow's: set when an answer came from a provisional attribute map

    def __init__(self) -> None:
        self._first_round: Set[cst.ClassDef] = set()
        self._attrs: Dict[cst.ClassDef, Dict[str, Value]] = {}
        self._attrs_pending: Dict[cst.ClassDef, Dict[str, Value]] = {}
        self._outputs: Dict[str, Value] = {}
        self._outputs_pending: Set[str] = set()

    def hierarchy(self, info: ClassInfo) -> List[ClassInfo]:
        """`info`, its ancestors and its descendants among the classes of this file."""
        by_name = self.context.classes_by_name
        found = {info.name: info}
        todo = [info]
        while todo:
            current = todo.pop()
            for base in current.base_names:
                if base in by_name and base not in found:
                    found[base] = by_name[base]
                    todo.append(by_name[base])
        changed = True
        while changed:
            changed = False
            for other in self.context.classes.values():
                if other.name not in found and any(b in found for b in other.base_names):
                    found[other.name] = other
                    changed = True
        return list(found.values())

    def _attr_getter(self, info: ClassInfo) -> Callable[[str], Optional[Kind]]:
        def get(attr: str) -> Value:
            kinds = self.attr_kinds(info)
            if attr in kinds:
                return kinds[attr]
            return BOTTOM if info.node in self._first_round else None
        return get

    def attr_kinds(self, info: ClassInfo) -> Dict[str, Value]:
        """attr -> the join of everything the classes of `info`'s hierarchy assign to `self.attr`."""
        done = self._attrs.get(info.node)
        if done is not None:
            return done
        pending = self._attrs_pending.get(info.node)
        if pending is not None:
            self._used_pending = True
            return pending  # asked while being computed: the previous round's answer
        classes = self.hierarchy(info)
        methods = [(klass, m) for klass in classes for m in klass.methods.values()
                   if _writes_self(m)]
        try:
            current = self._attr_rounds(classes, methods)
        finally:
            for klass in classes:
                self._attrs_pending.pop(klass.node, None)
                self._first_round.discard(klass.node)
        for klass in classes:
            self._attrs_pending.pop(klass.node, None)
            self._attrs[klass.node] = current
        return current

    def _attr_rounds(self, classes, methods) -> Dict[str, Value]:
        """Every method is followed with the previous round's attribute kinds, until they settle.
        In the first round nothing is known yet (BOTTOM); from then on, an attribute that no
        method assigns is unknown (a base class outside the file, or a caller, may set it)."""
        current: Dict[str, Value] = {}
        for round_ in range(3):
            for klass in classes:
                self._attrs_pending[klass.node] = current
                if round_ == 0:
                    self._first_round.add(klass.node)
                else:
                    self._first_round.discard(klass.node)
            found: Dict[str, Value] = {}
            reads = []

            def get(attr, c=current, missing=BOTTOM if round_ == 0 else None):
                reads.append(attr)
                return c.get(attr, missing)

            for klass, method in methods:
                flow = Flow(self, method, klass, get)
                for attr, value, _node in flow.attr_writes:
                    found[attr] = join(found.get(attr, BOTTOM), value)
            if found == current or not reads:
                return found  # settled, or exact already: no write depended on another attribute
            current = found
        return current

    def member(self, owner: Kind, attr: str) -> Optional[Kind]:
        """`net.criterion` where `net` is a Module of a class of this file: its attribute kind."""
        info = self.context.classes_by_name.get(owner.name or "")
        if info is None or owner.name.startswith("torch."):
            return None
        return known(self.attr_kinds(info).get(attr, BOTTOM))

    def module_output(self, module: Kind, call: Optional[cst.Call] = None) -> Value:
        """What calling a Module of this kind returns."""
        name = module.name
        if name is None:
            return None
        if module.last is not None and not name.startswith("torch."):
            return self.module_output(module.last, None)  # a model whose head was replaced
        if name.startswith("torch."):
            last = name.rsplit(".", 1)[1]
            if last == "Sequential":
                return self.module_output(module.last, None) if module.last is not None else None
            if last in torch_api.loss_classes():
                return Kind(TENSOR, origin="loss")
            if last in LAYER_ORIGINS:
                return Kind(TENSOR, origin=LAYER_ORIGINS[last])
            if last in LAYERS_NOT_A_TENSOR or module.origin == "indices":
                return None
            return TENSOR_KIND
        if name not in self.context.classes_by_name and "." in name:  # a class of another file
            output = self.context.project_class(name).output
            return Kind(TENSOR, origin=output) if output else None
        return self.class_output(name)

    def class_output(self, class_name: str) -> Value:
        """What the `forward` of a Module class of this file returns (all returns joined)."""
        if class_name in self._outputs:
            return self._outputs[class_name]
        if class_name in self._outputs_pending:
            return None
        info = self.context.classes_by_name.get(class_name)
        if info is None or not info.is_module:
            return None
        forward = self._find_forward(info)
        if forward is None:
            return None
        if forward in self._computing:
            return None  # recursion: unknown (a safe answer, unlike a provisional attribute map)
        outer_used, self._used_pending = self._used_pending, False
        self._outputs_pending.add(class_name)
        try:
            value = known(self.flow(forward).returns)
        finally:
            self._outputs_pending.discard(class_name)
            used, self._used_pending = self._used_pending, outer_used or self._used_pending
        if not used:
            self._outputs[class_name] = value
        return value

    def _find_forward(self, info: ClassInfo) -> Optional[cst.FunctionDef]:
        seen = set()
        while info is not None and info.name not in seen:
            seen.add(info.name)
            if "forward" in info.methods:
                return info.methods["forward"]
            nxt = None
            for base in info.base_names:
                if base in self.context.classes_by_name:
                    nxt = self.context.classes_by_name[base]
                    break
            info = nxt
        return None

    def is_optimizer_class(self, name: str) -> bool:
        info = self.context.classes_by_name.get(name)
        seen = set()
        while info is not None and info.name not in seen:
            seen.add(info.name)
            nxt = None
            for base in info.base_names:
                if base and base.startswith("torch.optim") and base.rsplit(".", 1)[1] in torch_api.optimizer_classes():
                    return True
                if base in self.context.classes_by_name:
                    nxt = self.context.classes_by_name[base]
            info = nxt
        return False


_REGISTERS = frozenset({"register_buffer", "register_parameter", "add_module", "register_module"})


def _writes_self(method: cst.FunctionDef) -> bool:
    """Does the method assign `self.x` (or register one)? Only such methods shape attribute kinds."""
    self_name = first_param_name(method)
    if self_name is None:
        return False
    stack = [method.body]
    while stack:
        node = stack.pop()
        kind = type(node)
        if kind is cst.Assign or kind is cst.AugAssign or kind is cst.AnnAssign:
            targets = [t.target for t in node.targets] if kind is cst.Assign else [node.target]
            for target in targets:
                if isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name) \
                        and target.value.value == self_name:
                    return True
        elif kind is cst.Call and isinstance(node.func, cst.Attribute) \
                and node.func.attr.value in _REGISTERS:
            return True
        elif kind is cst.FunctionDef or kind is cst.ClassDef or kind is cst.Lambda:
            continue
        stack.extend(children(node))
    return False
