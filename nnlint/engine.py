"""One file in, findings out: read -> parse once -> FileContext -> all selected rules in one
pass -> findings -> suppressions -> (fixes, re-checked until nothing more changes)."""

from __future__ import annotations

import ast
import io
import functools
import os
import re
import stat
import sys
import tokenize
import traceback
from collections import defaultdict
from dataclasses import dataclass, field, replace
from typing import Dict, List, Optional, Sequence, Tuple, Type

import libcst as cst

from nnlint import workers
from nnlint.config import DEFAULT_MAX_FILE_BYTES
from nnlint.context import FileContext
from nnlint.files import not_regular
from nnlint.finding import Finding
from nnlint.fix import apply_fixes, to_fix
from nnlint.positions import NEWLINE
from nnlint.project import ProjectIndex
from nnlint.rules import all_rules
from nnlint.rules.base import Rule
from nnlint.sources import Document, DocumentError, kind_of, read
from nnlint.sources.fragments import assumed_names, assumed_text, may_assume
from nnlint.tree import children, parse_ast

MAX_FIX_ROUNDS = 10  # nested fixes apply one layer a round, like ruff's fix loop
# LibCST's metadata and our recursive helpers descend once per nesting level: a long chain
# `a + b + ...` of a few thousand terms needs more than Python's default 1000 frames.
RECURSION_LIMIT = 20_000
# Why a file could not be checked: always reported, whatever the selection (rules/nn00*.py).
SYNTAX_ERROR, UNREADABLE, TOO_DEEP, INTERNAL_ERROR = "NN000", "NN001", "NN002", "NN009"


@dataclass
class SourceFile:
    text: str
    encoding: str = "utf-8"


@dataclass
class FileResult:
    path: str
    findings: List[Finding] = field(default_factory=list)
    source: Optional[SourceFile] = None  # as read; None when it could not be read
    fixed_text: Optional[str] = None  # set when --fix/--diff changed something
    module_classes: List[Tuple[str, int, int]] = field(default_factory=list)  # name, first, last line
    found_before_fix: int = 0  # findings in the text as read, before any fix
    dependencies: List[str] = field(default_factory=list)  # other files read to check this one
    errors: List[str] = field(default_factory=list)  # tracebacks of nnlint's failures (NN009s)
    cacheable: bool = True  # False when the outcome depends on the machine (memory, a crash)
    assumed: List[str] = field(default_factory=list)  # names the program uses unbound (sources.fragments)


def read_source(data: bytes) -> SourceFile:
    """Decode a Python file as the interpreter would (PEP 263 cookie, BOM), or raise
    _FileProblem saying why and where."""
    if b"\0" in data[:8192]:
        raise _FileProblem(UNREADABLE, "binary file (contains NUL bytes), not Python source")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError:
        encoding = "utf-8"  # an undecodable first line: let the decode below say where
    try:
        return SourceFile(data.decode(encoding), encoding)  # "utf-8-sig" strips and rewrites a BOM
    except LookupError:
        raise _FileProblem(UNREADABLE, f"unknown encoding {encoding!r} in the coding declaration") from None
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise _FileProblem(UNREADABLE, f"cannot decode as {encoding} at byte {exc.start}: {exc.reason}",
                           line, column) from None


def file_problem(path: str, code: str, message: str, line: int = 1, column: int = 1) -> Finding:
    """A finding of an always-reported code (NN000-NN009): the file could not be checked."""
    rule = all_rules()[code]
    return Finding(path, line, column, line, column, code, rule.name, rule.severity, message)


