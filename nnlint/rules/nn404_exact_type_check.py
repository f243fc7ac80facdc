from typing import List, Optional

import libcst as cst

from nnlint import torch_api
from nnlint.finding import Severity
from nnlint.rules._torch_refs import ancestors, torch_name
from nnlint.rules.base import Invalid, Rule, Runtime, Valid, dedent
from nnlint.tree import dotted_name, iter_nodes

OPERATORS = {cst.Equal: "==", cst.NotEqual: "!=", cst.Is: "is", cst.IsNot: "is not",
             cst.In: "in", cst.NotIn: "not in"}
# Identity and membership tests of the exact type are also how library code selects modules to
# *replace* (quantization, fusion, conversion), where a subclass must not match; they are
# flagged only where the selected modules get their weights initialised or changed.
DELIBERATE = frozenset({"is", "is not", "in", "not in"})
SWAPS = frozenset({"setattr", "set_submodule", "add_module", "register_module", "replace_module",
                   "_replace_module", "swap_module", "from_float", "from_reference"})
NEGATED = frozenset({"!=", "is not", "not in"})
INIT_METHODS = frozenset({
    "normal_", "uniform_", "zero_", "fill_", "constant_", "ones_", "zeros_", "xavier_uniform_",
    "xavier_normal_", "kaiming_uniform_", "kaiming_normal_", "trunc_normal_", "orthogonal_",
    "requires_grad_", "reset_parameters", "copy_",
})


class ExactTypeCheck(Rule):
    """
    ## What it does
    Flags `type(m) == nn.X` (and `!=`, `m.__class__ == nn.X`) where `nn.X` is a torch layer
    class, and `type(m) is nn.X` (`is not`, `type(m) in (nn.X, ...)`) where the branch it
    selects initialises or changes weights (`nn.init.*`, `.normal_()`, `.zero_()`, ...).
    Exact identity tests that select modules to replace (quantization, fusion, conversion)
    are deliberate — a subclass must not be swapped as if it were the base — and are left
    alone.

    ## Why is this bad?
    The exact comparison is false for every subclass of `nn.X`: `NonDynamicallyQuantizableLinear`
    (the output projection of `nn.MultiheadAttention`), LoRA or quantized wrappers, and any
    project class that extends a torch layer. Weight-initialisation or freezing code written
    this way silently skips those layers, and nothing reports it.

    ## Example
    ```python
    def init_weights(m):
        if type(m) == nn.Linear:
            nn.init.xavier_uniform_(m.weight)
    ```

    ## Use instead
    ```python
    def init_weights(m):
        if isinstance(m, nn.Linear):
            nn.init.xavier_uniform_(m.weight)
    ```

    ## References
    - https://docs.python.org/3/library/functions.html#isinstance
    - https://pytorch.org/docs/stable/generated/torch.nn.Module.html#torch.nn.Module.apply
    """

    code = "NN404"
    name = "exact-type-check"
    severity = Severity.WARNING
    summary = "`type(m) == nn.X` (misses subclasses of nn.X)"
    suggestion = "use isinstance(m, nn.X)"
    runtime = Runtime(unobservable="it misses subclasses only when one is passed; the model runs the same")

    VALID = [
        Valid(dedent("""
            import torch
            from torch import nn

            def init_weights(m):
                if isinstance(m, (nn.Linear, nn.Conv2d)):
                    nn.init.xavier_uniform_(m.weight)
                if type(m).__name__ == "Linear" or type(x) is torch.Tensor or type(n) == int:
                    pass
        """)),
        Valid(dedent("""
            from torch import nn

            def swap_linears(model, make_quantized):
                for name, module in model.named_children():
                    if type(module) is nn.Linear:
                        new = make_quantized(module)
                        new.requires_grad_(False)
                        setattr(model, name, new)
                    elif type(module) in (nn.Conv1d, nn.Conv2d):
                        raise NotImplementedError(name)
        """)),
        Valid(dedent("""
            from flax import linen as nn

            def check(m):
                return type(m) == nn.Dense
        """)),
    ]
    INVALID = [
        Invalid(dedent("""
            from torch import nn

            def init_weights(m):
                if type(m) == nn.Linear:
                    nn.init.xavier_uniform_(m.weight)
                elif type(m) in (nn.Conv2d, nn.Conv1d) or m.__class__ is nn.BatchNorm2d:
                    nn.init.zeros_(m.bias)
                n_linear = sum(1 for c in m.children() if type(c) == nn.Linear)
        """), line=(4, 6, 6, 8)),
    ]

    def visit_Comparison(self, node: cst.Comparison) -> None:
        left = node.left
        for target in node.comparisons:
            operator = OPERATORS.get(type(target.operator))
            right = target.comparator
            if operator is not None:
                subject = _type_of(left) or _type_of(right)
                other = right if _type_of(left) else left
                if subject is not None and not _type_of(other):
                    classes = self._torch_classes(other, operator)
                    if classes and (operator not in DELIBERATE or self._initialises(node, operator)):
                        self._report(node, subject, operator, classes)
            left = right

    def _initialises(self, node: cst.Comparison, operator: str) -> bool:
        """The branch the check selects initialises or changes the module's weights
        (`if type(m) is nn.Linear: nn.init.xavier_uniform_(m.weight)`)."""
        region = None
        for above, child in ancestors(self.context, node):
            if isinstance(above, cst.If) and child is above.test and operator not in NEGATED:
                region = above.body
                break
            if isinstance(above, (cst.FunctionDef, cst.Lambda)):
                region = above.body if operator in NEGATED else None
                break
            if not isinstance(above, (cst.BooleanOperation, cst.UnaryOperation, cst.If)):
                return False
        if region is None:
            return False
        initialises = False
        for call in iter_nodes(region, cst.Call):
            func = call.func
            name = func.attr.value if isinstance(func, cst.Attribute) else \
                func.value if isinstance(func, cst.Name) else ""
            if name in SWAPS:
                return False  # the selected module is replaced: the exact match is the point
            if name in INIT_METHODS or (self.context.qualified_name(func) or "").startswith("torch.nn.init."):
                initialises = True
        return initialises

    def _torch_classes(self, expr: cst.BaseExpression, operator: str) -> List[str]:
        if operator in ("in", "not in"):
            if not isinstance(expr, (cst.Tuple, cst.List, cst.Set)):
                return []
            found = [self._torch_class(e.value) for e in expr.elements if isinstance(e, cst.Element)]
            return [f for f in found if f]
        one = self._torch_class(expr)
        return [one] if one else []

    def _torch_class(self, expr: cst.BaseExpression) -> Optional[str]:
        qualified = torch_name(self.context, expr)
        if qualified is not None and torch_api.is_module_class(qualified):
            return dotted_name(expr) or "nn." + qualified.rsplit(".", 1)[1]
        return None

    def _report(self, node, subject: cst.BaseExpression, operator: str, classes: List[str]) -> None:
        shown = dotted_name(subject) or "the object"
        names = classes[0] if len(classes) == 1 else "(" + ", ".join(classes) + ")"
        self.report(node, f"`type({shown}) {operator} {names}` misses subclasses of {names}: "
                          f"use `isinstance({shown}, {names})`")


def _type_of(expr: cst.BaseExpression) -> Optional[cst.BaseExpression]:
    """`m` for `type(m)` or `m.__class__`."""
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Name) and expr.func.value == "type" \
            and len(expr.args) == 1 and not expr.args[0].star:
        return expr.args[0].value
    if isinstance(expr, cst.Attribute) and expr.attr.value == "__class__":
        return expr.value
    return None
