from typing import Dict, Set, Tuple

import libcst as cst

from nnlint.dataflow import local_kinds
from nnlint.finding import Severity
from nnlint.rules._calls import calls_torch_op, is_scalar_data
from nnlint.rules._grad import first_line_code
from nnlint.rules._meets import meets_model_tensors, moves_attribute
from nnlint.rules._torch_refs import ancestors, parent
from nnlint.rules.base import Invalid, Rule, Runtime, Valid, dedent
from nnlint.torch_tables import FACTORIES
from nnlint.tree import children, first_param_name, iter_nodes, keyword, positional

REGISTERS = frozenset({"register_buffer", "register_parameter", "add_module", "register_module"})
# A class that overrides these moves (or saves) its tensors itself.
MOVES_ITSELF = frozenset({"_apply", "to", "cuda"})
# Results with as many dimensions as the argument: a 0-dim tensor stays 0-dim.
ELEMENTWISE = frozenset({"sqrt", "rsqrt", "log", "log2", "log10", "exp", "abs", "neg", "sin", "cos",
                         "tanh", "sigmoid", "float", "double", "half", "bfloat16", "long", "int",
                         "reciprocal", "square", "clone", "detach"})
# Reductions over every dimension (without `dim`): their result is 0-dim.
REDUCTIONS = frozenset({"prod", "sum", "mean", "max", "min", "norm", "amax", "amin", "std", "var"})
VECTORS = frozenset({"torch.linspace", "torch.logspace", "torch.arange"})
_NUMBER_TYPES = frozenset({"int", "float", "bool"})


