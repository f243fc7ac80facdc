from typing import List, Optional, Tuple

import libcst as cst

from nnlint.finding import Severity
from nnlint.rules._grad import first_line_code
from nnlint.rules._training import has_grad, optimizer_evidence
from nnlint.rules.base import Invalid, Rule, Runtime, Valid, dedent
from nnlint.tree import children, first_param_name, iter_nodes

LOOPS = (cst.For, cst.While)


class _LoopFacts:
    """The backward calls, optimizer steps and gradient resets of one loop's body, in source order."""

    def __init__(self):
        self.events: List[Tuple[str, cst.CSTNode, Optional[str], Optional[str]]] = []  # (kind, node, target, evidence)

    def of(self, kind: str) -> list:
        return [e for e in self.events if e[0] == kind]


class MissingZeroGrad(Rule):
    """
    ## What it does
    Flags a loop that calls `.backward()` and `optimizer.step()` but never resets the
    gradients: no `optimizer.zero_grad()` / `model.zero_grad()`, no `p.grad = None`, no
    `p.grad.zero_()` anywhere in the loop (a step every few iterations, for gradient
    accumulation, is fine as long as the reset is in the loop too). With several optimizers
    (a GAN), each one stepped needs its own `zero_grad()`.

    `optimizer` is known to be a `torch.optim` optimizer from its constructor (in the
    function, on `self`, at module level, in a factory of the file), an annotation
    (`opt: torch.optim.Optimizer`, `Optional[...]`), or what every call of the function in
    the file passes for it; failing all that, from its name (`optimizer`, `optim`, `opt`,
    `optimizer_G`...), which the message then says: a loop that calls `.backward()` and the
    `.step()` of something named like an optimizer hardly holds anything else. The finding
    is reported at the `.backward()` call.

    A loop that builds a fresh model and optimizer in every iteration (a test trying each
    configuration once) is not flagged: no gradient carries over.

    ## Why is this bad?
    `backward()` *adds* to `.grad`; it never overwrites it. Without a reset, each step uses
    the sum of the gradients of every batch so far: the effective learning rate grows with
    every iteration, the loss falls for a few steps, then oscillates or diverges to `nan`.
    Nothing raises.

    ## Example
    ```python
    for x, y in loader:
        loss = criterion(model(x), y)
        loss.backward()
        optimizer.step()
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
    - https://pytorch.org/docs/stable/generated/torch.optim.Optimizer.zero_grad.html
    - https://pytorch.org/tutorials/recipes/recipes/zeroing_out_gradients.html
    """

    code = "NN601"
    triggers = ("torch", "backward")  # training loops need not name torch
    name = "missing-zero-grad"
    severity = Severity.ERROR
    summary = "a loop with `.backward()` and `optimizer.step()` but no `zero_grad()`"
    suggestion = "call optimizer.zero_grad() every step (before backward)"
    runtime = Runtime(unobservable="training-loop code, outside the model")

    VALID = [
        Valid(dedent("""
            import torch.distributed.autograd as dist_autograd

            def train(model, opt, batches, criterion):
                for x, y in batches:
                    with dist_autograd.context() as context_id:
                        loss = criterion(model(x), y)
                        dist_autograd.backward(context_id, [loss])  # gradients live in the context
                        opt.step(context_id)
        """)),
        Valid(dedent("""
            import torch

            model = torch.nn.Linear(4, 1)
            opt = torch.optim.SGD(model.parameters(), lr=0.1)
            for i, (x, y) in enumerate(loader):
                loss = ((model(x) - y) ** 2).mean() / 4
                loss.backward()
                if (i + 1) % 4 == 0:
                    opt.step()
                    opt.zero_grad(set_to_none=True)
        """)),
        Valid(dedent("""
            import torch

            def train(model, loader):
                opt = torch.optim.Adam(model.parameters())
                for x, y in loader:
                    model(x).sum().backward()
                    opt.step()
                    for p in model.parameters():
                        p.grad = None
        """)),
        Valid(dedent("""
            import torch

            def fit(model, loader, step):
                opt = torch.optim.LBFGS(model.parameters())
                for x, y in loader:
                    def closure():
                        opt.zero_grad()
                        loss = model(x).sum()
                        loss.backward()
                        return loss
                    opt.step(closure)
        """)),
        Valid(dedent("""
            import torch

            class Trainer:
                def __init__(self, model):
                    self.model = model
                    self.optimizer = torch.optim.AdamW(model.parameters())

                def reset(self):
                    self.model.zero_grad()

                def run(self, loader, scheduler):
                    for x in loader:
                        self.reset()
                        self.model(x).mean().backward()
                        self.optimizer.step()
                        scheduler.step()
        """)),
        Valid(dedent("""
            def reinforce(policy, env, optimizer, episodes):
                for _ in range(episodes):
                    optimizer.zero_grad()
                    obs, reward = env.step(policy.act())  # not an optimizer
                    (-reward * policy.log_prob(obs)).backward()
                    optimizer.step()
        """)),
        Valid(dedent("""
            import itertools
            import torch

            def test_every_config_trains(configs, inputs):
                for config, x in itertools.product(configs, inputs):
                    model = Generator(**config)  # a fresh model and optimizer each time
                    params = {n: p for n, p in model.named_parameters() if p.requires_grad}
                    model(x).sum().backward()
                    optim = torch.optim.SGD(params.values(), 1.0)
                    optim.step()
        """)),
    ]
    INVALID = [
        Invalid(dedent("""
            def train(model, optimizer, loader):
                for x in loader:
                    model(x).mean().backward()
                    optimizer.step()  # an optimizer by its name only
        """), line=3),
        Invalid(dedent("""
            import torch

            def gan(G, D, loader, opt_g: torch.optim.Optimizer, opt_d: torch.optim.Optimizer):
                for real in loader:
                    opt_d.zero_grad()
                    D(real).mean().backward()
                    opt_d.step()
                    (-D(G(real)).mean()).backward()
                    opt_g.step()
        """), line=8),
        Invalid(dedent("""
            import torch
            from torch import nn, optim

            model = nn.Linear(4, 1)
            criterion = nn.MSELoss()
            optimizer = optim.SGD(model.parameters(), lr=0.01)
            optimizer.zero_grad()
            for x, y in loader:
                loss = criterion(model(x), y)
                loss.backward()
                optimizer.step()
        """), line=10),
        Invalid(dedent("""
            import torch

            def train(model, loader):
                for x in loader:
                    params = model.parameters()  # the same model every time: gradients add up
                    optim = torch.optim.SGD(params, 0.1)
                    model(x).sum().backward()
                    optim.step()
        """), line=7),
        Invalid(dedent("""
            import torch

            class Trainer:
                def __init__(self, model):
                    self.model = model
                    self.opt = torch.optim.Adam(model.parameters(), lr=1e-3)
                    self.scaler = torch.amp.GradScaler()

                def fit(self, loader, epochs):
                    for epoch in range(epochs):
                        self.opt.zero_grad()
                        for x in loader:
                            loss = self.model(x).mean()
                            self.scaler.scale(loss).backward()
                            self.scaler.step(self.opt)
                            self.scaler.update()
        """), line=14),
    ]

    def visit_For(self, node: cst.For) -> None:
        self._check(node)

    def visit_While(self, node: cst.While) -> None:
        self._check(node)

    def _check(self, loop) -> None:
        facts = self._facts(loop, self.context.current_function or self.context.module)
        if facts is None or not facts.of("backward") or not facts.of("step"):
            return
        resets = {target for _, _, target, _ in facts.of("reset")}
        if None in resets:
            return  # model.zero_grad(), p.grad = None, a helper that resets: every gradient
        steps = facts.of("step")
        if all(_fresh_each_iteration(loop, step[1]) for step in steps):
            return
        if not resets:
            self._report(facts.events, facts.of("backward")[0][1], steps[0])
            return
        if len({target for _, _, target, _ in steps}) < 2:
            return  # one optimizer, reset somewhere in the iteration: fine
        for step in steps:  # several optimizers (a GAN): each needs its own reset
            if step[2] not in resets:
                before = [e[1] for e in facts.events[:facts.events.index(step)] if e[0] == "backward"]
                self._report(facts.events, (before or [facts.of("backward")[0][1]])[-1], step)
                resets.add(step[2])

    def _report(self, events, backward, step) -> None:
        note = f" (`{step[2]}` is taken for an optimizer from its name)" if step[3] == "name" else ""
        self.report(backward, f"`{first_line_code(self.context, backward)}` runs in a loop that calls "
                              f"`{first_line_code(self.context, step[1])}` but never "
                              f"`{step[2]}.zero_grad()`: gradients add up across iterations{note}")

    def _facts(self, loop, scope) -> Optional[_LoopFacts]:
        """What the loop does; None when a loop inside it does both backward and step (that
        loop is the one to report)."""
        facts = _LoopFacts()
        stack = [(child, scope) for child in reversed(children(loop.body))]
        while stack:
            node, where = stack.pop()
            if isinstance(node, LOOPS):
                inner = self._facts(node, where)
                if inner is None or (inner.of("backward") and inner.of("step")):
                    return None
            if isinstance(node, cst.FunctionDef):
                stack.extend((child, node) for child in reversed(children(node.body)))
                continue
            if isinstance(node, cst.Call):
                self._call(node, where, facts)
            elif isinstance(node, (cst.Assign, cst.AugAssign, cst.AnnAssign)):
                targets = [t.target for t in node.targets] if isinstance(node, cst.Assign) else [node.target]
                if any(_is_grad(t) for t in targets):
                    facts.events.append(("reset", node, None, None))
            elif isinstance(node, cst.Del) and has_grad(node.target):
                facts.events.append(("reset", node, None, None))
            stack.extend((child, where) for child in reversed(children(node)))
        return facts

    def _call(self, call: cst.Call, scope, facts: _LoopFacts) -> None:
        func = call.func
        qualified = self.context.qualified_name(func) or ""
        if qualified.startswith("torch._foreach_zero_"):
            facts.events.append(("reset", call, None, None))
            return
        if not isinstance(func, cst.Attribute):
            if isinstance(func, cst.Name) and self._resets_in_function(func.value):
                facts.events.append(("reset", call, None, None))
            return
        method = func.attr.value
        code = self.context.module.code_for_node
        if method == "zero_grad":
            known = optimizer_evidence(self.context, scope, func.value)
            facts.events.append(("reset", call, code(func.value) if known else None, known))
        elif method.endswith("_") and has_grad(func.value):
            facts.events.append(("reset", call, None, None))  # p.grad.zero_(), p.grad.detach_()
        elif method == "backward" and not qualified.startswith("torch.distributed."):
            # (distributed autograd keeps the gradients in its `context()`, fresh each step)
            facts.events.append(("backward", call, None, None))
        elif method == "step":
            for receiver in [func.value, *(arg.value for arg in call.args if arg.keyword is None)][:2]:
                evidence = optimizer_evidence(self.context, scope, receiver)
                if evidence is not None:
                    facts.events.append(("step", call, code(receiver), evidence))
                    break
        elif isinstance(func.value, cst.Name) and self._resets_in_method(func.value.value, method, scope):
            facts.events.append(("reset", call, None, None))

    def _resets_in_method(self, receiver: str, method: str, scope) -> bool:
        """`self.reset()` where the class's `reset` zeroes gradients."""
        if not isinstance(scope, cst.FunctionDef) or first_param_name(scope) != receiver:
            return False
        info = self.context.enclosing_class
        target = info.methods.get(method) if info is not None else None
        return target is not None and _resets(target)

    def _resets_in_function(self, name: str) -> bool:
        for statement in self.context.module.body:
            if isinstance(statement, cst.FunctionDef) and statement.name.value == name:
                return _resets(statement)
        return False


