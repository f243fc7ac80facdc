"""The statement walker: follows one scope's statements in order, records what reaches every
use of a local name, joins both arms of an `if`, iterates loops to a fixed point."""

from __future__ import annotations

from typing import TYPE_CHECKING, Dict, FrozenSet, Iterable, List, Optional, Set, Tuple

import libcst as cst

from nnlint.dataflow.annotations import annotated
from nnlint.dataflow.lattice import BOTTOM, MODULE, TENSOR, TUPLE, Kind, Value, join, join_env, known
from nnlint.tree import children, concrete_types, positional

# Attributes that hold the last layer of torchvision's and timm's models: assigning one replaces
# the model's head, and so what the model returns.
HEADS = frozenset({"fc", "classifier", "head", "heads", "last_linear"})

if TYPE_CHECKING:
    from nnlint.dataflow.flow import Flow

_COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)
_NESTED_SCOPES = (cst.FunctionDef, cst.ClassDef, cst.Lambda) + _COMPREHENSIONS
_NESTED_SCOPE_TYPES = frozenset(_NESTED_SCOPES)  # exact types: cheaper than isinstance() in walks
_COMPREHENSION_TYPES = frozenset(_COMPREHENSIONS)
_LAMBDA_OR_COMPREHENSION = _COMPREHENSION_TYPES | {cst.Lambda}


def _target_names(target: cst.CSTNode, into: Set[str]) -> None:
    if isinstance(target, cst.Name):
        into.add(target.value)
    elif isinstance(target, (cst.Tuple, cst.List)):
        for element in target.elements:
            _target_names(element.value, into)
    elif isinstance(target, cst.StarredElement):
        _target_names(target.value, into)


_ASSIGNING_OR_SCOPE = concrete_types((
    cst.Assign, cst.AugAssign, cst.AnnAssign, cst.For, cst.AsName, cst.NamedExpr, cst.Global,
    cst.Nonlocal, cst.Import, cst.ImportFrom) + _NESTED_SCOPES)


def assigned_names(body: Iterable[cst.CSTNode]) -> Tuple[Set[str], Set[str]]:
    """The names a scope assigns (not imports, defs or classes), and those it declares global."""
    names: Set[str] = set()
    declared: Set[str] = set()
    stack = list(body)
    while stack:
        node = stack.pop()
        if type(node) not in _ASSIGNING_OR_SCOPE:  # most nodes: skip the isinstance() chain below
            stack.extend(children(node))
            continue
        if isinstance(node, (cst.Assign,)):
            for target in node.targets:
                _target_names(target.target, names)
        elif isinstance(node, (cst.AugAssign, cst.AnnAssign)):
            _target_names(node.target, names)
        elif isinstance(node, cst.For):
            _target_names(node.target, names)
        elif isinstance(node, cst.AsName):
            _target_names(node.name, names)
        elif isinstance(node, cst.NamedExpr):
            _target_names(node.target, names)
        elif isinstance(node, (cst.Global, cst.Nonlocal)):
            declared.update(n.name.value for n in node.names)
        if isinstance(node, _NESTED_SCOPES):
            continue
        if isinstance(node, (cst.Import, cst.ImportFrom)):
            continue
        stack.extend(children(node))
    return names - declared, declared



def yields(body) -> bool:
    stack = list(body)
    while stack:
        node = stack.pop()
        kind = type(node)
        if kind is cst.Yield:
            return True
        if kind not in _NESTED_SCOPE_TYPES:
            stack.extend(children(node))
    return False


