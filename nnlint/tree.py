"""General helpers over LibCST trees: the walk every rule and fact builder goes through
(`children`, `iter_nodes`), exact-type tests (`concrete_types`), names (`dotted_name`,
`first_param_name`) and the arguments of a call (`keyword`, `positional`); and the one gate in
front of every parse, CPython's own parser with a fixed stack budget (`parse_ast`).

Nothing here knows about torch or about a file: these are facts of the tree alone.
"""

from __future__ import annotations

import ast
import collections.abc
import dataclasses
import sys
import typing
from contextlib import contextmanager
from typing import Callable, Dict, Iterator, List, Optional, Set, Union

import libcst as cst

# CPython's parser refuses trees deeper than the frames allowed above its caller: with 1,000 it
# refuses a few thousand levels, well before LibCST's native parser would overflow the C stack
# (~8,000) and long before our own recursive helpers would.
PARSE_FRAMES = 1_000


def parse_ast(source: Union[str, bytes], path: str) -> ast.Module:
    """`ast.parse` with PARSE_FRAMES frames allowed above the caller, whatever its depth, so
    that "too deep" never depends on where the question comes from (the engine's gate before
    LibCST, the project index reading a sibling); raises what ast.parse raises."""
    with stack_budget(PARSE_FRAMES):
        return ast.parse(source, filename=path)


@contextmanager
def stack_budget(needed: int) -> Iterator[None]:
    """Allow `needed` frames above the caller, whatever its depth."""
    frame, depth = sys._getframe(), 0
    while frame is not None:
        depth += 1
        frame = frame.f_back
    allowed = sys.getrecursionlimit()
    sys.setrecursionlimit(depth + needed)
    try:
        yield
    finally:
        sys.setrecursionlimit(allowed)


def first_param_name(func: cst.FunctionDef) -> Optional[str]:
    """The name of `self` in a method (None for a staticmethod or a function without params)."""
    for decorator in func.decorators:
        if isinstance(decorator.decorator, cst.Name) and decorator.decorator.value == "staticmethod":
            return None
    params = func.params.posonly_params or func.params.params
    return params[0].name.value if params else None


def iter_nodes(root, node_type) -> Iterator:
    """Every node of `node_type` (a type or tuple of types) under `root` (a node or a sequence
    of nodes), in source order."""
    wanted = concrete_types(node_type)
    stack = list(reversed(root)) if isinstance(root, (list, tuple)) else [root]
    while stack:
        node = stack.pop()
        if type(node) in wanted:
            yield node
        stack.extend(reversed(children(node)))


_CONCRETE: Dict[object, frozenset] = {}


def concrete_types(node_type) -> frozenset:
    """The concrete LibCST classes that are `node_type` (exact-type checks are much cheaper
    than isinstance() against LibCST's abstract base classes)."""
    found = _CONCRETE.get(node_type)
    if found is None:
        bases = node_type if isinstance(node_type, tuple) else (node_type,)
        found = frozenset(t for base in bases for t in ({base} | _all_subclasses(base)))
        _CONCRETE[node_type] = found
    return found


_SKIPPED_FIELDS = frozenset({
    "lpar", "rpar", "comma", "semicolon", "leading_lines", "lines_after_decorators", "header",
    "footer", "colon", "equal", "dot", "whitespace", "lbracket", "rbracket", "lbrace", "rbrace",
})


def _all_subclasses(cls) -> Set[type]:
    found = set()
    for sub in cls.__subclasses__():
        found.add(sub)
        found |= _all_subclasses(sub)
    return found


# Tokens and whitespace carry no code a rule looks at: the walk never enters them.
_TOKEN_TYPES = frozenset().union(*(
    _all_subclasses(base) for base in (
        cst.BaseBinaryOp, cst.BaseBooleanOp, cst.BaseCompOp, cst.BaseAugOp, cst.BaseUnaryOp,
        cst.BaseParenthesizableWhitespace,
    )), {cst.Comment, cst.Newline, cst.EmptyLine, cst.TrailingWhitespace, cst.Comma, cst.Dot,
         cst.Colon, cst.Semicolon, cst.AssignEqual, cst.LeftParen, cst.RightParen,
         cst.LeftSquareBracket, cst.RightSquareBracket, cst.LeftCurlyBrace, cst.RightCurlyBrace,
         cst.ParenthesizedWhitespace, cst.SimpleWhitespace})
_NODE_TYPES = frozenset(_all_subclasses(cst.CSTNode)) - _TOKEN_TYPES
_CHILD_GETTERS: Dict[type, Callable] = {}


