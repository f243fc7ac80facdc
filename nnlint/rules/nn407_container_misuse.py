from typing import Optional

import libcst as cst

from nnlint import torch_api
from nnlint.finding import Severity
from nnlint.rules._torch_refs import ancestors
from nnlint.rules.base import Invalid, Rule, Runtime, Valid, dedent
from nnlint.tree import iter_nodes

SINGLE_ITERABLE = {"ModuleList": "iterable of modules", "ModuleDict": "mapping of modules",
                   "ParameterList": "iterable of parameters", "ParameterDict": "mapping of parameters"}
ITERABLE_MODULES = frozenset({"Sequential", "ModuleList", "ParameterList"})


class ContainerMisuse(Rule):
    """
    ## What it does
    Flags torch containers built with the wrong arguments:

    - `nn.Sequential([a, b])` (or a tuple, a comprehension, or a local list variable): one
      sequence argument instead of the modules themselves;
    - `nn.ModuleList(a, b, ...)`, `nn.ModuleDict(d1, d2)`, `nn.ParameterList(p, q)`: several
      positional arguments instead of one iterable;
    - `nn.ModuleList(nn.Linear(...))`: a single layer that is not iterable.

    ## Why is this bad?
    Construction raises:
    `TypeError: list is not a Module subclass`,
    `TypeError: ModuleList.__init__() takes from 1 to 2 positional arguments but 3 were given`,
    `TypeError: ModuleList.extend should be called with an iterable, but got Linear`.

    ## Example
    ```python
    self.body = nn.Sequential([nn.Linear(8, 8), nn.ReLU()])
    self.heads = nn.ModuleList(nn.Linear(8, 2), nn.Linear(8, 4))
    ```

    ## Use instead
    ```python
    self.body = nn.Sequential(nn.Linear(8, 8), nn.ReLU())   # or nn.Sequential(*layers)
    self.heads = nn.ModuleList([nn.Linear(8, 2), nn.Linear(8, 4)])
    ```

    ## References
    - https://pytorch.org/docs/stable/generated/torch.nn.Sequential.html
    - https://pytorch.org/docs/stable/generated/torch.nn.ModuleList.html
    """

    code = "NN407"
    name = "container-misuse"
    severity = Severity.ERROR
    summary = "`nn.Sequential([...])` with a list, or `nn.ModuleList(a, b)` with several arguments"
    suggestion = "nn.Sequential(*layers) / nn.ModuleList([a, b])"
    runtime = Runtime(("container_error",), "construction raises TypeError")

    VALID = [
        Valid(dedent("""
            from collections import OrderedDict
            from torch import nn

            layers = [nn.Linear(4, 4), nn.ReLU()]
            a = nn.Sequential(*layers)
            b = nn.Sequential(OrderedDict([("fc", nn.Linear(4, 4))]))
            c = nn.ModuleList([nn.Linear(4, 4), nn.ReLU()])
            d = nn.ModuleList(nn.Sequential(nn.Linear(4, 4)))
            e = nn.ModuleDict({"fc": nn.Linear(4, 4)})
            f = nn.Sequential(nn.Linear(4, 4), nn.ReLU())
            g = nn.ModuleList(layers)
            h = nn.ModuleList()
        """)),
        Valid(dedent("""
            from flax import linen as nn

            model = nn.Sequential([nn.Dense(4), nn.relu])
        """)),
    ]
    INVALID = [
        Invalid(dedent("""
            from torch import nn

            class Net(nn.Module):
                def __init__(self):
                    super().__init__()
                    layers = []
                    for _ in range(3):
                        layers.append(nn.Linear(4, 4))
                    self.body = nn.Sequential(layers)
                    self.head = nn.Sequential([nn.Linear(4, 2), nn.Softmax(dim=-1)])
                    self.heads = nn.ModuleList(nn.Linear(4, 2), nn.Linear(4, 3))
                    self.one = nn.ModuleList(nn.Linear(4, 2))
        """), line=(9, 10, 11, 12)),
    ]

    def visit_Call(self, node: cst.Call) -> None:
        qualified = self.context.qualified_name(node.func) or ""
        if not qualified.startswith("torch."):
            return
        name = qualified.rsplit(".", 1)[1]
        if name not in ITERABLE_MODULES and name not in SINGLE_ITERABLE:
            return
        if not torch_api.is_torch_nn_name(qualified, frozenset(ITERABLE_MODULES | set(SINGLE_ITERABLE))):
            return
        if any(arg.star or arg.keyword is not None for arg in node.args):
            return
        args = [arg.value for arg in node.args]
        if name == "Sequential":
            if len(args) == 1:
                kind = self._sequence_kind(args[0], node)
                if kind is not None:
                    self.report(node, f"`nn.Sequential` given one {kind}: it takes the modules as "
                                      f"separate arguments and raises `TypeError: {kind} is not a "
                                      f"Module subclass`; unpack it: `nn.Sequential(*layers)`")
            return
        if len(args) > 1:
            wrap = f"; wrap them: `nn.{name}([...])`" if name.endswith("List") else ""
            self.report(node, f"`nn.{name}` given {len(args)} positional arguments: it takes a single "
                              f"{SINGLE_ITERABLE[name]} and raises `TypeError`{wrap}")
        elif len(args) == 1 and name in ("ModuleList", "ParameterList"):
            single = self._single_item(args[0])
            if single is not None:
                self.report(node, f"`nn.{name}` given a single {single}, which is not iterable: "
                                  f"construction raises `TypeError`; wrap it: `nn.{name}([...])`")

    def _sequence_kind(self, expr: cst.BaseExpression, call: cst.Call) -> Optional[str]:
        if isinstance(expr, (cst.List, cst.ListComp)):
            return "list"
        if isinstance(expr, cst.Tuple):
            return "tuple"
        if isinstance(expr, cst.Name):
            return self._local_list(expr.value, call)
        return None

    def _local_list(self, name: str, call: cst.Call) -> Optional[str]:
        """`layers` when every assignment to it in the enclosing function is a list literal,
        comprehension or `list(...)`, and it is not a parameter."""
        scope = None
        for above, _ in ancestors(self.context, call):
            if isinstance(above, (cst.FunctionDef, cst.Lambda)):
                scope = above
                break
        if not isinstance(scope, cst.FunctionDef):
            return None
        params = scope.params
        if any(p.name.value == name for p in (*params.posonly_params, *params.params, *params.kwonly_params)):
            return None
        kinds = set()
        for node in iter_nodes(scope.body, (cst.Assign, cst.AnnAssign, cst.AugAssign, cst.For, cst.With,
                                            cst.NamedExpr)):
            if isinstance(node, cst.Assign):
                targets = [t.target for t in node.targets]
            elif isinstance(node, (cst.For,)):
                targets = [node.target]
            elif isinstance(node, cst.With):
                targets = [i.asname.name for i in node.items if i.asname is not None]
            else:
                targets = [node.target]
            if not any(isinstance(t, cst.Name) and t.value == name for t in targets) and not any(
                    isinstance(t, (cst.Tuple, cst.List)) and any(
                        isinstance(e.value, cst.Name) and e.value.value == name for e in t.elements)
                    for t in targets):
                continue
            value = getattr(node, "value", None)
            if isinstance(node, cst.AugAssign) and isinstance(value, (cst.List, cst.ListComp)):
                continue  # layers += [...]: still a list
            if isinstance(node, (cst.Assign, cst.AnnAssign)) and isinstance(value, (cst.List, cst.ListComp)):
                kinds.add("list")
            elif isinstance(node, (cst.Assign, cst.AnnAssign)) and isinstance(value, cst.Call) \
                    and self.context.qualified_name(value.func) == "builtins.list":
                kinds.add("list")
            else:
                return None
        return "list" if kinds == {"list"} else None

    def _single_item(self, expr: cst.BaseExpression) -> Optional[str]:
        if not isinstance(expr, cst.Call):
            return None
        qualified = self.context.qualified_name(expr.func) or ""
        if self.context.builds_parameter(expr):
            return "nn.Parameter"
        if torch_api.is_module_class(qualified):
            name = qualified.rsplit(".", 1)[1]
            return None if name in ITERABLE_MODULES or name.endswith(("Dict", "List")) else f"nn.{name}"
        return None
