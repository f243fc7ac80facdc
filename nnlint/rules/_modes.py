"""Train/eval mode and grad mode along a function's statements (NN206, NN305, NN306).

`ModeAnalysis(context)` is computed once per file (kept on the context) and walks a scope's
statements in order, like the dataflow does: branches are joined, loops run twice (so a mode
set at the end of an iteration reaches its start), `return`/`raise`/`break`/`continue` end a
path. It follows:

- the mode of every receiver (`model`, `self.model`): `.eval()` / `.train(False)` -> eval,
  `.train()` -> train, `.train(flag)` -> "flag" (chosen by the code, which way we cannot
  tell: no rule judges it); a fresh Module is in train mode; a parameter starts as what the
  function's callers in the file pass (unknown without callers); a call of a function of the
  file (or a method through `self.`) that leaves its argument (or `self.x`) in a mode sets it;
- whether autograd records: `with torch.no_grad()` / `inference_mode()` / a decorator turns
  it off, `torch.set_grad_enabled(False)` as a statement turns it off until undone;

and records each call of a receiver (the forward passes) with the modes that may reach it,
the grad mode there, and the loop around it (a comprehension counts as a loop).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Dict, FrozenSet, List, Optional, Set, Tuple, Union

import libcst as cst

from nnlint.dataflow import local_kinds
from nnlint.tree import children, dotted_name, first_param_name
from nnlint.rules._grad import SET_GRAD_ENABLED, grad_mode

Modes = FrozenSet[str]
TRAIN: Modes = frozenset({"train"})
EVAL: Modes = frozenset({"eval"})
UNKNOWN: Modes = frozenset({"?"})
FLAG: Modes = frozenset({"flag"})  # `.train(flag)`: the code chose the mode, we cannot tell which
EVAL_NAME = re.compile(r"(^|_)(eval|evaluate|evaluation|valid|validate|validation|val|test|predict|prediction|"
                       r"infer|inference)(_|$)|^(evaluate|validate|predict|infer|test)", re.IGNORECASE)
_SCOPES = (cst.FunctionDef, cst.ClassDef, cst.Lambda)
_COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)
Scope = Union[cst.FunctionDef, cst.Module]


def may_switch_modes(context) -> bool:
    """Can a model be in eval mode anywhere in the file? Only a `.eval()` or `.train(...)` call
    puts it there (`_mode_call`): a file without either word (`self.training` is not one) has
    no such call, and the rules that look for eval mode need not walk its functions. Read once
    per file (the regular expression costs a few milliseconds on a 1,000-line file)."""
    return context.derived(_mentions_mode_switch)


def _mentions_mode_switch(context) -> bool:
    return bool(_MODE_WORD.search(context.source))


_MODE_WORD = re.compile(r"\b(?:eval|train)\b")


def eval_named(function: Optional[cst.FunctionDef], path: str) -> bool:
    """`evaluate`, `validate`, `val_epoch`, `test`, `predict`, `run_inference`... but not a test
    of a test suite or its helpers (`test_mlp()`, `_test_sync_bn_worker()` in tests/: one forward
    that checks a result is no evaluation loop, and its mode is the test's business)."""
    if function is None:
        return False
    name = function.name.value
    test = name.lstrip("_").lower().startswith("test") and in_test_suite(path)
    return bool(EVAL_NAME.search(name)) and not test


def in_test_suite(path: str) -> bool:
    """A pytest/unittest file: test_*.py, *_test.py, conftest.py, or anything under tests/ or test/."""
    parts = re.split(r"[\\/]", path)
    name = parts[-1]
    return name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py" \
        or any(part in ("tests", "test") for part in parts[:-1])


@dataclass
class Forward:
    """One call of a receiver: `model(x)`, `self.net(x)`, `model.forward(x)`."""
    key: str
    call: cst.Call
    modes: Modes
    grad: str  # "on", "off", "maybe" (off on some path), "unknown" (set_grad_enabled(flag))
    loop: Optional[cst.CSTNode]  # the innermost loop (statement or comprehension) around it
    training: bool  # that loop (a statement loop) calls backward() and a step()
    after_training: bool  # a loop calling backward() ran before it in this scope


@dataclass
class ScopeModes:
    forwards: List[Forward] = field(default_factory=list)
    exit: Dict[str, Modes] = field(default_factory=dict)  # the modes at the scope's exits
    calls: List[Tuple[cst.Call, Dict[str, Modes], str]] = field(default_factory=list)  # (call, env, grad)
    backward: bool = False  # the scope calls backward() / autograd.grad / requires_grad_


class _Dead:
    """An unreachable path (after return, raise, break, continue)."""


DEAD = _Dead()


class ModeAnalysis:
    def __init__(self, context):
        self.context = context
        self._scopes: Dict[int, ScopeModes] = {}
        self._summaries: Dict[int, Dict[str, Modes]] = {}
        self._entries: Dict[int, Dict[str, Modes]] = {}
        self._in_progress: Set[int] = set()
        self._functions = {s.name.value: s for s in context.module.body if isinstance(s, cst.FunctionDef)}

    # ----- what rules ask --------------------------------------------------------------------
    def scope(self, scope: Scope) -> ScopeModes:
        """The forwards of `scope`, with its parameters' modes as the file's callers pass them."""
        found = self._scopes.get(id(scope))
        if found is None:
            entries = self.entry_modes(scope)
            # no caller says anything: the same walk as the summary's (most functions)
            found = self._walk(scope, entries) if entries else self._summary_walk(scope)
            self._scopes[id(scope)] = found
        return found

    def entry_modes(self, scope: Scope) -> Dict[str, Modes]:
        """param (or `self.x`) -> the modes the callers in this file give it (absent: unknown)."""
        if not isinstance(scope, cst.FunctionDef) or id(scope) in self._in_progress:
            return {}
        found = self._entries.get(id(scope))
        if found is not None:
            return found
        self._in_progress.add(id(scope))
        try:
            found = self._entries_from_callers(scope)
        finally:
            self._in_progress.discard(id(scope))
        self._entries[id(scope)] = found
        return found

    def calls_under_no_grad(self, function: cst.FunctionDef) -> Optional[bool]:
        """True when every call of `function` in the file runs with gradients off; None without calls."""
        grads = [grad for _call, _env, grad in self._call_sites(function)]
        return all(g == "off" for g in grads) if grads else None

    # ----- callers ---------------------------------------------------------------------------
    def _call_sites(self, function: cst.FunctionDef) -> List[Tuple[cst.Call, Dict[str, Modes], str]]:
        """(call, the caller's modes there, grad mode) for every call of `function` in the file,
        as `function(...)` for a module-level function or `self.function(...)` for a method."""
        sites = []
        for caller in self._callers(function):
            walked = self._summary_walk(caller)
            for call, env, grad in walked.calls:
                if _calls(call, function):
                    sites.append((call, env, grad))
        return sites

    def _callers(self, function: cst.FunctionDef) -> List[Scope]:
        name = function.name.value
        found: List[Scope] = []
        if name in self.context.source:
            if "self." + name in self.context.source:
                for info in self.context.classes.values():
                    if info.methods.get(name) is function:
                        found.extend(m for m in info.methods.values() if m is not function)
            if self._functions.get(name) is function:
                found.append(self.context.module)
                found.extend(f for f in _all_functions(self.context.module) if f is not function)
        return found

    def _entries_from_callers(self, function: cst.FunctionDef) -> Dict[str, Modes]:
        params = _param_names(function)
        self_name = first_param_name(function) if self._is_method(function) else None
        entries: Dict[str, Modes] = {}
        for call, env, _grad in self._call_sites(function):
            bound = _bind_args(call, params[1:] if self_name else params)
            for param, arg in bound.items():
                key = dotted_name(arg)
                modes = env.get(key, UNKNOWN) if key else UNKNOWN
                entries[param] = entries.get(param, frozenset()) | modes
            if self_name:
                receiver = dotted_name(call.func.value) if isinstance(call.func, cst.Attribute) else None
                for key, modes in env.items():
                    if receiver and key.startswith(receiver + "."):
                        attr_key = self_name + key[len(receiver):]
                        entries[attr_key] = entries.get(attr_key, frozenset()) | modes
        return entries

    def _is_method(self, function: cst.FunctionDef) -> bool:
        return any(info.methods.get(function.name.value) is function for info in self.context.classes.values())

    # ----- summaries: what a function leaves its arguments in --------------------------------
    def _summary_walk(self, scope: Scope) -> ScopeModes:
        key = ("summary", id(scope))
        found = self._scopes.get(key)
        if found is None:
            found = self._walk(scope, {})
            self._scopes[key] = found
        return found

    def summary(self, function: cst.FunctionDef) -> Dict[str, Modes]:
        """param / `self.x` -> the one mode the function surely leaves it in."""
        if id(function) in self._summaries:
            return self._summaries[id(function)]
        if id(function) in self._in_progress:
            return {}
        self._in_progress.add(id(function))
        try:
            walked = self._summary_walk(function)
        finally:
            self._in_progress.discard(id(function))
        params = set(_param_names(function))
        self_name = first_param_name(function)
        result = {}
        for key, modes in walked.exit.items():
            root = key.split(".")[0]
            if modes in (TRAIN, EVAL) and (root in params and "." not in key or root == self_name and "." in key):
                result[key] = modes
        self._summaries[id(function)] = result
        return result

    # ----- the walk ----------------------------------------------------------------------------
    def _walk(self, scope: Scope, entry: Dict[str, Modes]) -> ScopeModes:
        result = ScopeModes()
        walker = _Walker(self, scope, result)
        if isinstance(scope, cst.Module):
            body, grad = scope.body, "on"
        else:
            body = scope.body.body if isinstance(scope.body, cst.IndentedBlock) else [scope.body]
            grad = "off" if any(grad_mode(self.context, d.decorator) == "off" for d in scope.decorators) else "on"
        end = walker.block(body, (dict(entry), grad))
        if end is not DEAD:
            walker.exit(end[0])
        return result


class _Walker:
    def __init__(self, analysis: ModeAnalysis, scope: Scope, result: ScopeModes):
        self.analysis = analysis
        self.context = analysis.context
        self.scope = scope
        self.result = result
        self.loops: List[cst.CSTNode] = []
        self.trained = False
        self._events: Dict[int, Forward] = {}

    def exit(self, env: Dict[str, Modes]) -> None:
        for key, modes in env.items():
            self.result.exit[key] = self.result.exit.get(key, frozenset()) | modes

    # state: (modes of each receiver, grad mode) or DEAD
    def block(self, body, state):
        for statement in body:
            if state is DEAD:
                return DEAD
            state = self.statement(statement, state)
        return state

    def suite(self, suite, state):
        if suite is None:
            return state
        return self.block(suite.body if isinstance(suite, cst.IndentedBlock) else [suite], state)

    def statement(self, node, state):
        if isinstance(node, (cst.SimpleStatementLine, cst.SimpleStatementSuite)):
            for small in node.body:
                if state is DEAD:
                    return DEAD
                state = self.small(small, state)
            return state
        if isinstance(node, _SCOPES):
            return state
        env, grad = state
        if isinstance(node, cst.With):
            inner = grad
            for item in node.items:
                self.expression(item.item, env, grad)
                inner = grad_mode(self.context, item.item) or inner
            after = self.suite(node.body, (env, inner))
            return DEAD if after is DEAD else (after[0], grad)
        if isinstance(node, cst.If):
            self.expression(node.test, env, grad)
            then = self.suite(node.body, (dict(env), grad))
            if isinstance(node.orelse, cst.If):
                otherwise = self.statement(node.orelse, (dict(env), grad))
            elif node.orelse is not None:
                otherwise = self.suite(node.orelse.body, (dict(env), grad))
            else:
                otherwise = (env, grad)
            return _join(then, otherwise)
        if isinstance(node, (cst.For, cst.While)):
            self.expression(node.iter if isinstance(node, cst.For) else node.test, env, grad)
            self.loops.append(node)
            entry = (env, grad)
            for _ in range(2):  # the second pass sees what an iteration leaves for the next
                end = self.suite(node.body, (dict(entry[0]), entry[1]))
                entry = _join(entry, end) if end is not DEAD else entry
            self.loops.pop()
            if _calls_backward(node.body):
                self.trained = True
            if node.orelse is not None:
                entry = self.suite(node.orelse.body, entry)
            return entry
        if isinstance(node, (cst.Try, cst.TryStar)):
            after = self.suite(node.body, (dict(env), grad))
            for handler in node.handlers:
                after = _join(after, self.suite(handler.body, (dict(env), grad)))
            if node.orelse is not None and after is not DEAD:
                after = self.suite(node.orelse.body, after)
            if node.finalbody is not None and after is not DEAD:
                after = self.suite(node.finalbody.body, after)
            return after
        for child in children(node):
            self.expression(child, env, grad)
        return state

    def small(self, node, state):
        env, grad = state
        if isinstance(node, (cst.Return, cst.Raise)):
            value = node.value if isinstance(node, cst.Return) else node.exc
            if value is not None:
                self.expression(value, env, grad)
            self.exit(env)
            return DEAD
        if isinstance(node, (cst.Break, cst.Continue)):
            return DEAD
        if isinstance(node, cst.Expr) and isinstance(node.value, cst.Call):
            mode = grad_mode(self.context, node.value) \
                if self.context.qualified_name(node.value.func) in SET_GRAD_ENABLED else None
            if mode is not None:
                return (env, mode)
        self.expression(node, env, grad)
        if isinstance(node, (cst.Assign, cst.AnnAssign)) and node.value is not None:
            targets = [t.target for t in node.targets] if isinstance(node, cst.Assign) else [node.target]
            modes = self._assigned_modes(node.value, env)
            for target in targets:
                key = dotted_name(target)
                if key is not None:
                    for existing in [k for k in env if k == key or k.startswith(key + ".")]:
                        del env[existing]
                    if modes is not None:
                        env[key] = modes
        return (env, grad)

    def _assigned_modes(self, value, env) -> Optional[Modes]:
        """`model = Net()` -> train; `model = model.eval()` -> eval; `model = other` -> other's."""
        chain = value
        while isinstance(chain, cst.Call) and isinstance(chain.func, cst.Attribute):
            mode = _mode_call(chain)
            if mode is not None:
                return mode
            if chain.func.attr.value not in ("to", "cuda", "cpu", "half", "float", "double"):
                break
            chain = chain.func.value
        key = dotted_name(chain)
        if key is not None and key in env:
            return env[key]
        if isinstance(chain, cst.Call):
            kind = local_kinds(self.context, self.scope)
            found = kind.kind(chain)
            if found is not None and found.is_module:
                return TRAIN
        return None

    # ----- expressions: mode calls, forwards, calls of the file's functions ------------------
    def expression(self, root, env: Dict[str, Modes], grad: str) -> None:
        stack: List[Tuple[cst.CSTNode, Optional[cst.CSTNode]]] = [(root, None)]
        calls: List[Tuple[cst.Call, Optional[cst.CSTNode]]] = []
        while stack:
            node, comprehension = stack.pop()
            if isinstance(node, _SCOPES):
                continue
            if isinstance(node, _COMPREHENSIONS):
                comprehension = node
            if isinstance(node, cst.Call):
                calls.append((node, comprehension))
            stack.extend((child, comprehension) for child in reversed(children(node)))
        for call, comprehension in calls:  # outer calls first: `model.eval()(x)` is rare
            self._call(call, comprehension, env, grad)

    def _call(self, call: cst.Call, comprehension, env: Dict[str, Modes], grad: str) -> None:
        func = call.func
        if isinstance(func, cst.Attribute):
            method = func.attr.value
            if method in ("backward",) or method == "requires_grad_" or \
                    self.context.qualified_name(func) in ("torch.autograd.grad", "torch.autograd.backward"):
                self.result.backward = True
            mode = _mode_call(call)
            key = dotted_name(_moved(func.value) if mode is not None else func.value)
            if mode is not None and key is not None:
                env[key] = mode
                return
            if method == "forward" and key is not None:
                self._forward(key, call, comprehension, env, grad)
                return
        elif self.context.qualified_name(func) in ("torch.autograd.grad", "torch.autograd.backward"):
            self.result.backward = True
        self.result.calls.append((call, dict(env), grad))
        callee = self._callee(call)
        if callee is not None:
            self._apply_summary(callee, call, env)
            return
        key = dotted_name(func)
        if key is not None and "." not in key and key in self.analysis._functions:
            return
        if key is not None and self.context.qualified_name(func) is None:
            self._forward(key, call, comprehension, env, grad)

    def _forward(self, key: str, call, comprehension, env, grad) -> None:
        loop = comprehension or (self.loops[-1] if self.loops else None)
        training = comprehension is None and bool(self.loops) and self._backward_after(call, self.loops[-1])
        modes = env.get(key, UNKNOWN)
        found = self._events.get(id(call))
        if found is not None:
            found.modes = found.modes | modes
            found.grad = found.grad if found.grad == grad else "maybe"
            return
        event = Forward(key, call, modes, grad, loop, training, self.trained)
        self._events[id(call)] = event
        self.result.forwards.append(event)

    def _backward_after(self, call: cst.Call, loop) -> bool:
        """Does the loop call backward() and a step() from the statement of `call` on? A forward
        after the loop's training part (an evaluation after an inner loop over batches, in the
        loop over epochs) feeds no backward of the iteration."""
        body = loop.body.body if isinstance(loop.body, cst.IndentedBlock) else [loop.body]
        line = self.context.position(call).start.line
        rest = [stmt for stmt in body if self.context.position(stmt).end.line >= line]
        return _calls_backward(rest, ("step",))

    def _callee(self, call: cst.Call) -> Optional[cst.FunctionDef]:
        func = call.func
        if isinstance(func, cst.Name):
            return self.analysis._functions.get(func.value)
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and isinstance(self.scope, cst.FunctionDef) \
                and func.value.value == first_param_name(self.scope):
            for info in self.context.classes.values():
                method = info.methods.get(func.attr.value)
                if method is not None and self.scope in info.methods.values():
                    return method
        return None

    def _apply_summary(self, callee: cst.FunctionDef, call: cst.Call, env: Dict[str, Modes]) -> None:
        summary = self.analysis.summary(callee)
        if not summary:
            return
        params = _param_names(callee)
        self_name = first_param_name(callee)
        if isinstance(call.func, cst.Attribute):  # self.method(...): self.x keys carry over
            receiver = dotted_name(call.func.value)
            for key, modes in summary.items():
                if "." in key and receiver:
                    env[receiver + key[len(self_name):]] = modes
            params = params[1:]
        for param, arg in _bind_args(call, params).items():
            if param in summary and dotted_name(arg) is not None:
                env[dotted_name(arg)] = summary[param]


def _join(a, b):
    if a is DEAD:
        return b
    if b is DEAD:
        return a
    env = {}
    for key in set(a[0]) | set(b[0]):
        env[key] = a[0].get(key, UNKNOWN) | b[0].get(key, UNKNOWN)
    grad = a[1] if a[1] == b[1] else "maybe" if "off" in (a[1], b[1]) or "maybe" in (a[1], b[1]) else "unknown"
    return (env, grad)


_RETURNS_SELF = frozenset({"to", "cuda", "cpu", "float", "double", "half", "bfloat16", "requires_grad_"})


def _moved(expr: cst.BaseExpression) -> cst.BaseExpression:
    """`model.to(device)` -> `model`: Module methods that return the module itself, so that
    `model.to(device).train()` switches `model`."""
    while isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) \
            and expr.func.attr.value in _RETURNS_SELF:
        expr = expr.func.value
    return expr


