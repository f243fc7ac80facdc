from typing import Optional

import libcst as cst

from nnlint.dataflow import local_kinds
from nnlint.tree import dotted_name, iter_nodes
from nnlint.finding import Severity
from nnlint.rules._grad import first_line_code
from nnlint.rules.base import Invalid, Rule, Runtime, Valid, dedent

SAVES = frozenset({"torch.save", "torch.serialization.save"})
# Methods only a Module has: calling one on a name says the name holds a Module.
MODULE_METHODS = frozenset({"parameters", "named_parameters", "modules", "named_modules", "children",
                            "named_children", "buffers", "named_buffers", "eval", "apply"})


class ModuleSavedWhole(Rule):
    """
    ## What it does
    Flags `torch.save(model, path)` where `model` is an `nn.Module` (known from its
    constructor, an annotation, a factory, the callers of the function, or because the code
    calls Module methods such as `.parameters()` or `.eval()` on it), instead of its
    `state_dict()`.

    ## Why is this bad?
    Saving a Module pickles the object: the file stores a reference to its class by import
    path, plus every attribute. Loading it needs the same code at the same place (`AttributeError:
    Can't get attribute 'Net' on <module '__main__'>` after a rename, a move, or from another
    script), breaks across library versions, fails to save at all with lambdas or local classes
    (`Can't pickle local object`), and cannot be read with `torch.load(weights_only=True)`, the
    default since PyTorch 2.6, because unpickling arbitrary objects runs arbitrary code. A
    `state_dict()` holds only tensors and loads anywhere the architecture can be rebuilt.

    ## Example
    ```python
    torch.save(model, "model.pt")
    model = torch.load("model.pt")
    ```

    ## Use instead
    ```python
    torch.save(model.state_dict(), "model.pt")
    model = Net()
    model.load_state_dict(torch.load("model.pt", weights_only=True))
    ```

    ## References
    - https://pytorch.org/tutorials/beginner/saving_loading_models.html#save-load-entire-model
    - https://pytorch.org/docs/stable/notes/serialization.html
    """

    code = "NN505"
    name = "module-saved-whole"
    severity = Severity.WARNING
    summary = "`torch.save(model, ...)` of a whole Module instead of its `state_dict()`"
    suggestion = "save model.state_dict() and rebuild the model to load it"
    runtime = Runtime(unobservable="a way of saving files, not a behaviour of the model")

    VALID = [
        Valid(dedent("""
            import torch
            from torch import nn

            model = nn.Linear(4, 2)
            optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
            torch.save(model.state_dict(), "model.pt")
            torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict()}, "ckpt.pt")
            torch.save(torch.zeros(3), "tensor.pt")
            torch.save(optimizer, "opt.pt")
        """)),
    ]
    INVALID = [
        Invalid(dedent("""
            import torch
            from torch import nn

            class Net(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.fc = nn.Linear(4, 2)

            def export(model, path):
                model.eval()
                torch.save(model, path)

            torch.save(Net(), "net.pt")
        """), line=(11, 13)),
    ]

    def visit_Call(self, node: cst.Call) -> None:
        if self.context.qualified_name(node.func) not in SAVES:
            return
        args = [a.value for a in node.args if a.keyword is None and not a.star]
        saved = args[0] if args else next((a.value for a in node.args if a.keyword and a.keyword.value == "obj"), None)
        if saved is None:
            return
        what = self._module_name(saved)
        if what is None:
            return
        code = first_line_code(self.context, saved, 30)
        self.report(node, f"`{first_line_code(self.context, node)}` pickles the whole {what}: loading it needs the "
                          f"same class at the same import path, and torch.load(weights_only=True) refuses it; "
                          f"save `{code}.state_dict()`")

    def _module_name(self, expr: cst.BaseExpression) -> Optional[str]:
        kind = local_kinds(self.context).kind(expr)
        if kind is not None:
            if kind.is_module:
                return f"`{kind.short_name}` module" if kind.name and kind.name != "torch.nn.Module" else "module"
            return None
        name = dotted_name(expr)
        if name is None:
            return None
        scope = self.context.current_function or self.context.module
        for call in iter_nodes(scope, cst.Call):
            func = call.func
            if isinstance(func, cst.Attribute) and func.attr.value in MODULE_METHODS \
                    and dotted_name(func.value) == name:
                return f"module (`{name}.{func.attr.value}()` is called on it)"
        return None
