"""CST-building helpers shared by the rules' autofixes."""

from __future__ import annotations

import libcst as cst


def with_keyword(call: cst.Call, keyword: str, value: cst.BaseExpression) -> cst.Call:
    """`call` with `keyword=value` appended, keeping a trailing comma and line layout."""
    args = list(call.args)
    new_arg = cst.Arg(
        keyword=cst.Name(keyword), value=value,
        equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""),
                              whitespace_after=cst.SimpleWhitespace("")),
    )
    if args:
        last = args[-1]
        if isinstance(last.comma, cst.Comma):  # trailing comma: the new arg takes it over
            new_arg = new_arg.with_changes(comma=last.comma)
            separator = args[-2].comma if len(args) > 1 and isinstance(args[-2].comma, cst.Comma) \
                else cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
            args[-1] = last.with_changes(comma=separator)
        else:
            args[-1] = last.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
    return call.with_changes(args=[*args, new_arg])


def call_of(func_source: str, *args: cst.BaseExpression) -> cst.Call:
    """`func_source(arg, ...)`, e.g. call_of("nn.ModuleList", list_node)."""
    return cst.Call(func=cst.parse_expression(func_source), args=[cst.Arg(a) for a in args])