def _mode_call(call: cst.Call) -> Optional[Modes]:
    """EVAL for `.eval()` / `.train(False)`, TRAIN for `.train()` / `.train(True)`, FLAG for
    `.train(flag)`; None for any other call."""
    func = call.func
    if not isinstance(func, cst.Attribute):
        return None
    if func.attr.value == "eval" and not call.args:
        return EVAL
    if func.attr.value == "train":
        if not call.args:
            return TRAIN
        if len(call.args) == 1 and call.args[0].keyword in (None,) or \
                len(call.args) == 1 and call.args[0].keyword.value == "mode":
            value = call.args[0].value
            if isinstance(value, cst.Name) and value.value in ("True", "False"):
                return TRAIN if value.value == "True" else EVAL
            return FLAG
    return None


def _calls_backward(body, also=()) -> bool:
    """Does `body` call `.backward()` (and each method of `also`)?"""
    wanted = {"backward", *also}
    stack = list(body) if isinstance(body, list) else [body]
    while stack:
        node = stack.pop()
        if isinstance(node, _SCOPES):
            continue
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
            wanted.discard(node.func.attr.value)
            if not wanted:
                return True
        stack.extend(children(node))
    return False


def needs_grad(node) -> bool:
    """Does the code ask for gradients: backward(), torch.autograd.grad, requires_grad_?"""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, _SCOPES) and current is not node:
            continue
        if isinstance(current, cst.Call) and isinstance(current.func, cst.Attribute) \
                and current.func.attr.value in ("backward", "grad", "requires_grad_"):
            return True
        if isinstance(current, cst.Attribute) and current.attr.value == "requires_grad":
            return True
        stack.extend(children(current))
    return False


