import libcst as cst

from nnlint.finding import Severity
from nnlint.rules._torch_refs import UNKNOWN, argument
from nnlint.rules.base import Invalid, Rule, Runtime, Valid, dedent
from nnlint.tree import dotted_name

# callable -> position of its `dim` argument
DIM_POSITION = {
    "torch.nn.functional.softmax": 1,
    "torch.nn.functional.log_softmax": 1,
    "torch.nn.functional.softmin": 1,
    "torch.softmax": 1,
    "torch.log_softmax": 1,
    "torch.special.softmax": 1,
    "torch.special.log_softmax": 1,
    "torch.nn.Softmax": 0,
    "torch.nn.LogSoftmax": 0,
    "torch.nn.Softmin": 0,
    "torch.nn.modules.activation.Softmax": 0,
    "torch.nn.modules.activation.LogSoftmax": 0,
    "torch.nn.modules.activation.Softmin": 0,
}


class SoftmaxWithoutDim(Rule):
    """
    ## What it does
    Flags `F.softmax`, `F.log_softmax`, `F.softmin`, `torch.softmax`, `torch.log_softmax`,
    `nn.Softmax()`, `nn.LogSoftmax()` and `nn.Softmin()` called without `dim` (by keyword or
    position: `torch.softmax(x, -1)` is fine).

    ## Why is this bad?
    Without `dim`, the functional and module forms pick a dimension by a legacy rule
    (`0` for 0-, 1- and 3-D inputs, else `1`) and warn
    `Implicit dimension choice for softmax has been deprecated`. For a batch of sequences or a
    single unbatched sample that is the wrong axis: probabilities sum to one across the batch
    instead of across the classes, and the model trains on garbage. `torch.softmax(x)`,
    `torch.log_softmax(x)` and `torch.special.softmax(x)` without `dim` raise `TypeError`.

    ## Example
    ```python
    probs = F.softmax(logits)
    ```

    ## Use instead
    ```python
    probs = F.softmax(logits, dim=-1)
    ```

    ## References
    - https://pytorch.org/docs/stable/generated/torch.nn.functional.softmax.html
    - https://pytorch.org/docs/stable/generated/torch.nn.Softmax.html
    """

    code = "NN406"
    name = "softmax-without-dim"
    severity = Severity.WARNING
    summary = "softmax / log_softmax without `dim`"
    suggestion = "pass dim (usually dim=-1, the class dimension)"
    runtime = Runtime(("softmax_dim_warning",), "softmax warns about the implicit dimension choice")

    VALID = [
        Valid(dedent("""
            import torch
            import torch.nn.functional as F
            from torch import nn

            a = F.softmax(x, dim=-1)
            b = torch.softmax(x, -1)
            c = nn.LogSoftmax(1)
            d = nn.Softmax(dim=1)
            e = F.log_softmax(x, 1, dtype=torch.float32)
            f = F.softmax(*args)
            g = F.softmax(x, **kwargs)
        """)),
        Valid(dedent("""
            import tensorflow as tf

            probs = tf.nn.softmax(logits)
        """)),
    ]
    INVALID = [
        Invalid(dedent("""
            import torch
            import torch.nn.functional as F
            from torch import nn

            probs = F.softmax(logits)
            logp = torch.log_softmax(logits, dtype=torch.float32)
            head = nn.Sequential(nn.Linear(8, 2), nn.Softmax())
        """), line=(5, 6, 7)),
    ]

    def visit_Call(self, node: cst.Call) -> None:
        qualified = self.context.qualified_name(node.func)
        position = DIM_POSITION.get(qualified or "")
        if position is None or argument(node, "dim", position) is not None:
            return
        name = qualified.rsplit(".", 1)[1]
        shown = dotted_name(node.func) or qualified
        if name[0].isupper():
            shown += "()"
        if qualified.startswith("torch.nn."):
            self.report(node, f"`{shown}` without `dim`: the implicit choice is 0 for 0-, 1- and "
                              "3-D inputs, else 1, often not the class dimension; pass `dim=`")
        else:  # torch.softmax / torch.log_softmax / torch.special.*: dim is required
            self.report(node, f"`{shown}` without `dim` raises `TypeError: {name}() missing 1 "
                              f"required positional arguments: \"dim\"`; pass `dim=`")