def parse(text: str, path: str, keep_data: bool = True,
          assume: bool = False) -> Tuple[cst.Module, str, List[str]]:
    """Parse with LibCST, behind CPython's own parser: it words syntax errors best, and it
    refuses too-deep trees with a RecursionError where LibCST's native parser would crash the
    process (a chain of ~8,000 `a + b + ...` terms).

    Without `keep_data`, long literal tables are blanked first (see _blank_data_tables). With
    `assume`, the imports of the conventional names the text uses unbound come first, one line
    each (sources.fragments). Returns the tree, the text parsed and the names assumed."""
    try:
        tree = parse_ast(text, path)
    except SyntaxError as error:
        raise _FileProblem(SYNTAX_ERROR, f"syntax error: {error.msg}", error.lineno or 1,
                           error.offset or 1) from None
    except (RecursionError, MemoryError):  # its parser's stack overflow is a MemoryError
        raise _FileProblem(TOO_DEEP, "too deeply nested to analyse") from None
    except ValueError as error:  # e.g. a NUL byte in the source
        raise _FileProblem(SYNTAX_ERROR, f"syntax error: {error}") from None
    if _has_long_chain(text, tree):
        raise _FileProblem(TOO_DEEP, "too deeply nested to analyse")
    assumed = assumed_names(text, tree) if assume else []
    prefix = assumed_text(assumed)
    if not keep_data and len(text) >= DATA_TABLE_CHARS:
        blanked = _blank_data_tables(text, tree)
        if blanked != text:
            try:
                return cst.parse_module(prefix + blanked), prefix + blanked, assumed
            except (cst.ParserSyntaxError, RecursionError, MemoryError):
                pass  # an odd place for a table: parse the text as it is
    try:
        return cst.parse_module(prefix + text), prefix + text, assumed
    except cst.ParserSyntaxError as exc:  # valid for CPython, not for LibCST (new syntax, or a limit)
        concatenation = _long_concatenation(text)
        if concatenation is not None:
            count, line, column = concatenation
            raise _FileProblem(TOO_DEEP, f"an implicit concatenation of {count:,} string literals is "
                               f"more than LibCST's parser takes ({MAX_CONCATENATION:,})", line, column) from None
        first = str(exc.message).strip().splitlines()[0] if str(exc.message).strip() else "invalid syntax"
        raise _FileProblem(SYNTAX_ERROR, f"cannot parse with LibCST: {first}",
                           max(1, exc.raw_line - len(assumed)), exc.raw_column + 1) from None
    except RecursionError:
        raise _FileProblem(TOO_DEEP, "too deeply nested to analyse") from None


# Chains that CPython's tree holds flat but LibCST's nests one level per link, so the gate's
# recursion limit does not see them: `a and b and ...` and dotted names in imports. LibCST's
# native parser overflows the C stack on a few thousand links (a segfault, not an exception).
MAX_CHAIN = 1_000
_CHAIN_WORDS = re.compile(r"\b(?:and|or)\b")


def _has_long_chain(text: str, tree: ast.Module) -> bool:
    """Is a chain in `tree` longer than MAX_CHAIN? The words and dots are counted in the text
    first: only files with that many are walked."""
    if len(_CHAIN_WORDS.findall(text)) > MAX_CHAIN and any(
            isinstance(node, ast.BoolOp) and len(node.values) > MAX_CHAIN for node in ast.walk(tree)):
        return True
    return text.count(".") > MAX_CHAIN and any(
        name.count(".") > MAX_CHAIN for name in _imported_names(tree))


