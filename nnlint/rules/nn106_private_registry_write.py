from typing import Optional

import libcst as cst

from nnlint.finding import Severity
from nnlint.rules.base import Invalid, Rule, Runtime, Valid, dedent

REGISTRIES = {
    "_modules": "self.add_module(name, module)",
    "_parameters": "self.register_parameter(name, param)",
    "_buffers": "self.register_buffer(name, tensor)",
}
# dict methods that change a registry
WRITING_METHODS = frozenset({"update", "pop", "popitem", "setdefault", "clear", "__setitem__",
                             "__delitem__"})
# Methods that implement the registry API themselves (a container's insert, a custom
# __setattr__/__delitem__): writing the private dict there is the implementation.
API_METHODS = frozenset({"insert", "append", "extend", "pop", "update", "clear", "add_module",
                         "register_module", "register_parameter", "register_buffer"})


class PrivateRegistryWrite(Rule):
    """
    ## What it does
    Flags writes to a Module's private registries on `self`: `self._modules[...] = m`,
    `self._parameters[...] = p`, `self._buffers[...] = t`, `del self._modules[...]`, and
    `self._modules.update(...)`/`.pop(...)`-style changes, in an `nn.Module`.

    Methods that implement the registry API themselves (`__setattr__`, `__delitem__`, a
    container's `insert`/`append`/`pop`, ...) are left alone: there, the dict is the
    implementation.

    ## Why is this bad?
    `add_module`, `register_parameter` and `register_buffer` check what they store: the name
    must be a string without dots that does not shadow an attribute, a parameter must be an
    `nn.Parameter`, a buffer's persistence is recorded. Writing the dict skips all of it: a
    plain tensor put in `_parameters` is returned by `parameters()` but is not a leaf the
    optimizer can train (`ValueError: can't optimize a non-leaf Tensor`), a dotted name makes
    `state_dict()` keys that `load_state_dict()` cannot map back, and a buffer written past
    `register_buffer(..., persistent=False)` bookkeeping changes what is saved. These private
    attributes also change between torch releases.

    ## Example
    ```python
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self._modules["head"] = nn.Linear(8, 2)
    ```

    ## Use instead
    ```python
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.add_module("head", nn.Linear(8, 2))
    ```

    ## References
    - https://pytorch.org/docs/stable/generated/torch.nn.Module.html#torch.nn.Module.add_module
    - https://pytorch.org/docs/stable/generated/torch.nn.Module.html#torch.nn.Module.register_parameter
    - https://pytorch.org/docs/stable/generated/torch.nn.Module.html#torch.nn.Module.register_buffer
    """

    code = "NN106"
    name = "private-registry-write"
    severity = Severity.WARNING
    summary = "writing `self._modules` / `_parameters` / `_buffers` directly"
    suggestion = "use add_module / register_parameter / register_buffer"
    runtime = Runtime(unobservable="the write works; what it skips (name checks, registration hooks) "
                                   "no check sees")

    VALID = [
        Valid(dedent("""
            import torch
            from torch import nn

            class Net(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.add_module("head", nn.Linear(8, 2))
                    self.register_buffer("mask", torch.ones(2))
                    names = list(self._modules)
                    head = self._modules["head"]
        """)),
        Valid(dedent("""
            from torch import nn

            class Stack(nn.Module):
                def insert(self, index, module):
                    for i in range(len(self._modules), index, -1):
                        self._modules[str(i)] = self._modules[str(i - 1)]
                    self._modules[str(index)] = module

                def __delitem__(self, key):
                    del self._modules[key]
        """)),
        Valid(dedent("""
            import importlib

            class LazyMapping:
                def __getitem__(self, name):
                    self._modules[name] = importlib.import_module(name)  # not a torch Module
        """)),
    ]
    INVALID = [
        Invalid(dedent("""
            from torch import nn

            class Net(nn.Module):
                def __init__(self):
                    super().__init__()
                    self._modules["head"] = nn.Linear(8, 2)
        """), line=6),
        Invalid(dedent("""
            import torch
            import torch.nn as nn

            class Net(nn.Module):
                def __init__(self, weights):
                    super().__init__()
                    for name, value in weights.items():
                        self._parameters[name] = nn.Parameter(value)
                    self._buffers.update({"scale": torch.ones(1)})

                def drop(self, name):
                    del self._buffers[name]
        """), line=(8, 9, 12)),
    ]

    def _registry(self, expr: cst.BaseExpression) -> Optional[str]:
        """`_modules` for `self._modules`, None otherwise (and outside a Module method)."""
        if not (isinstance(expr, cst.Attribute) and expr.attr.value in REGISTRIES
                and self.context.is_self(expr.value)):
            return None
        method = self.context.current_method
        if self.context.enclosing_module_class is None or method is None:
            return None
        name = method.name.value
        if (name.startswith("__") and name.endswith("__") and name != "__init__") or name in API_METHODS:
            return None
        return expr.attr.value

    def _check_target(self, target: cst.BaseExpression, node: cst.CSTNode, verb: str) -> None:
        if isinstance(target, cst.Subscript):
            registry = self._registry(target.value)
            if registry is not None:
                advice = "delattr(self, name)" if verb == "deleted" else REGISTRIES[registry]
                self.report(node, f"`self.{registry}[...]` {verb} directly: use {advice}")

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._check_target(target.target, node, "written")

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._check_target(node.target, node, "written")

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self._check_target(node.target, node, "written")

    def visit_Del(self, node: cst.Del) -> None:
        targets = [e.value for e in node.target.elements] \
            if isinstance(node.target, (cst.Tuple, cst.List)) else [node.target]
        for target in targets:
            self._check_target(target, node, "deleted")

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value in WRITING_METHODS:
            registry = self._registry(func.value)
            if registry is not None:
                self.report(node, f"`self.{registry}.{func.attr.value}(...)` changes the registry "
                                  f"directly: use {REGISTRIES[registry]}")
