"""Markdown tutorials (.md, .markdown, .qmd): the Python code blocks, in order, are one program,
like a notebook's cells; findings are at the Markdown file's own lines and columns.

A code block is a fenced one (``` or ~~~, CommonMark) whose language is Python: `python`, `py`,
`python3`, `ipython`, `ipython3`, `pycon`, MyST/jupytext's `{code-cell} ipython3`, Quarto's and
R Markdown's `{python}`. A fence indented (inside a list item) has that indentation cut from its
lines. In a block that is a console session (its first line starts with `>>>`) the code is what
follows the `>>>` and `...` prompts, and the output lines are left out. MyST's options at the top
of a `{code-cell}` (`:tags: [...]`, or a `---` block) are not code. `--fix` rewrites lines inside
the fences only, and never a console session.
"""

from __future__ import annotations

import re
from typing import List, Optional, Tuple

from nnlint.positions import NEWLINE
from nnlint.sources.document import Document, Unit, UnitDocument
from nnlint.sources.ipython import python_cell

PYTHON_LANGUAGES = frozenset({"python", "py", "python3", "ipython", "ipython3", "pycon"})
_FENCE = re.compile(r"(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>.*?)[ \t]*$")
_MYST_OPTION = re.compile(r"\s*:[\w-]+:")
_PROMPT = re.compile(r">>>(?: |$)|\.\.\.(?: |$)")


class MarkdownDocument(UnitDocument):
    kind = "markdown"

    def put_back(self, changed: List[Tuple[Unit, List[str]]]) -> Optional[str]:
        lines = _lines_with_breaks(self.text)
        newline = next((brk for _, brk in lines if brk), "\n")
        for unit, new in sorted(changed, key=lambda pair: -pair[0].first_line):
            first = unit.first_line - 1
            lines[first:first + len(unit.original)] = [(line, newline) for line in new]
        return "".join(line + brk for line, brk in lines)


def read_markdown(path: str, text: str) -> Document:
    lines = NEWLINE.split(text)
    units: List[Unit] = []
    number = 0
    while number < len(lines):
        opening = _FENCE.fullmatch(lines[number])
        if opening is None or (opening["fence"][0] == "`" and "`" in opening["info"]):
            number += 1
            continue
        end = number + 1
        while end < len(lines) and not _closes(lines[end], opening["fence"]):
            end += 1
        language, code_cell = _language(opening["info"])
        if language in PYTHON_LANGUAGES and end > number + 1:
            units.append(_unit(lines[number + 1:end], number + 2, opening["indent"], code_cell))
        number = end + 1
    return MarkdownDocument(path, text, units)


def _closes(line: str, fence: str) -> bool:
    stripped = line.strip()
    return len(stripped) >= len(fence) and stripped == fence[0] * len(stripped)


def _language(info: str) -> Tuple[str, bool]:
    """The block's language (lower case), and whether it is a MyST `{code-cell}`."""
    words = info.split()
    if not words:
        return "", False
    if words[0] == "{code-cell}":
        return (words[1].lower() if len(words) > 1 else "python"), True
    if words[0].startswith("{"):  # {python}, {.python}, {python echo=FALSE}, {python, echo=FALSE}
        return words[0].strip("{}.,").lower(), False
    return words[0].lower(), False


def _unit(content: List[str], first_line: int, indent: str, code_cell: bool) -> Unit:
    cuts = [min(len(indent), len(line) - len(line.lstrip(" \t"))) for line in content]
    code = [line[cut:] for line, cut in zip(content, cuts)]
    options = _options(code) if code_cell else 0
    code[:options] = [""] * options
    prefix: Optional[str] = indent
    first = next((line for line in code if line.strip()), "")
    if first.startswith(">>>"):  # a console session: the code after the prompts
        prefix = None
        for index, line in enumerate(code):
            prompt = _PROMPT.match(line)
            cuts[index] += prompt.end() if prompt else 0
            code[index] = line[prompt.end():] if prompt else ""
        python = code
    else:
        python = code[:options] + (python_cell(code[options:]) or [""] * (len(code) - options))
    return Unit(None, first_line, content, python, cuts, prefix)


def _options(code: List[str]) -> int:
    """How many lines at the top of a {code-cell} are its options, not code."""
    if code and code[0].strip() == "---":
        for index in range(1, len(code)):
            if code[index].strip() == "---":
                return index + 1
        return 0
    count = 0
    while count < len(code) and _MYST_OPTION.match(code[count]):
        count += 1
    return count


def _lines_with_breaks(text: str) -> List[Tuple[str, str]]:
    pieces = NEWLINE.split(text)
    breaks = NEWLINE.findall(text) + [""]
    return list(zip(pieces, breaks))
