import libcst as cst

from nnlint.dataflow import local_kinds
from nnlint.finding import Severity
from nnlint.rules._grad import first_line_code
from nnlint.rules.base import Invalid, Rule, Runtime, Valid, dedent
from nnlint.tree import dotted_name

# Tensor methods that return a moved or converted copy and leave the tensor itself as it was.
MOVES = frozenset({
    "cuda", "cpu", "to", "xpu", "half", "float", "double", "bfloat16", "long", "int", "short",
    "byte", "char", "bool", "type", "pin_memory",
})


class DiscardedTensorMove(Rule):
    """
    ## What it does
    Flags a statement `t.cuda()`, `t.to(...)`, `t.cpu()`, `t.half()`, `t.float()`... whose
    result is thrown away, where `t` is known to be a tensor (made by a torch factory or op,
    a tensor method, or an `nn.Parameter`).

    ## Why is this bad?
    `Module.to()` and `Module.cuda()` move a model in place, so `model.to(device)` on its own
    line works, and the habit carries over to tensors. But a tensor's `.to()`, `.cuda()`,
    `.half()` return a *new* tensor and leave `t` where and what it was: the next line still
    uses the CPU (or float32) tensor, and the first operation mixing it with the model's
    outputs raises `Expected all tensors to be on the same device, but found at least two
    devices, cuda:0 and cpu!`, or the conversion silently never happens.

    ## Example
    ```python
    x = torch.randn(4, 2)
    x.cuda()
    out = model(x)
    ```

    ## Use instead
    ```python
    x = torch.randn(4, 2)
    x = x.cuda()
    out = model(x)
    ```

    ## References
    - https://pytorch.org/docs/stable/generated/torch.Tensor.to.html
    - https://pytorch.org/docs/stable/generated/torch.nn.Module.html#torch.nn.Module.to
    """

    code = "NN501"
    name = "discarded-tensor-move"
    severity = Severity.ERROR
    summary = "`t.to(...)`/`t.cuda()` on a tensor as a statement: the moved copy is thrown away"
    suggestion = "assign the result: t = t.to(device)"
    runtime = Runtime(unobservable="the moved copy is lost without an error; on one device nothing differs")

    VALID = [
        Valid(dedent("""
            import torch
            from torch import nn

            model = nn.Linear(2, 2)
            model.to("cuda")
            model.half()
            x = torch.randn(4, 2)
            x = x.to("cuda")
            y = x.float()
            loss_fn = nn.MSELoss()
            loss_fn.cuda()
        """)),
        Valid(dedent("""
            import torch

            def send(batch, device):
                batch.to(device)  # unknown type: a Module, a custom batch class...
                for t in batch.tensors:
                    t.cuda()
        """)),
        Valid(dedent("""
            import tensorflow as tf

            x = tf.zeros(3)
            x.cpu()
        """)),
        Valid(dedent("""
            import torch

            x = torch.randn(3)
            x = get_batch()
            x.cuda()  # x no longer holds the tensor made above
        """)),
        Valid(dedent("""
            import pytest
            import torch

            def test_bad_device():
                torch.zeros(1).cuda()  # initializes CUDA: nothing to keep
                x = torch.randn(3)
                with pytest.raises(RuntimeError):
                    x.to("meta:7")
        """)),
    ]
    INVALID = [
        Invalid(dedent("""
            import torch

            x = torch.randn(4, 2)
            x.cuda()
        """), line=4),
        Invalid(dedent("""
            import torch
            from torch import nn

            class Net(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.scale = nn.Parameter(torch.ones(3))

                def move(self, device):
                    self.scale.to(device)
        """), line=10),
        Invalid(dedent("""
            import torch

            def prepare(device):
                mask = torch.ones(8, 8).tril()
                if device.type == "cuda":
                    mask.to(device, non_blocking=True)
                return mask
        """), line=6),
    ]

    def __init__(self, context):
        super().__init__(context)
        self._expecting_error = 0  # inside `with pytest.raises(...)` / `self.assertRaises(...)`

    def visit_With(self, node: cst.With) -> None:
        if any(_expects_error(item.item) for item in node.items):
            self._expecting_error += 1

    def leave_With(self, node: cst.With) -> None:
        if any(_expects_error(item.item) for item in node.items):
            self._expecting_error -= 1

    def visit_Expr(self, node: cst.Expr) -> None:
        call = node.value
        if not (isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute)):
            return
        method = call.func.attr.value
        if method not in MOVES or (method == "type" and not call.args) or self._expecting_error:
            return
        receiver = call.func.value
        if dotted_name(receiver) is None:
            return  # `torch.zeros(1).cuda()`: run for its effect (CUDA init, a warm-up), no variable kept
        kind = local_kinds(self.context).kind(receiver)
        if kind is None or not kind.is_tensor:
            return
        shown = first_line_code(self.context, receiver, 40)
        what = "a parameter" if kind.origin == "parameter" else "a tensor"
        self.report(call, f"`{first_line_code(self.context, call)}` returns a new tensor that is thrown "
                          f"away: `{shown}` ({what}) stays where it was; tensors do not move in place")


def _expects_error(expr) -> bool:
    """`pytest.raises(...)`, `self.assertRaises(...)`, `self.assertRaisesRegex(...)`..."""
    if not isinstance(expr, cst.Call):
        return False
    name = dotted_name(expr.func) or ""
    last = name.rsplit(".", 1)[-1]
    return last in ("raises", "warns") or last.startswith(("assertRaises", "assertWarns"))
