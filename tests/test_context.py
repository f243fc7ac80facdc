"""What every rule relies on, for every kind of syntax LibCST knows: `children()` yields exactly
the code-carrying child nodes, in field order, and `Positions` agrees with LibCST's
PositionProvider on every node."""

import libcst as cst

from nnlint.tree import _NODE_TYPES, children

EVERY_SYNTAX = '''
from __future__ import annotations
import os.path as osp, sys
from . import sibling
from ..pkg import (a as b, c)
from m import *
x: int = 1
y = z = [1, *rest]
w += 2; del w
t = (1,) + (lambda p, /, q=1, *r, s, **k: p)(1)
d = {"k": v for k, v in items if k} | {**other, 1: 2}
s = {e async for e in g()}
u = f"{x!r:>{width}} {y=}" "tail" + b"raw" + rb"\\d"
v = a[1:2:3, ...] if not x else -y ** ~z
n = (m := 3) and x is not y or x not in y
gen = (i for i in range(3) for j in range(i))

@decorator(arg)
class C(Base, metaclass=Meta):
    """doc"""
    attr: list[int]

    async def method(self, *args: int, key: str = "", **kwargs) -> None:
        global g
        nonlocal_free = 1
        async with ctx() as (a, b), other:
            async for i in stream:
                await i
        with open(p) as f:
            pass
        try:
            raise ValueError("x") from None
        except* (TypeError, KeyError) as e:
            return
        else:
            pass
        finally:
            yield
        while True:
            break
        else:
            continue
        for i, j in pairs:
            assert i, "msg"
        match command:
            case [1, *others] if others:
                pass
            case {"k": value, **rest}:
                pass
            case Point(x=0, y=_) | None as p:
                pass
        yield from other()
        print(*args, **kwargs)

def outer():
    x = 0
    def inner():
        nonlocal x
        return x
    return inner
'''


def _expected(node):
    """LibCST's own list of children (in source order), less tokens and whitespace."""
    return [child for child in node.children if type(child) in _NODE_TYPES]


def _in_field_order(node):
    found = []
    for name in node.__dataclass_fields__:
        value = getattr(node, name)
        for item in value if isinstance(value, (list, tuple)) else [value]:
            if type(item) in _NODE_TYPES:
                found.append(item)
    return found


def test_children_matches_libcst_for_every_node_kind():
    module = cst.parse_module(EVERY_SYNTAX)
    seen = set()
    stack = [module]
    while stack:
        node = stack.pop()
        seen.add(type(node))
        found = [id(c) for c in children(node)]
        assert sorted(found) == sorted(id(c) for c in _expected(node)), type(node).__name__
        assert found == [id(c) for c in _in_field_order(node)], type(node).__name__
        stack.extend(_expected(node))
    assert {cst.MatchClass, cst.MatchMapping, cst.FormattedStringExpression, cst.NamedExpr,
            cst.Lambda, cst.ImportStar, cst.Await, cst.ExceptStarHandler, cst.Nonlocal} <= seen


def test_positions_match_libcst_position_provider():
    from libcst.metadata import MetadataWrapper, PositionProvider

    from nnlint.positions import Positions

    for source in (EVERY_SYNTAX, EVERY_SYNTAX.replace("\n", "\r\n"), "x = 1", "\n\n# only a comment\n"):
        module = cst.parse_module(source)
        expected = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
        positions = Positions(module)
        assert len(expected) > 1
        for node, span in expected.items():
            assert positions[node] == span, type(node).__name__
