"""Where autograd records a graph, and which values of a `forward` come from its inputs.

Shared by the rules about gradients and devices (NN202-NN207, NN305, NN306, NN503, NN601):
- `disables_grad(context, expr)`: whether a `with` item or a decorator turns recording off;
  `grad_mode(context, expr)`: what it (or a `set_grad_enabled(...)` call) sets: off, on, unknown;
- `statements(...)`: a function's statements with the loops around each and whether a
  `with torch.no_grad():` (or `inference_mode`, `set_grad_enabled(False)`) block encloses it;
- `grad_disabled(function)`: a function decorated with `@torch.no_grad()` and the like;
- `derived_from_inputs(...)`: the locals of a `forward` computed from its tensor inputs.
"""

from __future__ import annotations

from typing import Callable, Iterator, List, Optional, Set, Tuple

import libcst as cst

from nnlint.torch_tables import FACTORIES
from nnlint.tree import children, has_star_args, keyword

NO_GRAD = frozenset({
    "torch.no_grad", "torch.inference_mode", "torch.autograd.no_grad",
    "torch.autograd.grad_mode.no_grad", "torch.autograd.grad_mode.inference_mode",
    "torch.autograd.inference_mode",
})
SET_GRAD_ENABLED = frozenset({"torch.set_grad_enabled", "torch.autograd.set_grad_enabled",
                              "torch.autograd.grad_mode.set_grad_enabled"})
ENABLE_GRAD = frozenset({"torch.enable_grad", "torch.autograd.enable_grad", "torch.autograd.grad_mode.enable_grad"})
# What a flag that is not a literal (`set_grad_enabled(training)`, `inference_mode(mode=flag)`)
# counts as: it may turn recording off, so nothing under it is reported as recorded. The rules
# that ask (NN202-NN205, NN503) flag code only where autograd surely records.
UNKNOWN_FLAG_DISABLES = True


def disables_grad(context, expr: cst.BaseExpression) -> bool:
    """Does this context manager or decorator turn gradient recording off?

    `torch.no_grad()`, `torch.inference_mode()` / `inference_mode(True)` and
    `torch.set_grad_enabled(False)` do; `inference_mode(False)` and `set_grad_enabled(True)` do
    not (the flag read positionally or as `mode=`); an unknown flag: UNKNOWN_FLAG_DISABLES.
    The decorator forms `@torch.no_grad` / `@torch.no_grad()` count too.
    """
    mode = grad_mode(context, expr)
    return mode == "off" or mode == "unknown" and UNKNOWN_FLAG_DISABLES


def grad_mode(context, expr: cst.BaseExpression) -> Optional[str]:
    """What a context manager, decorator or call sets gradient recording to: "off", "on"
    (`torch.enable_grad()`, `set_grad_enabled(True)`, `inference_mode(False)`), "unknown" (a
    flag that is not a literal), or None (not a grad-mode switch, or one that changes nothing)."""
    call = expr if isinstance(expr, cst.Call) else None
    qualified = context.qualified_name(call.func if call is not None else expr)
    if qualified in SET_GRAD_ENABLED:
        flag = _mode_flag(call) if call is not None else _MISSING
        if flag is _MISSING:
            return None  # `set_grad_enabled()` raises: it changes nothing
        return "unknown" if flag is None else "on" if flag else "off"
    if qualified in NO_GRAD:
        flag = _mode_flag(call) if call is not None and qualified.endswith("inference_mode") else _MISSING
        if flag is _MISSING:
            return "off"  # no_grad() takes no flag; inference_mode's defaults to True
        return "unknown" if flag is None else "off" if flag else "on"
    if qualified in ENABLE_GRAD:
        return "on"
    return None


_MISSING = object()