def _imported_names(tree: ast.Module):
    """The dotted names of the import statements, at any depth (statements only are walked)."""
    stack: List[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            yield node.module or ""
        stack += (child for child in ast.iter_child_nodes(node)
                  if isinstance(child, (ast.stmt, ast.excepthandler, ast.match_case)))


# LibCST's grammar nests one level per literal of an implicit concatenation `"a" "b" ...` and
# refuses more than this many (a ParserSyntaxError at the next one); CPython takes any number.
MAX_CONCATENATION = 3_000


def _long_concatenation(text: str) -> Optional[Tuple[int, int, int]]:
    """The first implicit concatenation of more than MAX_CONCATENATION string literals: how
    many, and where it starts (line, column); None when there is none (or the text does not
    tokenize)."""
    count, start, depth = 0, (1, 0), 0
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            kind = tokenize.tok_name[token.type]
            if kind == "FSTRING_START":  # Python 3.12+: an f-string is many tokens, one literal
                depth += 1
                if depth > 1:
                    continue
            elif depth:
                depth -= kind == "FSTRING_END"
                continue
            if kind in ("STRING", "FSTRING_START"):
                if count == 0:
                    start = token.start
                count += 1
            elif kind not in ("NL", "COMMENT"):
                if count > MAX_CONCATENATION:
                    break
                count = 0
    except (tokenize.TokenError, SyntaxError, ValueError):
        return None
    return (count, start[0], start[1] + 1) if count > MAX_CONCATENATION else None


DATA_TABLE_CHARS = 20_000  # a literal this long is data (a generated table), not code to lint
_NEWLINE_BYTES = re.compile(rb"\r\n?|\n")
_COLLECTIONS = (ast.List, ast.Tuple, ast.Set, ast.Dict)


def _blank_data_tables(text: str, tree: ast.Module) -> str:
    """`text` with each long literal of constants replaced by `(None)`, padded to the same lines
    and end column so every other position stays put. LibCST takes ~1 KB of memory per
    character of such a table (680 MB for torch's 500 KB `sparse/_triton_ops_meta.py`), and no
    rule reads one."""
    data = text.encode()  # ast columns count UTF-8 bytes
    line_bytes = [0] + [m.end() for m in _NEWLINE_BYTES.finditer(data)]
    spans = []
    stack = list(tree.body)
    while stack:
        node = stack.pop()
        if not hasattr(node, "end_lineno"):  # operators, contexts, arguments: never a table
            continue
        start = line_bytes[node.lineno - 1] + node.col_offset
        end = line_bytes[node.end_lineno - 1] + node.end_col_offset
        if end - start < DATA_TABLE_CHARS:  # nor anything inside it
            continue
        if isinstance(node, _COLLECTIONS) and _only_constants(node):
            spans.append((start, end))
        else:
            stack.extend(ast.iter_child_nodes(node))
    if not spans:
        return text
    pieces, done = [], 0
    for start, end in sorted(spans):
        table = data[start:end].decode()
        last_line = NEWLINE.split(table)[-1]
        filler = "\n" * len(NEWLINE.findall(table))
        pieces += [data[done:start].decode(), "(None", filler,
                   " " * (len(last_line) - (1 if filler else 6)), ")"]
        done = end
    pieces.append(data[done:].decode())
    return "".join(pieces)


def _only_constants(node: ast.AST) -> bool:
    stack = [node]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Dict):
            if None in node.keys:  # `**other`
                return False
            stack += node.keys
            stack += node.values
        elif isinstance(node, _COLLECTIONS):
            stack += node.elts
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            stack.append(node.operand)
        elif not isinstance(node, ast.Constant):
            return False
    return True


class _FileProblem(Exception):
    """What keeps a file from being checked, with its code and where."""

    def __init__(self, code: str, message: str, line: int = 1, column: int = 1):
        super().__init__(message)
        self.code, self.message, self.line, self.column = code, message, line, column

    def finding(self, path: str) -> Finding:
        return file_problem(path, self.code, self.message, self.line, self.column)


def _allow_deep_trees() -> None:
    if sys.getrecursionlimit() < RECURSION_LIMIT:
        sys.setrecursionlimit(RECURSION_LIMIT)


def check_source(text: str, path: str, rules: Sequence[Type[Rule]], fix: bool = False,
                 project: Optional[ProjectIndex] = None, collect_classes: bool = False,
                 unsafe_fixes: bool = False, max_bytes: int = 0) -> FileResult:
    """Lint one file's text, read by the reader its suffix picks (a notebook's code cells, a
    Markdown file's code blocks: nnlint.sources). With `fix`, apply the rules' safe fixes (and
    unsafe ones too with `unsafe_fixes`) until none is left.

    `project` answers questions about the other files (None: this text alone);
    `collect_classes` also lists the file's Module classes with their lines (for `verify`);
    a notebook's or Markdown file's program larger than `max_bytes` (0: no limit) is not
    checked (NN001), as a Python file that large is not read.
    A rule that raises costs only its own findings: an NN009 says where it failed, the
    traceback goes to `errors`, and the other rules' findings stay.
    """
    try:
        document = read(path, text)
    except DocumentError as problem:
        return FileResult(path, [file_problem(path, SYNTAX_ERROR, problem.message, problem.line, problem.column)])
    size = len(document.python.encode("utf-8")) if max_bytes and document.kind != "python" else 0
    if size > max_bytes:
        return FileResult(path, [file_problem(path, UNREADABLE, too_large(size, max_bytes))])
    result = _check_program(document, path, rules, fix, project, collect_classes, unsafe_fixes)
    return _placed(document, result)


