"""Jupyter notebooks (.ipynb, nbformat 4): the code cells, in order, are one program.

Cells are numbered as they stand in the notebook, from 1, every cell counted (Markdown and raw
cells too, as editors number them); a finding's line and column are in its cell. A notebook
whose kernel is not Python (`metadata.kernelspec.language`, `metadata.language_info.name`) has
no program. A fix rewrites only the `source` of the cells it changed, in the notebook's own
JSON layout (a list of lines or one string, the same indentation and separators); every other
byte of the file stays as it was.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

from nnlint.positions import NEWLINE
from nnlint.sources.document import Document, DocumentError, Location, Unit, UnitDocument
from nnlint.sources.ipython import python_cell

_WHITESPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


@dataclass
class _Source:
    """Where a code cell's `source` value is in the file: its span, and the span of each of
    its strings (one for a string value, one per line for a list)."""

    start: int
    end: int
    strings: List[Tuple[int, int]]
    is_list: bool


class NotebookDocument(UnitDocument):
    kind = "notebook"

    def __init__(self, path: str, text: str, units: List[Unit], cell_texts: Dict[int, str]):
        super().__init__(path, text, units)
        self.cell_texts = cell_texts
        self._sources: Optional[Dict[int, _Source]] = None

    def sources(self) -> Dict[Optional[int], str]:
        return dict(self.cell_texts)

    def source_spans(self) -> Dict[int, _Source]:
        if self._sources is None:
            self._sources = _locate_sources(self.text)
        return self._sources

    def file_position(self, location: Location) -> Optional[Tuple[int, int]]:
        """The line and column in the notebook's JSON text of a cell's line and column: of the
        character inside the JSON string that holds it."""
        source = self.source_spans().get(location.cell)
        if source is None:
            return None
        cell = self.cell_texts.get(location.cell, "")
        starts = [0] + [match.end() for match in NEWLINE.finditer(cell)]
        if location.line > len(starts):
            return None
        index = starts[location.line - 1] + location.column - 1
        for start, end in source.strings:  # the string that holds the character
            length = len(_DECODER.decode(self.text[start:end])) if source.is_list else len(cell)
            if index < length or (start, end) == source.strings[-1]:
                break
            index -= length
        else:
            return None
        offset = _raw_offset(self.text, start, index)
        line = self.text.count("\n", 0, offset) + 1
        return line, offset - (self.text.rfind("\n", 0, offset) + 1) + 1

    def put_back(self, changed: List[Tuple[Unit, List[str]]]) -> Optional[str]:
        spans = self.source_spans()
        edits = []
        for unit, lines in changed:
            source = spans.get(unit.cell)
            if source is None:
                return None
            old = self.cell_texts[unit.cell]
            newline = "\r\n" if "\r\n" in old else "\n"
            new = newline.join(lines)
            if old.endswith(("\n", "\r")):
                new += newline
            edits.append((source.start, source.end, self._format(source, new)))
        pieces, done = [], 0
        for start, end, value in sorted(edits):
            pieces += [self.text[done:start], value]
            done = end
        pieces.append(self.text[done:])
        fixed = "".join(pieces)
        try:
            json.loads(fixed)
        except ValueError:
            return None
        return fixed

    def _format(self, source: _Source, new: str) -> str:
        """The new `source` value in the layout of the old one."""
        ascii_only = "\\u" in self.text and self.text.isascii()
        if not source.is_list:
            return json.dumps(new, ensure_ascii=ascii_only)
        items = [json.dumps(line, ensure_ascii=ascii_only) for line in new.splitlines(keepends=True)]
        strings = source.strings
        if not strings:
            return "[" + ", ".join(items) + "]"
        opening = self.text[source.start + 1:strings[0][0]]
        closing = self.text[strings[-1][1]:source.end - 1]
        separator = self.text[strings[0][1]:strings[1][0]] if len(strings) > 1 else "," + opening
        return "[" + opening + separator.join(items) + closing + "]" if items else "[]"


def read_notebook(path: str, text: str) -> Document:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise DocumentError(f"not a notebook: invalid JSON ({error.msg})", error.lineno, error.colno) from None
    except RecursionError:
        raise DocumentError("not a notebook: JSON nested too deeply") from None
    if not isinstance(data, dict) or "nbformat" not in data:
        raise DocumentError("not a notebook: no `nbformat` in the JSON")
    if data["nbformat"] != 4:
        raise DocumentError(f"nbformat {data['nbformat']!r} notebooks are not supported, only nbformat 4 "
                            "(convert with `jupyter nbconvert --to notebook --nbformat 4`)")
    cells = data.get("cells")
    if not isinstance(cells, list):
        raise DocumentError("not an nbformat 4 notebook: `cells` is not a list")
    if not _is_python(data.get("metadata")):
        return NotebookDocument(path, text, [], {})
    units, texts = [], {}
    for number, cell in enumerate(cells, start=1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        if isinstance(source, list) and all(isinstance(line, str) for line in source):
            source = "".join(source)
        if not isinstance(source, str):
            raise DocumentError(f"not an nbformat 4 notebook: the source of cell {number} is not text")
        texts[number] = source
        lines = NEWLINE.split(source)
        ends_with_break = lines[-1] == ""
        if ends_with_break:
            lines.pop()
        python = python_cell(lines)
        if python is not None and any(line.strip() for line in python):
            units.append(Unit(number, 1, lines, python, [0] * len(lines), ends_with_break=ends_with_break))
    return NotebookDocument(path, text, units, texts)


def _is_python(metadata) -> bool:
    """A notebook is Python unless its metadata names another language."""
    if not isinstance(metadata, dict):
        return True
    for table, key in (("kernelspec", "language"), ("language_info", "name")):
        value = metadata.get(table, {}).get(key) if isinstance(metadata.get(table), dict) else None
        if isinstance(value, str) and value:
            return value.lower() in ("python", "python3", "ipython", "ipython3")
    return True


# ----- where the code cells' sources are in the JSON text --------------------------------------
def _locate_sources(text: str) -> Dict[int, _Source]:
    """The span of each code cell's `source` in the notebook's JSON text (already known to be
    valid JSON), by cell number. Everything else is skipped with the json module's scanner."""
    found: Dict[int, _Source] = {}
    try:
        position = _skip(text, 0) + 1  # past "{"
        position = _skip(text, position)
        while text[position] != "}":
            key, position = _key(text, position)
            if key == "cells" and text[position] == "[":
                found.clear()  # a repeated key: json.loads keeps the last
                position = _cells(text, position, found)
            else:
                position = _DECODER.raw_decode(text, position)[1]
            position = _next(text, position)
    except (IndexError, ValueError):
        return {}
    return found