def _calls(call: cst.Call, function: cst.FunctionDef) -> bool:
    func = call.func
    name = function.name.value
    return isinstance(func, cst.Name) and func.value == name or \
        isinstance(func, cst.Attribute) and func.attr.value == name and isinstance(func.value, cst.Name)


def _param_names(function: cst.FunctionDef) -> List[str]:
    params = function.params
    return [p.name.value for p in (*params.posonly_params, *params.params, *params.kwonly_params)]


def _bind_args(call: cst.Call, params: List[str]) -> Dict[str, cst.BaseExpression]:
    bound: Dict[str, cst.BaseExpression] = {}
    position = 0
    for arg in call.args:
        if arg.star:
            return bound
        if arg.keyword is None:
            if position < len(params):
                bound[params[position]] = arg.value
            position += 1
        elif arg.keyword.value in params:
            bound[arg.keyword.value] = arg.value
    return bound


def _all_functions(module: cst.Module) -> List[cst.FunctionDef]:
    found = []
    stack = list(module.body)
    while stack:
        node = stack.pop()
        if isinstance(node, cst.FunctionDef):
            found.append(node)
        if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.If, cst.With, cst.Try, cst.For, cst.While)):
            stack.extend(s for s in children(node) if isinstance(s, (cst.BaseStatement, cst.BaseSuite)))
        elif isinstance(node, (cst.IndentedBlock,)):
            stack.extend(node.body)
    return found