class TensorAttributeNotBuffer(Rule):
    """
    ## What it does
    Flags a tensor made in a Module's `__init__` (by `torch.zeros/ones/rand/randn/tensor/
    arange/eye/full/empty/...`, or computed from one) and stored as a plain attribute
    `self.x = ...`, neither registered with `register_buffer` nor wrapped in `nn.Parameter`.
    An attribute the class registers anywhere (`register_buffer("x", ...)`, `self.x =
    nn.Parameter(...)`) is not flagged, nor is a 0-dim tensor (`torch.tensor(2.0)`,
    `torch.tensor(p)` for a `p: float`, `torch.sqrt(torch.tensor(d))`, a full reduction like
    `torch.prod(...)`), nor one made with an explicit `device=`, nor a class that moves its
    tensors itself (overrides `_apply` or `to`), nor an attribute an owner's `_apply` moves
    (`m.stride = fn(m.stride)`), in the same file, a file beside it or one in the folder above
    (a detection model's `_apply` in `nn/tasks.py` for its head in `nn/modules/head.py`).

    The attribute must meet the model's tensors in `forward` (or a method forward calls): in
    arithmetic or a comparison with a non-constant, in `torch.cat`/`matmul`/`F.*` with other
    tensors, in `x.masked_fill(...)` and the like, or passed to a submodule (also through a
    local, or a parameter of the class's own method). Not flagged: a tensor the class moves
    where it uses it (`self.t = self.t.to(x.device)` or `self.t.to(x.device)` at each use), a
    lazily filled cache re-homed by its helper, a 1-D schedule read one number at a time
    (`self.temps[epoch]`), and tensors used only outside forward (a sampler or a transform's
    parameters drawn on the CPU), or only passed to functions nnlint does not know.

    ## Why is this bad?
    A Module knows its parameters, buffers and submodules; a plain tensor attribute is none of
    them. `model.to("cuda")` (or `.half()`) moves everything else and leaves it on the CPU, so
    the first forward on the GPU raises `Expected all tensors to be on the same device, but
    found at least two devices, cuda:0 and cpu!`. `state_dict()` does not contain it either:
    a checkpoint silently drops it, and a random tensor comes back different after reloading.
    With `requires_grad=True` it is worse: the optimizer never sees it, so it never trains.

    ## Example
    ```python
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.mask = torch.tril(torch.ones(8, 8))
    ```

    ## Use instead
    ```python
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("mask", torch.tril(torch.ones(8, 8)))
    ```
    Pass `persistent=False` for a tensor that can be rebuilt and need not be saved; use
    `nn.Parameter(...)` for one that should be trained.

    ## References
    - https://pytorch.org/docs/stable/generated/torch.nn.Module.html#torch.nn.Module.register_buffer
    - https://pytorch.org/docs/stable/notes/serialization.html#what-is-a-state-dict
    """

    code = "NN105"
    name = "tensor-attribute-not-buffer"
    severity = Severity.WARNING
    summary = "a tensor made in `__init__` stored as a plain attribute, not a buffer"
    suggestion = "self.register_buffer(name, tensor) (persistent=False if it is not state), or nn.Parameter"
    runtime = Runtime(("plain_tensor",),
                      "the attribute stays on the old device after .to(device), and is absent from "
                      "state_dict()")

    VALID = [
        Valid(dedent("""
            import torch
            from torch import nn

            class Net(nn.Module):
                def __init__(self, n):
                    super().__init__()
                    self.register_buffer("mask", torch.tril(torch.ones(n, n)))
                    self.weight = nn.Parameter(torch.randn(n, n))
                    self.eps = torch.finfo(torch.float32).eps
                    self.dtype = torch.float16
                    self.device = torch.device("cpu")
                    self.scale = torch.tensor(0.5)
                    self.shape = torch.Size([n, n])
                    pos = torch.arange(n)
                    self.register_buffer("pos", pos, persistent=False)
        """)),
        Valid(dedent("""
            import torch
            from torch import nn

            class Net(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.anchors = torch.zeros(4, 2)
                    self.register_buffer("anchors", self.anchors)
                    self.table = torch.randn(8)
                    self.reset()

                def reset(self):
                    self.table = nn.Parameter(torch.randn(8))
        """)),
        Valid(dedent("""
            import torch

            class Dataset:
                def __init__(self):
                    self.data = torch.randn(100, 4)  # not a Module
        """)),
        Valid(dedent("""
            import torch
            from torch import nn

            class Cached(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.table = torch.randn(8)

                def _apply(self, fn, recurse=True):
                    self.table = fn(self.table)
                    return super()._apply(fn, recurse)
        """)),
    ]
    INVALID = [
        Invalid(dedent("""
            import torch
            from torch import nn

            class FixedHiddenMLP(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.rand_weight = torch.rand((20, 20), requires_grad=False)
                    self.linear = nn.Linear(20, 20)

                def forward(self, x):
                    return self.linear(torch.relu(torch.mm(self.linear(x), self.rand_weight) + 1))
        """), line=7),
        Invalid(dedent("""
            import torch
            import torch.nn as nn

            class Attention(nn.Module):
                def __init__(self, size, dim):
                    super().__init__()
                    mask = torch.ones(size, size)
                    self.mask = torch.tril(mask).view(1, 1, size, size)
                    self.temperature = torch.ones(1, requires_grad=True)
                    self.scale: torch.Tensor = torch.tensor([dim ** -0.5])

                def forward(self, q, k):
                    t = q.size(1)
                    mask = self.mask[:, :, :t, :t]
                    att = self.logits(q, k) / self.temperature
                    return att.masked_fill(mask == 0, float("-inf")).softmax(-1)

                def logits(self, q, k):
                    return q @ k.transpose(-2, -1) * self.scale
        """), line=(8, 9, 10)),
    ]
    VALID = VALID + [
        Valid(dedent("""
            import torch
            from torch import nn

            class Layer(nn.Module):
                def __init__(self, width, attn_mask: torch.Tensor):
                    super().__init__()
                    self.fc = nn.Linear(width, width)
                    self.attn_mask = attn_mask  # given, not made here: the caller owns it
        """)),
        Valid(dedent("""
            import torch
            from torch import nn

            class Decoder(nn.Module):
                def __init__(self, dim, alpha, bins):
                    super().__init__()
                    self._future_mask = torch.empty(0)  # a lazily filled cache
                    self.alpha = torch.tensor(alpha)
                    self.bins = torch.linspace(0, 1, bins)

                def future_mask(self, x):
                    n = x.size(1)
                    if self._future_mask.size(0) < n:
                        self._future_mask = torch.triu(torch.full((n, n), float("-inf")), 1)
                    self._future_mask = self._future_mask.to(x)
                    return self._future_mask[:n, :n]

                def forward(self, x, pred):
                    self.alpha = self.alpha.to(device=pred.device)  # re-homed where it is used
                    index = torch.bucketize(x, self.bins.to(x.device))
                    return (x + self.future_mask(x)) * self.alpha + index
        """)),
        Valid(dedent("""
            import torch
            from torch import nn

            class Head(nn.Module):
                def __init__(self, n):
                    super().__init__()
                    self.stride = torch.zeros(n)  # the owning model moves it

                def forward(self, x):
                    return x * self.stride.view(1, -1, 1, 1)

            class Detector(nn.Module):
                def _apply(self, fn, recurse=True):
                    self = super()._apply(fn, recurse)
                    head = self.model[-1]
                    head.stride = fn(head.stride)
                    return self
        """)),
        Valid(dedent("""
            import math
            import torch
            from torch import nn

            class RandomResizedCrop(nn.Module):
                def __init__(self, scale, ratio, dim, fill: float = 0.0):
                    super().__init__()
                    self.log_ratio = torch.log(torch.tensor(ratio))  # sampling bounds, on the CPU
                    self.fill = torch.tensor(fill)
                    self.area = torch.prod(torch.tensor(scale))
                    self.proj = nn.Linear(dim, dim)
                    self.scaling = torch.sqrt(torch.tensor(dim).float())
                    self.schedule = torch.linspace(0.5, 1.0, 10)

                def sample(self, epoch):
                    aspect = torch.exp(torch.empty(1).uniform_(self.log_ratio[0], self.log_ratio[1]))
                    return aspect * self.schedule[epoch]

                def forward(self, x, epoch=0):
                    x = x * self.fill + self.area / self.scaling
                    return x * self.schedule[epoch]

            class Meter(nn.Module):
                def __init__(self, n):
                    super().__init__()
                    self.totals = torch.zeros(n)  # bookkeeping outside forward

                def update(self, preds):
                    self.totals += preds.sum(0).cpu()

                def forward(self, x):
                    return x
        """)),
    ]

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        info = self.context.classes.get(node)
        if info is None or not info.is_module:
            return
        init = info.methods.get("__init__")
        if init is None or first_param_name(init) is None or not calls_torch_op(self.context, init.body):
            return
        flow = local_kinds(self.context, init)
        candidates = []
        for attr, kind, source in flow.attr_writes:
            if kind is None or not isinstance(source, (cst.Assign, cst.AnnAssign, cst.AugAssign)):
                continue
            if not kind.is_tensor or kind.origin in ("parameter", "buffer", "argument"):
                continue
            if _zero_dim(self.context, source.value, source) or _device_chosen(self.context, source.value):
                continue
            candidates.append((attr, source))
        if not candidates:
            return
        classes = flow.dataflow.hierarchy(info)
        if any(name in MOVES_ITSELF for klass in classes for name in klass.methods):
            return
        registered, dynamic = _registered(self.context, classes)
        if dynamic:
            return
        moved_by_owner = _moved_by_owner(self.context)
        if self.context.project is not None:  # an owner in a sibling file, or the package above
            moved_by_owner |= self.context.project.moved_by_owners(self.context.path)
        methods = _methods(classes)
        for attr, source in candidates:
            if attr in registered or attr in moved_by_owner:
                continue
            if not self._meets_in_forward(attr, methods, _is_vector(self.context, source.value)):
                continue
            value = source.value
            shown = first_line_code(self.context, value, 50)
            trains = _requires_grad(value)
            tail = ("it is not an nn.Parameter, so the optimizer never trains it" if trains else
                    "`.to(device)` leaves it behind and `state_dict()` does not save it")
            self.report(source, f"`self.{attr}` holds a tensor (`{shown}`) as a plain attribute: {tail}")

    def _meets_in_forward(self, attr: str, methods: Dict[str, cst.FunctionDef], vector: bool) -> bool:
        for name in _reached_from_forward(methods):
            method = methods[name]
            self_name = first_param_name(method)
            if self_name is None or name == "__init__" or moves_attribute(method, self_name, attr):
                continue
            for read in iter_nodes(method.body, cst.Attribute):
                if read.attr.value != attr or not isinstance(read.value, cst.Name) \
                        or read.value.value != self_name or (vector and _one_number(self.context, read)):
                    continue
                if meets_model_tensors(self.context, read, method, methods):
                    return True
        return False