def _mode_flag(call: cst.Call):
    """The `mode` argument of `set_grad_enabled` / `inference_mode`: True or False when it is a
    literal, None when it is not, _MISSING when there is none."""
    arg = keyword(call, "mode")
    if arg is None:
        arg = next((a for a in call.args if a.keyword is None and not a.star), None)
    if arg is None:
        return None if has_star_args(call) else _MISSING
    value = arg.value
    if isinstance(value, cst.Name) and value.value in ("True", "False"):
        return value.value == "True"
    return None


def grad_disabled(context, function: cst.FunctionDef) -> bool:
    """A function decorated with `@torch.no_grad()` / `@torch.inference_mode()`."""
    return any(disables_grad(context, d.decorator) for d in function.decorators)


Loops = Tuple[cst.CSTNode, ...]


def statements(context, body, loops: Loops = (), no_grad: bool = False
               ) -> Iterator[Tuple[cst.CSTNode, Loops, bool]]:
    """Each statement of `body` (small statements one by one, compound statements too), with
    the loops that enclose it and whether gradient recording is off there. Nested functions
    and classes are not entered."""
    for statement in body:
        if isinstance(statement, (cst.SimpleStatementLine, cst.SimpleStatementSuite)):
            for small in statement.body:
                yield small, loops, no_grad
            continue
        yield statement, loops, no_grad
        if isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
            continue
        if isinstance(statement, cst.With):
            off = no_grad or any(disables_grad(context, item.item) for item in statement.items)
            yield from statements(context, _body(statement.body), loops, off)
        elif isinstance(statement, (cst.For, cst.While)):
            yield from statements(context, _body(statement.body), loops + (statement,), no_grad)
            if statement.orelse is not None:
                yield from statements(context, _body(statement.orelse.body), loops, no_grad)
        elif isinstance(statement, cst.If):
            yield from statements(context, _body(statement.body), loops, no_grad)
            if isinstance(statement.orelse, cst.If):
                yield from statements(context, [statement.orelse], loops, no_grad)
            elif statement.orelse is not None:
                yield from statements(context, _body(statement.orelse.body), loops, no_grad)
        elif isinstance(statement, (cst.Try, cst.TryStar)):
            yield from statements(context, _body(statement.body), loops, no_grad)
            for handler in statement.handlers:
                yield from statements(context, _body(handler.body), loops, no_grad)
            for part in (statement.orelse, statement.finalbody):
                if part is not None:
                    yield from statements(context, _body(part.body), loops, no_grad)
        elif isinstance(statement, cst.Match):
            for case in statement.cases:
                yield from statements(context, _body(case.body), loops, no_grad)


def _body(suite) -> List[cst.CSTNode]:
    if isinstance(suite, cst.IndentedBlock):
        return list(suite.body)
    return [suite]


def function_body(scope) -> List[cst.CSTNode]:
    if isinstance(scope, cst.Module):
        return list(scope.body)
    return _body(scope.body)


