from typing import Optional

import libcst as cst

from nnlint.finding import Severity
from nnlint.rules._mode import inside_mode_branch, mentions_training
from nnlint.rules._torch_refs import UNKNOWN, argument
from nnlint.rules.base import Invalid, Rule, Runtime, Valid, dedent
from nnlint.tree import dotted_name, iter_nodes

SDPA = frozenset({"torch.nn.functional.scaled_dot_product_attention"})
DROPOUT_POSITION = 4  # (query, key, value, attn_mask, dropout_p, ...)


def _is_zero(expr: cst.BaseExpression) -> bool:
    if isinstance(expr, (cst.Integer, cst.Float)):
        try:
            return float(expr.value) == 0.0
        except ValueError:
            return False
    return False


class SdpaDropoutIgnoresMode(Rule):
    """
    ## What it does
    Flags `F.scaled_dot_product_attention(..., dropout_p=p)` in a method of an `nn.Module` when
    `p` is a module attribute or a nonzero constant that is not gated by the module's mode,
    e.g. `dropout_p=self.dropout`. A `p` computed from `self.training`
    (`self.p if self.training else 0.0`, directly or through a local variable), a call inside
    `if self.training:`, or a `p` that comes in as an argument of the method (the caller
    decides) is fine.

    ## Why is this bad?
    Unlike `nn.Dropout`, the fused attention function does not know the module's mode: it
    applies attention dropout whenever `dropout_p > 0`. After `model.eval()` attention weights
    are still randomly dropped, so evaluation is noisy and two forwards of the same input in
    eval mode give different outputs.

    ## Example
    ```python
    out = F.scaled_dot_product_attention(q, k, v, dropout_p=self.dropout)
    ```

    ## Use instead
    ```python
    out = F.scaled_dot_product_attention(
        q, k, v, dropout_p=self.dropout if self.training else 0.0)
    ```

    ## References
    - https://pytorch.org/docs/stable/generated/torch.nn.functional.scaled_dot_product_attention.html
    """

    code = "NN304"
    name = "sdpa-dropout-ignores-mode"
    severity = Severity.ERROR
    summary = "`scaled_dot_product_attention(dropout_p=p)` not gated by `self.training`"
    suggestion = "pass dropout_p=p if self.training else 0.0"
    runtime = Runtime(("eval_nondeterministic",),
                      "two forwards in eval() mode on the same input give different outputs")

    VALID = [
        Valid(dedent("""
            import torch.nn.functional as F
            from torch import nn

            class Attention(nn.Module):
                def forward(self, q, k, v):
                    a = F.scaled_dot_product_attention(q, k, v, dropout_p=self.p if self.training else 0.0)
                    dropout_p = self.attn_drop.p if self.training else 0.0
                    b = F.scaled_dot_product_attention(q, k, v, dropout_p=dropout_p)
                    c = F.scaled_dot_product_attention(q, k, v, None, 0.0)
                    return a + b + c
        """)),
        Valid(dedent("""
            import torch.nn.functional as F
            from torch import nn

            class Attention(nn.Module):
                def forward(self, q, k, v, dropout_p=0.0):
                    p = self.dropout
                    if not self.training:
                        p = 0.0
                    a = F.scaled_dot_product_attention(q, k, v, dropout_p=p)
                    b = F.scaled_dot_product_attention(q, k, v, dropout_p=dropout_p)
                    if self.training:
                        b = F.scaled_dot_product_attention(q, k, v, dropout_p=self.dropout)
                    return a + b
        """)),
        Valid(dedent("""
            import torch.nn.functional as F

            def attention(q, k, v, p):
                return F.scaled_dot_product_attention(q, k, v, dropout_p=p)
        """)),
    ]
    INVALID = [
        Invalid(dedent("""
            import torch.nn.functional as F
            from torch import nn

            class Attention(nn.Module):
                def __init__(self, dropout=0.1):
                    super().__init__()
                    self.dropout = dropout

                def forward(self, q, k, v):
                    return F.scaled_dot_product_attention(q, k, v, dropout_p=self.dropout)
        """), line=10),
        Invalid(dedent("""
            import torch
            from torch import nn

            class Attention(nn.Module):
                def forward(self, q, k, v):
                    p = self.config.attention_dropout
                    out = torch.nn.functional.scaled_dot_product_attention(q, k, v, None, p)
                    return out + torch.nn.functional.scaled_dot_product_attention(q, k, v, dropout_p=0.1)
        """), line=(7, 8)),
    ]

    def visit_Call(self, node: cst.Call) -> None:
        if self.context.qualified_name(node.func) not in SDPA:
            return
        method = self.context.current_method
        if method is None or self.context.enclosing_module_class is None:
            return
        arg = argument(node, "dropout_p", DROPOUT_POSITION)
        if arg is None or arg is UNKNOWN:
            return
        shown = self._ungated(arg.value, method)
        if shown is None or inside_mode_branch(self.context, node, method):
            return
        self_name = self.context.self_name or "self"
        self.report(node, f"`dropout_p={shown}` is applied in eval() mode too: "
                          f"pass `{shown} if {self_name}.training else 0.0`")

    def _ungated(self, value: cst.BaseExpression, method: cst.FunctionDef) -> Optional[str]:
        """How to show `value` when it is a dropout probability not gated by the mode, else None."""
        if mentions_training(value) or _is_zero(value):
            return None
        if isinstance(value, (cst.Integer, cst.Float)):
            return value.value
        if isinstance(value, cst.Attribute) and self._rooted_in_self(value):
            return dotted_name(value)
        if isinstance(value, cst.Name):
            assignments = [a for a in iter_nodes(method.body, (cst.Assign, cst.AnnAssign, cst.AugAssign))
                           if self._assigns(a, value.value)]
            if not assignments:
                return None  # a parameter or a global: the caller or the config decides
            for assignment in assignments:
                if assignment.value is None or mentions_training(assignment.value) \
                        or inside_mode_branch(self.context, assignment, method):
                    return None
            sources = [a.value for a in assignments]
            if all((isinstance(s, cst.Attribute) and self._rooted_in_self(s))
                   or (isinstance(s, (cst.Integer, cst.Float)) and not _is_zero(s)) for s in sources):
                return value.value
        return None

    def _rooted_in_self(self, expr: cst.Attribute) -> bool:
        while isinstance(expr, cst.Attribute):
            expr = expr.value
        return self.context.is_self(expr)

    @staticmethod
    def _assigns(node: cst.CSTNode, name: str) -> bool:
        targets = [t.target for t in node.targets] if isinstance(node, cst.Assign) else [node.target]
        return any(isinstance(t, cst.Name) and t.value == name for t in targets)

