from typing import Set, Tuple

import libcst as cst

from nnlint.dataflow import local_kinds
from nnlint.finding import Severity
from nnlint.rules._calls import calls_torch_op, is_scalar_data
from nnlint.rules._grad import first_line_code
from nnlint.rules.base import Invalid, Rule, Runtime, Valid, dedent
from nnlint.tree import children, first_param_name, keyword, positional

REGISTERS = frozenset({"register_buffer", "register_parameter", "add_module", "register_module"})
# A class that overrides these moves (or saves) its tensors itself.
MOVES_ITSELF = frozenset({"_apply", "to", "cuda"})


class TensorAttributeNotBuffer(Rule):
    """
    ## What it does
    Flags a tensor made in a Module's `__init__` (by `torch.zeros/ones/rand/randn/tensor/
    arange/eye/full/empty/...`, or computed from one) and stored as a plain attribute
    `self.x = ...`, neither registered with `register_buffer` nor wrapped in `nn.Parameter`.
    An attribute the class registers anywhere (`register_buffer("x", ...)`, `self.x =
    nn.Parameter(...)`) is not flagged, nor is a 0-dim `torch.tensor(2.0)`, nor a class that
    moves its tensors itself (overrides `_apply` or `to`).

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
            if _scalar(source.value, self.context):
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
        for attr, source in candidates:
            if attr in registered:
                continue
            value = source.value
            shown = first_line_code(self.context, value, 50)
            trains = _requires_grad(value)
            tail = ("it is not an nn.Parameter, so the optimizer never trains it" if trains else
                    "`.to(device)` leaves it behind and `state_dict()` does not save it")
            self.report(source, f"`self.{attr}` holds a tensor (`{shown}`) as a plain attribute: {tail}")


def _scalar(value, context) -> bool:
    """`torch.tensor(2.0)`: a 0-dim tensor works with tensors on any device."""
    if not isinstance(value, cst.Call) or context.qualified_name(value.func) not in (
            "torch.tensor", "torch.as_tensor"):
        return False
    args = positional(value)
    return bool(args) and is_scalar_data(args[0])


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
