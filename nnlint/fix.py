"""Apply fixes to a CST and write the result safely.

A fix replaces nodes of the tree the rules saw, by identity. Fixes whose nodes overlap a node
another fix already replaced wait for the next round (the engine re-parses and re-checks).
Nothing is written unless the new text parses, and writes are atomic (temp file + rename).
"""

from __future__ import annotations

import os
import tempfile
from typing import Dict, Optional, Sequence

import libcst as cst

from nnlint.finding import Fix


class _Replacer(cst.CSTTransformer):
    def __init__(self, replacements: Dict[int, cst.CSTNode]):
        super().__init__()
        self.replacements = replacements

    def on_visit(self, node: cst.CSTNode) -> bool:
        # Do not descend into a node that is replaced whole: its inner fixes wait a round.
        return id(node) not in self.replacements

    def on_leave(self, original_node, updated_node):
        return self.replacements.get(id(original_node), updated_node)


def apply_fixes(module: cst.Module, fixes: Sequence[Fix]) -> Optional[str]:
    """The fixed source, or None if the result would not be valid Python."""
    replacements: Dict[int, cst.CSTNode] = {}
    for fix in fixes:
        if any(id(old) in replacements for old, _ in fix.replacements):
            continue
        for old, new in fix.replacements:
            replacements[id(old)] = new
    new_code = module.visit(_Replacer(replacements)).code
    return new_code if is_valid_python(new_code) else None


def is_valid_python(code: str) -> bool:
    try:
        cst.parse_module(code)
        compile(code, "<nnlint-fix>", "exec", dont_inherit=True)
    except (cst.ParserSyntaxError, SyntaxError, ValueError):
        return False
    return True


def write_atomic(path: str, text: str, encoding: str) -> None:
    """Write next to the target, then rename over it, keeping the file's permissions."""
    directory = os.path.dirname(os.path.abspath(path))
    mode = os.stat(path).st_mode & 0o7777
    fd, temp = tempfile.mkstemp(prefix=".nnlint-", suffix=".py", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(text.encode(encoding))
        os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException:
        if os.path.exists(temp):
            os.unlink(temp)
        raise