def _methods(classes) -> Dict[str, cst.FunctionDef]:
    """The methods of the hierarchy, the class's own first."""
    found: Dict[str, cst.FunctionDef] = {}
    for klass in classes:
        for name, method in klass.methods.items():
            found.setdefault(name, method)
    return found


def _reached_from_forward(methods: Dict[str, cst.FunctionDef]) -> Set[str]:
    reached: Set[str] = set()
    todo = ["forward"]
    while todo:
        name = todo.pop()
        if name in reached or name not in methods:
            continue
        reached.add(name)
        self_name = first_param_name(methods[name])
        for call in iter_nodes(methods[name].body, cst.Call):
            func = call.func
            if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value == self_name:
                todo.append(func.attr.value)
    return reached


def _zero_dim(context, value: cst.BaseExpression, source: cst.CSTNode) -> bool:
    """`torch.tensor(2.0)`, `torch.tensor(p)` for a number `p`, `torch.sqrt(torch.tensor(d).float())`,
    `torch.prod(torch.tensor(shape))`: a 0-dim tensor works with tensors on any device."""
    if isinstance(value, cst.BinaryOperation):
        sides = (value.left, value.right)
        return all(is_scalar_data(v) or _zero_dim(context, v, source) for v in sides)
    if not isinstance(value, cst.Call):
        return False
    qualified = context.qualified_name(value.func) or ""
    args = positional(value)
    if qualified in ("torch.tensor", "torch.as_tensor"):
        return bool(args) and (is_scalar_data(args[0]) or _number_name(context, args[0], source))
    if isinstance(value.func, cst.Attribute) and qualified == "":  # a method: `t.float()`, `t.sum()`
        method = value.func.attr.value
        if method in REDUCTIONS and not value.args:
            return True
        return method in ELEMENTWISE and _zero_dim(context, value.func.value, source)
    name = qualified.rsplit(".", 1)[-1]
    if qualified.startswith("torch.") and args and len(value.args) == 1:
        return name in REDUCTIONS or (name in ELEMENTWISE and _zero_dim(context, args[0], source))
    return False


