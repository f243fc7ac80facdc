"""CST-building helpers shared by the rules' autofixes."""

from __future__ import annotations

import libcst as cst

from nnlint.fix import appended


def with_keyword(call: cst.Call, keyword: str, value: cst.BaseExpression) -> cst.Call:
    """`call` with `keyword=value` appended, keeping a trailing comma and line layout."""
    new_arg = cst.Arg(
        keyword=cst.Name(keyword), value=value,
        equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""),
                              whitespace_after=cst.SimpleWhitespace("")),
    )
    return call.with_changes(args=appended(call.args, new_arg))


def call_of(func_source: str, *args: cst.BaseExpression) -> cst.Call:
    """`func_source(arg, ...)`, e.g. call_of("nn.ModuleList", list_node)."""
    return cst.Call(func=cst.parse_expression(func_source), args=[cst.Arg(a) for a in args])
