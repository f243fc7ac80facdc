import libcst as cst

from nnlint.finding import Severity
from nnlint.rules.base import Invalid, Rule, Runtime, Valid, dedent
from nnlint.tree import dotted_name

# Reading these through `.data` asks about the tensor, not its values: no gradient is cut.
METADATA = frozenset({
    "shape", "dtype", "device", "size", "dim", "ndim", "numel", "data_ptr", "is_cuda",
    "layout", "requires_grad", "nelement", "element_size", "stride", "is_contiguous",
})


class DataInForward(Rule):
    """
    ## What it does
    Flags `.data` read inside `forward`, or inside a method of the same class that `forward`
    calls (followed through `self.method(...)` calls).

    ## Why is this bad?
    `t.data` is the same storage as `t` detached from autograd. A value computed from
    `self.weight.data` in forward carries no gradient back to `self.weight`: after
    `loss.backward()` the parameter's `.grad` stays `None` (or misses this path), and the
    optimizer silently never trains it. Unlike `.detach()`, `.data` also hides in-place
    changes from autograd's version counter, so wrong gradients elsewhere go unnoticed.

    ## Example
    ```python
    def forward(self, x):
        return x @ self.weight.data.t()
    ```

    ## Use instead
    ```python
    def forward(self, x):
        return x @ self.weight.t()
    ```
    If cutting the gradient is intended, say so with `.detach()`.

    ## References
    - https://pytorch.org/docs/stable/notes/autograd.html
    """

    code = "NN201"
    name = "data-in-forward"
    severity = Severity.ERROR
    summary = "`.data` read in `forward` (or a method it calls): the gradient is cut"
    suggestion = "use the tensor itself (or .detach() if cutting the gradient is intended)"
    runtime = Runtime(("no_grad",), "the parameter's .grad stays None after backward")

    VALID = [
        Valid(dedent("""
            from torch import nn

            class Net(nn.Module):
                def reset_parameters(self):
                    self.weight.data.normal_()

                def forward(self, x):
                    return x * self.weight + x.data.shape[0]
        """)),
        Valid(dedent("""
            class Loader:
                def forward(self, batch):
                    return batch.data  # not an nn.Module
        """)),
    ]
    INVALID = [
        Invalid(dedent("""
            import torch.nn as nn

            class Net(nn.Module):
                def forward(self, x):
                    return x @ self.weight.data.t()
        """), line=5),
        Invalid(dedent("""
            from torch import nn

            class Net(nn.Module):
                def scale(self):
                    return self.gain.data * 2

                def forward(self, x):
                    return x * self.scale()
        """), line=5),
    ]

    def __init__(self, context):
        super().__init__(context)
        self._skip = set()  # ids of `.data` nodes that are written, not read (NN202's business)
        self._reachable = {}  # class node -> methods reached from forward

    def visit_Assign(self, node: cst.Assign) -> None:
        self._skip.update(id(t.target) for t in node.targets)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._skip.add(id(node.target))

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value.endswith("_") \
                and not func.attr.value.startswith("_"):
            self._skip.add(id(func.value))  # `x.data.clamp_(...)`: an in-place write

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if node.attr.value in METADATA and isinstance(node.value, cst.Attribute):
            self._skip.add(id(node.value))  # `x.data.shape`
        if node.attr.value != "data" or id(node) in self._skip:
            return
        info = self.context.enclosing_module_class
        method = self.context.current_method
        if info is None or method is None:
            return
        if info.node not in self._reachable:
            self._reachable[info.node] = info.methods_called_from("forward")
        if method.name.value not in self._reachable[info.node]:
            return
        shown = dotted_name(node) or ".data"
        where = "forward" if method.name.value == "forward" else f"{method.name.value}() (called from forward)"
        self.report(node, f"`{shown}` read in {where}: no gradient flows back through it")