def children(node: cst.CSTNode) -> list:
    """The child nodes that carry code (not whitespace or punctuation), in field order.

    Every walk in nnlint goes through here, so each node class gets a getter compiled from its
    field annotations (see _compile_getter): several times faster than LibCST's visitor
    machinery, which rebuilds every node it visits, and than a generic loop over the fields.
    """
    getter = _CHILD_GETTERS.get(type(node))
    if getter is None:
        getter = _CHILD_GETTERS[type(node)] = _compile_getter(type(node))
    return getter(node)


def _compile_getter(kind: type) -> Callable:
    """`def get(node): found = []; found += node.args; ...` for `kind`'s code-carrying fields.

    A field annotated as a sequence of code nodes is added whole; one that can only hold tokens,
    whitespace or plain values (str, bool, None) is left out; anything else is checked by type.
    """
    lines = ["def get(node):", "    found = []"]
    for item in dataclasses.fields(kind):
        if item.name in _SKIPPED_FIELDS or item.name.startswith("whitespace"):
            continue
        shape = _field_shape(item.type)
        if shape == "nodes":
            lines.append(f"    found += node.{item.name}")
        elif shape == "node":
            lines += [f"    value = node.{item.name}", "    if type(value) in NODE_TYPES:",
                      "        found.append(value)"]
        elif shape == "any":
            lines += [f"    value = node.{item.name}", "    kind = type(value)",
                      "    if kind in NODE_TYPES:", "        found.append(value)",
                      "    elif kind is tuple or kind is list:",
                      "        found += [v for v in value if type(v) in NODE_TYPES]"]
    lines.append("    return found")
    namespace = {"NODE_TYPES": _NODE_TYPES}
    exec("\n".join(lines), namespace)  # noqa: S102 - code built from LibCST's own field names
    return namespace["get"]


def _field_shape(annotation) -> Optional[str]:
    """"nodes" (a sequence of code nodes), "node" (one code node, or None/a sentinel/a token),
    None (never code) or "any" (unsure: check at run time)."""
    members = typing.get_args(annotation) if typing.get_origin(annotation) is Union else (annotation,)
    singles: Set[type] = set()
    for member in members:
        if typing.get_origin(member) is collections.abc.Sequence:
            if len(members) > 1:
                return "any"
            elements = _member_classes(typing.get_args(member)[0])
            if elements is not None and elements <= _NODE_TYPES:
                return "nodes"
            return "any" if elements is None or elements & _NODE_TYPES else None
        classes = _member_classes(member)
        if classes is None:
            return "any"
        singles |= classes
    return "node" if singles & _NODE_TYPES else None


def _member_classes(annotation) -> Optional[Set[type]]:
    """The concrete classes an annotation admits, or None when it cannot say (a forward ref)."""
    members = typing.get_args(annotation) if typing.get_origin(annotation) is Union else (annotation,)
    found: Set[type] = set()
    for member in members:
        if not isinstance(member, type):
            return None
        found |= {member} | _all_subclasses(member)
    return found


def is_docstring(statement: cst.CSTNode) -> bool:
    """A statement that is a string alone (a module's, class's or function's first: its docstring)."""
    return (isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1
            and isinstance(statement.body[0], cst.Expr)
            and isinstance(statement.body[0].value, (cst.SimpleString, cst.ConcatenatedString)))


def dotted_name(expr: cst.BaseExpression) -> Optional[str]:
    """`a.b.c` for a Name/Attribute chain, else None."""
    if isinstance(expr, cst.Name):
        return expr.value
    if isinstance(expr, cst.Attribute):
        base = dotted_name(expr.value)
        return f"{base}.{expr.attr.value}" if base else None
    return None


# ----- the arguments of a call -------------------------------------------------------------------
def keyword(call: cst.Call, name: str) -> Optional[cst.Arg]:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == name:
            return arg
    return None


def positional(call: cst.Call) -> List[cst.BaseExpression]:
    return [arg.value for arg in call.args if arg.keyword is None and not arg.star]


def has_star_args(call: cst.Call) -> bool:
    return any(arg.star for arg in call.args)


_NUMBER_TYPES = (cst.Integer, cst.Float, cst.Imaginary)


def is_number(expr: cst.BaseExpression) -> bool:
    """A number literal, signed or not: `2`, `-0.5`, `1j`."""
    if isinstance(expr, cst.UnaryOperation) and isinstance(expr.operator, (cst.Minus, cst.Plus)):
        expr = expr.expression
    return isinstance(expr, _NUMBER_TYPES)
