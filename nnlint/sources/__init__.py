"""One reader per kind of file: a Python file, a notebook's code cells, a Markdown file's code
blocks -> one Python text for the engine, and a map from that text back to the file.

    read(path, text) -> Document
        .python           the program the engine checks (a notebook's code cells in order)
        .locate(line, column) -> Location(cell, line, column) in the file, None for a line
                          of our own (the separators between cells)
        .rewrite(python)  the file's text with a fixed program put back, or None when the fix
                          cannot be put back exactly (it touched a magic, a separator)
        .problems         the units that are not Python (a cell with a syntax error: NN000),
                          left out of the program so the other cells are still checked

The engine sees only Python; reporters and `--fix` use the map. A Python file is its own
program (the identity map).
"""

from __future__ import annotations

from typing import Dict, List, Optional, Tuple

from nnlint.sources.document import Document, DocumentError, Location, Problem, Unit
from nnlint.sources.markdown import read_markdown
from nnlint.sources.notebook import read_notebook

NOTEBOOK_SUFFIXES = (".ipynb",)
MARKDOWN_SUFFIXES = (".md", ".markdown", ".qmd")


def kind_of(path: str) -> str:
    """Which reader a file gets, by its suffix: "notebook", "markdown" or "python"."""
    lowered = path.lower()
    if lowered.endswith(NOTEBOOK_SUFFIXES):
        return "notebook"
    if lowered.endswith(MARKDOWN_SUFFIXES):
        return "markdown"
    return "python"


def read(path: str, text: str) -> Document:
    """The document of a file's text, by the file's suffix (DocumentError: not what it says)."""
    kind = kind_of(path)
    if kind == "notebook":
        return read_notebook(path, text)
    if kind == "markdown":
        return read_markdown(path, text)
    return Document(path, text)


def cell_sources(path: str, text: str) -> Dict[Optional[int], str]:
    """The text of each cell of a file (None: the whole file), for showing findings' lines."""
    if kind_of(path) != "notebook":
        return {None: text}
    try:
        return read(path, text).sources()
    except DocumentError:
        return {None: text}


def diff_pieces(path: str, before: str, after: str) -> List[Tuple[str, str, str]]:
    """(label, before, after) of each part of a fixed file a diff shows: a notebook's changed
    cells one by one (`nb.ipynb:cell 3`), else the whole file."""
    if kind_of(path) != "notebook":
        return [(path, before, after)]
    try:
        old, new = read(path, before).sources(), read(path, after).sources()
    except DocumentError:
        return [(path, before, after)]
    return [(f"{path}:cell {cell}", old[cell], new.get(cell, ""))
            for cell in old if cell is not None and new.get(cell) != old[cell]]


__all__ = ["Document", "DocumentError", "Location", "Problem", "Unit", "cell_sources", "diff_pieces",
           "kind_of", "read"]
