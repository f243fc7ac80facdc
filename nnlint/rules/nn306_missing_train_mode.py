from typing import Optional, Set

import libcst as cst

from nnlint import torch_api
from nnlint.finding import Severity
from nnlint.tree import dotted_name, iter_nodes
from nnlint.rules._grad import first_line_code
from nnlint.rules._modes import ModeAnalysis, is_model, may_switch_modes, mode_sensitive, named_like_loss
from nnlint.rules.base import Invalid, Rule, Runtime, Valid, dedent

PARAMETER_METHODS = frozenset({"parameters", "named_parameters", "state_dict"})


class MissingTrainMode(Rule):
    """
    ## What it does
    Flags a training loop (a loop that calls `.backward()`) whose model may be in eval mode
    when it runs: a `model.eval()` (or a call of a function or method of the file that leaves
    the model in eval mode, such as a `validate(model)`) reaches the forward pass, on some
    path, with no `model.train()` after it. The usual shape: `model.train()` once before the
    epochs, `model.eval()` for validation at the end of each epoch, so every epoch after the
    first trains in eval mode. Models without dropout or batch norm are not flagged.
    Not flagged: a frozen model the file never trains (optimizers of the file get other
    models' parameters, nobody asks for its own and it is handed to no call: a VGG feature
    extractor for a perceptual loss), and a forward that no backward of the iteration follows.
    `model.to(device).train()` switches `model`.

    ## Why is this bad?
    In eval mode dropout is off and batch norm uses (and no longer updates) its running
    statistics: from the second epoch on, the model trains without its regularisation and
    with frozen normalisation. Training loss drops faster than it should, validation gets
    worse, and nothing raises. The first epoch looks fine, which makes it hard to spot.

    ## Example
    ```python
    model.train()
    for epoch in range(epochs):
        for x, y in train_loader:
            loss = criterion(model(x), y)
            ...
        model.eval()
        validate(model)
    ```

    ## Use instead
    ```python
    for epoch in range(epochs):
        model.train()
        for x, y in train_loader:
            loss = criterion(model(x), y)
            ...
        model.eval()
        validate(model)
    ```

    ## References
    - https://pytorch.org/docs/stable/generated/torch.nn.Module.html#torch.nn.Module.train
    """

    code = "NN306"
    triggers = ("backward",)
    name = "missing-train-mode"
    severity = Severity.WARNING
    summary = "a training loop that may run after `model.eval()` without `model.train()`"
    suggestion = "call model.train() at the start of each training epoch"
    runtime = Runtime(unobservable="training-loop code, outside the model")

    VALID = [
        Valid(dedent("""
            import torch
            from torch import nn
            from torchvision.models import vgg19

            generator = nn.Sequential(nn.Conv2d(3, 3, 3), nn.BatchNorm2d(3))
            features = vgg19(weights="DEFAULT").features
            features.eval()  # frozen: a perceptual loss, never trained here
            optimizer = torch.optim.Adam(generator.parameters())
            for lr, hr in loader:
                optimizer.zero_grad()
                loss = nn.functional.l1_loss(features(generator(lr)), features(hr))
                loss.backward()
                optimizer.step()
        """)),
        Valid(dedent("""
            import torch
            from torch import nn

            model = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.1))
            opt = torch.optim.SGD(model.parameters(), lr=0.1)
            for epoch in range(10):
                model.train()
                for i, (x, y) in enumerate(loader):
                    opt.zero_grad()
                    nn.functional.mse_loss(model(x), y).backward()
                    opt.step()
                    if i % 100 == 0:  # a checkpoint: back to train() through .to()
                        model.eval().cpu()
                        torch.save(model.state_dict(), "ckpt.pt")
                        model.to("cuda").train()
                model.eval()
                print(model(x_test))  # the evaluation of the epoch: no backward follows it
        """)),
        Valid(dedent("""
            import torch
            from torch import nn

            model = nn.Sequential(nn.Linear(8, 8), nn.Dropout(0.2), nn.Linear(8, 1))
            opt = torch.optim.SGD(model.parameters(), lr=0.1)
            for epoch in range(3):
                model.train()
                for x, y in loader:
                    opt.zero_grad()
                    nn.functional.mse_loss(model(x), y).backward()
                    opt.step()
                model.eval()
        """)),
        Valid(dedent("""
            import torch
            from torch import nn

            model = nn.Sequential(nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 1))  # nothing mode-dependent
            opt = torch.optim.SGD(model.parameters(), lr=0.1)
            for epoch in range(3):
                for x, y in loader:
                    opt.zero_grad()
                    nn.functional.mse_loss(model(x), y).backward()
                    opt.step()
                model.eval()
        """)),
    ]
    INVALID = [
        Invalid(dedent("""
            import torch
            from torch import nn

            model = nn.Sequential(nn.Linear(8, 8), nn.Dropout(0.2), nn.Linear(8, 1))
            opt = torch.optim.SGD(model.parameters(), lr=0.1)
            model.train()
            for epoch in range(3):
                for x, y in loader:
                    opt.zero_grad()
                    nn.functional.mse_loss(model(x), y).backward()
                    opt.step()
                model.eval()
        """), line=10),
    ]

    def __init__(self, context):
        super().__init__(context)
        self._parameter_owners: Optional[Set[str]] = None

    def visit_Module(self, node: cst.Module) -> None:
        self._check(node)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._check(node)

    def _check(self, scope) -> None:
        if not may_switch_modes(self.context):
            return
        done: Set[str] = set()
        for forward in self.context.derived(ModeAnalysis).scope(scope).forwards:
            if not forward.training or "eval" not in forward.modes or forward.key in done \
                    or named_like_loss(forward.key):
                continue
            func = forward.call.func
            if not is_model(self.context, scope, forward.key, func) or mode_sensitive(self.context, scope, func) is False:
                continue
            if self._frozen(scope, forward.key):
                continue
            done.add(forward.key)
            how = "is in eval mode" if forward.modes == frozenset({"eval"}) else "may be in eval mode"
            self.report(forward.call, f"`{first_line_code(self.context, forward.call)}` trains while "
                                      f"`{forward.key}` {how} (an eval() reaches this loop with no train() "
                                      "after it): dropout is off and batch norm statistics are frozen")

    def _frozen(self, scope, key: str) -> bool:
        """A model the file never trains: optimizers of the file get other models' parameters,
        nobody asks for its own, and it is not a parameter nor passed to any call, where it
        could be trained under another name (a VGG feature extractor for a perceptual loss)."""
        if self._parameter_owners is None:
            owners: Set[str] = set()
            optimizers = False
            for node in iter_nodes(self.context.module, cst.Call):
                qualified = self.context.qualified_name(node.func) or ""
                if qualified.startswith("torch.optim.") and qualified.rsplit(".", 1)[-1] in torch_api.optimizer_classes():
                    optimizers = True
                if isinstance(node.func, cst.Attribute) and node.func.attr.value in PARAMETER_METHODS:
                    owner = dotted_name(node.func.value)
                    owners.add(owner if owner is not None else "?")
                owners.update(filter(None, (dotted_name(arg.value) for arg in node.args)))  # handed on
            self._parameter_owners = owners if optimizers and "?" not in owners else set()
        if not self._parameter_owners or key in self._parameter_owners:
            return False
        params = scope.params if isinstance(scope, cst.FunctionDef) else None
        names = {p.name.value for p in (*params.params, *params.kwonly_params, *params.posonly_params)} if params else set()
        return key.split(".")[0] not in names
