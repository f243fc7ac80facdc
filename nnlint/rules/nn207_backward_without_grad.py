from typing import Dict, Optional, Set

import libcst as cst

from nnlint.tree import children
from nnlint.finding import Severity
from nnlint.rules._grad import SET_GRAD_ENABLED, first_line_code, grad_mode
from nnlint.rules.base import Invalid, Rule, Runtime, Valid, dedent

ON, OFF, MAYBE = "on", "off", "maybe-off"
_SCOPES = (cst.FunctionDef, cst.ClassDef, cst.Lambda)


def _join(a: str, b: str) -> str:
    return a if a == b else MAYBE


class BackwardWithoutGrad(Rule):
    """
    ## What it does
    Flags `.backward()` where autograd is off: inside `with torch.no_grad():` /
    `torch.inference_mode()` / `torch.set_grad_enabled(False)`, in a function decorated with
    one of them, after a `torch.set_grad_enabled(False)` statement that is still in force
    (also from a previous loop iteration), or on a value computed inside such a block.
    A `backward` called with more than four positional arguments is not `Tensor.backward`
    (a CUDA extension's kernel run by an autograd.Function) and is left alone.

    ## Why is this bad?
    Nothing computed with gradients off records a graph, so there is nothing to
    backpropagate: the call raises `RuntimeError: element 0 of tensors does not require grad
    and does not have a grad_fn`, usually on the first batch of a run that took minutes to
    reach it (after the first validation, when the validation left gradients off). The
    common "fix" found online, `loss.requires_grad = True`, silences the error and trains
    nothing: the graph back to the weights is still missing.

    ## Example
    ```python
    with torch.no_grad():
        loss = criterion(model(x), y)
    loss.backward()
    ```

    ## Use instead
    ```python
    loss = criterion(model(x), y)
    loss.backward()
    with torch.no_grad():
        accuracy = (model(x).argmax(1) == y).float().mean()
    ```

    ## References
    - https://pytorch.org/docs/stable/notes/autograd.html#locally-disabling-gradient-computation
    - https://pytorch.org/docs/stable/generated/torch.no_grad.html
    """

    code = "NN207"
    triggers = ("backward",)
    name = "backward-without-grad"
    severity = Severity.ERROR
    summary = "`.backward()` under `torch.no_grad()` / `inference_mode()`, or on a value computed there"
    suggestion = "compute the loss and call backward() with gradients on; keep no_grad for evaluation"
    runtime = Runtime(unobservable="training-loop code, outside the model")

    VALID = [
        Valid(dedent("""
            import torch

            def step(model, x, y, optimizer):
                loss = torch.nn.functional.mse_loss(model(x), y)
                loss.backward()
                optimizer.step()
                with torch.no_grad():
                    err = (model(x) - y).abs().mean()
                return err.item()
        """)),
        Valid(dedent("""
            import torch

            def run(model, phases, loaders, criterion, optimizer):
                for phase in phases:
                    for x, y in loaders[phase]:
                        with torch.set_grad_enabled(phase == "train"):
                            loss = criterion(model(x), y)
                            if phase == "train":
                                loss.backward()
                                optimizer.step()
        """)),
        Valid(dedent("""
            import torch

            @torch.no_grad()
            def attack(model, x, y):
                with torch.enable_grad():
                    x = x.clone().requires_grad_(True)
                    torch.nn.functional.cross_entropy(model(x), y).backward()
                return x.grad.sign()
        """)),
        Valid(dedent("""
            import torch

            class WKV(torch.autograd.Function):
                @staticmethod
                def backward(ctx, gy):
                    with torch.no_grad():
                        gr, gk, gv = (torch.empty_like(gy) for _ in range(3))
                        wkv_cuda.backward(ctx.B, ctx.T, ctx.C, gy, gr, gk, gv)
                    return gr, gk, gv
        """)),
    ]
    INVALID = [
        Invalid(dedent("""
            import torch

            def val_and_update(model, x, y, optimizer):
                with torch.no_grad():
                    loss = torch.nn.functional.cross_entropy(model(x), y)
                    loss.backward()
                    optimizer.step()
        """), line=6),
        Invalid(dedent("""
            import torch

            def meta_step(net, x, y, meta_optim):
                with torch.no_grad():
                    loss_q = torch.nn.functional.cross_entropy(net(x), y)
                loss_q.backward()
                meta_optim.step()
        """), line=6),
        Invalid(dedent("""
            import torch

            for epoch in range(10):
                for x, y in train_loader:
                    loss = model(x, y)
                    loss.backward()
                torch.set_grad_enabled(False)
                validate(model)
        """), line=6),
    ]

    def __init__(self, context):
        super().__init__(context)
        self._reported: Set[int] = set()

    def visit_Module(self, node: cst.Module) -> None:
        if "backward" in self.context.source:
            self._block(node.body, ON, {})

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if "backward" not in self.context.source:
            return
        state = OFF if any(self._mode(d.decorator) == OFF for d in node.decorators) else ON
        if isinstance(node.body, cst.IndentedBlock):
            self._block(node.body.body, state, {})

    # ----- statements in order: the grad mode, and the mode each local was computed in ------
    def _block(self, body, state: str, env: Dict[str, str]) -> str:
        for statement in body:
            state = self._statement(statement, state, env)
        return state

    def _suite(self, suite, state, env) -> str:
        if suite is None:
            return state
        return self._block(suite.body if isinstance(suite, cst.IndentedBlock) else [suite], state, env)

    def _statement(self, node, state: str, env: Dict[str, str]) -> str:
        if isinstance(node, (cst.SimpleStatementLine, cst.SimpleStatementSuite)):
            for small in node.body:
                state = self._small(small, state, env)
            return state
        if isinstance(node, _SCOPES):
            return state
        if isinstance(node, cst.With):
            inner = state
            for item in node.items:
                self._calls(item.item, state, env)
                inner = self._mode(item.item) or inner
            self._suite(node.body, inner, env)
            return state
        if isinstance(node, cst.If):
            self._calls(node.test, state, env)
            then_env, else_env = dict(env), dict(env)
            then = self._suite(node.body, state, then_env)
            if isinstance(node.orelse, cst.If):
                otherwise = self._statement(node.orelse, state, else_env)
            elif node.orelse is not None:
                otherwise = self._suite(node.orelse.body, state, else_env)
            else:
                otherwise = state
            _merge(env, then_env, else_env)
            return _join(then, otherwise)
        if isinstance(node, (cst.For, cst.While)):
            self._calls(node.iter if isinstance(node, cst.For) else node.test, state, env)
            entry = state
            for _ in range(2):  # the second pass sees what the end of an iteration left
                end = self._suite(node.body, entry, env)
                entry = _join(state, end)
            if node.orelse is not None:
                entry = self._suite(node.orelse.body, entry, env)
            return entry
        if isinstance(node, (cst.Try, cst.TryStar)):
            after = self._suite(node.body, state, env)
            for handler in node.handlers:
                after = _join(after, self._suite(handler.body, state, env))
            if node.orelse is not None:
                after = self._suite(node.orelse.body, after, env)
            if node.finalbody is not None:
                after = self._suite(node.finalbody.body, after, env)
            return after
        for child in children(node):  # match and anything else: read what it calls
            self._calls(child, state, env)
        return state

    def _small(self, node, state: str, env: Dict[str, str]) -> str:
        if isinstance(node, cst.Expr) and isinstance(node.value, cst.Call):
            qualified = self.context.qualified_name(node.value.func)
            if qualified in SET_GRAD_ENABLED:
                self._calls(node.value, state, env)
                return self._mode(node.value) or state
        self._calls(node, state, env)
        if isinstance(node, (cst.Assign, cst.AnnAssign, cst.AugAssign)):
            targets = [t.target for t in node.targets] if isinstance(node, cst.Assign) else [node.target]
            for target in targets:
                for name in _names(target):
                    env[name] = state
        return state

    def _calls(self, root, state: str, env: Dict[str, str]) -> None:
        stack = [root]
        while stack:
            node = stack.pop()
            if isinstance(node, _SCOPES):
                continue
            if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) \
                    and node.func.attr.value == "backward" and _positional(node) <= 4:
                self._backward(node, state, env)
            stack.extend(children(node))

    def _backward(self, call: cst.Call, state: str, env: Dict[str, str]) -> None:
        if id(call) in self._reported:
            return
        code = first_line_code(self.context, call)
        if state in (OFF, MAYBE):
            self._reported.add(id(call))
            how = "runs where gradients are off" if state == OFF else \
                "may run after gradients were turned off (torch.set_grad_enabled(False) earlier, not undone)"
            self.report(call, f"`{code}` {how}: there is no graph to backpropagate (RuntimeError: "
                              "element 0 of tensors does not require grad)")
            return
        root = _root_name(call.func.value)
        if root is not None and env.get(root) == OFF:
            self._reported.add(id(call))
            self.report(call, f"`{code}`: `{root}` was computed under torch.no_grad() / inference_mode(), "
                              "so it has no graph to backpropagate (RuntimeError: element 0 of tensors "
                              "does not require grad)")

    def _mode(self, expr: cst.BaseExpression) -> Optional[str]:
        """OFF or ON when `expr` surely sets that; None when it says nothing sure."""
        mode = grad_mode(self.context, expr)
        return {"off": OFF, "on": ON}.get(mode)