# ----- values computed from a forward's inputs -----------------------------------------------------
# Reading these gives metadata, not values: nothing of the tensor flows on.
METADATA_ATTRIBUTES = frozenset({
    "shape", "dtype", "device", "ndim", "is_cuda", "requires_grad", "layout", "is_sparse",
    "is_quantized", "is_meta", "names", "grad_fn", "is_leaf",
})
METADATA_METHODS = frozenset({
    "size", "dim", "ndimension", "numel", "nelement", "item", "tolist", "element_size",
    "data_ptr", "stride", "get_device", "is_contiguous", "is_floating_point", "is_complex",
    "storage_offset", "numpy", "__len__",
})
METADATA_FUNCTIONS = frozenset({
    "builtins.len", "builtins.int", "builtins.float", "builtins.bool", "builtins.str",
    "builtins.isinstance", "builtins.type", "builtins.range", "builtins.print", "builtins.id",
    "builtins.hasattr", "builtins.getattr", "torch.is_tensor", "torch.numel", "torch.is_grad_enabled",
    "torch.is_floating_point", "torch.is_complex", "math.sqrt", "math.log", "math.ceil", "math.floor",
})
# No gradient flows out of these (integer results, fresh tensors, or detached values).
NO_GRAD_METHODS = frozenset({
    "detach", "detach_", "long", "int", "bool", "byte", "char", "short", "argmax", "argmin",
    "argsort", "nonzero", "new_zeros", "new_ones", "new_empty", "new_full", "new_tensor",
    "eq", "ne", "lt", "le", "gt", "ge", "isnan", "isinf", "isfinite", "sign", "floor", "ceil",
    "round", "trunc", "any", "all", "count_nonzero", "bincount", "zero_",
})
# Methods that take only the dtype, device or shape of their tensor argument.
LIKE_METHODS = frozenset({"to", "type_as", "view_as", "expand_as", "reshape_as", "new_tensor"})
NO_GRAD_FUNCTIONS = frozenset({
    "torch.zeros_like", "torch.ones_like", "torch.empty_like", "torch.full_like", "torch.rand_like",
    "torch.randn_like", "torch.randint_like", "torch.argmax", "torch.argmin", "torch.argsort",
    "torch.nonzero", "torch.isnan", "torch.isinf", "torch.isfinite", "torch.eq", "torch.ne",
    "torch.lt", "torch.gt", "torch.le", "torch.ge", "torch.sign", "torch.floor", "torch.ceil",
    "torch.round", "torch.bincount", "torch.count_nonzero", "torch.any", "torch.all",
})

_SCALAR_ANNOTATIONS = frozenset({"builtins.int", "builtins.bool", "builtins.float", "builtins.str"})


def tensor_inputs(context, function: cst.FunctionDef) -> Set[str]:
    """The parameters of a `forward` that may be tensors: not `self`, not annotated `int`/
    `bool`/`float`/`str`, and without a number, bool or string literal default."""
    params = function.params
    found = set()
    positional = [*params.posonly_params, *params.params]
    for param in [*positional[1:], *params.kwonly_params]:
        if param.annotation is not None and \
                context.qualified_name(param.annotation.annotation) in _SCALAR_ANNOTATIONS:
            continue
        default = param.default
        if default is not None and (isinstance(default, (cst.Integer, cst.Float, cst.SimpleString,
                                                         cst.ConcatenatedString, cst.FormattedString))
                                    or isinstance(default, cst.Name) and default.value in ("True", "False")
                                    or isinstance(default, cst.UnaryOperation)):
            continue
        found.add(param.name.value)
    return found


