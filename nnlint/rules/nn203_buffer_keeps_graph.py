from typing import Set

import libcst as cst

from nnlint.dataflow import local_kinds
from nnlint.finding import Severity
from nnlint.rules._grad import Derivation, function_body, grad_disabled, statements, tensor_inputs
from nnlint.rules.base import Invalid, Rule, Runtime, Valid, dedent
from nnlint.tree import children, first_param_name, positional


class BufferKeepsGraph(Rule):
    """
    ## What it does
    Flags a registered buffer (`self.register_buffer("name", ...)`) reassigned in `forward`
    (`self.name = ...` or `self.name += ...`) from a value computed from the forward's inputs
    or the module's parameters, outside `torch.no_grad()` and without `.detach()`.

    ## Why is this bad?
    The buffer now holds a tensor with a `grad_fn`: it keeps this batch's whole autograd graph
    alive until the next forward, and the next update builds on it. The second
    `loss.backward()` then raises `Trying to backward through the graph a second time (or
    directly access saved tensors after they have already been freed)`, or, with
    `retain_graph=True`, memory grows every step and gradients leak into the statistics.
    A saved `state_dict()` carries the graph-bearing tensor too.

    ## Example
    ```python
    def forward(self, x):
        self.running_mean = 0.9 * self.running_mean + 0.1 * x.mean(0)
        return x - self.running_mean
    ```

    ## Use instead
    ```python
    def forward(self, x):
        with torch.no_grad():
            self.running_mean = 0.9 * self.running_mean + 0.1 * x.mean(0)
        return x - self.running_mean
    ```
    or update from `x.detach()`.

    ## References
    - https://pytorch.org/docs/stable/generated/torch.nn.Module.html#torch.nn.Module.register_buffer
    - https://pytorch.org/docs/stable/generated/torch.no_grad.html
    """

    code = "NN203"
    name = "buffer-keeps-graph"
    severity = Severity.WARNING
    summary = "a buffer reassigned in `forward` from a value that tracks gradients"
    suggestion = "update it under torch.no_grad(), or from .detach()ed values"
    runtime = Runtime(("buffer_grad",), "the buffer has a grad_fn after forward")

    VALID = [
        Valid(dedent("""
            import torch
            from torch import nn

            class Norm(nn.Module):
                def __init__(self, n):
                    super().__init__()
                    self.register_buffer("running_mean", torch.zeros(n))
                    self.register_buffer("count", torch.zeros(()))

                def forward(self, x):
                    with torch.no_grad():
                        self.running_mean = 0.9 * self.running_mean + 0.1 * x.mean(0)
                    self.count += x.size(0)
                    self.running_mean = self.running_mean.to(x.device)
                    return x - self.running_mean
        """)),
        Valid(dedent("""
            import torch
            from torch import nn

            class Queue(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.register_buffer("queue", torch.zeros(0, 8))
                    self.cache = None

                def forward(self, x):
                    keys = x.detach()
                    self.queue = torch.cat([self.queue, keys])[-64:]
                    self.cache = x  # not a buffer
                    return x @ self.queue.t()
        """)),
        Valid(dedent("""
            import torch
            from torch import nn

            class Ema(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.register_buffer("avg", torch.zeros(4))

                @torch.no_grad()
                def forward(self, x):
                    self.avg = self.avg * 0.99 + x.mean(0) * 0.01
                    return self.avg
        """)),
        Valid(dedent("""
            import math
            import torch
            from torch import nn

            class SinusoidalPositions(nn.Module):
                def __init__(self, dim, max_len=512):
                    super().__init__()
                    self.dim = dim
                    self.register_buffer("pe", self.table(max_len), persistent=False)

                def table(self, length):
                    position = torch.arange(length).unsqueeze(1)
                    div = torch.exp(torch.arange(0, self.dim, 2) * (-math.log(10000.0) / self.dim))
                    return torch.cat([torch.sin(position * div), torch.cos(position * div)], dim=1)

                def forward(self, x):
                    if x.size(1) > self.pe.size(0):  # recomputed for a longer input: no gradient source
                        self.pe = self.table(x.size(1)).to(x)
                    if self.pe.dtype != x.dtype:
                        self.pe = self.pe.type_as(x)
                    return x + self.pe[: x.size(1)]
        """)),
    ]
    INVALID = [
        Invalid(dedent("""
            import torch
            from torch import nn

            class Norm(nn.Module):
                def __init__(self, n):
                    super().__init__()
                    self.register_buffer("running_mean", torch.zeros(n))

                def forward(self, x):
                    self.running_mean = 0.9 * self.running_mean + 0.1 * x.mean(0)
                    return x - self.running_mean
        """), line=10),
        Invalid(dedent("""
            import torch
            from torch import nn

            class Memory(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.proj = nn.Linear(8, 8)
                    self.register_buffer("bank", torch.zeros(0, 8))
                    self.register_buffer("center", torch.zeros(8))

                def forward(self, x):
                    feats = self.proj(x)
                    if self.training:
                        self.bank = torch.cat([self.bank, feats])[-1024:]
                        self.center += feats.mean(0)
                    return feats
        """), line=(14, 15)),
    ]

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        info = self.context.classes.get(node)
        if info is None or not info.is_module:
            return
        forward = info.methods.get("forward")
        if forward is None or grad_disabled(self.context, forward):
            return
        self_name = first_param_name(forward)
        if self_name is None:
            return
        targets = [(s, loops, off) for s, loops, off in statements(self.context, function_body(forward))
                   if not off and _self_target(s, self_name) is not None]
        if not targets:
            return
        flow = local_kinds(self.context, forward)
        buffers = _buffers(flow.dataflow.hierarchy(info))
        parameters = flow.dataflow.attr_kinds(info)

        def source(expr):
            if isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name) \
                    and expr.value.value == self_name:
                kind = parameters.get(expr.attr.value)
                return getattr(kind, "origin", None) == "parameter"
            return None

        derived = Derivation(self.context, forward, tensor_inputs(self.context, forward),
                             detach_cleans=True, source=source)
        for statement, _loops, _off in targets:
            attr = _self_target(statement, self_name)
            if attr not in buffers or not derived.carries(statement.value):
                continue
            self.report(statement, f"buffer `{self_name}.{attr}` is reassigned in forward from a value that "
                                   "tracks gradients: it keeps the batch's graph alive (detach it or use "
                                   "torch.no_grad())")


def _self_target(statement, self_name):
    if isinstance(statement, cst.Assign) and len(statement.targets) == 1:
        target = statement.targets[0].target
    elif isinstance(statement, cst.AugAssign):
        target = statement.target
    else:
        return None
    if isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name) \
            and target.value.value == self_name:
        return target.attr.value
    return None


def _buffers(classes) -> Set[str]:
    names: Set[str] = set()
    for klass in classes:
        for method in klass.methods.values():
            stack = [method.body]
            while stack:
                node = stack.pop()
                stack.extend(children(node))
                if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) \
                        and node.func.attr.value == "register_buffer":
                    args = positional(node)
                    if args and isinstance(args[0], cst.SimpleString) and isinstance(args[0].evaluated_value, str):
                        names.add(args[0].evaluated_value)
    return names
