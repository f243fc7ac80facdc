import difflib
from collections import Counter
from typing import Dict, Optional, Set

import libcst as cst

from nnlint import torch_api
from nnlint.context import ClassInfo
from nnlint.finding import Severity
from nnlint.rules.base import Invalid, Rule, Runtime, Valid, dedent
from nnlint.tree import iter_nodes

FORWARD_NAMES = ("forward", "__call__")
ABSTRACT_BASES = frozenset({"abc.ABC", "abc.ABCMeta"})
# Bases that are not Modules and bring no forward.
SEQUENTIAL = frozenset({"torch.nn.Sequential", "torch.nn.modules.container.Sequential"})
PLAIN_BASES = frozenset({"builtins.object", "typing.Generic", "typing.Protocol",
                         "typing_extensions.Protocol"})


def _statements(body) -> list:
    """The statements of a class body, looking into if/try/with blocks (not into defs)."""
    found, stack = [], list(body.body) if isinstance(body, cst.IndentedBlock) else []
    while stack:
        stmt = stack.pop(0)
        found.append(stmt)
        if isinstance(stmt, (cst.If, cst.Try, cst.With)):
            for block in (stmt.body, getattr(stmt, "orelse", None), getattr(stmt, "finalbody", None)):
                inner = getattr(block, "body", None)
                if isinstance(inner, cst.IndentedBlock):
                    stack.extend(inner.body)
                elif isinstance(block, cst.If):
                    stack.append(block)
            for handler in getattr(stmt, "handlers", ()):
                stack.extend(handler.body.body if isinstance(handler.body, cst.IndentedBlock) else ())
    return found


def _defines(info: ClassInfo, names) -> bool:
    """The class body defines or assigns one of `names`, or a method sets `self.forward = ...`."""
    for stmt in _statements(info.node.body):
        if isinstance(stmt, cst.FunctionDef) and stmt.name.value in names:
            return True
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                targets = [t.target for t in small.targets] if isinstance(small, cst.Assign) else \
                    [small.target] if isinstance(small, cst.AnnAssign) and small.value is not None else []
                if any(isinstance(t, cst.Name) and t.value in names for t in targets):
                    return True
    for method in info.methods.values():
        for attr in iter_nodes(method.body, cst.Attribute):
            if attr.attr.value in names and isinstance(attr.value, cst.Name) \
                    and attr.value.value in ("self", "cls"):
                return True  # self.forward = ..., or an explicit reference to it: leave it alone
    return False


def _is_abstract(info: ClassInfo) -> bool:
    for arg in info.node.bases:
        if arg.keyword is not None and arg.keyword.value == "metaclass":
            return True
    if any(base in ABSTRACT_BASES for base in info.base_names):
        return True
    for method in info.methods.values():
        for decorator in method.decorators:
            name = decorator.decorator
            if isinstance(name, cst.Call):
                name = name.func
            last = name.attr.value if isinstance(name, cst.Attribute) else \
                name.value if isinstance(name, cst.Name) else ""
            if last.startswith("abstract"):
                return True
        for stmt in iter_nodes(method.body, cst.Raise):
            exc = stmt.exc.func if isinstance(stmt.exc, cst.Call) else stmt.exc
            if isinstance(exc, cst.Name) and exc.value == "NotImplementedError":
                return True
    return False