class Walker:
    """Follows the statements of one scope, recording what reaches every use of a local name."""

    def __init__(self, flow: "Flow"):
        self.flow = flow

    # ----- recording uses ----------------------------------------------------------------------
    def record(self, node: Optional[cst.CSTNode], env: Dict[str, Value],
               shadowed: FrozenSet[str] = frozenset()) -> None:
        if node is None:
            return
        flow = self.flow
        stack = [node]
        while stack:
            current = stack.pop()
            kind = type(current)
            if kind is cst.Name:
                name = current.value
                if name in shadowed:
                    flow.uses[id(current)] = None
                elif name in env:
                    flow.uses[id(current)] = env[name]
                elif name in flow.declared:
                    flow.uses[id(current)] = None
            elif kind is cst.Attribute or kind is cst.Arg:
                stack.append(current.value)
            elif kind is cst.Lambda:
                names = {p.name.value for p in _all_params(current.params)}
                self.record(current.body, env, shadowed | names)
            elif kind in _COMPREHENSION_TYPES:
                self._record_comprehension(current, env, shadowed)
            elif kind is not cst.FunctionDef and kind is not cst.ClassDef:
                stack.extend(children(current))

    def _record_comprehension(self, node, env, shadowed) -> None:
        inner = set(shadowed)
        comp = node.for_in
        first = True
        while comp is not None:
            self.record(comp.iter, env, frozenset(shadowed if first else inner))
            first = False
            _target_names(comp.target, inner)
            for condition in comp.ifs:
                self.record(condition.test, env, frozenset(inner))
            comp = comp.inner_for_in
        frozen = frozenset(inner)
        if isinstance(node, cst.DictComp):
            self.record(node.key, env, frozen)
            self.record(node.value, env, frozen)
        else:
            self.record(node.elt, env, frozen)

    # ----- binding ---------------------------------------------------------------------------------------
    def bind(self, target: cst.BaseExpression, value: Value, env: Dict[str, Value],
             source: Optional[cst.CSTNode] = None) -> None:
        flow = self.flow
        if isinstance(target, cst.Name):
            name = target.value
            if name in flow.declared:
                return
            env[name] = value
            flow.bound[name] = join(flow.bound.get(name, BOTTOM), value)
        elif isinstance(target, (cst.Tuple, cst.List)):
            elements = target.elements
            unpacked = isinstance(value, Kind) and value.category == TUPLE and len(value.elements) == len(elements) \
                and not any(isinstance(e, cst.StarredElement) for e in elements)
            for at, element in enumerate(elements):  # `validity, label = D(x)`
                self.bind(element.value, value.elements[at] if unpacked else None, env)
        elif isinstance(target, cst.StarredElement):
            self.bind(target.value, None, env)
        elif isinstance(target, cst.Attribute):
            self.record(target.value, env)
            if flow.is_self(target.value):
                flow.attr_writes.append((target.attr.value, value, source or target))
            elif isinstance(target.value, cst.Name) and target.attr.value in HEADS:
                self._new_head(target.value, value, env)
        elif isinstance(target, cst.Subscript):
            self.record(target, env)

    # ----- statements ----------------------------------------------------------------------------------
    def block(self, body, env: Dict[str, Value]) -> Dict[str, Value]:
        for statement in body:
            env = self.statement(statement, env)
        return env

    def suite(self, suite: Optional[cst.BaseSuite], env):
        if suite is None:
            return env
        if isinstance(suite, cst.IndentedBlock):
            return self.block(suite.body, env)
        return self.block([suite], env)  # SimpleStatementSuite: `if x: a = 1`

    def statement(self, node, env):
        if isinstance(node, (cst.SimpleStatementLine, cst.SimpleStatementSuite)):
            for small in node.body:
                self.small(small, env)
            return env
        if isinstance(node, cst.If):
            self.record(node.test, env)
            then = self.suite(node.body, dict(env))
            otherwise = dict(env)
            if isinstance(node.orelse, cst.If):
                otherwise = self.statement(node.orelse, otherwise)
            elif isinstance(node.orelse, cst.Else):
                otherwise = self.suite(node.orelse.body, otherwise)
            return join_env(then, otherwise)
        if isinstance(node, cst.For):
            self.record(node.iter, env)
            return self._loop(node, env, lambda e: self.bind(node.target, None, e))
        if isinstance(node, cst.While):
            self.record(node.test, env)
            return self._loop(node, env, lambda e: self.record(node.test, e))
        if isinstance(node, (cst.Try, cst.TryStar)):
            after_body = self.suite(node.body, dict(env))
            ends = []
            for handler in node.handlers:
                start = join_env(env, after_body)
                self.record(handler.type, start)
                if handler.name is not None:
                    self.bind(handler.name.name, None, start)
                ends.append(self.suite(handler.body, start))
            if node.orelse is not None:
                after_body = self.suite(node.orelse.body, after_body)
            result = after_body
            for end in ends:
                result = join_env(result, end)
            if node.finalbody is not None:
                result = self.suite(node.finalbody.body, join_env(result, env))
            return result
        if isinstance(node, cst.With):
            for item in node.items:
                self.record(item.item, env)
                if item.asname is not None:
                    self.bind(item.asname.name, None, env)
            return self.suite(node.body, env)
        if isinstance(node, cst.FunctionDef):
            for decorator in node.decorators:
                self.record(decorator.decorator, env)
            for param in _all_params(node.params):
                self.record(param.default, env)
            return env
        if isinstance(node, cst.ClassDef):
            for decorator in node.decorators:
                self.record(decorator.decorator, env)
            for arg in node.bases:
                self.record(arg.value, env)
            return env
        if isinstance(node, cst.Match):
            self.record(node.subject, env)
            result = dict(env)
            for case in node.cases:
                branch = dict(env)
                for name_node in _pattern_names(case.pattern):
                    self.bind(name_node, None, branch)
                self.record(case.guard, branch)
                result = join_env(result, self.suite(case.body, branch))
            return result
        return env

    def _loop(self, node, env, start):
        entry = dict(env)
        current = dict(env)
        for _ in range(4):
            head = dict(current)
            start(head)
            end = self.suite(node.body, head)
            following = join_env(entry, end)
            if following == current:
                break
            current = following
        result = current
        if node.orelse is not None:
            result = self.suite(node.orelse.body, dict(result))
        return result

    def small(self, node, env) -> None:
        flow = self.flow
        if isinstance(node, cst.Assign):
            self.record(node.value, env)
            value = flow._safe_kind(node.value)
            for target in node.targets:
                self.bind(target.target, value, env, source=node)
        elif isinstance(node, cst.AnnAssign):
            if node.value is not None:
                self.record(node.value, env)
                value = flow._safe_kind(node.value)
                if value is None:  # `self.opt: torch.optim.Optimizer = make_optimizer()`
                    value = annotated(flow.context, node.annotation.annotation)
                self.bind(node.target, value, env, source=node)
        elif isinstance(node, cst.AugAssign):
            self.record(node.value, env)
            if isinstance(node.target, cst.Name):
                self.record(node.target, env)
                value = flow._binary(flow._safe_kind(node.target), node.target, flow._safe_kind(node.value), node.value)
            elif isinstance(node.target, cst.Attribute) and flow.is_self(node.target.value):
                value = flow._binary(flow._safe_kind(node.target), node.target, flow._safe_kind(node.value), node.value)
            else:
                value = None
            self.bind(node.target, value, env, source=node)
        elif isinstance(node, cst.Return):
            self.record(node.value, env)
            value = flow._safe_kind(node.value) if node.value is not None else None
            flow.returns = join(flow.returns, value)
        elif isinstance(node, cst.Del):
            self.record(node.target, env)
            if isinstance(node.target, cst.Name):
                env[node.target.value] = BOTTOM
        elif isinstance(node, cst.Expr):
            self.record(node.value, env)
            self._register(node.value, env)
            self._grow(node.value, env)
        elif isinstance(node, (cst.Global, cst.Nonlocal, cst.Import, cst.ImportFrom, cst.Pass,
                               cst.Break, cst.Continue)):
            pass
        else:  # Raise, Assert and anything else: record what it reads
            for child in children(node):
                self.record(child, env)
        if flow.dataflow.has_walrus:
            for named in _named_exprs(node):
                self.bind(named.target, flow._safe_kind(named.value), env)

    def _grow(self, expr, env) -> None:
        """`model.append(layer)` / `model.add_module(name, layer)`: a Sequential's last layer is
        the new one (`extend`/`insert`: not known any more)."""
        if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) \
                and isinstance(expr.func.value, cst.Name) \
                and expr.func.attr.value in ("append", "extend", "insert", "add_module", "register_module"):
            name = expr.func.value.value
            value = env.get(name)
            if not (isinstance(value, Kind) and value.is_module and value.name
                    and value.name.rsplit(".", 1)[-1] == "Sequential"):
                return
            args = positional(expr)
            added = None
            if expr.func.attr.value == "append" and len(args) == 1:
                added = known(self.flow._safe_kind(args[0]))
            elif expr.func.attr.value in ("add_module", "register_module") and len(args) == 2:
                added = known(self.flow._safe_kind(args[1]))
            last = added if isinstance(added, Kind) and added.is_module else None
            self.bind(expr.func.value, Kind(MODULE, name=value.name, last=last), env)

    def _new_head(self, model: cst.Name, head: Value, env) -> None:
        """`model.fc = nn.Sequential(..., nn.Softmax(dim=1))`: the model now ends in that head
        (`fc`, `classifier`, `head` are the last layer of torchvision's and timm's models)."""
        value = env.get(model.value)
        if isinstance(value, Kind) and value.is_module and value.name \
                and value.name.rsplit(".", 1)[-1] not in ("Sequential", "ModuleList", "ModuleDict"):
            last = head if isinstance(head, Kind) and head.is_module else None
            self.bind(model, Kind(MODULE, name=value.name, last=last), env)

    def _register(self, expr, env) -> None:
        """`self.register_buffer("name", t)` / `self.register_parameter("name", p)` write attributes."""
        flow = self.flow
        if not (isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute)
                and flow.is_self(expr.func.value)):
            return
        method = expr.func.attr.value
        if method not in ("register_buffer", "register_parameter", "add_module", "register_module"):
            return
        args = positional(expr)
        if not args or not isinstance(args[0], cst.SimpleString):
            return
        name = args[0].evaluated_value
        if not isinstance(name, str):
            return
        if method == "register_buffer":
            value: Value = Kind(TENSOR, origin="buffer")
        elif method == "register_parameter":
            value = Kind(TENSOR, origin="parameter")
        else:
            value = flow._safe_kind(args[1]) if len(args) > 1 else None
            if not (isinstance(value, Kind) and value.is_module):
                value = Kind(MODULE)
        flow.attr_writes.append((name, value, expr))


def _named_exprs(node) -> List[cst.NamedExpr]:
    found = []
    stack = [node]
    while stack:
        current = stack.pop()
        kind = type(current)
        if kind is cst.NamedExpr:
            found.append(current)
        if kind not in _LAMBDA_OR_COMPREHENSION:
            stack.extend(children(current))
    return found


def _all_params(params: cst.Parameters) -> List[cst.Param]:
    found = [*params.posonly_params, *params.params, *params.kwonly_params]
    for star in (params.star_arg, params.star_kwarg):
        if isinstance(star, cst.Param):
            found.append(star)
    return found


def _pattern_names(pattern) -> List[cst.Name]:
    found = []
    stack = [pattern]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.MatchAs) and current.name is not None:
            found.append(current.name)
        elif isinstance(current, cst.MatchStar) and current.name is not None:
            found.append(current.name)
        elif isinstance(current, cst.MatchMapping) and current.rest is not None:
            found.append(current.rest)
        stack.extend(c for c in children(current) if not isinstance(c, cst.Name))
    return found

