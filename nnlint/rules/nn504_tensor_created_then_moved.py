from typing import Optional

import libcst as cst

from nnlint.torch_tables import FACTORIES
from nnlint.tree import dotted_name, keyword
from nnlint.finding import Severity
from nnlint.rules._grad import first_line_code
from nnlint.rules.base import Invalid, Rule, Runtime, Valid, dedent

# Factories that take `device=` (from_numpy and the legacy typed constructors do not).
DEVICE_FACTORIES = frozenset(f for f in FACTORIES if f != "from_numpy" and not f[0].isupper())
# Conversions that may sit between the factory and the move: they keep the tensor on the CPU.
CONVERSIONS = frozenset({"float", "double", "half", "bfloat16", "long", "int", "short", "bool",
                         "byte", "char", "contiguous"})


class TensorCreatedThenMoved(Rule):
    """
    ## What it does
    Flags a tensor that a factory makes on the CPU and that is moved to a device in the same
    expression: `torch.zeros(n).cuda()`, `torch.randn(shape).to(device)`,
    `torch.tensor([0, 1]).to(x.device)`. A style rule: off by default (`--select NN504`).

    ## Why is this bad?
    The tensor is first allocated and filled on the CPU, then copied to the GPU, and the CPU
    copy is thrown away: two allocations and a host-to-device transfer (which synchronizes
    with the GPU) instead of one allocation on the device. In a `forward` or a training step
    it runs every iteration; the issues linked below measured the copy 2 to 2000 times slower
    than creating the tensor where it is needed. (A random tensor made on the CPU draws
    different numbers than one made on the GPU: keep the CPU form where seeds must match
    across devices.)

    ## Example
    ```python
    noise = torch.randn(batch, dim).to(device)
    ```

    ## Use instead
    ```python
    noise = torch.randn(batch, dim, device=device)
    ```

    ## References
    - https://pytorch.org/docs/stable/notes/cuda.html#best-practices
    - https://github.com/open-mmlab/mmsegmentation/issues/3231
    """

    code = "NN504"
    name = "tensor-created-then-moved"
    severity = Severity.STYLE
    summary = "a tensor made on the CPU and moved at once (`torch.zeros(n).cuda()`): pass `device=`"
    suggestion = "create it on the device: torch.zeros(n, device=device)"
    runtime = Runtime(unobservable="a style rule (the code behaves the same)")

    VALID = [
        Valid(dedent("""
            import torch

            def noise(n, generator, device):
                # a CPU generator draws on the CPU: device=... would raise
                return torch.rand(n, generator=generator).to(device)
        """)),
        Valid(dedent("""
            import numpy as np
            import torch

            def batch(arr, device, x):
                a = torch.from_numpy(arr).to(device)
                b = torch.zeros(4, device=device)
                c = torch.ones(3).to(torch.float16)
                d = torch.arange(5).to(dtype=torch.long)
                e = torch.randn(2, 2)
                e = e.to(device)
                return a, b, c, d, e, torch.empty(3).pin_memory().to(device, non_blocking=True)
        """)),
    ]
    INVALID = [
        Invalid(dedent("""
            import torch

            def init_hidden(batch, hidden, device):
                h = torch.zeros(1, batch, hidden).to(device)
                c = torch.zeros(1, batch, hidden).float().cuda()
                return h, c
        """), line=(4, 5)),
    ]

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not isinstance(func, cst.Attribute) or func.attr.value not in ("cuda", "to"):
            return
        if func.attr.value == "to" and not _moves_device(self.context, node):
            return
        factory = _factory_under(self.context, func.value)
        if factory is None:
            return
        self.report(node, f"`{first_line_code(self.context, node, 70)}` makes the tensor on the CPU and "
                          f"then copies it to the device: pass `device=` to `{factory}` instead")


def _moves_device(context, call: cst.Call) -> bool:
    """`.to(device)`, `.to("cuda")`, `.to(x.device)`, `.to(other_tensor)`: not `.to(torch.half)`."""
    if keyword(call, "device") is not None:
        return True
    args = [a for a in call.args if a.keyword is None and not a.star]
    if not args:
        return False
    target = args[0].value
    if "dtype" in (dotted_name(target) or "").rsplit(".", 1)[-1]:
        return False  # .to(dtype), .to(self.dtype)
    qualified = context.qualified_name(target) or ""
    return not (qualified.startswith("torch.") or qualified.startswith("builtins."))


def _factory_under(context, expr: cst.BaseExpression) -> Optional[str]:
    """`torch.zeros` when `expr` is `torch.zeros(...)` without `device=` (through conversions)."""
    while isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) \
            and expr.func.attr.value in CONVERSIONS:
        expr = expr.func.value
    if not isinstance(expr, cst.Call) or keyword(expr, "device") is not None or any(a.star == "**" for a in expr.args) \
            or keyword(expr, "generator") is not None:  # a generator draws on its own device
        return None  # (`*shape` cannot hold a device; `**kwargs` can)
    qualified = context.qualified_name(expr.func) or ""
    parts = qualified.split(".")
    if len(parts) == 2 and parts[0] == "torch" and (
            parts[1] in DEVICE_FACTORIES or parts[1] == "normal" and keyword(expr, "size") is not None):
        return first_line_code(context, expr.func, 30)
    return None