def _check_program(document: Document, path: str, rules: Sequence[Type[Rule]], fix: bool,
                   project: Optional[ProjectIndex], collect_classes: bool, unsafe_fixes: bool) -> FileResult:
    """The findings of the document's program (positions in the program), and its fixed text.

    The imports assumed for a fragment (sources.fragments) come first in the text parsed; the
    findings and fixes are moved up past their lines, and fixes applied to that text must
    leave them as they were."""
    _allow_deep_trees()
    result = FileResult(path)
    text = current = document.python
    for _ in range(MAX_FIX_ROUNDS):
        try:
            module, parsed, assumed = parse(current, path, keep_data=fix, assume=True)
        except _FileProblem as problem:
            result.findings = [problem.finding(path)]
            return result
        prefix = assumed_text(assumed)
        context = FileContext(path, parsed, module, project)
        findings, result.errors = _run_rules(context, rules, prefix + current)
        result.findings = _after_prefix(findings, len(assumed))
        if current is text:
            result.found_before_fix = len(result.findings)
            result.assumed = assumed
        if collect_classes and current is text:
            result.module_classes = [
                (info.name, context.position(info.node).start.line - len(assumed),
                 context.position(info.node).end.line - len(assumed))
                for info in context.module_classes
            ]
        fixes = [f.fix for f in findings if f.fixable(unsafe_fixes)]
        if not fix or not fixes:
            break
        fixed = apply_fixes(prefix + current, fixes)
        if fixed is None or not fixed.startswith(prefix):
            break
        fixed = fixed[len(prefix):]
        if fixed == current or document.rewrite(fixed) is None:
            break  # nothing changed, or a change that cannot be put back into the file
        current = fixed
    if current != text:
        result.fixed_text = current
    return result


def _after_prefix(findings: List[Finding], lines: int) -> List[Finding]:
    """The findings below the first `lines` lines, moved up by as many; a fix that edits those
    lines is dropped."""
    if not lines:
        return findings
    moved = []
    for finding in findings:
        if finding.line <= lines:
            if finding.code == INTERNAL_ERROR:  # a rule that failed before it reached a node
                moved.append(replace(finding, line=1, column=1, end_line=1, end_column=1, fix=None))
            continue
        fix = finding.fix
        if fix is not None:
            edits = tuple(replace(e, line=e.line - lines, end_line=e.end_line - lines) for e in fix.edits)
            fix = replace(fix, edits=edits) if all(e.line >= 1 for e in edits) else None
        moved.append(replace(finding, line=finding.line - lines, end_line=finding.end_line - lines, fix=fix))
    return moved


def _placed(document: Document, result: FileResult) -> FileResult:
    """The result in the file's own terms: findings (and their fixes' edits) at their cell and
    line in the file, the units that were left out as findings, the fixed program put back
    into the file."""
    if document.kind == "python":
        return result
    findings = [placed for placed in map(lambda f: _place(document, f), result.findings) if placed]
    for problem in document.problems:
        finding = file_problem(result.path, problem.code, problem.message)
        findings.append(_at(document, finding, problem.location, problem.location))
    result.findings = sorted(findings, key=lambda f: f.sort_key)
    if result.fixed_text is not None:
        fixed = document.rewrite(result.fixed_text)
        result.fixed_text = fixed if fixed != document.text else None
    if result.module_classes:
        result.module_classes = []  # a notebook's classes are not built by verify (yet)
    return result


def _place(document: Document, finding: Finding) -> Optional[Finding]:
    start = document.locate(finding.line, finding.column)
    if start is None:
        return None  # on a line of our own (a separator between cells)
    end = document.locate(finding.end_line, finding.end_column)
    placed = _at(document, finding, start, end if end is not None and end.cell == start.cell else start)
    if finding.fix is not None:
        edits = [document.place_edit(edit) for edit in finding.fix.edits]
        placed = replace(placed, fix=replace(finding.fix, edits=tuple(edits)) if all(edits) else None)
    return placed


def _at(document: Document, finding: Finding, start, end) -> Finding:
    file_line = file_column = None
    if start.cell is not None:
        file_line, file_column = document.file_position(start) or (None, None)
    return replace(finding, cell=start.cell, line=start.line, column=start.column, end_line=end.line,
                   end_column=end.column, file_line=file_line, file_column=file_column)


