"""The project's class hierarchy across files, best effort.

A class of one file often derives from a class of a sibling module (`from .layers import Mlp`,
`from timm.layers import Mlp`, `from models import Net`). The engine hands FileContext a
resolver from here so that such a class counts as an `nn.Module` when its base is one, and
rules that need more (NN107: does the base chain define `forward`?) can ask `class_facts`.

A name is resolved by finding the file it comes from, near the file that imports it:

- relative imports (`.mod.Class`, `..pkg.mod.Class`) from the importing file's folder;
- absolute imports of the same top-level package, found by walking up the `__init__.py`
  folders, or of a module next to the importing file (a script folder);

then that file is read with the stdlib `ast` (class, base and import facts only: it is ~10x
faster than LibCST), following re-exports (`from .mlp import Mlp` in an `__init__.py`) and star
imports, with a per-process cache and a depth limit. Anything odd resolves to None (unknown);
nothing here raises.
"""

from __future__ import annotations

import ast
import os
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Dict, Iterator, List, Optional, Set, Tuple

from nnlint import torch_api

MAX_DEPTH = 12  # import hops followed for one question
MAX_FILE_BYTES = 4_000_000
# Bases known not to be Modules and to contribute no forward.
PLAIN_BASES = ("builtins.", "typing.", "abc.", "typing_extensions.", "enum.", "collections.")


@dataclass(frozen=True)
class ClassFacts:
    """What the project knows about a class defined in another file."""

    is_module: Optional[bool]  # derives from torch.nn.Module (None: unknown)
    # a `forward` (or `__call__`, or a torch container that needs none) is defined by the class
    # or a base: True; the whole chain is known and none is: False; unknown: None
    forward: Optional[bool]


UNKNOWN = ClassFacts(None, None)


@dataclass
class _ClassDef:
    bases: List[Optional[str]]  # dotted name of each base (None: not a plain name)
    defines_forward: Optional[bool]  # in its own body (None: a decorator or metaclass may add one)


@dataclass
class _FileFacts:
    path: str
    package_dir: str  # the folder relative imports start from
    absolute_name: Optional[str]  # `torch.nn.modules.linear` when the folder chain says so
    classes: Dict[str, _ClassDef] = field(default_factory=dict)
    names: Dict[str, str] = field(default_factory=dict)  # local name -> qualified name
    star_imports: List[str] = field(default_factory=list)


_files: Dict[str, Optional[_FileFacts]] = {}
_class_cache: Dict[Tuple[str, str], ClassFacts] = {}
_class_files: Dict[Tuple[str, str], Set[str]] = {}  # the files each cached answer read
_recording: List[Set[str]] = []  # open dependency records (see record_dependencies)
_in_progress: set = set()


def resolve_external_base(qualified: str, this_path: str) -> Optional[bool]:
    """FileContext's hook: is `qualified` (as spelled in the file at `this_path`) a Module?"""
    return class_facts(qualified, this_path).is_module


def class_facts(qualified: str, this_path: str) -> ClassFacts:
    """Facts about the class named `qualified` in the file at `this_path` (UNKNOWN if unknown)."""
    try:
        return _resolve(qualified, os.path.abspath(this_path), 0)
    except (RecursionError, OSError, ValueError, MemoryError):
        return UNKNOWN


def clear_cache() -> None:
    _files.clear()
    _class_cache.clear()
    _class_files.clear()
    _in_progress.clear()


@contextmanager
def record_dependencies() -> Iterator[Set[str]]:
    """The files consulted inside the block, answers from the per-process cache included
    (the findings cache must know them: a base class edited elsewhere changes the findings)."""
    files: Set[str] = set()
    _recording.append(files)
    try:
        yield files
    finally:
        # by identity: nested records often hold equal sets, and list.remove compares by ==
        for index in range(len(_recording) - 1, -1, -1):
            if _recording[index] is files:
                del _recording[index]
                break


def _note(paths) -> None:
    for record in _recording:
        record.update(paths)


# ----- names -> files ----------------------------------------------------------------------------
def _resolve(qualified: str, from_path: str, depth: int) -> ClassFacts:
    if depth > MAX_DEPTH or not qualified:
        return UNKNOWN
    known = _known_name(qualified)
    if known is not None:
        return known
    dots = len(qualified) - len(qualified.lstrip("."))
    parts = qualified[dots:].split(".") if qualified[dots:] else []
    if not parts or not all(p.isidentifier() for p in parts):
        return UNKNOWN
    if dots:
        start = os.path.dirname(from_path)
        for _ in range(dots - 1):
            start = os.path.dirname(start)
        return _resolve_in_folder(start, parts, depth, relative=True)
    for root in _roots_for(from_path):
        if os.path.isfile(os.path.join(root, parts[0] + ".py")) or \
                os.path.isfile(os.path.join(root, parts[0], "__init__.py")):
            return _resolve_in_folder(root, parts, depth, relative=False)
    return UNKNOWN


