from typing import Dict, Optional

import libcst as cst

from nnlint.context import ClassInfo
from nnlint.finding import Severity
from nnlint.rules._torch_refs import ancestors
from nnlint.rules.base import Invalid, Rule, Runtime, Valid, dedent
from nnlint.tree import dotted_name, first_param_name, iter_nodes


class DirectForwardCall(Rule):
    """
    ## What it does
    Flags `obj.forward(...)` where `obj` is known to be an `nn.Module`: a torch layer or a
    Module class of the project (of the file, or imported from another of its files), built
    in the same function or module
    (`model = Net(); model.forward(x)`) or stored as a submodule (`self.encoder = Encoder()`,
    then `self.encoder.forward(x)`). `super().forward(...)`, `Base.forward(self, ...)` and
    objects whose type nnlint cannot see are left alone.

    ## Why is this bad?
    `Module.__call__` runs the forward pre-hooks, `forward`, then the forward hooks (and the
    backward hooks' setup). Calling `forward` directly skips all of them: hooks used for
    feature extraction, pruning, weight normalisation or quantization observers silently do
    nothing, and tools such as `torch.compile` or FSDP that rely on `__call__` see a different
    program.

    ## Example
    ```python
    features = self.backbone.forward(images)
    ```

    ## Use instead
    ```python
    features = self.backbone(images)
    ```

    ## References
    - https://pytorch.org/docs/stable/generated/torch.nn.Module.html#torch.nn.Module.forward
    - https://pytorch.org/docs/stable/notes/modules.html#module-hooks
    """

    code = "NN403"
    name = "direct-forward-call"
    severity = Severity.WARNING
    summary = "`module.forward(x)` instead of `module(x)` (hooks do not run)"
    suggestion = "call the module itself: module(x)"
    runtime = Runtime(unobservable="the hooks it skips are the user's; the checks register none")

    VALID = [
        Valid(dedent("""
            from torch import nn

            class Block(nn.Linear):
                def forward(self, x):
                    return super().forward(x) + nn.Linear.forward(self, x)

            class Net(nn.Module):
                def __init__(self, encoder):
                    super().__init__()
                    self.encoder = encoder
                    self.head = nn.Linear(4, 2)

                def forward(self, x):
                    return self.head(self.encoder.forward(x))
        """)),
        Valid(dedent("""
            import flax.linen as nn

            model = nn.Dense(4)
            y = model.forward(x)
        """)),
    ]
    INVALID = [
        Invalid(dedent("""
            import torch
            from torch import nn

            class Net(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.backbone = nn.Sequential(nn.Linear(4, 4), nn.ReLU())

                def forward(self, x):
                    return self.backbone.forward(x)

            model = Net()
            out = model.forward(torch.zeros(1, 4))
        """), line=(10, 13)),
    ]

    def __init__(self, context):
        super().__init__(context)
        self._submodules: Dict[ClassInfo, Dict[str, str]] = {}

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not (isinstance(func, cst.Attribute) and func.attr.value == "forward"):
            return
        built = self._module_class_of(func.value, node)
        if built is None:
            return
        shown = dotted_name(func.value) or "the module"
        self.report(node, f"`{shown}.forward(...)` bypasses `{shown}.__call__` ({built}): "
                          f"its hooks do not run; call `{shown}(...)`")

    def _module_class_of(self, expr: cst.BaseExpression, call: cst.Call) -> Optional[str]:
        """The Module class `expr` certainly holds, or None."""
        if isinstance(expr, cst.Attribute) and self.context.is_self(expr.value):
            info = self.context.enclosing_module_class
            if info is None:
                return None
            return self._submodules_of(info).get(expr.attr.value)
        if isinstance(expr, cst.Name):
            if expr.value in self.context.classes_by_name or expr.value in self.context.bindings:
                return None  # `Base.forward(self, ...)`, `nn.Linear.forward(...)`
            scope = self._scope_of(call)
            body = scope.body if scope is not None else self.context.module.body
            classes = set()
            for assign in iter_nodes(body, (cst.Assign, cst.AnnAssign, cst.For, cst.With)):
                if isinstance(assign, cst.Assign):
                    targets = [t.target for t in assign.targets]
                elif isinstance(assign, cst.AnnAssign):
                    targets = [assign.target]
                else:
                    targets = []  # loop / with targets: type unknown
                    names = [assign.target] if isinstance(assign, cst.For) else \
                        [i.asname.name for i in assign.items if i.asname is not None]
                    if any(isinstance(n, cst.Name) and n.value == expr.value for n in names):
                        return None
                if not any(isinstance(t, cst.Name) and t.value == expr.value for t in targets):
                    continue
                value = assign.value
                built = self.context.builds_module(value) if isinstance(value, cst.Call) else None
                if built is None:
                    return None  # assigned something else somewhere: not certain
                classes.add(built)
            if scope is not None and any(p.name.value == expr.value for p in _params(scope)):
                return None
            return next(iter(classes)) if len(classes) == 1 else None
        return None

    def _scope_of(self, node: cst.CSTNode) -> Optional[cst.FunctionDef]:
        for above, _ in ancestors(self.context, node):
            if isinstance(above, (cst.FunctionDef, cst.Lambda)):
                return above if isinstance(above, cst.FunctionDef) else None
        return None

    def _submodules_of(self, info: ClassInfo) -> Dict[str, str]:
        """Attributes every assignment of which, in the class, builds a Module: attr -> class."""
        if info not in self._submodules:
            found: Dict[str, Optional[str]] = {}
            for method in info.methods.values():
                self_name = first_param_name(method)
                if self_name is None:
                    continue
                for assign in iter_nodes(method.body, (cst.Assign, cst.AnnAssign, cst.AugAssign)):
                    targets = [t.target for t in assign.targets] if isinstance(assign, cst.Assign) \
                        else [assign.target]
                    for target in targets:
                        if isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name) \
                                and target.value.value == self_name:
                            value = assign.value
                            built = self.context.builds_module(value) \
                                if isinstance(value, cst.Call) and not isinstance(assign, cst.AugAssign) else None
                            attr = target.attr.value
                            if built is None or (attr in found and found[attr] != built):
                                found[attr] = None
                            else:
                                found[attr] = built
            self._submodules[info] = {k: v for k, v in found.items() if v is not None}
        return self._submodules[info]


def _params(func: cst.FunctionDef):
    params = func.params
    yield from params.posonly_params
    yield from params.params
    yield from params.kwonly_params
    for star in (params.star_arg, params.star_kwarg):
        if isinstance(star, cst.Param):
            yield star
