"""Where a tensor attribute meets the model's tensors in `forward` (NN105), and what NN503
counts as an operation that puts tensors together on one device.

`meets_model_tensors(context, read, method, methods)` follows one read of `self.attr` up the
expression it sits in (through slicing, reshaping and arithmetic with constants, and through a
local it is assigned to) until it meets something:
- another, non-constant operand of an arithmetic, a comparison, `torch.cat`/`matmul`/`F.*`, a
  tensor method like `x.masked_fill(...)`, or a submodule call (`self.fc(self.w)`): it meets;
- `.to(...)`, `.cuda()`, `.type_as(...)`, `.cpu()`, metadata (`.shape`, `.size()`, `.item()`):
  it is moved or not used as a tensor;
- an argument of a function nnlint does not know: nothing is known, nothing is claimed.
An argument of one of the class's own methods is followed into that method's parameter.
"""

from __future__ import annotations

from typing import Dict, Optional

import libcst as cst

from nnlint.rules._torch_refs import parent
from nnlint.tree import first_param_name, iter_nodes, positional

# torch functions whose tensor arguments must all be on one device.
MEETING_FUNCTIONS = frozenset({
    "torch.cat", "torch.concat", "torch.concatenate", "torch.stack", "torch.hstack", "torch.vstack",
    "torch.dstack", "torch.where", "torch.matmul", "torch.mm", "torch.bmm", "torch.einsum",
    "torch.maximum", "torch.minimum", "torch.add", "torch.sub", "torch.mul", "torch.div",
    "torch.lerp", "torch.gather", "torch.index_select", "torch.masked_fill", "torch.max",
    "torch.min", "torch.addcmul", "torch.addcdiv", "torch.baddbmm", "torch.addmm",
})
# Tensor methods whose tensor arguments must be on the receiver's device.
MEETING_METHODS = frozenset({
    "masked_fill", "masked_fill_", "where", "add", "add_", "sub", "sub_", "mul", "mul_", "div",
    "div_", "matmul", "mm", "bmm", "maximum", "minimum", "lerp", "lerp_", "gather",
    "index_select", "masked_scatter", "masked_scatter_", "scatter", "scatter_", "scatter_add",
    "scatter_add_", "index_add", "index_add_",
})
# After these the value is on the right device, or no longer a tensor.
MOVED_OR_NOT_A_TENSOR = frozenset({
    "to", "cuda", "cpu", "type_as", "shape", "dtype", "device", "ndim", "size", "dim", "numel",
    "item", "tolist", "numpy", "nelement", "is_cuda", "get_device", "data_ptr",
})
MOVES = frozenset({"to", "cuda", "type_as"})
_CONSTANT_MODULES = ("builtins.", "math.", "numpy.")


def is_constant(context, expr: cst.BaseExpression) -> bool:
    """A literal, or builtins/math of literals: `-1`, `0.5`, `float("-inf")`, `None`."""
    if isinstance(expr, (cst.Integer, cst.Float, cst.Imaginary, cst.SimpleString, cst.ConcatenatedString)):
        return True
    if isinstance(expr, cst.Name):
        return expr.value in ("None", "True", "False")
    if isinstance(expr, cst.UnaryOperation):
        return is_constant(context, expr.expression)
    if isinstance(expr, cst.Call):
        qualified = context.qualified_name(expr.func) or ""
        return qualified.startswith(_CONSTANT_MODULES) and all(is_constant(context, a.value) for a in expr.args)
    return False


def moves_attribute(method: cst.FunctionDef, self_name: str, attr: str) -> bool:
    """`self.attr = self.attr.to(x.device)` (or `.cuda()`, `.type_as(x)`) somewhere in `method`."""
    for node in iter_nodes(method.body, cst.Assign):
        if len(node.targets) == 1 and _is_self_attr(node.targets[0].target, self_name, attr) \
                and isinstance(node.value, cst.Call) and isinstance(node.value.func, cst.Attribute) \
                and node.value.func.attr.value in MOVES:
            return True
    return False


def _is_self_attr(expr: cst.BaseExpression, self_name: str, attr: str) -> bool:
    return isinstance(expr, cst.Attribute) and expr.attr.value == attr \
        and isinstance(expr.value, cst.Name) and expr.value.value == self_name