def _run_rules(context: FileContext, rule_classes: Sequence[Type[Rule]],
               text: str) -> Tuple[List[Finding], List[str]]:
    """The findings of `rule_classes` in the file, each fix turned into edits on `text`, and
    the tracebacks of the rules that raised (each of those has an NN009 among the findings
    instead of its own)."""
    calls = _Calls()
    rules = []
    for cls in rule_classes:
        try:
            rules.append(calls.add(cls(context)))
        except (RecursionError, MemoryError):
            raise  # the file's problem, not the rule's
        except Exception as exc:
            calls.failed(cls, None, exc)
    if calls.visitors or calls.leavers:
        _walk(context, context.module, calls)

    suppressions = None
    findings = []
    for rule in rules:
        if type(rule) in calls.failures:
            continue
        found = []
        try:
            for report in rule.reports:
                span = context.position(report.node)
                if suppressions is None:
                    suppressions = Suppressions(context.source)
                if suppressions.hides(rule.code, span.start.line):
                    continue
                found.append(Finding(
                    path=context.path, line=span.start.line, column=span.start.column + 1,
                    end_line=span.end.line, end_column=span.end.column + 1, code=rule.code,
                    name=rule.name, severity=rule.severity, message=report.message,
                    suggestion=rule.suggestion,
                    fix=to_fix(report.fix, context.module, context.positions, text) if report.fix else None,
                ))
        except (RecursionError, MemoryError):
            raise
        except Exception as exc:
            calls.failed(type(rule), report.node, exc)
            continue
        findings += found
    errors = []
    for cls, (node, exc, trace) in calls.failures.items():
        line = column = 1
        if node is not None:
            try:
                start = context.position(node).start
                line, column = start.line, start.column + 1
            except Exception:  # noqa: BLE001  (a node the positions do not know: say line 1)
                pass
        message = f"nnlint's {cls.code} check failed here (please report it): {type(exc).__name__}: {exc}"
        findings.append(file_problem(context.path, INTERNAL_ERROR, message, line, column))
        errors.append(f"{context.path}:{line}:{column}: {cls.code} raised\n{trace}")
    findings.sort(key=lambda f: f.sort_key)
    return findings, errors


class _Calls:
    """The rules' visit_X and leave_X methods by node class name X. A rule that raises is taken
    out of the walk (`failed`), and the others go on."""

    def __init__(self):
        self.visitors: Dict[str, list] = defaultdict(list)
        self.leavers: Dict[str, list] = defaultdict(list)
        self.failures: Dict[Type[Rule], Tuple[Optional[cst.CSTNode], Exception, str]] = {}

    def add(self, rule: Rule) -> Rule:
        for attr in dir(type(rule)):
            if attr.startswith("visit_"):
                self.visitors[attr[6:]].append(getattr(rule, attr))
            elif attr.startswith("leave_"):
                self.leavers[attr[6:]].append(getattr(rule, attr))
        return rule

    def run(self, methods: list, node: cst.CSTNode) -> None:
        """Call each of `methods` (visit_X or leave_X) on `node`; one that raises is taken out."""
        for method in methods:
            try:
                method(node)
            except (RecursionError, MemoryError):
                raise  # the file's problem, not the rule's
            except Exception as exc:
                self.failed(type(method.__self__), node, exc)

    def failed(self, rule_class: Type[Rule], node: Optional[cst.CSTNode], exc: Exception) -> None:
        self.failures.setdefault(rule_class, (node, exc, traceback.format_exc()))
        for table in (self.visitors, self.leavers):
            for name, methods in table.items():
                table[name] = [m for m in methods if type(m.__self__) is not rule_class]


_LEAVE = object()  # on the walk's stack: "the node below me is done"


