from typing import Optional

import libcst as cst

from nnlint.finding import Applicability, Severity
from nnlint.rules._containers import describe, find_hidden, container_fix
from nnlint.rules.base import Invalid, Rule, Runtime, Valid, dedent


class ParameterInPlainContainer(Rule):
    """
    ## What it does
    Flags `nn.Parameter`s stored on `self` in a plain `list`, `tuple` or `dict` inside an
    `nn.Module`: a literal or comprehension of `nn.Parameter(...)`, `list(...)` of them, or
    `self.x = []` later filled with `.append(nn.Parameter(...))`.

    ## Why is this bad?
    A module registers a parameter only when it is assigned as an attribute
    (`self.w = nn.Parameter(...)`), passed to `register_parameter`, or held by
    `nn.ParameterList`/`nn.ParameterDict`. Parameters in a plain container are invisible to
    `model.parameters()`: the optimizer never updates them, so they keep their initial values
    while the loss is computed with them; `state_dict()` does not save them, and
    `model.to("cuda")` leaves them on the CPU (a device-mismatch error on the first forward).

    ## Example
    ```python
    class Mixture(nn.Module):
        def __init__(self, k):
            super().__init__()
            self.weights = [nn.Parameter(torch.randn(8)) for _ in range(k)]
    ```

    ## Use instead
    ```python
    class Mixture(nn.Module):
        def __init__(self, k):
            super().__init__()
            self.weights = nn.ParameterList([nn.Parameter(torch.randn(8)) for _ in range(k)])
    ```
    The autofix wraps list/tuple literals and comprehensions in `nn.ParameterList`, dicts with
    string keys in `nn.ParameterDict`, and turns `self.x = []` filled with `.append` into
    `nn.ParameterList()`, when every element is a Parameter.

    ## Fix safety
    This fix is unsafe: registering the parameters is the point, and it changes what the model
    saves and trains. `state_dict()` gains their keys, so checkpoints saved before the fix no
    longer load with `strict=True`, and `parameters()` hands them to the optimizer, which
    starts updating values that stayed at their initial values until now. Review the change,
    then apply it with `--unsafe-fixes`. When the file has no name for `nn.ParameterList`, the
    fix adds `from torch.nn import ParameterList`.

    ## References
    - https://pytorch.org/docs/stable/generated/torch.nn.ParameterList.html
    - https://pytorch.org/docs/stable/generated/torch.nn.ParameterDict.html
    """

    code = "NN102"
    name = "parameter-in-plain-container"
    severity = Severity.ERROR
    summary = "`nn.Parameter`s in a plain list/tuple/dict on `self`: never registered"
    suggestion = "hold them in nn.ParameterList / nn.ParameterDict"
    fix_safety = (Applicability.UNSAFE,)
    runtime = Runtime(("unregistered_parameter",),
                      "those parameters are missing from parameters()",
                      reports=("unregistered_parameter",))

    VALID = [
        Valid(dedent("""
            import torch
            from torch import nn

            class Net(nn.Module):
                def __init__(self, k):
                    super().__init__()
                    self.scales = nn.ParameterList([nn.Parameter(torch.ones(4)) for _ in range(k)])
                    self.gain = nn.Parameter(torch.ones(1))
                    self.shapes = [(4,), (1,)]
                    self.refs = [self.gain]
                    self.init_values = [torch.zeros(4) for _ in range(k)]
        """)),
        Valid(dedent("""
            import torch
            import torch.nn as nn

            class Net(nn.Module):
                def __init__(self, k):
                    super().__init__()
                    self.weights = []
                    for i in range(k):
                        weight = nn.Parameter(torch.randn(4))
                        self.register_parameter(f"weight{i}", weight)
                        self.weights.append(weight)
                    self.biases = [nn.Parameter(torch.zeros(4))]
                    self.biases = nn.ParameterList(self.biases)
        """)),
        Valid(dedent("""
            import torch

            class Optimizer:
                def __init__(self, params):
                    self.params = [torch.nn.Parameter(p) for p in params]  # not a Module
        """)),
    ]
    INVALID = [
        Invalid(dedent("""
            import torch
            from torch import nn

            class Mixture(nn.Module):
                def __init__(self, k):
                    super().__init__()
                    self.weights = [nn.Parameter(torch.randn(8)) for _ in range(k)]
        """), line=7, fixed=dedent("""
            import torch
            from torch import nn

            class Mixture(nn.Module):
                def __init__(self, k):
                    super().__init__()
                    self.weights = nn.ParameterList([nn.Parameter(torch.randn(8)) for _ in range(k)])
        """)),
        Invalid(dedent("""
            import torch
            from torch import nn
            from torch.nn import Module, Parameter

            class Axial(Module):
                def __init__(self, shapes):
                    super().__init__()
                    self.scale = {"x": Parameter(torch.ones(1)), "y": Parameter(torch.ones(2))}
                    self.weights = []
                    for shape in shapes:
                        self.weights.append(Parameter(torch.ones(shape)))
        """), line=(8, 9), fixed=dedent("""
            import torch
            from torch import nn
            from torch.nn import Module, Parameter

            class Axial(Module):
                def __init__(self, shapes):
                    super().__init__()
                    self.scale = nn.ParameterDict({"x": Parameter(torch.ones(1)), "y": Parameter(torch.ones(2))})
                    self.weights = nn.ParameterList()
                    for shape in shapes:
                        self.weights.append(Parameter(torch.ones(shape)))
        """)),
        Invalid(dedent("""
            import torch
            import torch.nn as nn

            class Pair(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.pair = (nn.Parameter(torch.ones(2)), nn.Parameter(torch.zeros(2)))
                    self.pair.index(0)
        """), line=7),
    ]

    def _builds(self, call: cst.Call) -> Optional[str]:
        return "nn.Parameter" if self.context.builds_parameter(call) else None

    def leave_ClassDef(self, node: cst.ClassDef) -> None:  # methods walked: nodes_in is cheap
        info = self.context.classes.get(node)
        if info is None or not info.is_module:
            return
        for hidden in find_hidden(self.context, info, self._builds):
            fix = container_fix(hidden, self.context, "ParameterList", "ParameterDict")
            self.report(hidden.statement, f"{describe(hidden, self.context, 'parameter')}: "
                                          "they are missing from parameters() and never trained", fix)
