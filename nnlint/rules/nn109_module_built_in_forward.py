from typing import Dict, Optional, Set

import libcst as cst

from nnlint import torch_api
from nnlint.context import ClassInfo
from nnlint.finding import Severity
from nnlint.rules.base import Invalid, Rule, Runtime, Valid, dedent
from nnlint.tree import iter_nodes

# torch.nn layers that create parameters or buffers when built with their defaults: a fresh
# one per call has fresh random weights (or fresh running statistics). Activations, pooling,
# dropout, padding, losses and the like hold nothing: building them in forward only costs time.
STATEFUL = frozenset("""
    Linear LazyLinear Bilinear Conv1d Conv2d Conv3d ConvTranspose1d ConvTranspose2d
    ConvTranspose3d LazyConv1d LazyConv2d LazyConv3d LazyConvTranspose1d LazyConvTranspose2d
    LazyConvTranspose3d BatchNorm1d BatchNorm2d BatchNorm3d LazyBatchNorm1d LazyBatchNorm2d
    LazyBatchNorm3d SyncBatchNorm LayerNorm GroupNorm RMSNorm Embedding EmbeddingBag RNN LSTM GRU
    RNNCell LSTMCell GRUCell MultiheadAttention PReLU Transformer TransformerEncoder
    TransformerDecoder TransformerEncoderLayer TransformerDecoderLayer AdaptiveLogSoftmaxWithLoss
""".split())
# keyword=False that leaves a norm layer without parameters (and, for batch norm, with
# track_running_stats=False too, without buffers)
AFFINE_KEYWORDS = {"LayerNorm": ("elementwise_affine",), "RMSNorm": ("elementwise_affine",),
                   "GroupNorm": ("affine",)}
BATCH_NORMS = frozenset({"BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "LazyBatchNorm1d",
                         "LazyBatchNorm2d", "LazyBatchNorm3d", "SyncBatchNorm"})
OPTIONAL_STATE = frozenset({"InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d",
                            "LazyInstanceNorm1d", "LazyInstanceNorm2d", "LazyInstanceNorm3d"})
REGISTERS = frozenset({"register_buffer", "register_parameter"})


def _keyword(call: cst.Call, name: str) -> Optional[cst.BaseExpression]:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == name:
            return arg.value
    return None


def _is_literal(expr: Optional[cst.BaseExpression], value: str) -> bool:
    return isinstance(expr, cst.Name) and expr.value == value


def torch_layer_is_stateful(name: str, call: cst.Call) -> bool:
    """Does `nn.<name>(...)` (as called) create parameters or buffers?"""
    if name in OPTIONAL_STATE:
        return _is_literal(_keyword(call, "affine"), "True") or \
            _is_literal(_keyword(call, "track_running_stats"), "True")
    if name not in STATEFUL:
        return False
    if name in AFFINE_KEYWORDS:
        return not any(_is_literal(_keyword(call, k), "False") for k in AFFINE_KEYWORDS[name])
    if name in BATCH_NORMS:
        return not (_is_literal(_keyword(call, "affine"), "False")
                    and _is_literal(_keyword(call, "track_running_stats"), "False"))
    return True