# ----- which receivers are models, and whether their mode matters --------------------------------
MODULE_USES = frozenset({"eval", "train", "parameters", "named_parameters", "modules", "named_modules",
                         "children", "load_state_dict", "zero_grad", "requires_grad_"})
# torch.nn layers that behave differently in train() and eval().
MODE_LAYERS = re.compile(r"^(Dropout\w*|AlphaDropout|FeatureAlphaDropout|BatchNorm\w*|SyncBatchNorm|"
                         r"InstanceNorm\w*|LazyBatchNorm\w*|LazyInstanceNorm\w*|RNN|LSTM|GRU|"
                         r"Transformer\w*|MultiheadAttention)$")
MODE_FUNCTIONS = re.compile(r"^(dropout\w*|alpha_dropout|feature_alpha_dropout|batch_norm|instance_norm)$")
CONTAINERS = frozenset({"Sequential", "ModuleList", "ModuleDict"})


def is_model(context, scope: Scope, key: str, func: cst.BaseExpression) -> bool:
    """A Module per the dataflow, or a receiver the file treats as one (`key.eval()`,
    `key.parameters()`, `key.load_state_dict(...)` somewhere in the scope or its class)."""
    kind = local_kinds(context, scope).kind(func)
    if kind is not None:
        return kind.is_module
    roots = [scope]
    if key.split(".")[0] == (first_param_name(scope) if isinstance(scope, cst.FunctionDef) else None):
        roots = [info.node for info in context.classes.values() if scope in info.methods.values()] or roots
    for root in roots:
        stack = [root]
        while stack:
            node = stack.pop()
            if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) \
                    and node.func.attr.value in MODULE_USES and dotted_name(node.func.value) == key:
                return True
            stack.extend(children(node))
    return False


