import libcst as cst

from nnlint.finding import Severity
from nnlint.rules._grad import first_line_code
from nnlint.rules._modes import EVAL, ModeAnalysis, eval_named, is_model, may_switch_modes, named_like_loss, \
    needs_grad, owned_by_caller
from nnlint.rules.base import Invalid, Rule, Runtime, Valid, dedent


class EvalWithoutNoGrad(Rule):
    """
    ## What it does
    Flags an evaluation loop that runs the model with autograd recording: the model is in
    eval mode there (`model.eval()` before it) or the function is named like `evaluate` /
    `validate` / `test` / `predict` / `infer`, the model is called in a loop (or anywhere in
    such a function), nothing in the function needs gradients (`backward()`,
    `torch.autograd.grad`, `requires_grad_`), and no `torch.no_grad()` /
    `torch.inference_mode()` (block or decorator) or `torch.set_grad_enabled(False)` covers
    the call, nor every call of the function in the file.
    A Module's own method (`self.head(x)` in its `predict()`) is not flagged: its caller
    chooses the grad mode, as for `forward` (a LightningModule's trainer runs its
    `validation_step` under `no_grad()`). Nor is a test of a test suite (`test_*` in
    `test_*.py`, `*_test.py` or under `tests/`) by its name alone: one forward that checks a
    result is no evaluation loop. Nor is a result `.detach()`ed where it is made
    (`model(x)[1].detach()`): no graph outlives the statement.

    ## Why is this bad?
    `model.eval()` does not turn autograd off. Every forward pass of the evaluation records a
    graph and keeps the activations that a backward would need: memory per batch doubles or
    more, and wherever an output or a loss tensor is kept (a list of predictions, a running
    `total += loss`), every batch's graph stays alive, until `CUDA out of memory` at the end
    of the first epoch, during validation, although training fit.

    ## Example
    ```python
    model.eval()
    for x, y in val_loader:
        preds.append(model(x))
    ```

    ## Use instead
    ```python
    model.eval()
    with torch.no_grad():
        for x, y in val_loader:
            preds.append(model(x))
    ```

    ## References
    - https://pytorch.org/docs/stable/notes/autograd.html#locally-disabling-gradient-computation
    - https://pytorch.org/docs/stable/notes/faq.html#my-model-reports-cuda-runtime-error-2-out-of-memory
    """

    code = "NN206"
    triggers = ("torch",)
    name = "eval-without-no-grad"
    severity = Severity.WARNING
    summary = "an evaluation loop that runs the model without `torch.no_grad()` / `inference_mode()`"
    suggestion = "wrap the evaluation in `with torch.no_grad():` (or decorate it with @torch.no_grad())"
    runtime = Runtime(unobservable="evaluation-loop code, outside the model")

    VALID = [
        Valid(dedent("""
            import torch
            from torch import nn

            class AdaptiveHead(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.head = nn.Sequential(nn.Linear(8, 8), nn.Dropout(0.1))

                def forward(self, x):
                    return self.head(x)

                def predict(self, x):  # the caller chooses no_grad and eval, as for forward
                    return self.head(x).argmax(dim=1)
        """)),
        Valid(dedent("""
            import torch

            @torch.no_grad()
            def evaluate(model, loader):
                model.eval()
                return [model(x) for x in loader]

            def saliency(model, loader):
                model.eval()
                maps = []
                for x in loader:
                    x.requires_grad_(True)
                    model(x).sum().backward()
                    maps.append(x.grad)
                return maps
        """)),
        Valid(dedent("""
            import torch

            def validate(model, loader):
                model.eval()
                return [model(x) for x in loader]

            def main(model, loader):
                with torch.no_grad():
                    validate(model, loader)
        """)),
        Valid(dedent("""
            import torch

            def encode_candidates(model, batches):
                model.eval()
                encoded = []
                for batch in batches:
                    encoded.append(model(batch)[1].detach())
                return torch.cat(encoded)
        """)),
    ]
    INVALID = [
        Invalid(dedent("""
            import torch

            def validate(model, loader):
                model.eval()
                outputs = []
                for x in loader:
                    outputs.append(model(x))
                return torch.cat(outputs)
        """), line=7),
    ]

    def visit_Module(self, node: cst.Module) -> None:
        self._check(node)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._check(node)

    def _check(self, scope) -> None:
        function = scope if isinstance(scope, cst.FunctionDef) else None
        if not may_switch_modes(self.context) and not eval_named(function, self.context.path):
            return  # no forward can be in eval mode (most model files)
        analysis = self.context.derived(ModeAnalysis)
        modes = analysis.scope(scope)
        named = eval_named(function, self.context.path) and not modes.backward
        if function is not None and analysis.calls_under_no_grad(function):
            return
        detached = _detached_at_once(self.context, scope)
        for forward in modes.forwards:
            if forward.training or forward.grad != "on" or named_like_loss(forward.key):
                continue
            if not (forward.modes == EVAL or named) or not (forward.loop is not None or named):
                continue
            if needs_grad(forward.loop if forward.loop is not None else scope):
                continue
            if not is_model(self.context, scope, forward.key, forward.call.func) \
                    or owned_by_caller(self.context, function, forward.key) \
                    or id(forward.call) in detached:
                continue
            self.report(forward.call, f"`{first_line_code(self.context, forward.call)}` runs with autograd "
                                      "recording during evaluation: every batch stores its activations "
                                      "for a backward that never comes (and any output kept keeps its "
                                      "graph); wrap the loop in torch.no_grad()")
            return


def _detached_at_once(context, scope) -> set:
    """Calls whose result is `.detach()`ed where it is made (`model(x).detach()`,
    `model(x)[1].detach()`): no graph outlives the statement, nothing accumulates."""
    calls = set()
    for attribute in context.nodes_in(scope, cst.Attribute):
        if attribute.attr.value != "detach":
            continue
        value = attribute.value
        while isinstance(value, cst.Subscript):
            value = value.value
        if isinstance(value, cst.Call):
            calls.add(id(value))
    return calls
