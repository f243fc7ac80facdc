"""Finding the `super().__init__()` call of a Module's `__init__` (NN103, NN104)."""

from __future__ import annotations

from typing import Optional

import libcst as cst

from nnlint.tree import first_param_name, iter_nodes


def is_super_init(call: cst.Call, self_name: str) -> bool:
    """`super().__init__(...)`, `super(Cls, self).__init__(...)`, `Base.__init__(self, ...)`,
    and `super()._init(...)`-style helpers of the base (torch's quantized convs use one)."""
    func = call.func
    if not isinstance(func, cst.Attribute):
        return False
    target = func.value
    if isinstance(target, cst.Call) and isinstance(target.func, cst.Name) and target.func.value == "super":
        return "init" in func.attr.value
    if func.attr.value != "__init__":
        return False
    if isinstance(target, (cst.Name, cst.Attribute)) and call.args:
        first = call.args[0].value
        if isinstance(first, cst.Name) and first.value == self_name:
            return True
    # `Base.__init__(config)` / `nn.Module.__init__()` without self: the base's __init__ is
    # called, wrongly (a TypeError when run; transformers' modular_*.py files use the form as a
    # code-generation directive), so "never calls" would be the wrong diagnosis.
    root = target
    while isinstance(root, cst.Attribute):
        root = root.value
    return isinstance(root, cst.Name) and root.value != self_name and root.value[:1].isupper() \
        or isinstance(target, cst.Attribute) and isinstance(root, cst.Name) and root.value in ("nn", "torch")


def first_super_init_statement(init: cst.FunctionDef) -> Optional[int]:
    """The index of the first top-level statement of `init` that calls the base `__init__`."""
    self_name = first_param_name(init)
    if self_name is None or not isinstance(init.body, cst.IndentedBlock):
        return None
    for index, statement in enumerate(init.body.body):
        if any(is_super_init(call, self_name) for call in iter_nodes(statement, cst.Call)):
            return index
    return None
