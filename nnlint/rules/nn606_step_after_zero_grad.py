import libcst as cst

from nnlint.finding import Severity
from nnlint.rules._grad import first_line_code
from nnlint.rules._training import loop_events, name_note
from nnlint.rules.base import Invalid, Rule, Runtime, Valid, dedent


class StepAfterZeroGrad(Rule):
    """
    ## What it does
    Flags an `optimizer.step()` (or `scaler.step(optimizer)`) that runs on gradients that
    were just reset: in the loop's order of calls, the last gradient event before the step is
    a `zero_grad()` (or `p.grad = None`), not a `backward()`. This covers the step placed
    before `loss.backward()` (`zero_grad(); step(); backward()`, or `step(); backward();
    zero_grad()`, where the reset of the previous iteration comes first) and the reset placed
    between `backward()` and `step()`. Stepping first and resetting right after
    (`step(); zero_grad(); backward()`) is not flagged: it applies the previous batch's
    gradients, one iteration late, which works.

    ## Why is this bad?
    `step()` updates the parameters from their `.grad`. Right after a reset those gradients
    are zero (or `None`, and the parameter is skipped): the update does nothing but weight
    decay and momentum, and the fresh gradients computed afterwards are erased before any
    step sees them. The loss stays flat and nothing raises.

    ## Example
    ```python
    for x, y in loader:
        loss = criterion(model(x), y)
        optimizer.zero_grad()
        optimizer.step()
        loss.backward()
    ```

    ## Use instead
    ```python
    for x, y in loader:
        optimizer.zero_grad()
        loss = criterion(model(x), y)
        loss.backward()
        optimizer.step()
    ```

    ## References
    - https://pytorch.org/tutorials/beginner/basics/optimization_tutorial.html#optimization-loop
    """

    code = "NN606"
    triggers = ("step",)
    name = "step-after-zero-grad"
    severity = Severity.ERROR
    summary = "`optimizer.step()` on gradients just reset by `zero_grad()`, before any `backward()`"
    suggestion = "order each iteration as zero_grad(), backward(), step()"
    runtime = Runtime(unobservable="training-loop code, outside the model")

    VALID = [
        Valid(dedent("""
            import torch

            def train(model, loader, optimizer: torch.optim.Optimizer, k=4):
                for i, (x, y) in enumerate(loader):
                    loss = model(x, y) / k
                    loss.backward()
                    if (i + 1) % k == 0:
                        optimizer.step()
                        optimizer.zero_grad()
        """)),
        Valid(dedent("""
            def train(model, loader, optimizer):
                for x, y in loader:
                    optimizer.step()  # the previous batch's gradients, one iteration late
                    optimizer.zero_grad()
                    model(x).mean().backward()
        """)),
        Valid(dedent("""
            def gan(G, D, loader, opt_g, opt_d):
                for real in loader:
                    opt_d.zero_grad()
                    D(real).mean().backward()
                    opt_d.step()
                    opt_g.zero_grad()
                    D(G(real)).mean().backward()
                    opt_g.step()
        """)),
    ]
    INVALID = [
        Invalid(dedent("""
            import torch

            def train(model, loader, loss_fn, optimizer: torch.optim.Optimizer):
                for X, y in loader:
                    loss = loss_fn(model(X), y)
                    optimizer.zero_grad()
                    optimizer.step()
                    loss.backward()
        """), line=7),
        Invalid(dedent("""
            for x, y in loader:
                loss = criterion(model(x), y)
                loss.backward()
                optimizer.zero_grad()
                optimizer.step()
        """), line=5),
        Invalid(dedent("""
            def fit(model, loader, scaler, optimizer):
                for x in loader:
                    loss = model(x).mean()
                    scaler.step(optimizer)
                    scaler.scale(loss).backward()
                    optimizer.zero_grad()
        """), line=4),
    ]

    def visit_For(self, node: cst.For) -> None:
        self._check(node)

    def visit_While(self, node: cst.While) -> None:
        self._check(node)

    def _check(self, loop) -> None:
        events = loop_events(self.context, loop, self.context.current_function or self.context.module)
        if not any(e.kind == "backward" for e in events):
            return
        stepped = {e.target for e in events if e.kind == "step"}
        for at, step in enumerate(events):
            if step.kind != "step":
                continue
            for back in range(1, len(events)):
                before = events[at - back]  # negative indices wrap: the previous iteration
                if before.kind == "backward":
                    break
                applies = before.target == step.target or before.target is None and len(stepped) == 1
                if before.kind == "reset" and applies:
                    self._report(step, before, wrapped=back > at, note=name_note([step]))
                    break

    def _report(self, step, reset, wrapped: bool, note: str) -> None:
        line = self.context.position(reset.node).start.line
        where = "at the end of the previous iteration" if wrapped else f"on line {line}"
        self.report(step.node, f"`{first_line_code(self.context, step.node)}` runs after "
                               f"`{first_line_code(self.context, reset.node)}` ({where}) with no backward() "
                               f"in between: it applies gradients that were just reset{note}")
