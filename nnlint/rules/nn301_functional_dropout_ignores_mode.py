import libcst as cst

from nnlint.finding import Applicability, Severity
from nnlint.fix import TreeFix
from nnlint.rules._fixes import with_keyword
from nnlint.rules._mode import inside_mode_branch, kept_on_purpose
from nnlint.rules.base import Invalid, Rule, Runtime, Valid, dedent

# functional dropouts whose `training` argument defaults to True, and its position
DROPOUTS = {
    f"torch.nn.functional.{name}": 2
    for name in ("dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout",
                 "feature_alpha_dropout")
}


def training_argument(call: cst.Call, position: int):
    """The `training` argument of a functional dropout call: an Arg, None if absent, or ... if
    it cannot be known (a `*args` or `**kwargs` could carry it)."""
    positional = 0
    for arg in call.args:
        if arg.star:
            return ...
        if arg.keyword is None:
            if positional == position:
                return arg
            positional += 1
        elif arg.keyword.value == "training":
            return arg
    return None


class FunctionalDropoutIgnoresMode(Rule):
    """
    ## What it does
    Flags `F.dropout` (and `dropout1d/2d/3d`, `alpha_dropout`, `feature_alpha_dropout`) called
    in a method of an `nn.Module` without a `training` argument.

    Not flagged: a call that only runs under a test of the mode (`if self.training or
    self.mc_dropout:`, `... if training else x`), and dropout meant to stay on in eval() mode:
    said by a comment on the call or the line above it (`# always applies dropout`,
    `# MC dropout at inference`), or in a Tacotron-style pre-net (a class named `*Prenet`),
    which keeps its dropout at inference by design.

    ## Why is this bad?
    The functional dropouts default to `training=True`: they do not know about the module's
    mode. After `model.eval()` they keep zeroing activations, so evaluation and inference are
    random and systematically worse; two forwards of the same input in eval mode differ.
    `nn.Dropout` reads `self.training` for you; the functional form must be told.

    ## Example
    ```python
    def forward(self, x):
        return self.fc(F.dropout(x, p=0.5))
    ```

    ## Use instead
    ```python
    def forward(self, x):
        return self.fc(F.dropout(x, p=0.5, training=self.training))
    ```
    or hold an `nn.Dropout(0.5)` built in `__init__`.

    ## Fix safety
    This fix is unsafe: it changes what the model computes in eval() mode, which is the point,
    but every evaluation score and every prediction made in eval mode changes with it, and
    Monte Carlo dropout code keeps dropout on at inference on purpose. Review the change, then
    apply it with `--unsafe-fixes`.

    ## References
    - https://pytorch.org/docs/stable/generated/torch.nn.functional.dropout.html
    """

    code = "NN301"
    name = "functional-dropout-ignores-mode"
    severity = Severity.ERROR
    summary = "`F.dropout` in a Module without `training=self.training`"
    suggestion = "pass training=self.training, or use nn.Dropout"
    fix_safety = (Applicability.UNSAFE,)
    runtime = Runtime(("eval_nondeterministic",),
                      "two forwards in eval() mode on the same input give different outputs")

    VALID = [
        Valid(dedent("""
            import torch.nn.functional as F
            from torch import nn

            class Net(nn.Module):
                def forward(self, x):
                    return F.dropout(x, 0.5, self.training)
        """)),
        Valid(dedent("""
            import torch.nn.functional as F
            from torch import nn

            class Net(nn.Module):
                def forward(self, x, **kwargs):
                    return F.dropout(x, p=0.1, training=self.training and self.use_dropout)
        """)),
        Valid(dedent("""
            import torch.nn.functional as F

            def augment(x):
                return F.dropout(x, 0.2)  # not in a Module: the caller decides
        """)),
        Valid(dedent("""
            import torch.nn.functional as F
            from torch import nn

            class Head(nn.Module):
                def forward(self, x):
                    if self.training or self.mc_samples > 1:
                        x = F.dropout(x, 0.3)
                    # always applies dropout, also at inference (uncertainty estimate)
                    x = F.dropout(x, 0.1)
                    return F.dropout2d(x, 0.1)  # MC dropout: on in eval() too
        """)),
        Valid(dedent("""
            import torch.nn.functional as F
            from torch import nn

            class DecoderPrenet(nn.Module):  # Tacotron 2 keeps pre-net dropout at inference
                def forward(self, x):
                    for layer in self.layers:
                        x = F.dropout(F.relu(layer(x)), p=0.5)
                    return x
        """)),
    ]
    INVALID = [
        Invalid(dedent("""
            import torch.nn.functional as F
            from torch import nn

            class Net(nn.Module):
                def forward(self, x):
                    return F.dropout(x, p=0.5)
        """), line=6, fixed=dedent("""
            import torch.nn.functional as F
            from torch import nn

            class Net(nn.Module):
                def forward(self, x):
                    return F.dropout(x, p=0.5, training=self.training)
        """)),
        Invalid(dedent("""
            import torch
            from torch.nn import Module

            class Block(Module):
                def forward(me, x):
                    return torch.nn.functional.dropout2d(
                        x,
                        0.1,
                    )
        """), line=6, fixed=dedent("""
            import torch
            from torch.nn import Module

            class Block(Module):
                def forward(me, x):
                    return torch.nn.functional.dropout2d(
                        x,
                        0.1,
                        training=me.training,
                    )
        """)),
    ]

    def visit_Call(self, node: cst.Call) -> None:
        position = DROPOUTS.get(self.context.qualified_name(node.func) or "")
        if position is None or self.context.enclosing_module_class is None:
            return
        method = self.context.current_method
        if method is None or training_argument(node, position) is not None:
            return
        if inside_mode_branch(self.context, node, method) or kept_on_purpose(self.context, node):
            return
        name = self.context.qualified_name(node.func).rsplit(".", 1)[1]
        self_name = self.context.self_name
        fix = None
        if self_name is not None:
            flag = cst.Attribute(value=cst.Name(self_name), attr=cst.Name("training"))
            fix = TreeFix.replace(node, with_keyword(node, "training", flag), f"pass training={self_name}.training",
                                  Applicability.UNSAFE)
        self.report(node, f"`{name}` without `training=`: it keeps dropping in eval() mode", fix)
