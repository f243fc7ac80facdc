"""What the training-loop rules (NN601, NN606) ask about a loop: which calls are backward
passes, gradient resets and optimizer steps, and which receivers are optimizers.

An optimizer is known from the dataflow (constructor, annotation, call sites, factories), or,
as weak evidence, from its name (`optimizer`, `optim`, `opt`, `optimizer_G`, `self.opt_d`...)
with a `.step()`: only these rules use the name, where a wrong guess would need a loop that
calls `.backward()` and a `.step()` of something named like an optimizer that is not one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import List, Optional

import libcst as cst

from nnlint.dataflow import local_kinds
from nnlint.tree import children, dotted_name

_OPTIMIZER_NAME = re.compile(r"^(optim|opt$|opt_|.*_opt$|.*_optim$|.*_optimizer$|.*optimizer)", re.IGNORECASE)
LOOPS = (cst.For, cst.While)
_NOT_ENTERED = (cst.FunctionDef, cst.ClassDef, cst.Lambda, cst.For, cst.While)


def named_like_optimizer(expr: cst.BaseExpression) -> bool:
    """`optimizer`, `opt`, `optimizer_G`, `self.optim`, `model_optimizer` (not `optimize_fn`)."""
    name = dotted_name(expr)
    if name is None:
        return False
    last = name.rsplit(".", 1)[-1]
    return bool(_OPTIMIZER_NAME.match(last)) and not last.lower().startswith(("optimize_", "optimized", "optimal"))


def optimizer_evidence(context, scope, expr: cst.BaseExpression) -> Optional[str]:
    """"known" when the dataflow knows `expr` is an optimizer, "name" when only its name says
    so, None otherwise."""
    kind = local_kinds(context, scope).kind(expr)
    if kind is not None:
        return "known" if kind.is_optimizer else None
    return "name" if named_like_optimizer(expr) else None


@dataclass
class Event:
    kind: str  # "backward", "reset" or "step"
    node: cst.CSTNode
    target: Optional[str] = None  # reset/step: the optimizer's code (`self.opt`); None: any
    evidence: Optional[str] = None  # step: "known" or "name"


def loop_events(context, loop, scope) -> List[Event]:
    """The backward passes, gradient resets and optimizer steps of one loop's body, in source
    order; nested loops, functions and lambdas are left out (they are their own story)."""
    events: List[Event] = []
    stack = list(reversed(children(loop.body)))
    code = context.module.code_for_node
    while stack:
        node = stack.pop()
        if isinstance(node, _NOT_ENTERED):
            continue
        if isinstance(node, cst.Call):
            _call_event(context, scope, node, events, code)
        elif isinstance(node, (cst.Assign, cst.AugAssign, cst.AnnAssign)):
            targets = [t.target for t in node.targets] if isinstance(node, cst.Assign) else [node.target]
            if any(isinstance(t, cst.Attribute) and t.attr.value == "grad" for t in targets):
                events.append(Event("reset", node))
        stack.extend(reversed(children(node)))
    return events


def _call_event(context, scope, call: cst.Call, events: List[Event], code) -> None:
    func = call.func
    qualified = context.qualified_name(func) or ""
    if qualified in ("torch.autograd.backward",):
        events.append(Event("backward", call))
        return
    if qualified.startswith("torch._foreach_zero_"):
        events.append(Event("reset", call))
        return
    if not isinstance(func, cst.Attribute):
        return
    method = func.attr.value
    if method == "backward":
        events.append(Event("backward", call))
    elif method == "zero_grad":
        evidence = optimizer_evidence(context, scope, func.value)
        events.append(Event("reset", call, code(func.value) if evidence else None))
    elif method.endswith("_") and has_grad(func.value):
        events.append(Event("reset", call))  # p.grad.zero_(), p.grad.detach_()
    elif method == "step":
        positional = [a.value for a in call.args if a.keyword is None and not a.star]
        evidence = optimizer_evidence(context, scope, func.value)
        if evidence is not None:
            if not positional:  # optimizer.step(closure) evaluates its own backward
                events.append(Event("step", call, code(func.value), evidence))
            return
        if positional:  # scaler.step(optimizer)
            evidence = optimizer_evidence(context, scope, positional[0])
            if evidence is not None:
                events.append(Event("step", call, code(positional[0]), evidence))


def has_grad(expr) -> bool:
    """`p.grad`, `p.grad.data`: an expression reaching into a `.grad`."""
    while isinstance(expr, (cst.Attribute, cst.Subscript)):
        if isinstance(expr, cst.Attribute) and expr.attr.value == "grad":
            return True
        expr = expr.value
    return False


def name_note(events: List[Event]) -> str:
    """The message's note when an optimizer is known by its name only."""
    names = sorted({e.target for e in events if e.kind == "step" and e.evidence == "name"})
    if not names:
        return ""
    return f" (`{names[0]}` is taken for an optimizer from its name)"
