import libcst as cst

from nnlint.finding import Applicability, Severity
from nnlint.fix import TreeFix
from nnlint.rules._super_init import first_super_init_statement
from nnlint.rules.base import Invalid, Rule, Runtime, Valid, dedent
from nnlint.tree import is_docstring


class MissingSuperInit(Rule):
    """
    ## What it does
    Flags the `__init__` of an `nn.Module` subclass that never calls `super().__init__()` (or
    `Base.__init__(self)`), including a subclass of another Module of the project.

    ## Why is this bad?
    `nn.Module.__init__` creates the registries that hold parameters, buffers and submodules.
    Without it, the first `self.fc = nn.Linear(...)` raises
    `AttributeError: cannot assign module before Module.__init__() call`; a Module with only
    plain attributes fails later, on the first call (`'Net' object has no attribute '_modules'`
    or a missing `_forward_hooks`).

    ## Example
    ```python
    class Net(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(4, 2)
    ```

    ## Use instead
    ```python
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 2)
    ```
    The autofix inserts the call when the class derives directly from `nn.Module` (whose
    `__init__` takes no arguments); for other bases, the arguments are yours to choose.

    ## Fix safety
    This fix is safe: without `super().__init__()` the Module cannot be used at all (the first
    submodule assignment or call raises), and the call goes first in `__init__`, after the
    docstring, before anything could depend on its absence.

    ## References
    - https://pytorch.org/docs/stable/generated/torch.nn.Module.html
    """

    code = "NN103"
    name = "missing-super-init"
    severity = Severity.ERROR
    summary = "a Module's `__init__` never calls `super().__init__()`"
    suggestion = "call super().__init__() first in __init__"
    fix_safety = (Applicability.SAFE,)
    runtime = Runtime(("init_order_error",),
                      "instantiation raises `cannot assign module before Module.__init__() call`")

    VALID = [
        Valid(dedent("""
            from torch import nn

            class Net(nn.Module):
                def __init__(self):
                    super(Net, self).__init__()
                    self.fc = nn.Linear(4, 2)
        """)),
        Valid(dedent("""
            import torch.nn as nn

            class Net(nn.Linear):
                def __init__(self):
                    nn.Linear.__init__(self, 4, 2)
        """)),
        Valid(dedent("""
            class Config:
                def __init__(self):
                    self.size = 4  # not a Module
        """)),
        Valid(dedent("""
            import torch

            class QuantizedLinear(torch.nn.Module):
                def __init__(self, other):
                    raise RuntimeError("QuantizedLinear is no longer supported")
        """)),
        Valid(dedent("""
            import torch.nn as nn

            class Projector(nn.Linear):
                def __init__(self, config):
                    nn.Module.__init__()  # a transformers modular_*.py directive: a call, not none
                    self.width = config.width
        """)),
    ]
    INVALID = [
        Invalid(dedent("""
            import torch.nn as nn

            class Net(nn.Module):
                def __init__(self):
                    \"\"\"A net.\"\"\"
                    self.fc = nn.Linear(4, 2)
        """), line=4, fixed=dedent("""
            import torch.nn as nn

            class Net(nn.Module):
                def __init__(self):
                    \"\"\"A net.\"\"\"
                    super().__init__()
                    self.fc = nn.Linear(4, 2)
        """)),
        Invalid(dedent("""
            from torch.nn import Module

            class Base(Module):
                def __init__(self, width):
                    super().__init__()
                    self.width = width

            class Child(Base):
                def __init__(self):
                    self.depth = 2
        """), line=9),
    ]

    def leave_ClassDef(self, node: cst.ClassDef) -> None:  # methods walked: nodes_in is cheap
        info = self.context.classes.get(node)
        init = info.methods.get("__init__") if info is not None and info.is_module else None
        if init is None or first_super_init_statement(init) is not None or _always_raises(init):
            return
        self.report(init.name, f"`{info.name}.__init__` never calls `super().__init__()`: "
                               "the Module's registries are never created", self._fix(info, init))

    def _fix(self, info, init: cst.FunctionDef):
        if info.base_names != ["torch.nn.Module"] or not isinstance(init.body, cst.IndentedBlock):
            return None
        body = list(init.body.body)
        at = 1 if body and is_docstring(body[0]) else 0
        body.insert(at, cst.parse_statement("super().__init__()\n"))
        new_init = init.with_changes(body=init.body.with_changes(body=body))
        return TreeFix.replace(init, new_init, "insert super().__init__()", Applicability.SAFE)


def _always_raises(init: cst.FunctionDef) -> bool:
    """An `__init__` whose last top-level statement is a `raise` never builds an object (a
    removed class's stub, an abstract base): no registries are needed."""
    body = init.body.body if isinstance(init.body, cst.IndentedBlock) else ()
    last = body[-1] if body else None
    return isinstance(last, cst.SimpleStatementLine) and isinstance(last.body[-1], cst.Raise)