def _walk(context: FileContext, root: cst.CSTNode, calls: _Calls) -> None:
    """Depth-first over the tree, calling each rule's visit_X before and leave_X after X's
    children, and recording each function's nodes for FileContext.nodes_in."""
    visitors, leavers = calls.visitors, calls.leavers
    scope = context.scope
    open_functions: list = []
    stack: list = [root]
    while stack:
        node = stack.pop()
        if node is _LEAVE:
            node = stack.pop()
            kind = type(node)
            if kind is cst.FunctionDef:
                open_functions.pop()
                context.walked_functions.add(node)
            methods = leavers.get(kind.__name__)
            if methods:
                calls.run(methods, node)
            if kind is cst.ClassDef or kind is cst.FunctionDef:
                scope.pop()
            continue
        for recorded in open_functions:
            recorded.append(node)
        kind = type(node)
        name = kind.__name__
        if kind is cst.ClassDef or kind is cst.FunctionDef:
            scope.append(node)
            if kind is cst.FunctionDef:
                open_functions.append(context.function_nodes.setdefault(node, []))
            stack += (node, _LEAVE)
        elif name in leavers:
            stack += (node, _LEAVE)
        methods = visitors.get(name)
        if methods:
            calls.run(methods, node)
        below = children(node)
        below.reverse()
        stack += below


_SUPPRESSION = re.compile(
    r"#\s*(?:(?P<noqa>noqa)(?::\s*(?P<noqa_codes>[A-Z]+[0-9]+(?:[\s,]+[A-Z]+[0-9]+)*))?"
    r"|nnlint:\s*(?P<kind>disable-file|disable)\s*=\s*(?P<codes>[A-Za-z0-9]+(?:\s*,\s*[A-Za-z0-9]+)*))",
    re.IGNORECASE,
)

_SUPPRESSION_WORD = re.compile(r"noqa|nnlint", re.IGNORECASE)  # in every comment _SUPPRESSION reads


class Suppressions:
    """`# noqa`, `# noqa: NN101`, `# nnlint: disable=NN101` (the line) and
    `# nnlint: disable-file=NN105` (the file), read from real comments only."""

    def __init__(self, source: str):
        self.by_line: Dict[int, Optional[set]] = {}  # line -> codes (None: every code)
        self.file_codes: set = set()
        if not _SUPPRESSION_WORD.search(source):
            return  # no comment can hide anything: the text need not be tokenized
        try:
            tokens = [t for t in tokenize.generate_tokens(io.StringIO(source).readline)
                      if t.type == tokenize.COMMENT]
        except (tokenize.TokenError, SyntaxError, IndentationError):
            tokens = []
        for token in tokens:
            for match in _SUPPRESSION.finditer(token.string):
                line = token.start[0]
                if match.group("noqa"):
                    codes = match.group("noqa_codes")
                    if codes is None:
                        self.by_line[line] = None
                    else:
                        self._add(line, re.split(r"[\s,]+", codes.strip()))
                elif match.group("kind").lower() == "disable-file":
                    self.file_codes.update(c.strip().upper() for c in match.group("codes").split(","))
                else:
                    self._add(line, match.group("codes").split(","))

    def _add(self, line: int, codes) -> None:
        if line in self.by_line and self.by_line[line] is None:
            return
        self.by_line.setdefault(line, set()).update(c.strip().upper() for c in codes if c.strip())

    def hides(self, code: str, line: int) -> bool:
        if any(code.startswith(c) for c in self.file_codes) or "ALL" in self.file_codes:
            return True
        if line not in self.by_line:
            return False
        codes = self.by_line[line]
        return codes is None or "ALL" in codes or any(code.startswith(c) for c in codes)


def check_file(path: str, rules: Sequence[Type[Rule]], fix: bool = False,
               collect_classes: bool = False, project: Optional[ProjectIndex] = None,
               unsafe_fixes: bool = False, max_bytes: int = DEFAULT_MAX_FILE_BYTES) -> FileResult:
    """Read, decode and lint one file; a file that cannot be read, or is larger than
    `max_bytes` (0: no limit), is an NN001 finding.

    Names imported from other files of the project are resolved through `project` (pass the
    run's index when checking many files: it remembers what it read; None: a fresh one).
    """
    if project is None:
        project = ProjectIndex()
    try:
        data = read_file(path, file_limit(path, max_bytes))
    except _FileProblem as problem:
        return FileResult(path, [problem.finding(path)])
    with project.record_dependencies() as consulted:
        result = check_bytes(data, path, rules, fix=fix, collect_classes=collect_classes,
                             project=project, unsafe_fixes=unsafe_fixes, max_bytes=max_bytes)
    result.dependencies = sorted(consulted - {os.path.abspath(path)})
    return result


