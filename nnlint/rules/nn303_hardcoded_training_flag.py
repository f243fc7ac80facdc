import libcst as cst

from nnlint.finding import Severity
from nnlint.rules._mode import inside_mode_branch, kept_on_purpose
from nnlint.rules._torch_refs import UNKNOWN, argument, is_literal
from nnlint.rules.base import Invalid, Rule, Runtime, Valid, dedent

F = "torch.nn.functional."
# functional -> position of its `training` argument
TRAINING_POSITION = {
    F + "batch_norm": 5,
    F + "dropout": 2,
    F + "dropout1d": 2,
    F + "dropout2d": 2,
    F + "dropout3d": 2,
    F + "alpha_dropout": 2,
    F + "feature_alpha_dropout": 2,
}


class HardcodedTrainingFlag(Rule):
    """
    ## What it does
    Flags `F.batch_norm(..., training=True)` and `F.dropout(..., training=True)` (and the other
    functional dropouts) with the literal `True` inside a method of an `nn.Module`.
    `F.batch_norm` without running statistics (`running_mean` and `running_var` both `None`)
    must use batch statistics and is not flagged. Nor is a call that only runs under a test of
    the mode (`if self.training or not self.track_running_stats:`), or a dropout meant to stay
    on in eval() mode: said by a comment on the call or the line above it (`# always applies
    dropout`), or in a Tacotron-style pre-net (a class named `*Prenet`), whose dropout stays
    on at inference by design (Shen et al. 2018, section 2.4).

    ## Why is this bad?
    The literal ignores the module's mode. After `model.eval()` the dropout keeps zeroing
    activations, and batch norm keeps normalising with the statistics of the current batch and
    keeps updating `running_mean`/`running_var` from evaluation data: eval outputs depend on the
    batch and the stored statistics drift, silently.

    ## Example
    ```python
    def forward(self, x):
        return F.batch_norm(x, self.running_mean, self.running_var, training=True)
    ```

    ## Use instead
    ```python
    def forward(self, x):
        return F.batch_norm(x, self.running_mean, self.running_var, training=self.training)
    ```

    ## References
    - https://pytorch.org/docs/stable/generated/torch.nn.functional.batch_norm.html
    - https://pytorch.org/docs/stable/generated/torch.nn.functional.dropout.html
    """

    code = "NN303"
    name = "hardcoded-training-flag"
    severity = Severity.WARNING
    summary = "`training=True` hardcoded in `F.batch_norm` / `F.dropout` inside a Module"
    suggestion = "pass training=self.training"
    runtime = Runtime(("eval_nondeterministic", "eval_buffer_update"),
                      "running statistics change, and dropout drops, in eval() mode")

    VALID = [
        Valid(dedent("""
            import torch.nn.functional as F
            from torch import nn

            class Norm(nn.Module):
                def forward(self, x):
                    y = F.batch_norm(x, self.running_mean, self.running_var, training=self.training)
                    z = F.batch_norm(x, None, None, self.weight, self.bias, True)
                    return F.dropout(y + z, 0.1, self.training)
        """)),
        Valid(dedent("""
            import torch.nn.functional as F

            def mc_dropout(x):
                return F.dropout(x, 0.5, training=True)  # not in a Module: the caller decides
        """)),
        Valid(dedent("""
            import torch.nn.functional as F
            from torch import nn

            class SplitNorm(nn.Module):
                def forward(self, x):
                    if self.training or not self.track_running_stats:
                        return F.batch_norm(x, self.running_mean, self.running_var, training=True)
                    return F.batch_norm(x, self.running_mean, self.running_var, training=False)
        """)),
        Valid(dedent("""
            import torch.nn.functional as F
            from torch import nn

            class Prenet(nn.Module):
                def forward(self, x):
                    for linear in self.layers:
                        # always applies dropout, at inference too
                        x = F.dropout(F.relu(linear(x)), p=0.5, training=True)
                    return x

            class Decoder(nn.Module):
                def forward(self, x):
                    return F.dropout(x, 0.5, training=True)  # MC dropout: sampled at test time
        """)),
    ]
    INVALID = [
        Invalid(dedent("""
            import torch.nn.functional as F
            from torch import nn

            class Norm(nn.Module):
                def forward(self, x):
                    x = F.batch_norm(x, self.running_mean, self.running_var, training=True)
                    return F.dropout(x, 0.1, True)
        """), line=(6, 7)),
    ]

    def visit_Call(self, node: cst.Call) -> None:
        qualified = self.context.qualified_name(node.func)
        position = TRAINING_POSITION.get(qualified or "")
        if position is None or self.context.enclosing_module_class is None \
                or self.context.current_method is None:
            return
        arg = argument(node, "training", position)
        if arg is None or arg is UNKNOWN or not is_literal(arg.value, True):
            return
        method = self.context.current_method
        if inside_mode_branch(self.context, node, method):
            return
        name = qualified.rsplit(".", 1)[1]
        if name != "batch_norm" and kept_on_purpose(self.context, node):
            return
        if name == "batch_norm":
            stats = [argument(node, keyword, index) for index, keyword in ((1, "running_mean"), (2, "running_var"))]
            if all(a is not None and a is not UNKNOWN and is_literal(a.value, None) for a in stats):
                return  # no running statistics: batch statistics are the only choice
            what = "normalises with batch statistics and updates the running statistics"
        else:
            what = "keeps dropping"
        self_name = self.context.self_name or "self"
        self.report(node, f"`{name}(..., training=True)` {what} in eval() mode: "
                          f"pass `training={self_name}.training`")
