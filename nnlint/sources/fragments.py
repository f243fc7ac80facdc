"""Fragments: code that uses PyTorch's conventional names without importing them (a cell whose
imports are in another notebook, a snippet pasted into a question) is checked as if the
conventional import were there.

Only a name that the program uses and binds nowhere is assumed: an import of it, an assignment,
a parameter, a `def`/`class`, a `global` or any other binding, anywhere in the program (every
cell of a notebook, every block of a Markdown file), means the name is the program's own. A
star import of anything but torch may bind any name, so it turns the assumption off. The engine
puts the assumed imports before the program, one line each, moves every finding and fix back up
past them, and drops whatever it would report on them (engine.parse, engine._after_prefix).
"""

from __future__ import annotations

import ast
import re
from typing import Iterable, List, Optional, Set

# name -> the import assumed for it (README: "Fragments")
ASSUMED_IMPORTS = {
    "torch": "import torch",
    "nn": "import torch.nn as nn",
    "F": "import torch.nn.functional as F",
    "optim": "import torch.optim as optim",
    "init": "import torch.nn.init as init",
    "Variable": "from torch.autograd import Variable",
    "Dataset": "from torch.utils.data import Dataset",
    "DataLoader": "from torch.utils.data import DataLoader",
}
# One pass over the text: docstrings and comments are passed over (group 1), an import line is
# read (groups 2 and 3: the `from` module, the names), and the conventional names are found as
# words (group 4; _used_not_imported keeps the uses: a module before an attribute, a class).
_SCAN = re.compile(r'("""[\s\S]*?"""|' r"'''[\s\S]*?'''|#[^\n]*)"
                   r"|^[ \t]*(?:from[ \t]+([\w.]+)[ \t]+)?import[ \t]+([^#\n;]+)"
                   r"|\b(torch|nn|F|optim|init|Variable|Dataset|DataLoader)\b", re.MULTILINE)
_MODULES = frozenset({"torch", "nn", "F", "optim", "init"})
_ATTRIBUTE = re.compile(r"[ \t]*\.[ \t]*[A-Za-z_]")


def assumed_names(text: str, tree: Optional[ast.Module]) -> List[str]:
    """The conventional names `text` uses and binds nowhere, in ASSUMED_IMPORTS's order.

    `tree` is the text's `ast` (the engine's parse gate made it). A look at the text's import
    lines settles most files without walking it."""
    used = _used_not_imported(text)
    if not used or tree is None:
        return []
    bound_names, loaded, star = _names(tree)
    if star:
        return []
    return [name for name in ASSUMED_IMPORTS if name in used and name in loaded and name not in bound_names]


def may_assume(text: str) -> bool:
    """Whether `text` may use a conventional name unbound: the cheap test before the parse."""
    return bool(_used_not_imported(text))


def _used_not_imported(text: str) -> Set[str]:
    """The conventional names the text seems to use (outside import lines) that no import line
    of it binds; a parenthesised or star import is left to the walk of the tree."""
    used: Set[str] = set()
    bound: Set[str] = set()
    for match in _SCAN.finditer(text):
        name = match.group(4)
        if name is not None:
            start = match.start()
            if name not in used and (start == 0 or text[start - 1] != ".") and (
                    name not in _MODULES or _ATTRIBUTE.match(text, match.end())):
                used.add(name)
        elif match.group(3) is not None:
            bound |= _imported_names(match.group(2), match.group(3)) or set()
    return used - bound


def assumed_text(names: Iterable[str]) -> str:
    """The import lines the engine appends for `names`."""
    return "".join(ASSUMED_IMPORTS[name] + "\n" for name in names)


def _imported_names(module: Optional[str], names: str) -> Optional[Set[str]]:
    """The names one import line binds; None when the line alone cannot say (`(` or `*`)."""
    if "(" in names or "*" in names or names.rstrip().endswith("\\"):
        return None
    bound = set()
    for part in names.split(","):
        words = part.split()
        if not words:
            continue
        if len(words) == 3 and words[1] == "as":
            bound.add(words[2])
        elif module is None:
            bound.add(words[0].split(".")[0])
        else:
            bound.add(words[0])
    return bound


def _names(tree: ast.Module):
    """(names bound anywhere, names read anywhere, whether a star import of anything but torch
    may bind more)."""
    bound: Set[str] = set()
    loaded: Set[str] = set()
    star = False
    for node in ast.walk(tree):
        kind = type(node)
        if kind is ast.Name:
            (loaded if type(node.ctx) is ast.Load else bound).add(node.id)
        elif kind in (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef):
            bound.add(node.name)
        elif kind is ast.arg:
            bound.add(node.arg)
        elif kind in (ast.Import, ast.ImportFrom):
            for alias in node.names:
                if alias.name == "*":
                    module = node.module or ""
                    star = star or not (module == "torch" or module.startswith("torch.")) or bool(node.level)
                else:
                    bound.add(alias.asname or alias.name.split(".")[0])
        elif kind in (ast.Global, ast.Nonlocal):
            bound.update(node.names)
        elif kind is ast.ExceptHandler and node.name:
            bound.add(node.name)
        elif kind in (ast.MatchAs, ast.MatchStar) and node.name:
            bound.add(node.name)
        elif kind is ast.MatchMapping and node.rest:
            bound.add(node.rest)
    return bound, loaded, star