LOSS_NAME = re.compile(r"(criterion|loss|metric)", re.IGNORECASE)


def owned_by_caller(context, function: Optional[cst.FunctionDef], key: str) -> bool:
    """`self(x)` or `self.head(x)` in a method of a Module class (a model's own `generate()` or
    `predict()`): whoever calls the method sets the mode and the grad mode, not the method (a
    trainer class holding `self.model` is not one: it owns its model's mode)."""
    if function is None or key.split(".")[0] != first_param_name(function):
        return False
    info = context.enclosing_class
    return info is not None and (info.is_module or _lightning(context, info, set()))


def _lightning(context, info, seen: set) -> bool:
    """A LightningModule (an nn.Module whose trainer calls its steps in eval mode under
    no_grad()), directly or through classes of the file. Not a Module for every rule: its
    `forward` is optional."""
    seen.add(info.name)
    for base in info.base_names:
        if base is None:
            continue
        if base.rsplit(".", 1)[-1] == "LightningModule":
            return True
        parent = context.classes_by_name.get(base)
        if parent is not None and parent.name not in seen and _lightning(context, parent, seen):
            return True
    return False


def named_like_loss(key: str) -> bool:
    """`criterion`, `self.loss_fn`, `ce_loss`: not the model (names only ever rule a call out)."""
    return bool(LOSS_NAME.search(key.rsplit(".", 1)[-1]))