def _known_name(qualified: str) -> Optional[ClassFacts]:
    if torch_api.is_module_class(qualified):
        return ClassFacts(True, qualified.rsplit(".", 1)[1] != "Module")
    if qualified.startswith(("tensorflow.", "jax.", "flax.", "mlx.", "keras.")):
        return ClassFacts(False, None)
    if qualified.startswith(PLAIN_BASES) or qualified == "object":
        return ClassFacts(False, False)
    return None  # other torch names too: found in files only when torch itself is the project


def _roots_for(path: str) -> List[str]:
    """Folders an absolute import from `path` may start at: above its top-level package, and
    its own folder (a script's siblings are importable)."""
    folder = os.path.dirname(path)
    roots = []
    top = folder
    while os.path.isfile(os.path.join(top, "__init__.py")):
        parent = os.path.dirname(top)
        if parent == top:
            break
        top = parent
    roots.append(top)
    if folder != top:
        roots.append(folder)
    return roots


def _resolve_in_folder(folder: str, parts: List[str], depth: int, relative: bool) -> ClassFacts:
    """`parts` = module path then a class name, looked up from `folder`."""
    if not relative and not parts:
        return UNKNOWN
    # The longest prefix of parts[:-1] that is a module file; the rest are names in it.
    module_path = None
    split = 0
    for i in range(len(parts) - 1, -1, -1):
        candidate = _module_file(folder, parts[:i])
        if candidate is not None:
            module_path, split = candidate, i
            break
    if module_path is None:
        return UNKNOWN
    return _lookup(module_path, parts[split:], depth + 1)


def _module_file(folder: str, parts: List[str]) -> Optional[str]:
    base = os.path.join(folder, *parts) if parts else folder
    if parts and os.path.isfile(base + ".py"):
        return base + ".py"
    init = os.path.join(base, "__init__.py")
    return init if os.path.isfile(init) else None


def _lookup(module_path: str, names: List[str], depth: int) -> ClassFacts:
    """The class reached by `names` (a name, or a submodule chain then a name) in a module."""
    if depth > MAX_DEPTH or not names:
        return UNKNOWN
    facts = _file_facts(module_path)
    if facts is None:
        return UNKNOWN
    name = names[0]
    if len(names) == 1 and name in facts.classes:
        return _class(facts, name, depth)
    if name in facts.names:
        target = facts.names[name]
        rest = ".".join(names[1:])
        return _resolve(f"{target}.{rest}" if rest else target, facts.path, depth + 1)
    if os.path.basename(module_path) == "__init__.py":  # a submodule of the package
        sub = _module_file(os.path.dirname(module_path), [name])
        if sub is not None and len(names) > 1:
            return _lookup(sub, names[1:], depth + 1)
    if len(names) == 1:
        for star in facts.star_imports:
            found = _resolve(f"{star}.{name}", facts.path, depth + 1)
            if found is not UNKNOWN:
                return found
    return UNKNOWN


# ----- one file's facts ----------------------------------------------------------------------------
def _file_facts(path: str) -> Optional[_FileFacts]:
    _note((path,))
    if path in _files:
        return _files[path]
    _files[path] = None
    try:
        if os.path.getsize(path) > MAX_FILE_BYTES:
            return None
        with open(path, "rb") as handle:
            tree = ast.parse(handle.read(), filename=path)
    except (OSError, SyntaxError, ValueError, RecursionError, MemoryError, UnicodeDecodeError):
        return None
    facts = _FileFacts(path, os.path.dirname(path), _absolute_module_name(path))
    _collect(tree.body, facts)
    _files[path] = facts
    return facts


def _absolute_module_name(path: str) -> Optional[str]:
    folder, name = os.path.split(path)
    parts = [] if name == "__init__.py" else [name[:-3]]
    while os.path.isfile(os.path.join(folder, "__init__.py")):
        folder, package = os.path.split(folder)
        parts.insert(0, package)
        if not package:
            return None
    return ".".join(parts) if parts else None


