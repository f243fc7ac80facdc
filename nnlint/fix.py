"""Fixes: from the rules' tree rewrites to text edits, and edits applied to a file.

A rule states its fix on the syntax tree it saw: a TreeFix replaces nodes (by identity) and may
need names imported. The engine turns each TreeFix into a Fix of text edits (`to_fix`): the
innermost statement around a replaced node is generated before and after the replacement, in
place (with its indentation), and the edit is the stretch where the two differ. A name to import
is added to the file's `from module import ...` line, or gets a line of its own after the
file's imports (our own placement, much like LibCST's AddImportsVisitor, which costs scope
analysis of the whole file).

`--fix` applies the edits of many fixes at once (`apply_fixes`): a fix whose edits overlap
edits already taken waits for the next round (the engine re-parses and re-checks), an edit
identical to one taken is applied once, and a result that does not parse is never kept.
Writes are atomic (temp file + rename).
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import libcst as cst

from nnlint.finding import Applicability, Edit, Fix
from nnlint.positions import NEWLINE, Positions, _TokenSpans
from nnlint.tree import children, dotted_name, is_docstring

Import = Tuple[str, str]  # ("torch.nn", "ModuleList"): `from torch.nn import ModuleList`


@dataclass(frozen=True)
class TreeFix:
    """Replace each `old` node (of the file's tree, by identity) with its `new` one, and import
    `imports`; all or nothing. `applicability` is the rule's judgement of how safe it is (see
    Applicability), `description` what it does ("wrap in nn.ModuleList")."""

    replacements: Tuple[Tuple[cst.CSTNode, cst.CSTNode], ...]
    description: str
    applicability: Applicability
    imports: Tuple[Import, ...] = ()

    @classmethod
    def replace(cls, old: cst.CSTNode, new: cst.CSTNode, description: str,
                applicability: Applicability, imports: Iterable[Import] = ()) -> "TreeFix":
        return cls(((old, new),), description, applicability, tuple(imports))


# ----- tree -> edits ----------------------------------------------------------------------------

_Span = Tuple[int, int, str]  # start and end offsets into the text, replacement
_STATEMENTS = (cst.SimpleStatementLine, cst.BaseCompoundStatement)


def to_fix(tree_fix: TreeFix, module: cst.Module, positions: Positions, source: str) -> Optional[Fix]:
    """The TreeFix as text edits on `source`, the text `module` was parsed from (or, where long
    data tables were blanked before the parse, the text before blanking). None when the fix
    cannot be expressed: nothing is offered rather than something wrong."""
    spans: List[_Span] = []
    guarded: List[Tuple[int, int]] = []  # generated stretches that must match `source`
    for old, new in tree_fix.replacements:
        found = _replacement(module, positions, old, new)
        if found is None:
            return None
        spans.append(found[0])
        guarded.append(found[1])
    for wanted in tree_fix.imports:
        found = _import(module, positions, *wanted)
        if found is None:
            return None
        spans.append(found[0])
        guarded.append(found[1])
    spans.sort(key=lambda span: (span[0], span[1]))
    if not spans or any(_overlap(a, b) for a, b in zip(spans, spans[1:])):
        return None
    generated = positions.code  # `source`, plus a final line break where it has none
    if generated.startswith(source) and len(generated) - len(source) <= 2:
        if spans[-1][1] > len(source):
            return None
    else:  # the parse saw blanked tables: keep the fix only where the text is as generated
        text = _Text(source)
        for start, end in guarded:
            if text.slice(positions.position_at(start), positions.position_at(end)) != generated[start:end]:
                return None
    edits = []
    for start, end, content in spans:
        first, last = positions.position_at(start), positions.position_at(end)
        edits.append(Edit(first.line, first.column + 1, last.line, last.column + 1, content))
    return Fix(tree_fix.description, tree_fix.applicability, tuple(edits))


def _replacement(module: cst.Module, positions: Positions, old: cst.CSTNode, new: cst.CSTNode):
    """(the edit, the stretch it was derived from) for one replaced node, both as offsets into
    positions.code; None when the node is not in the tree or the change cannot be placed."""
    path = _path_to(module, old, positions)
    statement = next((node for node in reversed(path or ()) if isinstance(node, _STATEMENTS)), None)
    if statement is None or not isinstance(new, cst.CSTNode):
        return None
    start, _ = positions.offsets(statement)
    indent = positions.code[start - positions.position_at(start).column:start]
    if indent.strip():
        return None
    before, at = _generate(statement, module, indent)
    changed = new if statement is old else statement.visit(_Replacer({id(old): new}))
    if not isinstance(changed, cst.CSTNode):
        return None
    after, _ = _generate(changed, module, indent)
    origin = start - at
    if origin < 0 or positions.code[origin:origin + len(before)] != before:
        return None  # the statement does not generate the text it was parsed from
    return _difference(before, after, origin), (origin, origin + len(before))


def _generate(statement: cst.CSTNode, module: cst.Module, indent: str) -> Tuple[str, int]:
    """The statement's code as it stands in the file (its leading lines, decorators and body
    at the indentation `indent`), and where the statement proper starts in it."""
    state = _TokenSpans(default_indent=module.default_indent, default_newline=module.default_newline)
    if indent:
        state.indent_tokens.append(indent)
    statement._codegen(state)
    first_token = state.spans[id(statement)][0]
    return "".join(state.tokens), sum(map(len, state.tokens[:first_token]))


def _difference(before: str, after: str, origin: int) -> _Span:
    """The one stretch where `after` differs from `before`, as an edit at `origin`. Its ends
    never split a name (`upsample` -> `interpolate` replaces the whole name, not `upsampl`)
    nor a `\\r\\n`, and a new line is inserted as a whole line."""
    limit = min(len(before), len(after))
    prefix = 0
    while prefix < limit and before[prefix] == after[prefix]:
        prefix += 1
    while 0 < prefix and _joined(before[prefix - 1], before[prefix:prefix + 1] + after[prefix:prefix + 1]):
        prefix -= 1
    suffix = 0
    while suffix < limit - prefix and before[-1 - suffix] == after[-1 - suffix]:
        suffix += 1
    while 0 < suffix and _joined(before[len(before) - suffix],
                                 before[len(before) - suffix - 1:][:1] + after[len(after) - suffix - 1:][:1]):
        suffix -= 1
    content, end = after[prefix:len(after) - suffix], len(before) - suffix
    if prefix == end:  # an insertion after indentation: insert whole lines
        while 0 < prefix and before[prefix - 1] in " \t" and content.endswith(before[prefix - 1]):
            content = before[prefix - 1] + content[:-1]
            prefix = end = prefix - 1
    return origin + prefix, origin + end, content


def _joined(kept: str, cut: str) -> bool:
    """Would an edit boundary between the kept character and a changed one (`cut` holds the
    changed characters next to it, before and after the fix) split a name or a `\\r\\n`?"""
    if kept.isalnum() or kept == "_":
        return any(ch.isalnum() or ch == "_" for ch in cut)
    return kept in "\r\n" and any(ch in "\r\n" and ch != kept for ch in cut)


def _path_to(root: cst.CSTNode, target: cst.CSTNode, positions: Positions) -> Optional[List[cst.CSTNode]]:
    """The nodes from `root` down to `target` (by identity), searching only where the spans
    can hold it."""
    try:
        low, high = positions.offsets(target)
    except KeyError:
        return None
    path, pending = [root], [iter(children(root))]
    while pending:
        child = next(pending[-1], None)
        if child is None:
            pending.pop()
            path.pop()
            continue
        if child is target:
            return path + [child]
        try:
            start, end = positions.offsets(child)
        except KeyError:
            continue
        if start <= low and high <= end:
            path.append(child)
            pending.append(iter(children(child)))
    return None


class _Replacer(cst.CSTTransformer):
    def __init__(self, replacements: Dict[int, cst.CSTNode]):
        super().__init__()
        self.replacements = replacements

    def on_visit(self, node: cst.CSTNode) -> bool:
        return id(node) not in self.replacements

    def on_leave(self, original_node, updated_node):
        return self.replacements.get(id(original_node), updated_node)


def _import(module: cst.Module, positions: Positions, from_module: str, name: str):
    """The edit that makes `name` mean `from_module.name`: the name added to the file's
    `from from_module import ...`, else a new line after the file's leading imports (after the
    docstring and `__future__` imports when there are none, else at the top)."""
    for statement in module.body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if (isinstance(small, cst.ImportFrom) and not small.relative and small.module is not None
                    and dotted_name(small.module) == from_module and not isinstance(small.names, cst.ImportStar)):
                names = appended(small.names, cst.ImportAlias(cst.Name(name)))
                return _replacement(module, positions, small, small.with_changes(names=names))
    line = f"from {from_module} import {name}{module.default_newline}"
    anchor = _import_anchor(module)
    if anchor is None:
        if not module.body:
            return None
        start, _ = positions.offsets(module.body[0])
        return (start, start, line), (start, start)
    before, at = _generate(anchor, module, "")
    origin = positions.offsets(anchor)[0] - at
    end = origin + len(before)
    if positions.code[origin:end] != before or end >= len(positions.code):
        return None
    return (end, end, line), (origin, end)


def _import_anchor(module: cst.Module) -> Optional[cst.CSTNode]:
    """The last import line before the first def or class; else the docstring."""
    anchor = None
    for index, statement in enumerate(module.body):
        if isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
            break
        if isinstance(statement, cst.SimpleStatementLine):
            if all(isinstance(small, (cst.Import, cst.ImportFrom)) for small in statement.body):
                anchor = statement
            elif index == 0 and is_docstring(statement):
                anchor = statement
    return anchor


def appended(items: Sequence[cst.CSTNode], item: cst.CSTNode) -> List[cst.CSTNode]:
    """`items` (arguments, import names: nodes with a `comma`) with `item` added at the end, in
    the layout the list already has: a trailing comma stays trailing, and the separator before
    the new item is the one between the previous items (else `, `)."""
    items = list(items)
    if not items:
        return [item]
    last = items[-1]
    if isinstance(last.comma, cst.Comma):  # trailing comma: the new item takes it over
        item = item.with_changes(comma=last.comma)
        separator = items[-2].comma if len(items) > 1 and isinstance(items[-2].comma, cst.Comma) \
            else cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
        items[-1] = last.with_changes(comma=separator)
    else:
        items[-1] = last.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
    return [*items, item]


# ----- edits -> text ---------------------------------------------------------------------------

class _Text:
    """A text with its line starts, to turn 1-based (line, column) pairs into offsets."""

    def __init__(self, text: str):
        self.text = text
        self.line_starts = [0] + [match.end() for match in NEWLINE.finditer(text)]

    def offset(self, line: int, column: int) -> Optional[int]:
        if not 1 <= line <= len(self.line_starts) or column < 1:
            return None
        offset = self.line_starts[line - 1] + column - 1
        line_end = self.line_starts[line] if line < len(self.line_starts) else len(self.text)
        return offset if offset <= line_end else None

    def slice(self, start, end) -> Optional[str]:
        """The text between two 0-based-column positions (CodePosition)."""
        first, last = self.offset(start.line, start.column + 1), self.offset(end.line, end.column + 1)
        return None if first is None or last is None else self.text[first:last]


def _overlap(a: _Span, b: _Span) -> bool:
    """Two stretches that cannot both be replaced (touching ends, and two insertions at one
    point, can)."""
    return a[0] < b[1] and b[0] < a[1]


def apply_edits(text: str, edits: Sequence[Edit]) -> str:
    """`text` with `edits` (non-overlapping, as a Fix holds them) applied."""
    spans = _spans(_Text(text), edits)
    if spans is None:
        raise ValueError("an edit lies outside the text")
    return _splice(text, spans)


def apply_fixes(text: str, fixes: Sequence[Fix]) -> Optional[str]:
    """`text` with as many of `fixes` applied as do not overlap, in order; None if the result
    would not be valid Python."""
    lines = _Text(text)
    taken: List[_Span] = []
    for fix in fixes:
        spans = _spans(lines, fix.edits)
        if spans is None:
            continue
        new = [span for span in spans if span not in taken]
        if not any(_overlap(span, other) for span in new for other in taken):
            taken += new
    new_text = _splice(text, taken)
    return new_text if is_valid_python(new_text) else None


def _spans(text: _Text, edits: Sequence[Edit]) -> Optional[List[_Span]]:
    spans = []
    for edit in edits:
        start, end = text.offset(edit.line, edit.column), text.offset(edit.end_line, edit.end_column)
        if start is None or end is None or end < start:
            return None
        spans.append((start, end, edit.content))
    return spans


def _splice(text: str, spans: List[_Span]) -> str:
    pieces, done = [], 0
    for start, end, content in sorted(spans, key=lambda span: (span[0], span[1])):
        pieces += [text[done:start], content]
        done = end
    pieces.append(text[done:])
    return "".join(pieces)


def is_valid_python(code: str) -> bool:
    try:
        cst.parse_module(code)
        compile(code, "<nnlint-fix>", "exec", dont_inherit=True)
    except (cst.ParserSyntaxError, SyntaxError, ValueError):
        return False
    return True


def write_atomic(path: str, text: str, encoding: str) -> None:
    """Write next to the target, then rename over it, keeping the file's permissions. A
    symlink is written through: its target changes, the link stays a link."""
    target = os.path.realpath(path)
    mode = os.stat(target).st_mode & 0o7777
    fd, temp = tempfile.mkstemp(prefix=".nnlint-", suffix=".py", dir=os.path.dirname(target))
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(text.encode(encoding))
        os.chmod(temp, mode)
        os.replace(temp, target)
    except BaseException:
        if os.path.exists(temp):
            os.unlink(temp)
        raise