class MissingForward(Rule):
    """
    ## What it does
    Flags an `nn.Module` subclass that has its own `__init__` or is instantiated in the file,
    defines no `forward` and inherits none (every base is known: a class of the project, in
    this file or imported from a sibling module, down to `nn.Module` itself, and none defines
    `forward` or `__call__`), and is evidently meant to be called: a method is a near-miss
    spelling of `forward` (`foward`, `Forward`), a `forward` is nested inside another method,
    or the file calls an instance (`Net()(x)`, `m = Net()` then `m(x)`, `self.m = Net()` then
    `self.m(x)`, or `Net()` inside an `nn.Sequential`, which calls its children).

    Left alone: abstract bases (`ABC`, `@abstractmethod`, a method raising
    `NotImplementedError`), classes that another class of the file derives from, classes with
    a decorator or metaclass (they may add `forward`), subclasses of torch layers (which bring
    their own `forward`) and of `nn.ModuleList`/`nn.ModuleDict`/`nn.ParameterList`/
    `nn.ParameterDict` (containers are not called), anything whose base is unknown, and
    holders of parameters or buffers that are never called here (used through other methods).

    ## Why is this bad?
    `nn.Module.__call__` runs `self.forward`; without one, the first `model(x)` raises
    `NotImplementedError: Module [Net] is missing the required "forward" function`. The usual
    cause is a typo (`def foward`), or `forward` indented into `__init__` as a nested function.

    ## Example
    ```python
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 2)

        def foward(self, x):
            return self.fc(x)
    ```

    ## Use instead
    ```python
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 2)

        def forward(self, x):
            return self.fc(x)
    ```

    ## References
    - https://pytorch.org/docs/stable/generated/torch.nn.Module.html#torch.nn.Module.forward
    """

    code = "NN107"
    name = "missing-forward"
    severity = Severity.ERROR
    summary = "a Module that is built or has an `__init__` but defines or inherits no `forward`"
    suggestion = "define forward(self, ...)"
    runtime = Runtime(("missing_forward",), "calling the model raises NotImplementedError")

    VALID = [
        Valid(dedent("""
            from torch import nn

            class Base(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.fc = nn.Linear(4, 2)

            class Net(Base):
                def forward(self, x):
                    return self.fc(x)
        """)),
        Valid(dedent("""
            import abc
            import torch.nn as nn
            from somewhere import Backbone

            class Encoder(nn.Module, abc.ABC):
                def __init__(self):
                    super().__init__()

            class Head(nn.Module):
                def __init__(self):
                    super().__init__()

                def encode(self, x):
                    raise NotImplementedError

            class Wrapped(Backbone):
                def __init__(self):
                    super().__init__()

            class Linear2(nn.Linear):
                def __init__(self):
                    super().__init__(2, 2)

            class Blocks(nn.ModuleList):
                def __init__(self):
                    super().__init__([nn.Linear(2, 2)])

            class Callable(nn.Module):
                def __init__(self):
                    super().__init__()

                def __call__(self, x):
                    return x

            class RotaryTable(nn.Module):  # a holder: used through get_embed(), never called
                def __init__(self, dim):
                    super().__init__()
                    self.register_buffer("inv_freq", torch.ones(dim))

                def get_embed(self, n):
                    return self.inv_freq[:n]
        """)),
        Valid(dedent("""
            from flax import linen as nn

            class Net(nn.Module):
                def setup(self):
                    self.dense = nn.Dense(4)
        """)),
    ]
    INVALID = [
        Invalid(dedent("""
            from torch import nn

            class Net(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.fc = nn.Linear(4, 2)

                def foward(self, x):
                    return self.fc(x)
        """), line=3),
        Invalid(dedent("""
            import torch

            class Base(torch.nn.Module):
                pass

            class Net(Base):
                def __init__(self):
                    super().__init__()
                    self.fc = torch.nn.Linear(4, 2)

                    def forward(self, x):
                        return self.fc(x)

            model = Net()
        """), line=6),
        Invalid(dedent("""
            import torch.nn as nn
            from torch.nn import Sequential

            class Encoder(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.fc = nn.Linear(4, 4)

            class Scale(nn.Module):
                def __init__(self, factor):
                    super().__init__()
                    self.factor = factor

            def train(batch):
                model = Encoder()
                return Sequential(Scale(2.0), nn.ReLU())(model(batch))
        """), line=(4, 9)),
    ]

    def __init__(self, context):
        super().__init__(context)
        self._forward: Dict[cst.ClassDef, Optional[bool]] = {}
        self._instantiated: Optional[Set[str]] = None
        self._subclassed: Optional[Set[str]] = None
        self._called: Optional[Set[str]] = None
        self._name_counts: Optional[Counter] = None  # classes per name, counted once per file

    def _provides_forward(self, info: ClassInfo, seen: Set[str]) -> Optional[bool]:
        """True: the class or a base defines forward (or needs none); False: the whole chain
        is known and none does; None: unknown."""
        if info.node in self._forward:
            return self._forward[info.node]
        if info.name in seen:
            return None
        seen = seen | {info.name}
        answers = [True if _defines(info, FORWARD_NAMES) else None if info.node.decorators else False]
        for base in info.base_names:
            if base is None:
                answers.append(None)
            elif torch_api.is_module_class(base):
                answers.append(base.rsplit(".", 1)[1] != "Module")
            elif base in PLAIN_BASES or base in ABSTRACT_BASES:
                answers.append(False)
            elif base in self.context.classes_by_name and base not in self.context.bindings:
                answers.append(self._provides_forward(self.context.classes_by_name[base], seen))
            else:  # imported, or from a star import
                answers.append(self.context.project_class(base).forward)
        answer = True if True in answers else None if None in answers else False
        self._forward[info.node] = answer
        return answer

    def _collect_uses(self) -> None:
        """Which classes of the file are instantiated, derived from, and called: `C(...)(x)`,
        `m = C(...)` then `m(x)` in the same function, `self.m = C(...)` then `self.m(x)` in the
        same class, or `C(...)` inside an `nn.Sequential(...)` (which calls its children)."""
        classes = self.context.classes_by_name
        self._instantiated, self._subclassed, self._called = set(), set(), set()
        for info in self.context.classes.values():
            self._subclassed.update(b for b in info.base_names if b)

        def built(expr) -> Optional[str]:
            if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Name) \
                    and expr.func.value in classes and expr.func.value not in self.context.bindings:
                return expr.func.value
            return None

        for call in iter_nodes(self.context.module, cst.Call):
            name = built(call)
            if name:
                self._instantiated.add(name)
            if built(call.func):
                self._called.add(built(call.func))
            if self.context.qualified_name(call.func) in SEQUENTIAL:
                self._called.update(filter(None, (built(c) for c in iter_nodes(list(call.args), cst.Call))))
        scopes = [list(self.context.module.body)] + \
            [f.body for f in iter_nodes(self.context.module, cst.FunctionDef)]
        for scope in scopes:  # in source order: `m` means the class it was last bound to
            bound: Dict[str, str] = {}
            for node in iter_nodes(scope, (cst.Assign, cst.Call)):
                if isinstance(node, cst.Assign):
                    name = built(node.value)
                    for target in node.targets:
                        if isinstance(target.target, cst.Name):
                            if name:
                                bound[target.target.value] = name
                            else:
                                bound.pop(target.target.value, None)
                elif isinstance(node.func, cst.Name) and node.func.value in bound:
                    self._called.add(bound[node.func.value])
        for info in self.context.classes.values():
            bound = {}
            for method in info.methods.values():
                for assign in iter_nodes(method.body, cst.Assign):
                    name = built(assign.value)
                    for target in assign.targets if name else ():
                        t = target.target
                        if isinstance(t, cst.Attribute) and isinstance(t.value, cst.Name):
                            bound[t.attr.value] = name
            for method in info.methods.values() if bound else ():
                for call in iter_nodes(method.body, cst.Call):
                    func = call.func
                    if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) \
                            and func.attr.value in bound:
                        self._called.add(bound[func.attr.value])

    def leave_ClassDef(self, node: cst.ClassDef) -> None:
        info = self.context.classes.get(node)
        if info is None or not info.is_module or self.context.classes_by_name[info.name] is not info:
            return
        if self._name_counts is None:
            self._name_counts = Counter(other.name for other in self.context.classes.values())
        if self._name_counts[info.name] > 1:
            return  # several classes share the name: which one a use means is unknown
        if self._provides_forward(info, set()) is not False or _is_abstract(info):
            return
        if self._instantiated is None:
            self._collect_uses()
        if info.name in self._subclassed:
            return
        if "__init__" not in info.methods and info.name not in self._instantiated:
            return
        hint = self._hint(info)
        if not hint and info.name not in self._called:
            return  # never called here: perhaps a holder of parameters used through its methods
        self.report(node.name, f"`{info.name}` defines no `forward` and inherits none: "
                               f"calling it raises NotImplementedError{hint}")

    @staticmethod
    def _hint(info: ClassInfo) -> str:
        close = difflib.get_close_matches("forward", [m for m in info.methods if m != "__init__"],
                                          n=1, cutoff=0.75)
        if close:
            return f" (`{close[0]}` is spelled differently)"
        for method in info.methods.values():
            for inner in iter_nodes(method.body, cst.FunctionDef):
                if inner.name.value == "forward":
                    return f" (a `forward` is nested inside `{method.name.value}`: an indentation slip?)"
        return ""
