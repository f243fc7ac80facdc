import libcst as cst

from nnlint import torch_api
from nnlint.finding import Applicability, Severity
from nnlint.rules._containers import describe, find_hidden, container_fix
from nnlint.rules._param_count import hidden_parameters_phrase
from nnlint.rules.base import Invalid, Rule, Runtime, Valid, dedent


class SubmoduleInPlainContainer(Rule):
    """
    ## What it does
    Flags submodules stored on `self` in a plain `list`, `tuple` or `dict` inside an
    `nn.Module`: a literal or comprehension of Module constructions, `list(...)` of them,
    or `self.x = []` later filled with `.append(...)`/`.extend(...)`. A construction is of a
    torch layer or of a Module class of the project, defined in the file or imported from
    another of its files (`from .layers import ProjectDropout`).

    ## Why is this bad?
    `nn.Module` registers a submodule only when it is assigned as an attribute or held by
    `nn.ModuleList`/`nn.ModuleDict`/`nn.Sequential`. Modules in a plain container are
    invisible: their parameters are missing from `model.parameters()` (the optimizer never
    updates them) and from `state_dict()` (checkpoints silently lose them), and
    `model.to("cuda")`, `.half()`, `.eval()` leave them behind. Training runs, loss even
    drops a little through the other layers, and nothing raises.

    ## Example
    ```python
    class MLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = [nn.Linear(8, 8) for _ in range(3)]
    ```

    ## Use instead
    ```python
    class MLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.ModuleList([nn.Linear(8, 8) for _ in range(3)])
    ```
    The autofix wraps list/tuple literals and comprehensions in `nn.ModuleList`, and dicts
    with string keys in `nn.ModuleDict`, when every element is a Module.

    ## Fix safety
    This fix is unsafe: registering the submodules is the point, and it changes what the model
    saves, trains and moves. `state_dict()` gains their keys, so checkpoints saved before the
    fix no longer load with `strict=True`; `parameters()` hands them to the optimizer; `.to()`
    and `.half()` convert them. A plain list is also, now and then, a deliberate way to keep a
    module (a frozen teacher, a shared embedding) out of all three. Review the change, then
    apply it with `--unsafe-fixes`. When the file has no name for `nn.ModuleList` (it imported
    only `Linear` from `torch.nn`), the fix adds `from torch.nn import ModuleList`.

    ## References
    - https://pytorch.org/docs/stable/generated/torch.nn.ModuleList.html
    - https://pytorch.org/docs/stable/generated/torch.nn.ModuleDict.html
    """

    code = "NN101"
    name = "submodule-in-plain-container"
    severity = Severity.ERROR
    summary = "submodules in a plain list/tuple/dict on `self`: never registered"
    suggestion = "hold them in nn.ModuleList / nn.ModuleDict"
    fix_safety = (Applicability.UNSAFE,)
    runtime = Runtime(("unregistered_module",),
                      "those submodules' parameters are missing from parameters() and state_dict(), "
                      "and .to(device) leaves them behind",
                      reports=("unregistered_module",))

    VALID = [
        Valid(dedent("""
            from torch import nn

            class Net(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.sizes = [4, 8, 2]
                    self.shapes = {"in": (1, 4)}
                    self.fc1 = nn.Linear(4, 8)
                    self.fc2 = nn.Linear(8, 2)
                    self.order = [self.fc1, self.fc2]
                    self.blocks = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
                    layers = [nn.Linear(2, 2), nn.ReLU()]
                    self.body = nn.Sequential(*layers)
                    self.feature_info = [dict(num_chs=8, module="fc1")]
        """)),
        Valid(dedent("""
            import torch.nn as nn

            class Net(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.layers = [nn.Linear(2, 2), nn.Linear(2, 2)]
                    self.layers = nn.ModuleList(self.layers)
                    self.stages = []
                    for _ in range(2):
                        self.stages.append(nn.Conv2d(3, 3, 1))
                    self.seq = nn.Sequential(*self.stages)

                def reparameterize(self):
                    self.fusion = []
        """)),
        Valid(dedent("""
            from torch import nn

            class Head(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.layers = [nn.Linear(4, 4), nn.ReLU()]
                    for i, layer in enumerate(self.layers):  # registered one by one
                        self.add_module(str(i), layer)
                    self.losses = {"ce": nn.CrossEntropyLoss(), "l1": nn.L1Loss()}  # no parameters
        """)),
        Valid(dedent("""
            from flax import linen as nn

            class Net(nn.Module):
                def setup(self):
                    self.layers = [nn.Dense(4), nn.Dense(2)]
        """)),
    ]
    INVALID = [
        Invalid(dedent("""
            import torch.nn as nn

            class MLP(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.layers = [nn.Linear(8, 8) for _ in range(3)]
        """), line=6, fixed=dedent("""
            import torch.nn as nn

            class MLP(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.layers = nn.ModuleList([nn.Linear(8, 8) for _ in range(3)])
        """)),
        Invalid(dedent("""
            from torch import nn

            class Heads(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.heads = {"cls": nn.Linear(8, 2), "box": nn.Linear(8, 4)}
                    self.pair = (nn.ReLU(), nn.Tanh())
        """), line=(6, 7), fixed=dedent("""
            from torch import nn

            class Heads(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.heads = nn.ModuleDict({"cls": nn.Linear(8, 2), "box": nn.Linear(8, 4)})
                    self.pair = nn.ModuleList([nn.ReLU(), nn.Tanh()])
        """)),
        Invalid(dedent("""
            import torch

            class Block(torch.nn.Module):
                pass

            class Tower(torch.nn.Module):
                def __init__(self, depth):
                    super().__init__()
                    self.blocks = []
                    for _ in range(depth):
                        block = Block()
                        self.blocks.append(block)
        """), line=9, fixed=dedent("""
            import torch

            class Block(torch.nn.Module):
                pass

            class Tower(torch.nn.Module):
                def __init__(self, depth):
                    super().__init__()
                    self.blocks = torch.nn.ModuleList()
                    for _ in range(depth):
                        block = Block()
                        self.blocks.append(block)
        """)),
        Invalid(dedent("""
            from torch.nn import Linear, Module

            class MLP(Module):
                def __init__(self):
                    super().__init__()
                    self.layers = [Linear(8, 8) for _ in range(3)]
        """), line=6, fixed=dedent("""
            from torch.nn import Linear, Module, ModuleList

            class MLP(Module):
                def __init__(self):
                    super().__init__()
                    self.layers = ModuleList([Linear(8, 8) for _ in range(3)])
        """)),
    ]

    def leave_ClassDef(self, node: cst.ClassDef) -> None:  # methods walked: nodes_in is cheap
        info = self.context.classes.get(node)
        if info is None or not info.is_module:
            return
        for hidden in find_hidden(self.context, info, self.context.builds_module):
            if all(_is_loss(name) for name in hidden.classes):
                continue  # a table of loss functions: no parameters to lose
            fix = container_fix(hidden, self.context, "ModuleList", "ModuleDict")
            self.report(hidden.statement, describe(hidden, self.context, "module")
                        + hidden_parameters_phrase(hidden, self.context), fix)


def _is_loss(display_name: str) -> bool:
    """`nn.CrossEntropyLoss` (as builds_module names it) is one of torch's loss classes."""
    return display_name.startswith("nn.") and display_name[3:] in torch_api.loss_classes()