class ModuleBuiltInForward(Rule):
    """
    ## What it does
    Flags a layer with parameters or buffers (`nn.Linear`, `nn.Conv2d`, `nn.BatchNorm2d`,
    `nn.LSTM`, ..., or a Module class of the file that builds such layers or registers its
    own parameters) constructed inside a Module's `forward`.

    Layers that hold nothing (`nn.ReLU()`, `nn.MaxPool2d(2)`, `nn.Upsample(...)`, losses)
    are not flagged, nor are `nn.functional`, `nn.init` or `nn.utils` calls and
    `nn.Parameter`s: building those in forward costs time, not correctness.

    ## Why is this bad?
    A layer built in `forward` gets fresh random weights on every call. They are not
    attributes of the model, so `model.parameters()` never lists them: the optimizer never
    trains them, `state_dict()` never saves them, and `model.to("cuda")` does not move them
    (a device-mismatch error on GPU). The model's output is noise that changes every call.
    Stored lazily on `self` on the first call (`if self.proj is None: self.proj = ...`), the
    layer is registered only then: an optimizer built before the first forward never updates
    it, it is created on the default device, and `load_state_dict` before a first forward
    fails on its unexpected keys.

    ## Example
    ```python
    class Head(nn.Module):
        def forward(self, x):
            return nn.Linear(x.shape[-1], 10)(x)
    ```

    ## Use instead
    ```python
    class Head(nn.Module):
        def __init__(self, width):
            super().__init__()
            self.fc = nn.Linear(width, 10)

        def forward(self, x):
            return self.fc(x)
    ```
    When the input size is only known at the first call, `nn.LazyLinear(10)` built in
    `__init__` infers it.

    ## References
    - https://pytorch.org/docs/stable/generated/torch.nn.Module.html
    - https://pytorch.org/docs/stable/generated/torch.nn.LazyLinear.html
    """

    code = "NN109"
    name = "module-built-in-forward"
    severity = Severity.ERROR
    summary = "a layer with parameters constructed inside `forward`"
    suggestion = "build it once in __init__ (nn.LazyLinear & co. infer input sizes)"
    runtime = Runtime(("eval_nondeterministic",),
                      "fresh random weights every call: two eval() forwards differ")

    VALID = [
        Valid(dedent("""
            import torch
            import torch.nn as nn
            import torch.nn.functional as F

            class Net(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.fc = nn.Linear(4, 2)
                    self.norm = nn.LayerNorm(2)

                def forward(self, x):
                    x = nn.ReLU()(self.fc(x))
                    x = nn.MaxPool1d(2)(x)
                    x = F.layer_norm(x, x.shape[-1:])
                    w = nn.Parameter(torch.ones(2))
                    nn.init.normal_(w)
                    loss = nn.CrossEntropyLoss()(x, x.argmax(-1))
                    return nn.LayerNorm(2, elementwise_affine=False)(x), loss
        """)),
        Valid(dedent("""
            import torch
            from torch import nn

            class Blur(nn.Module):
                def forward(self, x):
                    conv = nn.Conv2d(1, 1, 3, padding=1, bias=False)
                    conv.weight.data = torch.full((1, 1, 3, 3), 1 / 9)  # a fixed filter, not random
                    return conv(x)
        """)),
        Valid(dedent("""
            from torch import nn

            class Builder(nn.Module):
                def make(self):
                    return nn.Linear(2, 2)  # not in forward

            def forward(x):
                return nn.Linear(2, 2)(x)  # not a method
        """)),
    ]
    INVALID = [
        Invalid(dedent("""
            import torch.nn as nn

            class Head(nn.Module):
                def forward(self, x):
                    return nn.Linear(x.shape[-1], 10)(x)
        """), line=5),
        Invalid(dedent("""
            import torch
            from torch import nn

            class Block(nn.Module):
                def __init__(self, width):
                    super().__init__()
                    self.scale = nn.Parameter(torch.ones(width))

            class Net(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.proj = None

                def forward(self, x):
                    if self.proj is None:
                        proj = nn.Conv2d(x.shape[1], 8, 1)
                        self.proj = proj
                    x = self.proj(x)
                    return Block(8)(x)
        """), line=(16, 19)),
    ]

    def __init__(self, context):
        super().__init__(context)
        self._stateful: Dict[str, Optional[bool]] = {}
        self._lazy: Dict[cst.FunctionDef, tuple] = {}

    def _stateful_local(self, info: ClassInfo, seen: Set[str]) -> bool:
        """A Module class of the file that creates parameters or buffers when built."""
        if info.name in self._stateful:
            return bool(self._stateful[info.name])
        if info.name in seen:
            return False
        seen = seen | {info.name}
        answer = False
        for base in info.base_names:
            if base is None:
                continue
            if torch_api.is_module_class(base) and base.rsplit(".", 1)[1] in STATEFUL:
                answer = True
            elif base in self.context.classes_by_name and base not in self.context.bindings:
                answer = self._stateful_local(self.context.classes_by_name[base], seen)
            if answer:
                break
        if not answer:
            for name in info.methods_called_from("__init__"):
                for call in iter_nodes(info.methods[name].body, cst.Call):
                    func = call.func
                    if self.context.builds_parameter(call) or (
                            isinstance(func, cst.Attribute) and func.attr.value in REGISTERS) or \
                            self._stateful_call(call, seen):
                        answer = True
                        break
                if answer:
                    break
        self._stateful[info.name] = answer
        return answer

    def _stateful_call(self, call: cst.Call, seen: Set[str]) -> Optional[str]:
        """The class name shown in the message if `call` builds a stateful layer."""
        built = self.context.builds_module(call)
        if built is None:
            return None
        if built.startswith("nn."):
            return built if torch_layer_is_stateful(built[3:], call) else None
        info = self.context.classes_by_name.get(built)
        if info is None or sum(other.name == built for other in self.context.classes.values()) > 1 \
                or self.context.qualified_name(call.func) != built:
            return None  # several classes share the name, or one of another file: unknown
        return built if self._stateful_local(info, seen) else None

    def _in_forward(self) -> bool:
        method = self.context.current_method
        return method is not None and method.name.value == "forward" \
            and self.context.enclosing_module_class is not None

    def _uses(self, method: cst.FunctionDef):
        """(calls whose result is stored on `self`, calls whose weights are then set by hand).

        Stored: `self.x = nn.X(...)`, or `layer = nn.X(...)` and later `self.x = layer`.
        Set by hand: `conv = nn.Conv2d(...)` and later `conv.weight = ...`, `conv.weight.data
        = ...`, `conv.weight.copy_(...)`, `nn.init.*(conv.weight)`: a fixed filter, not random.
        """
        if method not in self._lazy:
            self_name = self.context.self_name
            stored, lazy, bound, weighted = set(), set(), {}, set()
            for assign in iter_nodes(method.body, cst.Assign):
                to_self = any(isinstance(t.target, cst.Attribute) and isinstance(t.target.value, cst.Name)
                              and t.target.value.value == self_name for t in assign.targets)
                if isinstance(assign.value, cst.Call):
                    if to_self:
                        lazy.add(id(assign.value))
                    for target in assign.targets:
                        if isinstance(target.target, cst.Name):
                            bound[target.target.value] = id(assign.value)
                elif to_self and isinstance(assign.value, cst.Name):
                    stored.add(assign.value.value)
            for node in iter_nodes(method.body, cst.Attribute):
                if node.attr.value in ("weight", "bias") and isinstance(node.value, cst.Name):
                    weighted.add(node.value.value)
            written = {name for name in weighted if self._weight_written(method, name)}
            lazy.update(call for name, call in bound.items() if name in stored)
            fixed = {call for name, call in bound.items() if name in written and call not in lazy}
            self._lazy[method] = (lazy, fixed)
        return self._lazy[method]

    def _weight_written(self, method: cst.FunctionDef, name: str) -> bool:
        def is_weight(expr) -> bool:
            while isinstance(expr, (cst.Attribute, cst.Subscript)):
                if isinstance(expr, cst.Attribute) and expr.attr.value in ("weight", "bias") \
                        and isinstance(expr.value, cst.Name) and expr.value.value == name:
                    return True
                expr = expr.value
            return False

        for assign in iter_nodes(method.body, cst.Assign):
            if any(is_weight(t.target) for t in assign.targets):
                return True
        for call in iter_nodes(method.body, cst.Call):
            func = call.func
            if isinstance(func, cst.Attribute) and func.attr.value.endswith("_") and is_weight(func.value):
                return True
            if (self.context.qualified_name(func) or "").startswith("torch.nn.init.") \
                    and call.args and is_weight(call.args[0].value):
                return True
        return False

    def visit_Call(self, node: cst.Call) -> None:
        if not self._in_forward():
            return
        built = self._stateful_call(node, set())
        if built is None:
            return
        lazy, fixed = self._uses(self.context.current_method)
        if id(node) in fixed:
            return
        if id(node) in lazy:
            self.report(node, f"`{built}(...)` is built in forward and stored on `self`: parameters() "
                              "lacks it until that call, so an optimizer made before never trains "
                              "it, and it is created on the default device")
        else:
            self.report(node, f"`{built}(...)` is built inside forward: fresh random weights every "
                              "call, never trained or saved")
