from typing import Dict, List, Optional, Set

import libcst as cst

from nnlint.dataflow import local_kinds
from nnlint.finding import Severity
from nnlint.rules._grad import first_line_code, function_body, grad_disabled, statements
from nnlint.rules.base import Invalid, Rule, Runtime, Valid, dedent
from nnlint.tree import children, dotted_name

# A use of the accumulator inside one of these only shows or converts its value.
DISPLAY_FUNCTIONS = frozenset({"builtins.print", "builtins.float", "builtins.int", "builtins.round",
                               "builtins.str", "builtins.format", "builtins.repr"})
DISPLAY_METHODS = frozenset({"item", "tolist", "format", "numpy"})


class LossAccumulatedWithGraph(Rule):
    """
    ## What it does
    Flags `total += loss` (or `total = total + loss`) in a loop, where `loss` is a loss value
    that still carries its autograd graph: `.backward()` was called on it in the loop, or it
    is the result of a loss module or `F.*_loss` call, outside `torch.no_grad()`, summed into
    a total that is only printed or converted (never returned, stored or backpropagated).
    `loss.item()`, `loss.detach()` and `float(loss)` are fine.

    ## Why is this bad?
    `total += loss` makes `total` a tensor whose graph holds every batch's activations:
    nothing is freed until the loop ends. Memory grows with each iteration until
    `CUDA out of memory`, typically a few hundred batches into the first epoch, and each
    step gets slower. A running total for logging needs the number, not the graph.

    ## Example
    ```python
    total_loss = 0
    for x, y in loader:
        loss = criterion(model(x), y)
        loss.backward()
        optimizer.step()
        total_loss += loss
    ```

    ## Use instead
    ```python
    total_loss = 0
    for x, y in loader:
        loss = criterion(model(x), y)
        loss.backward()
        optimizer.step()
        total_loss += loss.item()
    ```

    ## References
    - https://pytorch.org/docs/stable/notes/faq.html#my-model-reports-cuda-runtime-error-2-out-of-memory
    """

    code = "NN204"
    triggers = ("torch", "backward")  # training loops need not name torch
    name = "loss-accumulated-with-graph"
    severity = Severity.WARNING
    summary = "`total += loss` in a loop keeps every iteration's autograd graph alive"
    suggestion = "accumulate loss.item() (or loss.detach())"
    runtime = Runtime(unobservable="training-loop code, outside the model")

    VALID = [
        Valid(dedent("""
            import torch
            from torch import nn

            criterion = nn.CrossEntropyLoss()

            def train(model, loader, opt):
                total = 0.0
                for x, y in loader:
                    loss = criterion(model(x), y)
                    loss.backward()
                    total += loss.item()
                    running = 0
                    running = running + loss.detach()
                return total
        """)),
        Valid(dedent("""
            import torch.nn.functional as F

            def multi_scale_loss(preds, target):
                loss = 0
                for pred in preds:
                    loss += F.mse_loss(pred, target)
                return loss
        """)),
        Valid(dedent("""
            import torch
            from torch import nn

            def evaluate(model, loader):
                criterion = nn.CrossEntropyLoss()
                total = 0
                with torch.no_grad():
                    for x, y in loader:
                        total += criterion(model(x), y)
                print(total / len(loader))
        """)),
        Valid(dedent("""
            import torch.nn.functional as F

            def step(heads, x, y, opt):
                total = 0
                for head in heads:
                    total = total + F.cross_entropy(head(x), y)
                total.backward()
                opt.step()
        """)),
    ]
    INVALID = [
        Invalid(dedent("""
            import torch
            from torch import nn

            criterion = nn.CrossEntropyLoss()
            total_loss = 0
            for x, y in loader:
                optimizer.zero_grad()
                loss = criterion(model(x), y)
                loss.backward()
                optimizer.step()
                total_loss += loss
            print(total_loss / len(loader))
        """), line=11),
        Invalid(dedent("""
            import torch.nn.functional as F

            def validate(model, loader):
                val_loss = 0.0
                for x, y in loader:
                    val_loss = val_loss + F.cross_entropy(model(x), y)
                print(f"val loss {val_loss.item() / len(loader):.3f}")
        """), line=6),
        Invalid(dedent("""
            class Trainer:
                def epoch(self, loader):
                    for batch in loader:
                        out = self.model(**batch)
                        out.loss.backward()
                        self.optimizer.step()
                        self.optimizer.zero_grad()
                        self.running_loss += out.loss
        """), line=8),
    ]

    def __init__(self, context):
        super().__init__(context)
        # A cheap gate, not a semantic test: a loss value needs a loss class or function
        # (`...Loss`, `F.*_loss`, `cross_entropy`, `kl_div`) or a `.backward()` call.
        self._possible = any(word in context.source for word in ("loss", "Loss", "backward", "cross_entropy", "kl_div"))

    def visit_Module(self, node: cst.Module) -> None:
        if self._possible:
            self._check(node, no_grad=False)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if self._possible:
            self._check(node, no_grad=grad_disabled(self.context, node))

    def _check(self, scope, no_grad: bool) -> None:
        flow = None
        body = function_body(scope)
        for statement, loops, off in statements(self.context, body, no_grad=no_grad):
            if not loops:
                continue
            found = _accumulation(statement)
            if found is None:
                continue
            target, value = found
            backwarded = _backwarded(loops[-1])
            shown = dotted_name(value)
            if shown is not None and shown in backwarded:
                if flow is None:
                    flow = local_kinds(self.context, scope)
                kind = flow.kind(value)
                if kind is not None and kind.origin == "detached":
                    continue
                why = f"`.backward()` was called on `{shown}`"
            else:
                if off:
                    continue
                if flow is None:
                    flow = local_kinds(self.context, scope)
                kind = flow.kind(value)
                if kind is None or not kind.is_loss:
                    continue
                if not _only_displayed(target, body, statement):
                    continue
                why = "it is a loss that carries its graph"
            total = dotted_name(target)
            self.report(statement, f"`{total}` accumulates `{first_line_code(self.context, value, 40)}` "
                                   f"({why}): every iteration's graph stays alive; add `.item()`")