def mode_sensitive(context, scope: Scope, func: cst.BaseExpression) -> Optional[bool]:
    """Does the model hold dropout / batch norm (or similar)? None when it cannot be seen."""
    kind = local_kinds(context, scope).kind(func)
    if kind is None or not kind.is_module or not kind.name:
        return None
    if kind.name.rsplit(".", 1)[-1] in CONTAINERS:
        built = _built_by(context, scope, dotted_name(func))
        return _call_sensitive(context, built, set()) if built is not None else None
    return _class_sensitive(context, kind.name, set())


def _built_by(context, scope: Scope, key: Optional[str]) -> Optional[cst.Call]:
    """The one `key = <call>` of the scope (or of the module, for a free name), if there is one."""
    if key is None:
        return None
    for root in (scope, context.module) if scope is not context.module else (scope,):
        found = []
        stack = list(root.body.body if isinstance(root, cst.FunctionDef) else root.body)
        while stack:
            node = stack.pop()
            if isinstance(node, cst.Assign) and any(dotted_name(t.target) == key for t in node.targets):
                found.append(node.value)
            if isinstance(node, (cst.FunctionDef, cst.ClassDef)):
                continue
            stack.extend(children(node))
        if found:
            return found[0] if len(found) == 1 and isinstance(found[0], cst.Call) else None
    return None


