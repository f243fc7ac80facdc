import libcst as cst

from nnlint.finding import Applicability, Severity
from nnlint.fix import TreeFix
from nnlint.rules.base import Invalid, Rule, Runtime, Valid, dedent
from nnlint.tree import iter_nodes


class LegacySuperCall(Rule):
    """
    ## What it does
    Flags `super(Cls, self).__init__(...)` in the `__init__` of an `nn.Module`, where `Cls` is
    the class being defined: the Python 2 spelling of `super().__init__(...)`.

    A `super(Other, self)` naming another class is left alone: it deliberately skips part of
    the method resolution order, and the zero-argument form would not do the same.

    ## Why is this bad?
    Nothing breaks today, but the class name is written twice: when the class is renamed or
    its code copied into a new class (the usual way model variants are made), the stale name
    either raises `TypeError: super(type, obj): obj must be an instance or subtype of type` or,
    worse, silently runs the wrong base's `__init__` when the old class is also a base.
    `super().__init__()` always means "the next class after this one".

    ## Example
    ```python
    class Net(nn.Module):
        def __init__(self):
            super(Net, self).__init__()
    ```

    ## Use instead
    ```python
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
    ```
    The autofix drops the two arguments when the call sits directly in `__init__` (not in a
    nested function or comprehension, where the zero-argument form cannot find `self`) and
    the class has no decorator that could replace it.

    ## Fix safety
    This fix is safe: in a method of `Cls` that takes `self` first, `super()` means exactly
    `super(Cls, self)`.

    ## References
    - https://docs.python.org/3/library/functions.html#super
    - https://peps.python.org/pep-3135/
    """

    code = "NN108"
    name = "legacy-super-call"
    severity = Severity.STYLE
    summary = "`super(Cls, self).__init__()` where `super().__init__()` says the same"
    suggestion = "write super().__init__(...)"
    fix_safety = (Applicability.SAFE,)
    runtime = Runtime(unobservable="a style rule (both calls do the same)")

    VALID = [
        Valid(dedent("""
            from torch import nn

            class Net(nn.Module):
                def __init__(self):
                    super().__init__()

            class Skip(Net):
                def __init__(self):
                    super(Net, self).__init__()  # skips Net.__init__ on purpose
        """)),
        Valid(dedent("""
            class Config(object):
                def __init__(self):
                    super(Config, self).__init__()  # not a Module
        """)),
    ]
    INVALID = [
        Invalid(dedent("""
            import torch.nn as nn

            class Net(nn.Module):
                def __init__(self, width):
                    super(Net, self).__init__()
                    self.fc = nn.Linear(width, 2)
        """), line=5, fixed=dedent("""
            import torch.nn as nn

            class Net(nn.Module):
                def __init__(self, width):
                    super().__init__()
                    self.fc = nn.Linear(width, 2)
        """)),
        Invalid(dedent("""
            import torch

            class Block(torch.nn.Linear):
                def __init__(me, *args, **kwargs):
                    super(Block, me).__init__(
                        *args, **kwargs
                    )
        """), line=5, fixed=dedent("""
            import torch

            class Block(torch.nn.Linear):
                def __init__(me, *args, **kwargs):
                    super().__init__(
                        *args, **kwargs
                    )
        """)),
    ]

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not (isinstance(func, cst.Attribute) and func.attr.value == "__init__"
                and isinstance(func.value, cst.Call)):
            return
        sup = func.value
        if not (isinstance(sup.func, cst.Name) and sup.func.value == "super" and len(sup.args) == 2):
            return
        info = self.context.enclosing_module_class
        method = self.context.current_method
        if info is None or method is None or method.name.value != "__init__":
            return
        cls_arg, self_arg = sup.args[0], sup.args[1]
        if cls_arg.star or self_arg.star or cls_arg.keyword or self_arg.keyword:
            return
        if not (isinstance(cls_arg.value, cst.Name) and cls_arg.value.value == info.name
                and self.context.is_self(self_arg.value)):
            return
        if self.context.bindings.get(info.name):  # the class name is also imported: ambiguous
            return
        fix = None
        if self.context.scope[-1] is method and not info.node.decorators \
                and not self._in_comprehension_or_lambda(method, node):
            fix = TreeFix.replace(sup, sup.with_changes(args=()), "write super()", Applicability.SAFE)
        self.report(node, f"`super({info.name}, {self_arg.value.value}).__init__()` names the class "
                          "twice: `super().__init__()` says the same", fix)

    @staticmethod
    def _in_comprehension_or_lambda(method: cst.FunctionDef, call: cst.Call) -> bool:
        scopes = (cst.Lambda, cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)
        return any(any(n is call for n in iter_nodes(scope, cst.Call))
                   for scope in iter_nodes(method.body, scopes))