def read_file(path: str, max_bytes: int = 0) -> bytes:
    """A regular file's bytes, or a _FileProblem saying why not. A FIFO or a device in the
    file's place is refused before a read that might never end; so is a file larger than
    `max_bytes` (0: no limit), before it is read."""
    try:
        # O_NONBLOCK: opening a FIFO does not wait for a writer (regular files ignore it)
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise _FileProblem(UNREADABLE, f"cannot read file: {exc.strerror}") from None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise _FileProblem(UNREADABLE, f"cannot read file: {not_regular(info.st_mode)}")
        if max_bytes and info.st_size > max_bytes:
            raise _FileProblem(UNREADABLE, too_large(info.st_size, max_bytes))
        try:
            return handle.read()
        except OSError as exc:
            raise _FileProblem(UNREADABLE, f"cannot read file: {exc.strerror}") from None


def file_limit(path: str, max_bytes: int) -> int:
    """The size limit of a file as read: a notebook's or Markdown file's limit applies to its
    program (check_source), not to the outputs, images and prose around it."""
    return max_bytes if kind_of(path) == "python" else 0


def too_large(size: int, max_bytes: int) -> str:
    shown = _megabytes(size)
    if float(shown) <= max_bytes / 1e6:  # rounded down to the limit: show the bytes that pass it
        shown = f"{size / 1e6:.6f}".rstrip("0")
    return f"file too large to analyse ({shown} MB > {max_bytes / 1e6:g} MB limit, see max-file-size)"


def _megabytes(size: int) -> str:
    return f"{size / 1e6:.1f}" if size >= 100_000 else f"{size / 1e6:.2g}"


def check_bytes(data: bytes, path: str, rules: Sequence[Type[Rule]], fix: bool = False,
                collect_classes: bool = False, project: Optional[ProjectIndex] = None,
                unsafe_fixes: bool = False, max_bytes: int = DEFAULT_MAX_FILE_BYTES) -> FileResult:
    """Decode and lint one file's bytes (a file's, or stdin's). Whatever goes wrong becomes a
    finding of an always-reported code, never an exception: one file never stops the others."""
    if file_limit(path, max_bytes) and len(data) > max_bytes:
        return FileResult(path, [file_problem(path, UNREADABLE, too_large(len(data), max_bytes))])
    try:
        source = read_source(data)
    except _FileProblem as problem:
        return FileResult(path, [problem.finding(path)])
    result = check_text(source.text, path, rules, fix=fix, collect_classes=collect_classes,
                        project=project, unsafe_fixes=unsafe_fixes, max_bytes=max_bytes, size=len(data))
    result.source = source
    return result


def check_text(text: str, path: str, rules: Sequence[Type[Rule]], fix: bool = False,
               collect_classes: bool = False, project: Optional[ProjectIndex] = None,
               unsafe_fixes: bool = False, max_bytes: int = 0,
               size: Optional[int] = None) -> FileResult:
    """check_source, where whatever goes wrong becomes a finding of an always-reported code,
    never an exception (`size`: the file's bytes, for the out-of-memory message)."""
    try:
        if not collect_classes and kind_of(path) == "python" and not may_have_findings(text, rules):
            return FileResult(path, _syntax_check(text, path))
        return check_source(text, path, rules, fix=fix, collect_classes=collect_classes,
                            project=project, unsafe_fixes=unsafe_fixes, max_bytes=max_bytes)
    except RecursionError:
        return FileResult(path, [file_problem(path, TOO_DEEP, "too deeply nested to analyse")])
    except MemoryError:  # the parse gate has ruled out nesting too deep for CPython's parser
        size = len(text.encode("utf-8", "surrogatepass")) if size is None else size
        message = f"ran out of memory analysing this file ({_megabytes(size)} MB)"
        return FileResult(path, [file_problem(path, INTERNAL_ERROR, message)], cacheable=False)
    except Exception as exc:  # a bug of ours
        message = f"nnlint failed on this file (please report it): {type(exc).__name__}: {exc}"
        return FileResult(path, [file_problem(path, INTERNAL_ERROR, message)],
                          errors=[f"{path}: nnlint failed\n{traceback.format_exc()}"])