def _fresh_each_iteration(loop, step: cst.Call) -> bool:
    """`opt = torch.optim.SGD(params, ...)` inside the loop, for the parameters of a model
    the loop builds anew: nothing carries over from one iteration to the next."""
    receiver = step.func.value if isinstance(step.func, cst.Attribute) else None
    if not isinstance(receiver, cst.Name):
        return False
    assigned = {}
    for node in iter_nodes(loop.body, cst.Assign):
        for target in node.targets:
            if isinstance(target.target, cst.Name):
                assigned.setdefault(target.target.value, node.value)
    built = assigned.get(receiver.value)
    if not isinstance(built, cst.Call) or not built.args:
        return False
    return _built_in_loop(built.args[0].value, assigned, depth=2)


def _built_in_loop(expr, assigned, depth: int) -> bool:
    """`expr` comes from a model the loop builds (`cgen = CopyGenerator(...)`), maybe through a
    local (`params = {n: p for n, p in cgen.named_parameters()}`)."""
    for name in iter_nodes(expr, cst.Name):
        value = assigned.get(name.value)
        if isinstance(value, cst.Call) and not isinstance(value.func, cst.Attribute):
            return True  # `Model(...)`: a fresh model, fresh gradients
        if value is not None and depth > 0 and _built_in_loop(value, assigned, depth - 1):
            return True
    return False


def _resets(function: cst.FunctionDef) -> bool:
    stack = [function.body]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
            method = node.func.attr.value
            if method == "zero_grad" or (method.endswith("_") and has_grad(node.func.value)):
                return True
        if isinstance(node, (cst.Assign, cst.AugAssign)):
            targets = [t.target for t in node.targets] if isinstance(node, cst.Assign) else [node.target]
            if any(_is_grad(t) for t in targets):
                return True
        stack.extend(children(node))
    return False


def _is_grad(target) -> bool:
    return isinstance(target, cst.Attribute) and target.attr.value == "grad"