class Derivation:
    """Which expressions of a function carry values computed from some starting names.

    `detach_cleans`: whether `.detach()` / `.data` / no-grad results stop the flow (for
    gradients: yes; for devices: no, a detached tensor is still where it was).
    `source`: an extra test for expressions that start a flow (e.g. `self.fc(x)`, a parameter).
    """

    def __init__(self, context, function, starts: Set[str], detach_cleans: bool,
                 source: Optional[Callable[[cst.BaseExpression], Optional[bool]]] = None):
        self.context = context
        self.detach_cleans = detach_cleans
        self.source = source
        self.names: Set[str] = set(starts)
        assignments = []
        stack = list(function_body(function))
        while stack:
            node = stack.pop()
            if isinstance(node, cst.Assign):
                assignments.append(([_written(t.target) for t in node.targets], node.value))
            elif isinstance(node, (cst.AugAssign, cst.NamedExpr)):
                assignments.append(([_written(node.target)], node.value))
            elif isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) \
                    and isinstance(node.func.value, cst.Name) and _in_place(node.func.attr.value):
                assignments.append(([node.func.value], node))  # `h.copy_(out)`: out's values in h
            elif isinstance(node, cst.AnnAssign) and node.value is not None:
                assignments.append(([node.target], node.value))
            elif isinstance(node, cst.For):
                assignments.append(([node.target], node.iter))
            if not isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
                stack.extend(children(node))
        changed = True
        while changed:
            changed = False
            for targets, value in assignments:
                if not self.carries(value):
                    continue
                for target in targets:
                    for name in _names_bound(target):
                        if name not in self.names:
                            self.names.add(name)
                            changed = True

    def carries(self, expr: Optional[cst.BaseExpression]) -> bool:
        try:
            return self._carries(expr)
        except RecursionError:  # nested thousands deep: say nothing
            return False

    def _carries(self, expr: Optional[cst.BaseExpression]) -> bool:
        if expr is None:
            return False
        if self.source is not None:
            verdict = self.source(expr)
            if verdict is not None:
                return verdict
        if isinstance(expr, cst.Name):
            return expr.value in self.names
        if isinstance(expr, cst.Attribute):
            attr = expr.attr.value
            if attr in METADATA_ATTRIBUTES or (self.detach_cleans and attr == "data"):
                return False
            return self._carries(expr.value)
        if isinstance(expr, cst.Call):
            return self._call(expr)
        if isinstance(expr, cst.BinaryOperation):
            return self._carries(expr.left) or self._carries(expr.right)
        if isinstance(expr, cst.UnaryOperation):
            return not isinstance(expr.operator, cst.Not) and self._carries(expr.expression)
        if isinstance(expr, cst.Subscript):
            return self._carries(expr.value)
        if isinstance(expr, cst.IfExp):
            return self._carries(expr.body) or self._carries(expr.orelse)
        if isinstance(expr, (cst.Tuple, cst.List)):
            return any(self._carries(e.value) for e in expr.elements)
        if isinstance(expr, (cst.StarredElement,)):
            return self._carries(expr.value)
        if isinstance(expr, cst.NamedExpr):
            return self._carries(expr.value)
        return False

    def _call(self, call: cst.Call) -> bool:
        func = call.func
        qualified = self.context.qualified_name(func)
        if qualified in METADATA_FUNCTIONS:
            return False
        if self.detach_cleans and (qualified in NO_GRAD_FUNCTIONS or _fresh_tensor(call, qualified)):
            return False
        if isinstance(func, cst.Attribute):
            method = func.attr.value
            if method in METADATA_METHODS or method.startswith("is_"):
                return False
            if self.detach_cleans and method in NO_GRAD_METHODS:
                return False
            if self.detach_cleans and method in LIKE_METHODS:
                return self._carries(func.value)  # `t.to(x)`, `t.type_as(x)`: only x's dtype and device
            if not self.detach_cleans and method == "cpu":
                return False  # moved to the CPU on purpose: meets CPU tensors fine
            if qualified is None and self._carries(func.value):
                return True
        return any(self._carries(arg.value) for arg in call.args)


def _written(target: cst.BaseExpression) -> cst.BaseExpression:
    """`h[:n] = out` writes into `h`."""
    while isinstance(target, cst.Subscript):
        target = target.value
    return target


def _in_place(method: str) -> bool:
    return method.endswith("_") and not method.startswith("_") and method not in NO_GRAD_METHODS


def _fresh_tensor(call: cst.Call, qualified: Optional[str]) -> bool:
    """`torch.ones(n, self.hidden)`: a new tensor, whatever its sizes are computed from."""
    return qualified is not None and qualified.startswith("torch.") and qualified[6:] in FACTORIES \
        and qualified != "torch.as_tensor" and not any(
            a.keyword is not None and a.keyword.value == "requires_grad" for a in call.args)


def _names_bound(target) -> List[str]:
    if isinstance(target, cst.Name):
        return [target.value]
    if isinstance(target, (cst.Tuple, cst.List)):
        return [n for e in target.elements for n in _names_bound(e.value)]
    if isinstance(target, cst.StarredElement):
        return _names_bound(target.value)
    return []


def first_line_code(context, node: cst.CSTNode, limit: int = 60) -> str:
    """The code of `node` on one line, shortened: `torch.zeros(x.size(0), 4)`."""
    text = " ".join(context.module.code_for_node(node).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def has_child(node: cst.CSTNode, predicate) -> bool:
    stack = [node]
    while stack:
        current = stack.pop()
        if predicate(current):
            return True
        stack.extend(children(current))
    return False
