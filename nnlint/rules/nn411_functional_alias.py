from functools import lru_cache
from typing import Dict

import libcst as cst

from nnlint import torch_api
from nnlint.finding import Applicability, Severity
from nnlint.fix import TreeFix
from nnlint.rules._torch_refs import torch_name
from nnlint.rules.base import Invalid, Rule, Runtime, Valid, dedent
from nnlint.tree import dotted_name


@lru_cache(maxsize=None)
def _aliases() -> Dict[str, str]:
    return torch_api.data().get("legacy_aliases", {})


class FunctionalAlias(Rule):
    """
    ## What it does
    Flags calls of `F.sigmoid` and `F.tanh`, the `torch.nn.functional` aliases of
    `torch.sigmoid` and `torch.tanh`. A style rule, off by default (`--select NN411` or
    `extend-select = ["NN411"]`).

    ## Why is this bad?
    Nothing breaks: both names compute the same thing. `F.sigmoid`/`F.tanh` warned as
    deprecated from PyTorch 0.4.1, and much code and many answers still say so, but torch kept
    them (the proposed removal, pytorch/pytorch#65910, did not happen) and torch 2.13 neither
    warns nor marks them deprecated. So this is no longer NN408's business (a deprecation is a
    warning that a release will break the code); what remains is two spellings of one function
    in one codebase. `torch.sigmoid`/`torch.tanh` are the names torch documents.

    ## Example
    ```python
    gate = F.sigmoid(self.gate(x))
    ```

    ## Use instead
    ```python
    gate = torch.sigmoid(self.gate(x))
    ```

    ## Fix safety
    This fix is safe: `F.sigmoid(x)` calls `torch.sigmoid(x)` (likewise `tanh`). The new name
    is spelled with the file's own imports; a file with no name for torch gets no fix.

    ## References
    - https://pytorch.org/docs/stable/generated/torch.sigmoid.html
    - https://github.com/pytorch/pytorch/issues/65910
    """

    code = "NN411"
    name = "functional-alias"
    severity = Severity.STYLE
    summary = "`F.sigmoid` / `F.tanh`, aliases of `torch.sigmoid` / `torch.tanh`"
    suggestion = "call torch.sigmoid / torch.tanh"
    fix_safety = (Applicability.SAFE,)
    runtime = Runtime(unobservable="a style rule (both names call the same function)")

    VALID = [
        Valid(dedent("""
            import torch
            import torch.nn.functional as F

            y = torch.sigmoid(x) + torch.tanh(x) + F.relu(x)
            ACTIVATIONS = {"sigmoid": F.sigmoid, "tanh": F.tanh}  # names the function, no call
        """)),
    ]
    INVALID = [
        Invalid(dedent("""
            import torch
            import torch.nn.functional as F

            def gate(x, h):
                return F.sigmoid(x) * F.tanh(h)
        """), line=(5, 5), fixed=dedent("""
            import torch
            import torch.nn.functional as F

            def gate(x, h):
                return torch.sigmoid(x) * torch.tanh(h)
        """)),
    ]

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not isinstance(func, (cst.Name, cst.Attribute)):
            return
        new = _aliases().get(torch_name(self.context, func) or "")
        if new is None:
            return
        fix = None
        target = new
        reference = self.context.spell_or_import(new)
        if reference is not None:
            target, imports = reference
            fix = TreeFix.replace(func, cst.parse_expression(target), f"use {target}", Applicability.SAFE, imports)
        shown = dotted_name(func) or new.rsplit(".", 1)[1]
        self.report(node, f"`{shown}` is an alias of `{target}`: call that", fix)