def _collect(body: List[ast.stmt], facts: _FileFacts) -> None:
    """Module-level imports, classes and `Alias = Name` assignments (also inside if/try)."""
    for stmt in body:
        if isinstance(stmt, ast.Import):
            for alias in stmt.names:
                if alias.asname:
                    facts.names.setdefault(alias.asname, alias.name)
                else:
                    root = alias.name.split(".")[0]
                    facts.names.setdefault(root, root)
        elif isinstance(stmt, ast.ImportFrom):
            base = "." * (stmt.level or 0) + (stmt.module or "")
            sep = "" if base.endswith(".") else "."
            for alias in stmt.names:
                if alias.name == "*":
                    facts.star_imports.append(base)
                else:
                    facts.names.setdefault(alias.asname or alias.name, f"{base}{sep}{alias.name}")
        elif isinstance(stmt, ast.ClassDef):
            # names only: holding the ast nodes would keep every file's tree alive in the cache
            bases = [_dotted(b.value if isinstance(b, ast.Subscript) else b) for b in stmt.bases]
            facts.classes.setdefault(stmt.name, _ClassDef(bases, _defines_forward(stmt)))
        elif isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 \
                and isinstance(stmt.targets[0], ast.Name):
            target = _dotted(stmt.value)
            if target and target != stmt.targets[0].id:
                facts.names.setdefault(stmt.targets[0].id, target)
        elif isinstance(stmt, ast.If):
            _collect(stmt.body, facts)
            _collect(stmt.orelse, facts)
        elif isinstance(stmt, ast.Try) or type(stmt).__name__ == "TryStar":
            _collect(stmt.body, facts)
            for handler in stmt.handlers:
                _collect(handler.body, facts)
            _collect(stmt.orelse, facts)


def _defines_forward(node: ast.ClassDef) -> Optional[bool]:
    if any(kw.arg == "metaclass" for kw in node.keywords) or node.decorator_list:
        return None
    stack = list(node.body)
    while stack:
        stmt = stack.pop()
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and stmt.name in ("forward", "__call__"):
            return True
        targets = stmt.targets if isinstance(stmt, ast.Assign) else \
            [stmt.target] if isinstance(stmt, ast.AnnAssign) and stmt.value is not None else []
        if any(isinstance(t, ast.Name) and t.id in ("forward", "__call__") for t in targets):
            return True
        if isinstance(stmt, (ast.If, ast.Try)):
            stack.extend(stmt.body)
            stack.extend(stmt.orelse)
            stack.extend(s for h in getattr(stmt, "handlers", ()) for s in h.body)
    return False


def _dotted(expr: ast.expr) -> Optional[str]:
    if isinstance(expr, ast.Name):
        return expr.id
    if isinstance(expr, ast.Attribute):
        base = _dotted(expr.value)
        return f"{base}.{expr.attr}" if base else None
    return None


# ----- one class's facts ---------------------------------------------------------------------------
def _class(facts: _FileFacts, name: str, depth: int) -> ClassFacts:
    key = (facts.path, name)
    if key in _class_cache:
        _note(_class_files[key])
        return _class_cache[key]
    if key in _in_progress:
        return UNKNOWN
    if facts.absolute_name:
        absolute = f"{facts.absolute_name}.{name}"
        if torch_api.is_module_class(absolute):  # torch's own sources
            return ClassFacts(True, name != "Module")
    _in_progress.add(key)
    with record_dependencies() as consulted:
        try:
            result = _class_from_bases(facts, facts.classes[name], depth)
        finally:
            _in_progress.discard(key)
    _class_cache[key] = result
    _class_files[key] = consulted | {facts.path}
    return result


def _class_from_bases(facts: _FileFacts, cls: _ClassDef, depth: int) -> ClassFacts:
    module_answers: List[Optional[bool]] = []
    forward_answers: List[Optional[bool]] = [cls.defines_forward]
    for dotted in cls.bases:  # a Generic[T]-style base counts as Generic
        if dotted is None:
            module_answers.append(None)
            forward_answers.append(None)
            continue
        head, _, rest = dotted.partition(".")
        if head in facts.classes and not rest:
            found = _class(facts, head, depth + 1)
        elif head in facts.names:
            target = facts.names[head]
            found = _resolve(f"{target}.{rest}" if rest else target, facts.path, depth + 1)
        elif dotted == "object":
            found = ClassFacts(False, False)
        else:
            found = UNKNOWN
        module_answers.append(found.is_module)
        forward_answers.append(found.forward)
    return ClassFacts(_any(module_answers), _any(forward_answers))


def _any(answers: List[Optional[bool]]) -> Optional[bool]:
    if any(a is True for a in answers):
        return True
    return None if any(a is None for a in answers) else False


# Rules that need more than "is it a Module" find the richer question on the hook itself.
resolve_external_base.class_facts = class_facts  # type: ignore[attr-defined]