def _call_sensitive(context, call: cst.BaseExpression, seen: Set[str]) -> Optional[bool]:
    """Does the module this constructor call builds hold mode-dependent layers?"""
    if not isinstance(call, cst.Call):
        return None
    qualified = context.qualified_name(call.func) or ""
    last = qualified.rsplit(".", 1)[-1]
    if qualified.startswith("torch.") and last in CONTAINERS:
        answer: Optional[bool] = False
        for arg in call.args:
            if arg.star:
                return None
            inner = _call_sensitive(context, arg.value, seen)
            if inner:
                return True
            answer = None if inner is None else answer
        return answer
    if qualified.startswith("torch.nn.") and last[:1].isupper():
        return bool(MODE_LAYERS.match(last))
    if qualified in context.classes_by_name:
        return _class_sensitive(context, qualified, seen)
    return None


def _class_sensitive(context, name: str, seen: Set[str]) -> Optional[bool]:
    """A torch layer by its name; a class of the file by the layers it builds (a submodule built
    by code from elsewhere, `self.backbone = resnet50()`, cannot be seen into: None)."""
    if name.startswith("torch."):
        last = name.rsplit(".", 1)[-1]
        if last in CONTAINERS or last == "Module":
            return None
        return bool(MODE_LAYERS.match(last))
    info = context.classes_by_name.get(name)
    if info is None or name in seen:
        return None
    seen.add(name)
    answer: Optional[bool] = False
    stack = [info.node]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Call):
            qualified = context.qualified_name(node.func) or ""
            last = qualified.rsplit(".", 1)[-1]
            if qualified.startswith("torch.") and (MODE_LAYERS.match(last) or
                                                   "functional" in qualified and MODE_FUNCTIONS.match(last)):
                return True
            if qualified in context.classes_by_name and qualified != name:
                inner = _class_sensitive(context, qualified, seen)
                if inner:
                    return True
                answer = None if inner is None else answer
        elif isinstance(node, cst.Assign) and isinstance(node.value, cst.Call):
            qualified = context.qualified_name(node.value.func)
            if any(isinstance(t.target, cst.Attribute) for t in node.targets) and (
                    qualified is None or not qualified.startswith(("torch.", "builtins."))
                    and qualified not in context.classes_by_name):
                answer = None  # self.backbone = resnet50(): built elsewhere
        stack.extend(children(node))
    for base in info.base_names:
        if base in context.classes_by_name:
            inner = _class_sensitive(context, base, seen)
            if inner:
                return True
            answer = None if inner is None else answer
        elif base is not None and not base.startswith("torch.") and not base.startswith("builtins."):
            answer = None  # a base from elsewhere may hold anything
    return answer
