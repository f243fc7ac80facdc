"""Source positions of a parsed file's nodes, the same as LibCST's PositionProvider gives.

PositionProvider (through MetadataWrapper) rebuilds every node of the tree in a visitor pass
before it generates the code, and counts lines token by token: together about twice the cost
of the parse. Here one code generation pass records, for every node, the indexes of its first
and last tokens; the character offsets and the lines come afterwards from the joined text.
"""

from __future__ import annotations

import bisect
import itertools
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Dict, Iterator, List, Optional, Tuple

import libcst as cst
from libcst._nodes.internal import CodegenState  # the hook LibCST's own position providers use
from libcst.metadata import CodePosition, CodeRange

NEWLINE = re.compile(r"\r\n?|\n")  # what LibCST (and Python) count as a line break


@dataclass
class _TokenSpans(CodegenState):
    """Records node -> (first token index, end token index) while the module generates its code."""

    spans: Dict[int, Tuple[int, int]] = field(default_factory=dict)
    _starts: List[int] = field(default_factory=list)

    def pop_trailing_newline(self) -> None:
        pass  # LibCST's providers count the module's last newline too; the text is not used

    def before_codegen(self, node: cst.CSTNode) -> None:
        self._starts.append(len(self.tokens))

    def after_codegen(self, node: cst.CSTNode) -> None:
        start = self._starts.pop()
        self.spans.setdefault(id(node), (start, len(self.tokens)))  # a syntactic span wins

    @contextmanager
    def record_syntactic_position(self, node: cst.CSTNode, *, start_node: Optional[cst.CSTNode] = None,
                                  end_node: Optional[cst.CSTNode] = None) -> Iterator[None]:
        start = len(self.tokens)
        try:
            yield
        finally:
            end = len(self.tokens)
            if start_node is not None:
                start = self.spans[id(start_node)][0]
            if end_node is not None:
                end = self.spans[id(end_node)][1]
            self.spans[id(node)] = (start, end)


class Positions:
    """`positions[node]`: the node's CodeRange (lines from 1, columns from 0), as PositionProvider."""

    def __init__(self, module: cst.Module):
        state = _TokenSpans(default_indent=module.default_indent, default_newline=module.default_newline)
        module._codegen(state)
        self._spans = state.spans
        self._offsets = [0, *itertools.accumulate(map(len, state.tokens))]  # token index -> char
        # The module's code, except that a file without a final line break gets one here.
        self.code = "".join(state.tokens)
        self._line_starts = [0] + [match.end() for match in NEWLINE.finditer(self.code)]

    def __getitem__(self, node: cst.CSTNode) -> CodeRange:
        start, end = self.offsets(node)
        return CodeRange(self.position_at(start), self.position_at(end))

    def offsets(self, node: cst.CSTNode) -> Tuple[int, int]:
        """The node's span as character offsets into `code` (KeyError for a node not in the tree)."""
        start, end = self._spans[id(node)]
        return self._offsets[start], self._offsets[end]

    def position_at(self, offset: int) -> CodePosition:
        line = bisect.bisect_right(self._line_starts, offset)
        return CodePosition(line, offset - self._line_starts[line - 1])
