import re
from typing import Optional

import libcst as cst

from nnlint.finding import Severity
from nnlint.rules._grad_mode import GradModeTracker, inplace_method, where
from nnlint.rules._torch_refs import ancestors
from nnlint.rules.base import Invalid, Rule, Runtime, Valid, dedent
from nnlint.tree import dotted_name, iter_nodes

# A test that a one-time initialisation has (not) run yet: `if init:`, `if not self.initialized:`.
_INITIALISATION = re.compile(r"(?:^|_)(?:init|initiali[sz]ed?|initiali[sz]ing|data_init)(?:$|_)",
                             re.IGNORECASE)


def rooted_at_self(expr: cst.BaseExpression, context) -> bool:
    while isinstance(expr, (cst.Attribute, cst.Subscript)):
        expr = expr.value
    return context.is_self(expr)


class DataMutation(Rule, GradModeTracker):
    """
    ## What it does
    Flags a tensor changed through `.data` where autograd may be recording:

    - in a Module's `forward` or a method that `forward` calls: `self.w.data.clamp_(...)`,
      `self.w.data = t`, `self.w.data[i] = v`, `self.w.data += t`;
    - in top-level script code, where forward and backward passes interleave:
      `linear.weight.data.normal_(0, std)` (in-place tensor methods only: a `.data` attribute
      assigned at top level is as often a dataset's array).

    Not flagged: anything under `torch.no_grad()`/`torch.inference_mode()` (block or
    decorator) or `torch.set_grad_enabled(False)` (or a flag that is not a literal: it may be
    False), and `.data` in other functions and methods (`__init__`, `reset_parameters`,
    `_init_weights`, weight loading and fusing, an optimizer step): no graph holds the tensor
    there, so `.data` is an old idiom but not a hazard. Nor, inside forward, a change made
    after the method's own `loss.backward()` or `optimizer.step()` (clamping a value between
    steps of an inner optimisation loop), or in a branch of a one-time data-dependent
    initialisation (`if init:`, `if not self.initialized:`): no graph holds the tensor then.

    ## Why is this bad?
    A change made through `.data` is invisible to autograd: it does not bump the tensor's
    version counter. When forward has already used the tensor in the graph (an earlier call
    under gradient accumulation, a shared module called twice, activation checkpointing
    re-running forward), backward silently uses the new values and produces wrong gradients,
    where an ordinary in-place change would raise `RuntimeError: one of the variables needed
    for gradient computation has been modified by an inplace operation`.

    ## Example
    ```python
    def forward(self, x):
        self.scale.data.clamp_(0.0, 4.0)
        return x * self.scale
    ```

    ## Use instead
    ```python
    def forward(self, x):
        with torch.no_grad():
            self.scale.clamp_(0.0, 4.0)
        return x * self.scale
    ```
    or constrain the value functionally (`x * self.scale.clamp(0.0, 4.0)`), or clamp after
    `optimizer.step()`.

    ## References
    - https://pytorch.org/docs/stable/notes/autograd.html#in-place-operations-with-autograd
    - https://pytorch.org/docs/stable/generated/torch.no_grad.html
    """

    code = "NN202"
    name = "data-mutation"
    severity = Severity.WARNING
    summary = "a tensor changed through `.data` in forward or script code: autograd cannot see it"
    suggestion = "change it under `with torch.no_grad():` without .data (or use nn.init.* at init)"
    runtime = Runtime(unobservable="a change through .data is invisible to autograd, and the outputs "
                                   "look normal")

    VALID = [
        Valid(dedent("""
            import torch
            from torch import nn

            class Net(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.fc = nn.Linear(4, 2)
                    self.fc.weight.data.normal_(0, 0.02)
                    self.scale = nn.Parameter(torch.ones(1))

                def reset_parameters(self):
                    self.fc.bias.data.zero_()

                def forward(self, x):
                    with torch.no_grad():
                        self.scale.data.clamp_(0.0, 4.0)
                    shape = self.fc.weight.data.shape
                    return self.fc(x) * self.scale
        """)),
        Valid(dedent("""
            import torch
            from torchvision import datasets

            def sgd_step(model, lr):
                for p in model.parameters():
                    p.data.add_(p.grad, alpha=-lr)  # after backward: no graph holds p

            train = datasets.MNIST("data", download=True)
            train.data = train.data[:1000]  # a dataset's array, not a tensor's .data
            with torch.no_grad():
                linear = torch.nn.Linear(4, 2)
                linear.weight.data.normal_(0, 0.02)
        """)),
        Valid(dedent("""
            import torch
            from torch import nn

            class WeightNormLinear(nn.Linear):
                def forward(self, x, init=False):
                    if init is True:
                        self.weight.data.normal_(0, 0.05)
                        out = x @ self.weight.data.t()
                        self.bias.data.copy_(-out.mean(0))
                    return super().forward(x)

            class Explainer(nn.Module):
                def forward(self, x, steps=100):
                    optimizer = torch.optim.Adam([self.mask, self.lam])
                    for _ in range(steps):
                        loss = self.loss(x * self.mask)
                        loss.backward()
                        optimizer.step()
                        self.lam.data = self.lam.data.clamp(-2.0, 30.0)
                    return self.mask
        """)),
    ]
    INVALID = [
        Invalid(dedent("""
            import torch
            from torch import nn

            class Net(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.scale = nn.Parameter(torch.ones(1))

                def forward(self, x):
                    self.scale.data.clamp_(0.0, 4.0)
                    return x * self.scale
        """), line=10),
        Invalid(dedent("""
            import torch
            import torch.nn as nn

            class ActNorm(nn.Module):
                def __init__(self, channels):
                    super().__init__()
                    self.bias = nn.Parameter(torch.zeros(1, channels, 1, 1))
                    self.logs = nn.Parameter(torch.zeros(1, channels, 1, 1))
                    self.initialized = False

                def initialize(self, x):
                    self.bias.data = -x.mean(dim=(0, 2, 3), keepdim=True)
                    self.logs.data[:] = 0.0

                def forward(self, x):
                    if not self.initialized:
                        self.initialize(x)
                    return (x + self.bias) * torch.exp(self.logs)
        """), line=(12, 13)),
        Invalid(dedent("""
            import math
            import torch as t
            from torch import nn

            linear = nn.Linear(3, 4)
            std = math.sqrt(2) / math.sqrt(7.0)
            linear.weight.data.normal_(0, std)
        """), line=7),
    ]

    def _mutated(self, target: cst.BaseExpression, anywhere: bool = False) -> Optional[cst.Attribute]:
        """The `X.data` node `target` writes through (`X.data = `, `X.data[...] = `), for X an
        attribute chain under `self` (or, with `anywhere`, any name or attribute chain)."""
        if isinstance(target, cst.Subscript):
            target = target.value
        if not (isinstance(target, cst.Attribute) and target.attr.value == "data"):
            return None
        if anywhere:
            return target if dotted_name(target.value) is not None else None
        if not self.context.is_self(target.value) and rooted_at_self(target.value, self.context):
            return target
        return None

    def _at_top_level(self) -> bool:
        return not self.context.scope and getattr(self, "_no_grad_depth", 0) == 0

    def _report(self, node: cst.CSTNode, data: cst.Attribute, how: str) -> None:
        shown = dotted_name(data) or "`.data`"
        if self._no_graph_pending(node):
            return
        if self._at_top_level():
            self.report(node, f"`{shown}` {how} in script code: autograd cannot see the change, "
                              "so a graph built before computes wrong gradients")
        elif self.grad_recording():
            self.report(node, f"`{shown}` {how} in {where(self.forward_method())}: autograd cannot see "
                              "the change, so a graph that already used it computes wrong gradients")

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            data = self._mutated(target.target)
            if data is not None:
                self._report(node, data, "is assigned")

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        data = self._mutated(node.target)
        if data is not None:
            self._report(node, data, "is changed in place")

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Attribute) and inplace_method(func.attr.value):
            data = self._mutated(func.value, anywhere=not self.context.scope)
            if data is not None:
                self._report(node, data, f"is changed by `.{func.attr.value}()`")

    def _no_graph_pending(self, node: cst.CSTNode) -> bool:
        """In forward: after the method's own `backward()`/`step()`, or in a one-time
        initialisation branch (`if init:`)."""
        method = self.context.current_method
        if method is None:
            return False
        for above, child in ancestors(self.context, node):
            if above is method:
                break
            if isinstance(above, cst.If) and child is above.body and any(
                    _INITIALISATION.search(n.value if isinstance(n, cst.Name) else n.attr.value)
                    for n in iter_nodes(above.test, (cst.Name, cst.Attribute))):
                return True
        for earlier in iter_nodes(method.body, (cst.Call, cst.Assign, cst.AugAssign)):
            if earlier is node:
                return False
            if isinstance(earlier, cst.Call) and isinstance(earlier.func, cst.Attribute) \
                    and earlier.func.attr.value in ("backward", "step"):
                return True
        return False