# a class with a base other than object: the base may be a Module imported from another file
_SUBCLASS = re.compile(r"^[ \t]*class[ \t]+\w+[ \t]*\([ \t]*(?!object[ \t]*\))[A-Za-z_]", re.M)


def may_have_findings(text: str, rules: Sequence[Type[Rule]]) -> bool:
    """The cheap test before the parse: does the text contain a trigger of a selected rule?
    An imported base class counts too (from a sibling file, by a relative or an absolute
    import, it may be a Module), and so does a conventional name used unbound (`nn.Linear` in
    a snippet: sources.fragments)."""
    return (any(t in text for rule in rules for t in rule.triggers)
            or ("import" in text and _SUBCLASS.search(text) is not None) or may_assume(text))


def _syntax_check(text: str, path: str) -> List[Finding]:
    """NN000 for a file the rules need not see: CPython's own parser is ~10x faster."""
    try:
        parse_ast(text, path)
    except SyntaxError as error:
        return [file_problem(path, SYNTAX_ERROR, f"syntax error: {error.msg}", error.lineno or 1,
                             error.offset or 1)]
    except (ValueError, RecursionError, MemoryError):
        pass
    return []


def check_files(files: Sequence[str], settings, fix: bool = False, jobs: int = 0,
                cache=None, project: Optional[ProjectIndex] = None,
                unsafe_fixes: bool = False) -> List[FileResult]:
    """Lint many files in worker processes (see _run_pool).

    With a FindingsCache (never when fixing), unchanged files are answered from it.
    `project` is the run's ProjectIndex (default: a new one; each pool worker gets its own).
    Results come back in the order of `files`.
    """
    if project is None:
        project = ProjectIndex(settings)
    results: List[Optional[FileResult]] = [None] * len(files)
    keys: Dict[int, str] = {}
    if cache is not None and not fix:
        from nnlint.cache import content_hash

        for index, path in enumerate(files):
            own = settings.for_path(path)
            try:
                data = read_file(path, file_limit(path, own.max_file_size))
            except _FileProblem:
                continue  # the check says why
            keys[index] = cache.key(content_hash(data), [r.code for r in own.rules_for(path)], own.torch_version)
            findings = cache.lookup(path, keys[index])
            if findings is not None:
                results[index] = FileResult(path, findings)
                if findings:  # the full text output shows their source lines
                    try:
                        results[index].source = read_source(data)
                    except _FileProblem:
                        pass
    todo = [index for index, result in enumerate(results) if result is None]
    work = [(files[i], settings.for_path(files[i]), fix, unsafe_fixes) for i in todo]
    for index, result in zip(todo, _run_pool(work, jobs, project)):
        results[index] = result
        if index in keys and result.cacheable:
            cache.store(result.path, keys[index], result.findings, result.dependencies)
    if cache is not None:
        cache.save()
    return results


def _run_pool(work: list, jobs: int, project: ProjectIndex) -> List[FileResult]:
    """`-j 1` checks in this process (for a debugger or a profiler); otherwise in workers
    (nnlint.workers: one that dies costs its file an NN009, not the run), the largest files
    first so that no big file starts last. Each worker has its own copy of `project`."""
    if jobs == 1:
        return [_check_one(item, project) for item in work]
    largest_first = sorted(range(len(work)), key=lambda index: -_size(work[index][0]))
    return workers.run_all(functools.partial(_check_one, project=project), work,
                           jobs or workers.default_jobs(), _failed, largest_first)


def _size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def _check_one(item, project: Optional[ProjectIndex]) -> FileResult:
    path, settings, fix, unsafe_fixes = item
    result = check_file(path, settings.rules_for(path), fix=fix, project=project,
                        unsafe_fixes=unsafe_fixes, max_bytes=settings.max_file_size)
    if not result.findings and result.fixed_text is None:
        result.source = None  # only shown or rewritten files need their text in the parent
    return result


def _failed(item, what: str) -> FileResult:
    """A file whose worker died (or raised): an NN009 that says so; not cached, as the next
    run may well succeed."""
    path = item[0]
    problem = file_problem(path, INTERNAL_ERROR, f"nnlint could not check this file: {what}")
    return FileResult(path, [problem], cacheable=False)