def _merge(env: Dict[str, str], a: Dict[str, str], b: Dict[str, str]) -> None:
    for name in set(a) | set(b):
        if name in a and name in b:
            env[name] = _join(a[name], b[name])
        else:
            env[name] = MAYBE if (a.get(name) or b.get(name)) != ON else ON


def _names(target) -> Set[str]:
    if isinstance(target, cst.Name):
        return {target.value}
    if isinstance(target, (cst.Tuple, cst.List)):
        found: Set[str] = set()
        for element in target.elements:
            found |= _names(element.value)
        return found
    if isinstance(target, cst.StarredElement):
        return _names(target.value)
    return set()


def _root_name(expr: cst.BaseExpression) -> Optional[str]:
    """`loss` for `loss`, `loss.mean()`, `losses["total"]`, `out.loss`."""
    while True:
        if isinstance(expr, cst.Name):
            return expr.value
        if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute):
            expr = expr.func.value
        elif isinstance(expr, (cst.Attribute, cst.Subscript)):
            expr = expr.value
        else:
            return None


def _positional(call: cst.Call) -> int:
    """Tensor.backward takes at most four (gradient, retain_graph, create_graph, inputs): a
    `backward` called with more is another function, such as a CUDA extension's kernel that an
    autograd.Function's backward runs (under no_grad, rightly)."""
    return sum(1 for arg in call.args if arg.keyword is None and not arg.star)
