"""When dropout or batch norm is meant to ignore the module's train/eval mode (NN301, NN303, NN304).

- `mentions_training(expr)`: the expression reads a mode flag (`self.training`, `training`).
- `inside_mode_branch(context, node, method)`: `node` runs under an `if`/ternary whose test
  reads the mode (`if self.training or self.mc_dropout:`): the author chose when it runs.
- `kept_on_purpose(context, node)`: dropout that should stay on in eval() mode, said by a
  comment on the call or the line above it (`# always applies dropout`, `# MC dropout`), or in
  a Tacotron-style pre-net (a class named `*Prenet`), which keeps dropout at inference by design.
"""

from __future__ import annotations

import io
import re
import tokenize
from typing import Dict

import libcst as cst

from nnlint.context import FileContext
from nnlint.rules._torch_refs import ancestors
from nnlint.tree import iter_nodes

# A comment that says the dropout stays on outside training.
_ON_PURPOSE = re.compile(
    r"\balways\b|\beven (?:in|at|during|when)\b|\balso (?:in|at|during)\b|"
    r"\b(?:at|during|in) (?:inference|test|eval)|\bmc[ _-]?dropout\b|\bmonte[ -]?carlo\b|"
    r"\bon purpose\b|\bintentional|\bdeliberate|\bby design\b",
    re.IGNORECASE,
)


def mentions_training(expr: cst.CSTNode) -> bool:
    """The expression reads a mode flag: `self.training`, `training`, `is_training`, `train`."""
    for node in iter_nodes(expr, (cst.Name, cst.Attribute)):
        text = node.value if isinstance(node, cst.Name) else node.attr.value
        if "training" in text.lower() or text in ("train", "is_train", "eval", "inference"):
            return True
    return False


def inside_mode_branch(context: FileContext, node: cst.CSTNode, method: cst.FunctionDef) -> bool:
    for above, _child in ancestors(context, node):
        if above is method:
            return False
        if isinstance(above, (cst.If, cst.IfExp)) and mentions_training(above.test):
            return True
    return False


def kept_on_purpose(context: FileContext, node: cst.CSTNode) -> bool:
    info = context.enclosing_class
    if info is not None and "prenet" in info.name.lower():
        return True
    span = context.position(node)
    comments = _comments(context)
    return any(_ON_PURPOSE.search(comments.get(line, ""))
               for line in range(span.start.line - 1, span.end.line + 1))


def _comments(context: FileContext) -> Dict[int, str]:
    """Line -> the text of its comment (read once per file, and only where a rule asks)."""
    return context.derived(_read_comments)


def _read_comments(context: FileContext) -> Dict[int, str]:
    found: Dict[int, str] = {}
    try:
        for token in tokenize.generate_tokens(io.StringIO(context.source).readline):
            if token.type == tokenize.COMMENT:
                found[token.start[0]] = token.string
    except (tokenize.TokenError, SyntaxError):
        pass
    return found
