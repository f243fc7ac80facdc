from typing import Dict, Optional, Set

import libcst as cst

from nnlint.context import ClassInfo
from nnlint.finding import Severity
from nnlint.rules._grad_mode import GradModeTracker, inplace_method, where
from nnlint.rules.base import Invalid, Rule, Runtime, Valid, dedent
from nnlint.tree import first_param_name, iter_nodes

# The parameters a torch layer holds as attributes, by class.
LAYER_PARAMETERS = {
    **{name: ("weight", "bias") for name in (
        "Linear", "LazyLinear", "Bilinear", "Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d",
        "ConvTranspose2d", "ConvTranspose3d", "LazyConv1d", "LazyConv2d", "LazyConv3d",
        "LazyConvTranspose1d", "LazyConvTranspose2d", "LazyConvTranspose3d", "LayerNorm",
        "GroupNorm", "BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "SyncBatchNorm")},
    **{name: ("weight",) for name in ("Embedding", "EmbeddingBag", "RMSNorm", "PReLU")},
}


def _frozen(call: cst.Call) -> bool:
    """`nn.Parameter(t, requires_grad=False)` (or `False` as the second argument)."""
    for index, arg in enumerate(call.args):
        if (arg.keyword is not None and arg.keyword.value == "requires_grad") or \
                (arg.keyword is None and index == 1):
            return not (isinstance(arg.value, cst.Name) and arg.value.value == "True")
    return False


def _torch_layer(context, call: cst.Call) -> str:
    """`Linear` for `nn.Linear(...)`, "" for anything but a torch layer."""
    built = context.builds_module(call) or ""
    return built[3:] if built.startswith("nn.") else ""


class InplaceOnParameter(Rule, GradModeTracker):
    """
    ## What it does
    Flags an in-place change of a parameter of the module in `forward` (or a method it
    calls), outside `torch.no_grad()` (and `inference_mode()`, `set_grad_enabled(flag)` unless
    the flag is `True`): `self.w += x`, `self.w[i] = v`, `self.w.add_(x)`,
    `self.w.clamp_(...)`, `self.fc.weight.mul_(s)`. A parameter is an attribute the class
    assigns an `nn.Parameter` (not `requires_grad=False`) or registers with
    `register_parameter`, or the `weight`/`bias` of a torch layer it holds.

    ## Why is this bad?
    A parameter is a leaf tensor that requires grad; autograd forbids changing it in place
    while it records: the forward raises `RuntimeError: a leaf Variable that requires grad is
    being used in an in-place operation.` Where it does run (under `torch.no_grad()` at
    inference), every call changes the weights, so outputs drift from call to call.

    ## Example
    ```python
    def forward(self, x):
        self.scale += 0.1
        return x * self.scale
    ```

    ## Use instead
    ```python
    def forward(self, x):
        return x * (self.scale + 0.1)
    ```
    If the update is meant to persist (an EMA, a clamp after the optimizer step), do it under
    `with torch.no_grad():` outside the graph, or keep the value in a buffer.

    ## References
    - https://pytorch.org/docs/stable/notes/autograd.html#in-place-operations-with-autograd
    """

    code = "NN205"
    name = "inplace-on-parameter"
    severity = Severity.ERROR
    summary = "a parameter changed in place in `forward` while autograd records"
    suggestion = "use an out-of-place op (self.w + x), or change it under torch.no_grad() outside forward"
    runtime = Runtime(("inplace_leaf",), "backward raises")

    VALID = [
        Valid(dedent("""
            import torch
            from torch import nn

            class Net(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.scale = nn.Parameter(torch.ones(1))
                    self.count = nn.Parameter(torch.zeros(1), requires_grad=False)
                    self.fc = nn.Linear(4, 2)
                    self.register_buffer("steps", torch.zeros(1))

                def forward(self, x):
                    self.count += 1
                    self.steps.add_(1)
                    with torch.no_grad():
                        self.scale.clamp_(0.0, 4.0)
                    y = self.fc(x) * self.scale
                    y += 1
                    return y

                def reset_parameters(self):
                    self.fc.weight.normal_(0, 0.02)
        """)),
        Valid(dedent("""
            import torch
            import torch.nn as nn

            class Net(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.w = nn.Parameter(torch.ones(2))

                @torch.no_grad()
                def forward(self, x):
                    self.w.mul_(0.99)
                    return x * self.w
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
                    self.fc = nn.Linear(4, 2)

                def forward(self, x):
                    self.scale += 0.1
                    self.fc.weight.clamp_(-1, 1)
                    return self.fc(x) * self.scale
        """), line=(11, 12)),
        Invalid(dedent("""
            import torch
            import torch.nn as nn

            class Codebook(nn.Module):
                def __init__(self, n, d):
                    super().__init__()
                    self.register_parameter("embed", nn.Parameter(torch.randn(n, d)))

                def update(self, x, idx):
                    self.embed[idx] = x

                def forward(self, x, idx):
                    self.update(x, idx)
                    return self.embed[idx]
        """), line=10),
    ]

    def __init__(self, context):
        super().__init__(context)
        self._parameters: Dict[cst.ClassDef, Set[str]] = {}

    def _parameters_of(self, info: ClassInfo, seen: Optional[Set[str]] = None) -> Set[str]:
        """Dotted names under self that are trainable parameters: {"scale", "fc.weight"}."""
        if info.node in self._parameters:
            return self._parameters[info.node]
        seen = (seen or set()) | {info.name}
        found: Set[str] = set()
        other: Set[str] = set()
        for base in info.base_names:
            local = self.context.classes_by_name.get(base or "")
            if local is not None and base not in self.context.bindings and base not in seen:
                found |= self._parameters_of(local, seen)
        for method in info.methods.values():
            self_name = first_param_name(method)
            if self_name is None:
                continue
            for assign in iter_nodes(method.body, cst.Assign):
                for target in assign.targets:
                    t = target.target
                    if not (isinstance(t, cst.Attribute) and isinstance(t.value, cst.Name)
                            and t.value.value == self_name):
                        continue
                    value = assign.value
                    if isinstance(value, cst.Call) and self.context.builds_parameter(value):
                        (other if _frozen(value) else found).add(t.attr.value)
                    elif isinstance(value, cst.Call) and _torch_layer(self.context, value) in LAYER_PARAMETERS:
                        held = LAYER_PARAMETERS[_torch_layer(self.context, value)]
                        found.update(f"{t.attr.value}.{p}" for p in held)
                    elif not (isinstance(value, cst.Name) and value.value == "None"):
                        other.add(t.attr.value)
            for call in iter_nodes(method.body, cst.Call):
                func = call.func
                if isinstance(func, cst.Attribute) and func.attr.value == "register_parameter" \
                        and isinstance(func.value, cst.Name) and func.value.value == self_name \
                        and len(call.args) >= 2 and isinstance(call.args[0].value, cst.SimpleString):
                    name = call.args[0].value.evaluated_value
                    value = call.args[1].value
                    if isinstance(name, str) and isinstance(value, cst.Call) \
                            and self.context.builds_parameter(value) and not _frozen(value):
                        found.add(name)
                    elif isinstance(name, str):
                        other.add(name)
        # a name also given something else (a tensor, a frozen parameter) is not surely trainable
        result = {name for name in found if name.split(".")[0] not in other}
        self._parameters[info.node] = result
        return result

    def _parameter(self, expr: cst.BaseExpression) -> Optional[str]:
        """`scale` for `self.scale` (or `fc.weight` for `self.fc.weight`) if it is a parameter."""
        parts = []
        while isinstance(expr, cst.Attribute):
            parts.insert(0, expr.attr.value)
            expr = expr.value
        if not parts or not self.context.is_self(expr):
            return None
        name = ".".join(parts)
        info = self.context.enclosing_module_class
        return name if info is not None and name in self._parameters_of(info) else None

    def _report(self, node: cst.CSTNode, name: str, how: str) -> None:
        if not self.grad_recording():
            return
        self.report(node, f"parameter `self.{name}` {how} in {where(self.forward_method())}: "
                          "a leaf that requires grad cannot change in place while autograd records")

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        target = node.target.value if isinstance(node.target, cst.Subscript) else node.target
        name = self._parameter(target)
        if name is not None:
            self._report(node, name, "is changed in place")

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            if isinstance(target.target, cst.Subscript):
                name = self._parameter(target.target.value)
                if name is not None:
                    self._report(node, name, "is written by index")

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Attribute) and inplace_method(func.attr.value):
            name = self._parameter(func.value)
            if name is not None:
                self._report(node, name, f"is changed by `.{func.attr.value}()`")
