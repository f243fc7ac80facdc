import libcst as cst

from nnlint.finding import Severity
from nnlint.rules._super_init import first_super_init_statement
from nnlint.rules.base import Invalid, Rule, Runtime, Valid, dedent
from nnlint.tree import first_param_name, iter_nodes

_TORCH_WORD = {"module": "module", "parameter": "parameters"}  # as torch's error message words it


class AssignmentBeforeSuperInit(Rule):
    """
    ## What it does
    Flags `self.attr = <module or parameter>` in a Module's `__init__` before the
    `super().__init__()` call: the value is an `nn.Module` or `nn.Parameter` construction, a
    local name bound to one, or an `__init__` argument annotated as a Module.

    ## Why is this bad?
    `nn.Module.__setattr__` puts submodules and parameters in registries that
    `Module.__init__` creates. Before that call the assignment raises
    `AttributeError: cannot assign module before Module.__init__() call` (or
    `cannot assign parameters before Module.__init__() call`).

    Plain values (`self.num_features = n`) are stored as ordinary attributes and survive the
    base `__init__`, so they are not flagged; torch's own `nn.PReLU` does this.

    ## Example
    ```python
    def __init__(self):
        self.fc = nn.Linear(4, 2)
        super().__init__()
    ```

    ## Use instead
    ```python
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 2)
    ```
    """

    code = "NN104"
    name = "assignment-before-super-init"
    severity = Severity.ERROR
    summary = "a submodule or parameter assigned on `self` before `super().__init__()`"
    suggestion = "move super().__init__() above the first self.<attr> = ... assignment"
    runtime = Runtime(("init_order_error",),
                      "instantiation raises `cannot assign module before Module.__init__() call`")

    VALID = [
        Valid(dedent("""
            from torch import nn

            class Net(nn.Module):
                def __init__(self, n):
                    self.n = n  # a plain attribute survives Module.__init__
                    super().__init__()
                    self.fc = nn.Linear(n, 2)
        """)),
    ]
    INVALID = [
        Invalid(dedent("""
            from torch import nn

            class Net(nn.Module):
                def __init__(self):
                    self.fc = nn.Linear(4, 2)
                    super().__init__()
        """), line=5),
        Invalid(dedent("""
            import torch
            from torch import nn

            class Net(nn.Module):
                def __init__(self, encoder: nn.Module):
                    scale = nn.Parameter(torch.ones(1))
                    self.scale = scale
                    self.encoder = encoder
                    super().__init__()
        """), line=(7, 8)),
    ]

    def leave_ClassDef(self, node: cst.ClassDef) -> None:  # methods walked: nodes_in is cheap
        info = self.context.classes.get(node)
        init = info.methods.get("__init__") if info is not None and info.is_module else None
        if init is None:
            return
        first = first_super_init_statement(init)
        if not first:  # no call (NN103) or the call comes first
            return
        self_name = first_param_name(init)
        registered = self._module_valued_params(init)
        for statement in init.body.body[:first]:
            for assign in iter_nodes(statement, (cst.Assign, cst.AnnAssign)):
                targets = [t.target for t in assign.targets] if isinstance(assign, cst.Assign) else [assign.target]
                value = assign.value
                if value is None:
                    continue
                if isinstance(value, cst.Call) and (self.context.builds_module(value) or self.context.builds_parameter(value)):
                    registered_kind = "module" if self.context.builds_module(value) else "parameter"
                elif isinstance(value, cst.Name) and value.value in registered:
                    registered_kind = registered[value.value]
                else:
                    registered_kind = None
                for target in targets:
                    if isinstance(target, cst.Name) and registered_kind:
                        registered[target.value] = registered_kind  # a local holding one
                    elif (registered_kind and isinstance(target, cst.Attribute)
                          and isinstance(target.value, cst.Name) and target.value.value == self_name):
                        self.report(assign, f"`{self_name}.{target.attr.value}` ({registered_kind}) is assigned "
                                            f"before `super().__init__()`: it raises `cannot assign "
                                            f"{_TORCH_WORD[registered_kind]} before Module.__init__() call`")

    def _module_valued_params(self, init: cst.FunctionDef) -> dict:
        found = {}
        for param in init.params.params:
            annotation = param.annotation.annotation if param.annotation else None
            if annotation is not None and self.context.builds_module(cst.Call(func=annotation)):
                found[param.name.value] = "module"
        return found
