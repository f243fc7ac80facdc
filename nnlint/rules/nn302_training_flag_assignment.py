import libcst as cst

from nnlint import torch_api
from nnlint.finding import Severity
from nnlint.rules._torch_refs import imports_torch
from nnlint.rules.base import Invalid, Rule, Runtime, Valid, dedent
from nnlint.tree import dotted_name, first_param_name, iter_nodes

# Methods where setting the flag by hand is the implementation of the mode switch itself, or
# the initial value of the module's own state (as `Module.__init__` does).
MODE_METHODS = frozenset({"train", "eval", "__init__"})
# torch layers that hold submodules; every other torch.nn layer is a leaf, for which setting
# the flag is exactly what train()/eval() would do.
WITH_CHILDREN = ("Sequential", "ModuleList", "ModuleDict", "Transformer", "MultiheadAttention",
                 "DataParallel", "AdaptiveLogSoftmaxWithLoss", "Container")


class TrainingFlagAssignment(Rule):
    """
    ## What it does
    Flags `obj.training = True` / `obj.training = False` (a literal) in a file that uses torch,
    outside an override of `train()`/`eval()` and outside `__init__` (where a module sets the
    initial value of its own flag, as `nn.Module.__init__` does). Copying the flag
    (`new.training = old.training`) or setting it from a variable is left alone, as is a class
    known not to be an `nn.Module` (a class of the file with no Module base) and a module
    setting the flag of its own submodule (`self.bn.training = False` to freeze batch-norm
    statistics) unless that submodule is built in the class as a container or a Module class
    of the file, whose children the flag would miss.

    ## Why is this bad?
    `Module.train(mode)` sets `training` on the module *and every submodule*; assigning the
    attribute sets it on one object only. After `model.training = False`, the model's
    `nn.Dropout` and `nn.BatchNorm` children are still in training mode: dropout keeps
    dropping and batch norm keeps updating its running statistics during "evaluation", with
    no error.

    ## Example
    ```python
    model.training = False
    evaluate(model)
    ```

    ## Use instead
    ```python
    model.eval()
    evaluate(model)
    ```

    ## References
    - https://pytorch.org/docs/stable/generated/torch.nn.Module.html#torch.nn.Module.train
    - https://pytorch.org/docs/stable/generated/torch.nn.Module.html#torch.nn.Module.eval
    """

    code = "NN302"
    name = "training-flag-assignment"
    severity = Severity.WARNING
    summary = "`obj.training = True/False` instead of `obj.train()` / `obj.eval()`"
    suggestion = "call obj.train() / obj.eval(): the flag set by hand does not reach submodules"
    runtime = Runtime(unobservable="the checks switch modes with train() and eval() themselves")

    VALID = [
        Valid(dedent("""
            import torch
            from torch import nn

            class Wrapper(nn.Module):
                def train(self, mode=True):
                    self.training = mode
                    self.inner.train(mode)
                    return self

                def eval(self):
                    self.training = False
                    return self

            class ConvBn(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.training = False  # the initial value of its own flag
                    self.bn = nn.BatchNorm2d(8)

                def freeze_bn_stats(self):
                    self.bn.training = False  # a leaf layer: the same as self.bn.eval()

            def copy_mode(new, old):
                new.training = old.training
                new.training = getattr(old, "training", True)
        """)),
        Valid(dedent("""
            import torch

            class TrainerState:
                def __init__(self):
                    self.training = False
        """)),
        Valid(dedent("""
            import tensorflow as tf

            layer.training = False
        """)),
    ]
    INVALID = [
        Invalid(dedent("""
            import torch
            from torch import nn

            model = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.5))
            model.training = False
            out = model(torch.zeros(1, 4))
        """), line=5),
        Invalid(dedent("""
            import torch.nn as nn

            class Net(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.drop = nn.Dropout()

                def predict(self, x):
                    self.training = False
                    return self.drop(x)
        """), line=9),
    ]

    def visit_Assign(self, node: cst.Assign) -> None:
        if not _is_bool(node.value) or not imports_torch(self.context):
            return
        for target in node.targets:
            if isinstance(target.target, cst.Attribute) and target.target.attr.value == "training":
                self._check(node, target.target, node.value.value)

    def _check(self, node: cst.Assign, target: cst.Attribute, value: str) -> None:
        method = self.context.current_method
        if method is not None and method.name.value in MODE_METHODS:
            return
        if self.context.is_self(target.value):
            info = self.context.enclosing_class
            if info is not None and not info.is_module and _known_not_module(self.context, info):
                return
        if self._is_leaf_layer(target.value):
            return
        owner = dotted_name(target.value) or "the module"
        call = "train()" if value == "True" else "eval()"
        self.report(node, f"`{owner}.training = {value}` changes `{owner}` only, not its submodules "
                          f"(dropout, batch norm): call `{owner}.{call}`")


    def _is_leaf_layer(self, expr: cst.BaseExpression) -> bool:
        """`self.bn.training = ...` in the module's own method: it manages its own submodule
        (freezing batch-norm statistics), unless that submodule is built here as a torch layer
        with children (`nn.Sequential(...)`) or a Module class of the file."""
        if not (isinstance(expr, cst.Attribute) and self.context.is_self(expr.value)):
            return False
        info = self.context.enclosing_class
        if info is None:
            return False
        built = set()
        for method in info.methods.values():
            self_name = first_param_name(method)
            for assign in iter_nodes(method.body, cst.Assign):
                for target in assign.targets:
                    t = target.target
                    if isinstance(t, cst.Attribute) and t.attr.value == expr.attr.value \
                            and isinstance(t.value, cst.Name) and t.value.value == self_name:
                        value = assign.value
                        if not isinstance(value, cst.Call):
                            continue
                        local = self.context.builds_module(value)
                        if local is not None and not local.startswith("nn."):
                            return False  # a Module class of the project: may have children
                        qualified = self.context.qualified_name(value.func)
                        if torch_api.is_module_class(qualified):
                            built.add(qualified.rsplit(".", 1)[1])
        return not any(name.startswith(WITH_CHILDREN) or "Transformer" in name for name in built)


def _is_bool(expr: cst.BaseExpression) -> bool:
    return isinstance(expr, cst.Name) and expr.value in ("True", "False")


def _known_not_module(context, info, seen=frozenset()) -> bool:
    """A class of this file whose bases are all known and none is a Module (or no bases)."""
    if info.name in seen:
        return False
    for base in info.base_names:
        if base is None:
            return False
        local = context.classes_by_name.get(base)
        if local is not None:
            if local.is_module or not _known_not_module(context, local, seen | {info.name}):
                return False
        elif base not in ("builtins.object", "object") and not base.startswith(("typing.", "dataclasses.", "enum.", "abc.")):
            return False  # imported from elsewhere: it could be a Module
    return True