def _number_name(context, expr: cst.BaseExpression, source: cst.CSTNode) -> bool:
    """A parameter annotated `float`/`int`/`bool`, a name under `isinstance(name, float)`, or
    one that sizes a layer (`nn.Linear(d, d)`)."""
    if not isinstance(expr, cst.Name):
        return False
    function = None
    for above, _child in ancestors(context, source):
        if isinstance(above, cst.If) and _isinstance_number(context, above.test, expr.value):
            return True
        if isinstance(above, cst.FunctionDef):
            function = above
            break
    if function is None:
        return False
    for param in [*function.params.params, *function.params.kwonly_params]:
        if param.name.value == expr.value and param.annotation is not None:
            annotation = param.annotation.annotation
            return isinstance(annotation, cst.Name) and annotation.value in _NUMBER_TYPES
    for call in iter_nodes(function.body, cst.Call):  # a layer width: `nn.Linear(dim, attn_dim)`
        if context.builds_module(call) and any(isinstance(a, cst.Name) and a.value == expr.value
                                               for a in positional(call)):
            return True
    return False


def _isinstance_number(context, test: cst.BaseExpression, name: str) -> bool:
    if not (isinstance(test, cst.Call) and context.qualified_name(test.func) == "builtins.isinstance"
            and len(test.args) == 2 and isinstance(test.args[0].value, cst.Name)
            and test.args[0].value.value == name):
        return False
    kinds = test.args[1].value
    elements = [e.value for e in kinds.elements] if isinstance(kinds, cst.Tuple) else [kinds]
    return all(isinstance(e, cst.Name) and e.value in _NUMBER_TYPES for e in elements)


