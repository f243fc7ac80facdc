"""Calls of loss functions and loss modules, and the activation their input went through.

Shared by NN602-NN605 (an activation fed to a loss that does not want it).
"""

from __future__ import annotations

from typing import ClassVar, Dict, Optional, Tuple

import libcst as cst

from nnlint.dataflow import local_kinds
from nnlint.rules._grad import first_line_code
from nnlint.rules.base import Rule

F = "torch.nn.functional."


def loss_call(context, call: cst.Call, functions: dict, classes: dict) -> Optional[Tuple[str, cst.BaseExpression]]:
    """(what the loss is called, its input expression) when `call` computes one of the losses:
    a functional in `functions` (name -> shown name) or a call of a loss module of a class in
    `classes` (class name -> shown name), known through the dataflow."""
    qualified = context.qualified_name(call.func)
    shown = None
    if qualified and qualified.startswith(F) and qualified[len(F):] in functions:
        shown = functions[qualified[len(F):]]
    else:
        kind = local_kinds(context).kind(call.func)
        if kind is not None and kind.is_module and kind.name and kind.name.startswith("torch."):
            shown = classes.get(kind.name.rsplit(".", 1)[1])
    if shown is None:
        return None
    for arg in call.args:
        if arg.star:
            return None
    first = next((a.value for a in call.args if a.keyword is None), None)
    if first is None:
        first = next((a.value for a in call.args if a.keyword and a.keyword.value == "input"), None)
    return (shown, first) if first is not None else None


def activation_of(context, expr: cst.BaseExpression) -> Optional[str]:
    """`softmax`, `log_softmax`, `sigmoid` when the dataflow knows `expr` is that output."""
    kind = local_kinds(context).kind(expr)
    if kind is not None and kind.is_tensor and kind.origin in ("softmax", "log_softmax", "sigmoid"):
        return kind.origin
    return None


def describe(context, expr: cst.BaseExpression, activation: str) -> str:
    """`probs` (a softmax output) / `F.softmax(logits, dim=1)`."""
    code = first_line_code(context, expr, 50)
    if isinstance(expr, cst.Call):
        kind = local_kinds(context).kind(expr.func)
        if kind is not None and kind.is_module and activation not in code:
            return f"`{code}` (a model whose output is a {activation})"
        return f"`{code}`"
    return f"`{code}` (a {activation} output)"


class LossInputRule(Rule):
    """A rule about the input of a loss: each call of one of `functions` (F.<name>) or of a
    loss module of `classes`, with the activation that input comes out of (`check_input`)."""

    gate: ClassVar[Tuple[str, ...]]  # words without which the file has no such loss
    functions: ClassVar[Dict[str, str]]
    classes: ClassVar[Dict[str, str]]

    def __init__(self, context):
        super().__init__(context)
        # A cheap gate, not a semantic test: without these names the file has no such loss.
        self._possible = any(word in context.source for word in self.gate)

    def visit_Call(self, node: cst.Call) -> None:
        if not self._possible:
            return
        found = loss_call(self.context, node, self.functions, self.classes)
        if found is not None:
            loss_name, value = found
            self.check_input(node, loss_name, value, activation_of(self.context, value))

    def check_input(self, call: cst.Call, loss_name: str, value: cst.BaseExpression,
                    activation: Optional[str]) -> None:
        raise NotImplementedError