def _accumulation(statement) -> Optional[tuple]:
    """(total, added value) for `total += v`, `total = total + v`, `total = v + total`."""
    if isinstance(statement, cst.AugAssign) and isinstance(statement.operator, cst.AddAssign):
        if dotted_name(statement.target) is not None:
            return statement.target, statement.value
    if isinstance(statement, cst.Assign) and len(statement.targets) == 1:
        target = statement.targets[0].target
        name = dotted_name(target)
        value = statement.value
        if name is not None and isinstance(value, cst.BinaryOperation) and isinstance(value.operator, cst.Add):
            if dotted_name(value.left) == name:
                return target, value.right
            if dotted_name(value.right) == name:
                return target, value.left
    return None


def _backwarded(loop) -> Set[str]:
    """The names (`loss`, `out.loss`) whose `.backward()` the loop calls."""
    found: Set[str] = set()
    stack = [loop.body]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) \
                and node.func.attr.value == "backward":
            name = dotted_name(node.func.value)
            if name is not None:
                found.add(name)
        if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            continue
        stack.extend(children(node))
    return found


def _only_displayed(target, body, accumulation) -> bool:
    """Is every other use of the total a print, a format, `.item()` or `float(...)`?"""
    name = dotted_name(target)
    parents: Dict[int, cst.CSTNode] = {}
    uses: List[cst.CSTNode] = []
    stack: list = list(body)
    while stack:
        node = stack.pop()
        if node is accumulation:
            continue
        if isinstance(node, (cst.Return, cst.Yield)) and node.value is not None and \
                _mentions(node.value, name):
            return False
        for child in children(node):
            parents[id(child)] = node
            stack.append(child)
        if isinstance(node, (cst.Name, cst.Attribute)) and dotted_name(node) == name:
            uses.append(node)
    for use in uses:
        if not _displayed(use, parents):
            return False
    return True


def _displayed(use, parents) -> bool:
    node = use
    while True:
        parent = parents.get(id(node))
        if parent is None:
            return False
        if isinstance(parent, cst.Attribute) and parent.value is node:
            grand = parents.get(id(parent))
            if parent.attr.value in DISPLAY_METHODS and isinstance(grand, cst.Call) and grand.func is parent:
                return True
            return False
        if isinstance(parent, (cst.BinaryOperation, cst.UnaryOperation, cst.Arg)):
            node = parent
            continue
        if isinstance(parent, cst.FormattedStringExpression):
            return True
        if isinstance(parent, cst.Call):
            return _display_call(parent)
        if isinstance(parent, cst.AssignTarget) or isinstance(parent, cst.AugAssign) and parent.target is node:
            return True  # `total = 0` again, or another `total += ...`
        return False


def _display_call(call: cst.Call) -> bool:
    func = call.func
    if isinstance(func, cst.Name) and f"builtins.{func.value}" in DISPLAY_FUNCTIONS:
        return True
    if isinstance(func, cst.Attribute) and func.attr.value in ("format", "info", "debug", "write",
                                                               "set_postfix", "set_description"):
        return True
    return False


def _mentions(expr, name) -> bool:
    stack = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, (cst.Name, cst.Attribute)) and dotted_name(node) == name:
            return True
        stack.extend(children(node))
    return False