def _cells(text: str, position: int, found: Dict[int, _Source]) -> int:
    position = _skip(text, position + 1)
    number = 0
    while text[position] != "]":
        number += 1
        if text[position] == "{":
            position = _cell(text, position, number, found)
        else:
            position = _DECODER.raw_decode(text, position)[1]
        position = _next(text, position)
    return position + 1


def _cell(text: str, position: int, number: int, found: Dict[int, _Source]) -> int:
    position = _skip(text, position + 1)
    while text[position] != "}":
        key, position = _key(text, position)
        start = position
        if key == "source" and text[position] == "[":
            strings = []
            position = _skip(text, position + 1)
            while text[position] != "]":
                end = _DECODER.raw_decode(text, position)[1]
                strings.append((position, end))
                position = _next(text, end)
            position += 1
            found[number] = _Source(start, position, strings, True)
        else:
            position = _DECODER.raw_decode(text, position)[1]
            if key == "source":
                found[number] = _Source(start, position, [(start, position)], False)
        position = _next(text, position)
    return position + 1


def _key(text: str, position: int) -> Tuple[str, int]:
    """A member's key, and where its value starts."""
    key, position = _DECODER.raw_decode(text, position)
    position = _skip(text, position)  # at ":"
    return key, _skip(text, position + 1)


def _skip(text: str, position: int) -> int:
    return _WHITESPACE.match(text, position).end()


def _next(text: str, position: int) -> int:
    """Past the whitespace and the comma after a value."""
    position = _skip(text, position)
    if text[position] == ",":
        position = _skip(text, position + 1)
    return position


def _raw_offset(text: str, literal: int, index: int) -> int:
    """The offset in `text` of the `index`-th character of the JSON string literal starting at
    `literal` (its opening quote); past its end, the closing quote."""
    position = literal + 1
    while index > 0 and text[position] != '"':
        if text[position] == "\\":
            if text[position + 1] == "u" and 0xD800 <= int(text[position + 2:position + 6], 16) < 0xDC00 \
                    and text[position + 6:position + 8] == "\\u":
                position += 12  # a surrogate pair: one character
            else:
                position += 6 if text[position + 1] == "u" else 2
        else:
            position += 1
        index -= 1
    return position
