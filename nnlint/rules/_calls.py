"""Helpers about the calls rules look at (the arguments themselves: nnlint.tree.keyword,
positional, has_star_args)."""

from __future__ import annotations

import libcst as cst

from nnlint import torch_api
from nnlint.torch_tables import FACTORIES, FUNCTIONAL, TENSOR_FUNCTIONS
from nnlint.tree import children, is_number


def is_scalar_data(expr: cst.BaseExpression) -> bool:
    """`torch.tensor(2.0)`: a 0-dim tensor mixes with tensors on any device."""
    if is_number(expr) or isinstance(expr, cst.Name) and expr.value in ("True", "False"):
        return True
    if isinstance(expr, cst.BinaryOperation):
        return is_number(expr.left) and is_number(expr.right)
    return False


def calls_torch_op(context, root: cst.CSTNode) -> bool:
    """Does `root` call a torch function that returns a tensor (`torch.zeros`, `torch.cat`,
    `F.relu`, `nn.Parameter`...)? A cheap gate before following a function's dataflow."""
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Call):
            qualified = context.qualified_name(node.func)
            if qualified and qualified.startswith("torch."):
                last = qualified.rsplit(".", 1)[1]
                if last in FACTORIES or last in TENSOR_FUNCTIONS or qualified.startswith(FUNCTIONAL + ".") \
                        or torch_api.is_parameter_class(qualified):
                    return True
        stack.extend(children(node))
    return False