def _device_chosen(context, value: cst.BaseExpression) -> bool:
    """A factory told where to make it: `torch.arange(n, device=signal.device)`."""
    for call in iter_nodes(value, cst.Call):
        qualified = context.qualified_name(call.func) or ""
        if qualified.startswith("torch.") and qualified[6:] in FACTORIES:
            device = keyword(call, "device")
            if device is not None and not (isinstance(device.value, cst.Name) and device.value.value == "None"):
                return True
    return False


def _is_vector(context, value: cst.BaseExpression) -> bool:
    return isinstance(value, cst.Call) and context.qualified_name(value.func) in VECTORS


def _one_number(context, read: cst.Attribute) -> bool:
    """`self.temps[epoch]` of a 1-D tensor: a 0-dim value, fine on any device."""
    above = parent(context, read)
    return isinstance(above, cst.Subscript) and above.value is read and len(above.slice) == 1 \
        and isinstance(above.slice[0].slice, cst.Index) \
        and isinstance(above.slice[0].slice.value, (cst.Name, cst.Integer, cst.Attribute))


def _moved_by_owner(context) -> Set[str]:
    """Attributes an `_apply`/`to` override of the file moves on other objects: a detection
    model's `m.stride = fn(m.stride)` for its head."""
    names: Set[str] = set()
    for info in context.classes.values():
        for name in MOVES_ITSELF:
            method = info.methods.get(name)
            if method is None:
                continue
            self_name = first_param_name(method)
            for assign in iter_nodes(method.body, cst.Assign):
                for target in assign.targets:
                    t = target.target
                    if isinstance(t, cst.Attribute) and not (isinstance(t.value, cst.Name) and t.value.value == self_name):
                        names.add(t.attr.value)
    return names


def _requires_grad(value) -> bool:
    if isinstance(value, cst.Call):
        arg = keyword(value, "requires_grad")
        if arg is not None and isinstance(arg.value, cst.Name) and arg.value.value == "True":
            return True
    return False


def _registered(context, classes) -> Tuple[Set[str], bool]:
    """Names registered as buffers/parameters/submodules (or assigned a Parameter) anywhere in
    the hierarchy, and whether some registration uses a name not written out."""
    names: Set[str] = set()
    for klass in classes:
        for method in klass.methods.values():
            self_name = first_param_name(method)
            stack = [method.body]
            while stack:
                node = stack.pop()
                stack.extend(children(node))
                if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) \
                        and node.func.attr.value in REGISTERS:
                    args = positional(node)
                    if not args:
                        continue
                    if isinstance(args[0], cst.SimpleString) and isinstance(args[0].evaluated_value, str):
                        names.add(args[0].evaluated_value)
                    elif node.func.attr.value in ("register_buffer", "register_parameter"):
                        return names, True
                elif isinstance(node, cst.Assign) and isinstance(node.value, cst.Call) \
                        and context.builds_parameter(node.value):
                    for target in node.targets:
                        t = target.target
                        if isinstance(t, cst.Attribute) and isinstance(t.value, cst.Name) \
                                and t.value.value == self_name:
                            names.add(t.attr.value)
    return names, False