def meets_model_tensors(context, read: cst.CSTNode, method: cst.FunctionDef,
                        methods: Dict[str, cst.FunctionDef], depth: int = 0) -> bool:
    expr = read
    while True:
        above = parent(context, expr)
        if isinstance(above, cst.Subscript) and above.value is expr:
            expr = above
        elif isinstance(above, cst.Attribute) and above.value is expr:
            name = above.attr.value
            if name in MOVED_OR_NOT_A_TENSOR:
                return False
            call = parent(context, above)
            if not (isinstance(call, cst.Call) and call.func is above):
                return False
            if name in MEETING_METHODS and any(not is_constant(context, a.value) for a in call.args):
                return True
            expr = call  # `.view(...)`, `.float()`, `.sum()`: still this tensor's device
        elif isinstance(above, cst.BinaryOperation):
            other = above.right if above.left is expr else above.left
            if not is_constant(context, other):
                return True
            expr = above
        elif isinstance(above, cst.Comparison):
            operands = [above.left, *(c.comparator for c in above.comparisons)]
            if any(o is not expr and not is_constant(context, o) for o in operands):
                return True
            expr = above
        elif isinstance(above, cst.ComparisonTarget):
            expr = above  # its Comparison is next
        elif isinstance(above, cst.UnaryOperation):
            expr = above
        elif isinstance(above, cst.Element):
            sequence = parent(context, above)
            if any(e is not above and not is_constant(context, e.value) for e in sequence.elements):
                return True
            expr = sequence
        elif isinstance(above, cst.Arg):
            call = parent(context, above)
            verdict = _argument(context, call, above, method, methods, depth)
            if verdict is not None:
                return verdict
            expr = call
        elif isinstance(above, cst.Assign) and above.value is expr and depth < 2:
            return _local_meets(context, above, method, methods, depth)
        else:
            return False


def _argument(context, call: cst.Call, arg: cst.Arg, method, methods, depth) -> Optional[bool]:
    """True: the call puts it with the model's tensors; False: nothing is known; None: the
    call's result is still this tensor (`torch.sqrt(self.t)`): look further up."""
    others = [a for a in call.args if a is not arg and not is_constant(context, a.value)]
    func = call.func
    qualified = context.qualified_name(func) or ""
    if qualified.startswith("torch."):
        return True if others else None
    if isinstance(func, cst.Attribute) and func.attr.value in MEETING_METHODS:
        return True  # `att.masked_fill(self.mask == 0, ...)`
    self_name = first_param_name(method)
    if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value == self_name:
        callee = methods.get(func.attr.value)
        if callee is None:
            return True  # a submodule called on it: `self.fc(self.w)`
        return _parameter_meets(context, call, arg, callee, methods, depth)
    return False


def _parameter_meets(context, call, arg, callee: cst.FunctionDef, methods, depth) -> bool:
    """`self.helper(self.t, x)`: does `helper` meet its parameter with the model's tensors?"""
    if depth >= 2 or arg.star or arg.keyword is not None:
        return False
    index = positional(call).index(arg.value)
    params = [*callee.params.posonly_params, *callee.params.params][1:]
    if index >= len(params):
        return False
    name = params[index].name.value
    return any(meets_model_tensors(context, use, callee, methods, depth + 1)
               for use in iter_nodes(callee.body, cst.Name) if use.value == name and _is_read(context, use))


def _local_meets(context, assign: cst.Assign, method, methods, depth) -> bool:
    """`mask = self.mask[:t, :t]`, then `att.masked_fill(mask == 0, ...)`."""
    if len(assign.targets) != 1 or not isinstance(assign.targets[0].target, cst.Name):
        return False
    name = assign.targets[0].target.value
    return any(meets_model_tensors(context, use, method, methods, depth + 1)
               for use in iter_nodes(method.body, cst.Name) if use.value == name and _is_read(context, use))


def _is_read(context, name: cst.Name) -> bool:
    above = parent(context, name)
    return not isinstance(above, (cst.AssignTarget, cst.Param)) \
        and not (isinstance(above, cst.Attribute) and above.attr is name) \
        and not (isinstance(above, cst.Arg) and above.keyword is name)
