"""The project index: what checking one file may know about the other files of its project.

A class of one file often derives from a class of a sibling module (`from .layers import Mlp`,
`from timm.layers import Mlp`, `from models import Net`), and a rule may want to know whether a
class built in the file (`ProjectDropout(p)`) is a Module, or which torch versions the project
supports. A `ProjectIndex` answers those questions. It is owned by whoever runs the checks: the
CLI makes one per process (the parent's, and one in each pool worker), the pytest plugin and
`verify` one per run, the language server one per session (feeding it the open buffers with
`set_source`, and calling `refresh()` before each check so that an edited sibling is re-read).

A name is resolved by finding the file it comes from, near the file that imports it:

- relative imports (`.mod.Class`, `..pkg.mod.Class`) from the importing file's folder;
- absolute imports, from the folder above the file's top-level package (walking up the
  `__init__.py` folders), then the file's own folder (a script's siblings are importable),
  then the project root (the nearest folder above with a `pyproject.toml`, `setup.py`,
  `setup.cfg` or `.git`) and its `src/`; folders without `__init__.py` are namespace packages;

then that file is read with the stdlib `ast` (class, base and import facts only: ~10x faster
than LibCST), following re-exports (`from .mlp import Mlp` in an `__init__.py`) and star
imports. Anything odd resolves to UNKNOWN; nothing here raises.

Every cached answer is a function of the files alone, never of the order of the questions:

- a name lookup starts afresh at each question (its own hop budget and cycle check), so
  its answer can be kept;
- class facts are computed over the graph of classes and their bases by strongly connected
  components: a class's answer combines its own facts and its bases' final answers, and a
  cycle (possible only through our reading of the code: shadowed names, try/except
  alternatives) gives all its classes one answer, its members' facts plus "unknown";
- a file is parsed with the same stack budget wherever the question comes from.

Each answer remembers the files it consulted, those it looked for in vain included (a module
created there would change it), and `record_dependencies()` collects them for the findings
cache, answers from the index's memory included.
"""

from __future__ import annotations

import ast
import os
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Dict, FrozenSet, Iterator, List, Optional, Set, Tuple, Union

from nnlint import torch_api
from nnlint.requirements import INSTALLED, TorchRange, declared_torch_range, parse_torch_range
from nnlint.tree import PARSE_FRAMES, parse_ast, stack_budget

MAX_HOPS = 100  # import hops one name lookup may follow (re-exports, star imports)
MAX_FILE_BYTES = 4_000_000
# Bases known not to be Modules and to contribute no forward.
PLAIN_BASES = ("builtins.", "typing.", "abc.", "typing_extensions.", "enum.", "collections.")
PROJECT_MARKERS = ("pyproject.toml", "setup.py", "setup.cfg", ".git")
# Overrides through which a model moves tensors it does not own (`m.stride = fn(m.stride)` in
# its `_apply`, for its detection head), and how many files of a folder are read to find them.
MOVERS = frozenset({"_apply", "to", "cuda"})
MAX_FOLDER_FILES = 200


@dataclass(frozen=True)
class ClassFacts:
    """What the project knows about a class defined in another file."""

    is_module: Optional[bool]  # derives from torch.nn.Module (None: unknown)
    # a `forward` (or `__call__`, or a torch container that needs none) is defined by the class
    # or a base: True; the whole chain is known and none is: False; unknown: None
    forward: Optional[bool]
    # what the class's own `forward` returns when every return is that activation's output:
    # "softmax", "log_softmax" or "sigmoid" (the loss rules read it); None otherwise
    output: Optional[str] = None
    # torch's own class, when the name leads to one (`torch.nn.CrossEntropyLoss`,
    # `torch.optim.Adam`): a factory of another file that returns one (see _FileFacts.built)
    torch_name: Optional[str] = None


UNKNOWN = ClassFacts(None, None)
ClassRef = Tuple[str, str]  # (absolute path of the file, class name)
Target = Union[ClassRef, ClassFacts]  # where a name leads: a class of a file, or a known answer


@dataclass
class _ClassDef:
    bases: List[Optional[str]]  # dotted name of each base (None: not a plain name)
    defines_forward: Optional[bool]  # in its own body (None: a decorator or metaclass may add one)
    output: Optional[str] = None  # see ClassFacts.output


@dataclass
class _FileFacts:
    path: str
    absolute_name: Optional[str]  # `torch.nn.modules.linear` when the folder chain says so
    classes: Dict[str, _ClassDef] = field(default_factory=dict)
    names: Dict[str, str] = field(default_factory=dict)  # imported name -> qualified name
    aliases: Dict[str, str] = field(default_factory=dict)  # `Alias = a.b`: alias -> `a.b`, as spelled
    star_imports: List[str] = field(default_factory=list)
    # a factory: module-level function -> the class every `return` builds, as spelled in the
    # file (`def build_model(): return Net()`, `m = Net(); return m.to(device)`); looking the
    # function up leads to that class, so calling it gives what calling the class gives
    built: Dict[str, str] = field(default_factory=dict)
    # attributes a `_apply`/`to`/`cuda` override of a class sets on another object (MOVERS)
    moved: Set[str] = field(default_factory=set)


@dataclass(frozen=True)
class _Answer:
    facts: ClassFacts
    deps: FrozenSet[str]  # the files read to reach it


@dataclass
class _Node:
    """One class while its component is computed: its own facts, bases found in files."""

    module: List[Optional[bool]]
    forward: List[Optional[bool]]
    deps: Set[str]
    bases: List[ClassRef]
    output: Optional[str] = None


class _Search:
    """One name lookup: its hop budget, the lookups open on its path, the files it read."""

    def __init__(self):
        self.hops = MAX_HOPS
        self.open: Set[Tuple[str, Tuple[str, ...]]] = set()
        self.deps: Set[str] = set()


class ProjectIndex:
    """Cross-file facts for one run (or one editor session). See the module's docstring.

    `settings` (a config.Settings) gives the `torch-version` override; without it the index
    only infers from the project's metadata.
    """

    def __init__(self, settings=None):
        self.settings = settings
        self._buffers: Dict[str, str] = {}  # open editor buffers: path -> text, over the disk
        self._files: Dict[str, Tuple[object, Optional[_FileFacts]]] = {}  # path -> (stamp, facts)
        self._located: Dict[tuple, Tuple[Target, FrozenSet[str]]] = {}
        self._classes: Dict[ClassRef, _Answer] = {}
        # module file probes: (folder, parts) -> (the file, the paths looked for and missing)
        self._modules: Dict[Tuple[str, Tuple[str, ...]], Tuple[Optional[str], Tuple[str, ...]]] = {}
        self._roots: Dict[str, Tuple[str, ...]] = {}  # folder -> where absolute imports start
        self._torch: Dict[str, Tuple[Optional[TorchRange], FrozenSet[str]]] = {}  # folder -> range
        self._moved: Dict[str, Tuple[FrozenSet[str], FrozenSet[str]]] = {}  # folder -> (moved, files)
        self._recording: List[Set[str]] = []

    # ----- questions -------------------------------------------------------------------------
    def is_module(self, qualified: str, from_path: str) -> Optional[bool]:
        """Is `qualified` (as spelled in the file at `from_path`) an nn.Module class?"""
        return self.class_facts(qualified, from_path).is_module

    def class_facts(self, qualified: str, from_path: str) -> ClassFacts:
        """Facts about the class named `qualified` in the file at `from_path` (UNKNOWN if unknown)."""
        known = _known_name(qualified)
        if known is not None:
            return known
        return self._answer(self._locate, qualified, os.path.abspath(from_path))

    def class_facts_in_file(self, name: str, path: str) -> ClassFacts:
        """Facts about the class a name of the file at `path` means through the file's own
        aliases and star imports (`from .layers import *` then `class Net(Block)`)."""
        if not name or not all(p.isidentifier() for p in name.split(".")):
            return UNKNOWN
        return self._answer(self._locate_in_file, os.path.abspath(path), name)

    def _answer(self, locate, *where: str) -> ClassFacts:
        """The facts of what `locate(*where)` finds, its files noted as dependencies."""
        try:
            with stack_budget(4 * MAX_HOPS + PARSE_FRAMES):
                target, deps = locate(*where)
                self._note(deps)
                if isinstance(target, ClassFacts):
                    return target
                answer = self._class(target)
                self._note(answer.deps)
                return answer.facts
        except (RecursionError, OSError, ValueError, MemoryError):
            return UNKNOWN

    def torch_range(self, path: str) -> Optional[TorchRange]:
        """The torch versions the file's project supports: `[tool.nnlint] torch-version`, else
        what its metadata declares (see nnlint.requirements; not with --isolated), else None."""
        settings = self.settings.for_path(path) if self.settings is not None else None
        override = getattr(settings, "torch_version", None)
        if override:
            return parse_torch_range(override, "[tool.nnlint] torch-version")
        if getattr(settings, "isolated", False):
            return None
        folder = os.path.dirname(os.path.abspath(path))
        found = self._torch.get(folder)
        if found is None:
            found = self._torch[folder] = declared_torch_range(folder, self._read_text)
        self._note(found[1])
        return found[0]

    def moved_by_owners(self, path: str) -> FrozenSet[str]:
        """Attributes that a class of a file in the same folder as `path`, or the folder above,
        sets on another object in its `_apply`/`to`/`cuda` override: an owning model moving its
        head's tensors (`m.stride = fn(m.stride)`), wherever the head is defined."""
        folder = os.path.dirname(os.path.abspath(path))
        found = self._moved.get(folder)
        if found is None:
            moved: Set[str] = set()
            deps: Set[str] = set()
            for where in dict.fromkeys((folder, os.path.dirname(folder))):
                deps.add(where)  # a folder's stamp changes when a file is added or removed
                try:
                    names = sorted(n for n in os.listdir(where) if n.endswith(".py"))[:MAX_FOLDER_FILES]
                except OSError:
                    continue
                for name in names:
                    facts = self._file(os.path.join(where, name), deps)
                    if facts is not None:
                        moved |= facts.moved
            found = self._moved[folder] = (frozenset(moved), frozenset(deps))
        self._note(found[1])
        return found[0]

    # ----- edits (the language server) ------------------------------------------------------------
    def set_source(self, path: str, text: Optional[str]) -> None:
        """Read `path` from `text` (an open editor buffer) instead of the disk; None: the disk again."""
        path = os.path.abspath(path)
        if text is None:
            self._buffers.pop(path, None)
        else:
            self._buffers[path] = text
        self.invalidate(path)

    def invalidate(self, path: str) -> None:
        """Forget what was read from `path` and every answer derived from the files (cheap to
        recompute: the facts of the other files are kept)."""
        self._files.pop(os.path.abspath(path), None)
        self._forget_answers()

    def _forget_answers(self) -> None:
        self._located.clear()
        self._classes.clear()
        self._modules.clear()
        self._roots.clear()
        self._torch.clear()
        self._moved.clear()

    def refresh(self) -> None:
        """Re-read every file whose size or mtime changed since it was read (and forget
        answers about files created or deleted since)."""
        changed = [path for path, (stamp, _) in self._files.items()
                   if path not in self._buffers and stamp != _stamp(path)]
        for path in changed:
            self._files.pop(path, None)
        self._forget_answers()

    # ----- dependencies (the findings cache) --------------------------------------------------------
    @contextmanager
    def record_dependencies(self) -> Iterator[Set[str]]:
        """The files consulted inside the block, answers from the index's memory included (the
        findings cache must know them: a base class edited elsewhere changes the findings)."""
        files: Set[str] = set()
        self._recording.append(files)
        try:
            yield files
        finally:
            # by identity: nested records often hold equal sets, and list.remove compares by ==
            for index in range(len(self._recording) - 1, -1, -1):
                if self._recording[index] is files:
                    del self._recording[index]
                    break

    def _note(self, paths) -> None:
        for record in self._recording:
            record.update(paths)

    def __getstate__(self):  # a pool worker starts with the settings and an empty memory
        return {"settings": self.settings}

    def __setstate__(self, state):
        self.__init__(state["settings"])

    # ----- names -> classes ------------------------------------------------------------------------
    def _locate(self, qualified: str, from_path: str) -> Tuple[Target, FrozenSet[str]]:
        """Where `qualified`, as spelled in `from_path`, leads, and the files read to get there.
        Each lookup starts afresh, so the answer depends on the files only and is kept."""
        dots = len(qualified) - len(qualified.lstrip("."))
        key = (self._start_folder(from_path, dots), qualified) if dots else \
            (self._roots_for(from_path), qualified)
        found = self._located.get(key)
        if found is None:
            search = _Search()
            target = self._find(qualified, from_path, search)
            found = self._located[key] = (target, frozenset(search.deps))
        return found

    def _locate_in_file(self, path: str, dotted: str) -> Tuple[Target, FrozenSet[str]]:
        """Where a name used in the file at `path` leads (its aliases and star imports)."""
        key = ("in", path, dotted)
        found = self._located.get(key)
        if found is None:
            search = _Search()
            target = self._lookup(path, dotted.split("."), search)
            found = self._located[key] = (target, frozenset(search.deps))
        return found

    def _find(self, qualified: str, from_path: str, search: _Search) -> Target:
        if not qualified:
            return UNKNOWN
        known = _known_name(qualified)
        if known is not None:
            return known
        dots = len(qualified) - len(qualified.lstrip("."))
        parts = qualified[dots:].split(".") if qualified[dots:] else []
        if not parts or not all(p.isidentifier() for p in parts):
            return UNKNOWN
        if dots:
            return self._find_in_folder(self._start_folder(from_path, dots), parts, search, first=0)
        for root in self._roots_for(from_path):
            base = os.path.join(root, parts[0])
            if os.path.isdir(base) or os.path.isfile(base + ".py"):
                return self._find_in_folder(root, parts, search, first=1)
            search.deps.update((base, base + ".py"))  # missing: a file created there changes the answer
        return UNKNOWN

    @staticmethod
    def _start_folder(from_path: str, dots: int) -> str:
        start = os.path.dirname(from_path)
        for _ in range(dots - 1):
            start = os.path.dirname(start)
        return start

    def _find_in_folder(self, folder: str, parts: List[str], search: _Search, first: int) -> Target:
        """`parts` = a module path then a name in it, looked up from `folder`: the longest
        prefix of at least `first` parts that is a module file; the rest are names in it."""
        for i in range(len(parts) - 1, first - 1, -1):
            module_path = self._module_file(folder, parts[:i], search.deps)
            if module_path is not None:
                return self._lookup(module_path, parts[i:], search)
        return UNKNOWN

    def _module_file(self, folder: str, parts: List[str], deps: Set[str]) -> Optional[str]:
        """A package's `__init__.py`, else a module's `.py` (Python's own order), else None.
        The paths looked for in vain go to `deps`: creating one of them changes the answer."""
        key = (folder, tuple(parts))
        found = self._modules.get(key)
        if found is None:
            base = os.path.join(folder, *parts) if parts else folder
            init = os.path.join(base, "__init__.py")
            if os.path.isfile(init):
                found = (init, ())
            elif parts and os.path.isfile(base + ".py"):
                found = (base + ".py", (init,))
            else:
                found = (None, (init, base + ".py") if parts else (init,))
            self._modules[key] = found
        deps.update(found[1])
        return found[0]

    def _lookup(self, module_path: str, names: List[str], search: _Search) -> Target:
        """The class reached by `names` (a name, or a submodule chain then a name) in a module."""
        state = (module_path, tuple(names))
        if state in search.open or search.hops <= 0:
            return UNKNOWN  # a cycle of re-exports, or a chain too long to follow
        search.hops -= 1
        facts = self._file(module_path, search.deps)
        if facts is None:
            return UNKNOWN
        search.open.add(state)
        try:
            name = names[0]
            if len(names) == 1 and name in facts.classes:
                return (facts.path, name)
            if len(names) == 1 and name in facts.built and name not in facts.names:
                return self._lookup(module_path, facts.built[name].split("."), search)
            if name in facts.names:
                target = facts.names[name]
                rest = ".".join(names[1:])
                return self._find(f"{target}.{rest}" if rest else target, facts.path, search)
            if name in facts.aliases:  # a name of this module, spelled as the module spells it
                return self._lookup(module_path, facts.aliases[name].split(".") + names[1:], search)
            if len(names) > 1 and os.path.basename(module_path) == "__init__.py":
                sub = self._module_file(os.path.dirname(module_path), [name], search.deps)  # a submodule
                if sub is not None:
                    return self._lookup(sub, names[1:], search)
            if name not in facts.names:  # `Block`, or `nn.Module` with `nn` from the star import
                for star in facts.star_imports:
                    found = self._find(".".join([star] + names), facts.path, search)
                    if found != UNKNOWN:
                        return found
            return UNKNOWN
        finally:
            search.open.discard(state)

    def _roots_for(self, path: str) -> Tuple[str, ...]:
        """Folders an absolute import from `path` may start at, in Python's order: above its
        top-level package, its own folder (a script's siblings), the project root and its src/."""
        folder = os.path.dirname(path)
        found = self._roots.get(folder)
        if found is None:
            top = folder
            while os.path.isfile(os.path.join(top, "__init__.py")):
                parent = os.path.dirname(top)
                if parent == top:
                    break
                top = parent
            roots = [top, folder]
            project = _project_root(folder)
            if project is not None:
                roots += [project, os.path.join(project, "src")]
            found = self._roots[folder] = tuple(dict.fromkeys(roots))
        return found

    # ----- classes -> facts --------------------------------------------------------------------------
    def _class(self, root: ClassRef) -> _Answer:
        """The answer for a class, computing its whole component of the base graph at once
        (Tarjan's algorithm, iteratively: chains of bases can be long)."""
        done = self._classes.get(root)
        if done is not None:
            return done
        nodes: Dict[ClassRef, _Node] = {}
        order: Dict[ClassRef, int] = {}
        low: Dict[ClassRef, int] = {}
        stack: List[ClassRef] = []
        on_stack: Set[ClassRef] = set()
        work: List[Tuple[ClassRef, Iterator[ClassRef]]] = []

        def enter(ref: ClassRef) -> None:
            nodes[ref] = self._node(ref)
            order[ref] = low[ref] = len(order)
            stack.append(ref)
            on_stack.add(ref)
            work.append((ref, iter(nodes[ref].bases)))

        enter(root)
        while work:
            ref, bases = work[-1]
            for base in bases:
                if base in self._classes:
                    continue  # answered before: final
                if base not in order:
                    enter(base)
                    break
                if base in on_stack:
                    low[ref] = min(low[ref], order[base])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[ref])
                if low[ref] == order[ref]:
                    members = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        members.append(member)
                        if member == ref:
                            break
                    self._settle(members, nodes)
        return self._classes[root]

    def _settle(self, members: List[ClassRef], nodes: Dict[ClassRef, _Node]) -> None:
        """One answer for a component: its classes' own facts and their outside bases' answers;
        a cycle adds "unknown" (which of its readings Python takes is not known)."""
        inside = set(members)
        cyclic = len(members) > 1 or members[0] in nodes[members[0]].bases
        module: List[Optional[bool]] = [None] if cyclic else []
        forward: List[Optional[bool]] = [None] if cyclic else []
        deps: Set[str] = set()
        for member in members:
            node = nodes[member]
            module += node.module
            forward += node.forward
            deps |= node.deps
            for base in node.bases:
                if base not in inside:
                    answer = self._classes[base]
                    module.append(answer.facts.is_module)
                    forward.append(answer.facts.forward)
                    deps |= answer.deps
        output = nodes[members[0]].output if not cyclic else None
        answer = _Answer(ClassFacts(_any(module), _any(forward), output), frozenset(deps))
        for member in members:
            self._classes[member] = answer

    def _node(self, ref: ClassRef) -> _Node:
        path, name = ref
        deps: Set[str] = set()
        facts = self._file(path, deps)
        cls = facts.classes[name]  # a ClassRef is made only for a class the file defines
        if facts.absolute_name and torch_api.is_module_class(f"{facts.absolute_name}.{name}"):
            return _Node([True], [name != "Module"], deps, [])  # torch's own sources
        node = _Node([], [cls.defines_forward], deps, [], cls.output)
        for dotted in cls.bases:  # a Generic[T]-style base counts as Generic
            head, _, rest = (dotted or "").partition(".")
            target: Target = UNKNOWN
            if dotted == "object":
                target = ClassFacts(False, False)
            elif head in facts.classes and not rest and head != name:
                target = (path, head)
            elif head in facts.names:  # `class Linear(Linear)` after an import means the import
                qualified = facts.names[head]
                target, found_deps = self._locate(f"{qualified}.{rest}" if rest else qualified, path)
                node.deps |= found_deps
            elif dotted:  # an alias, or a name from a star import
                target, found_deps = self._locate_in_file(path, dotted)
                node.deps |= found_deps
            if isinstance(target, ClassFacts):
                node.module.append(target.is_module)
                node.forward.append(target.forward)
            else:
                node.bases.append(target)
        return node

    # ----- files -------------------------------------------------------------------------------------
    def _file(self, path: str, deps: Set[str]) -> Optional[_FileFacts]:
        deps.add(path)
        self._note((path,))
        entry = self._files.get(path)
        if entry is None:
            stamp = ("buffer", self._buffers[path]) if path in self._buffers else _stamp(path)
            entry = self._files[path] = (stamp, _read_facts(path, self._buffers.get(path)))
        return entry[1]

    def _read_text(self, path: str) -> Optional[str]:
        """A metadata file's text (an open buffer first), for nnlint.requirements."""
        if path in self._buffers:
            return self._buffers[path]
        try:
            with open(path, encoding="utf-8", errors="replace") as handle:
                return handle.read(MAX_FILE_BYTES)
        except OSError:
            return None


def _known_name(qualified: str) -> Optional[ClassFacts]:
    if torch_api.is_module_class(qualified):
        return ClassFacts(True, qualified.rsplit(".", 1)[1] != "Module", torch_name=qualified)
    parts = qualified.split(".")
    if parts[0] == "torch" and "optim" in parts[1:-1] and "lr_scheduler" not in parts \
            and parts[-1] in torch_api.optimizer_classes():
        return ClassFacts(False, False, torch_name=qualified)
    if qualified.startswith(("tensorflow.", "jax.", "flax.", "mlx.", "keras.")):
        return ClassFacts(False, None)
    if qualified.startswith(PLAIN_BASES) or qualified == "object":
        return ClassFacts(False, False)
    return None  # other torch names too: found in files only when torch itself is the project


def _any(answers: List[Optional[bool]]) -> Optional[bool]:
    if any(a is True for a in answers):
        return True
    return None if any(a is None for a in answers) else False


def _stamp(path: str) -> Optional[Tuple[int, int]]:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return (stat.st_size, stat.st_mtime_ns)


def _project_root(folder: str) -> Optional[str]:
    while True:
        if any(os.path.exists(os.path.join(folder, marker)) for marker in PROJECT_MARKERS):
            return folder
        parent = os.path.dirname(folder)
        if parent == folder or os.path.basename(parent) in INSTALLED:
            return None  # an installed package's imports start above its top-level package
        folder = parent


# ----- one file's facts -----------------------------------------------------------------------------
def _read_facts(path: str, text: Optional[str]) -> Optional[_FileFacts]:
    try:
        if text is None:
            if os.path.getsize(path) > MAX_FILE_BYTES:
                return None
            with open(path, "rb") as handle:
                source: Union[str, bytes] = handle.read()
        else:
            source = text
        tree = parse_ast(source, path)
    except (OSError, SyntaxError, ValueError, RecursionError, MemoryError, UnicodeDecodeError):
        return None
    facts = _FileFacts(path, _absolute_module_name(path))
    _collect(tree.body, facts)
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
            # names only: holding the ast nodes would keep every file's tree alive in the index
            bases = [_dotted(b.value if isinstance(b, ast.Subscript) else b) for b in stmt.bases]
            facts.classes.setdefault(stmt.name, _ClassDef(bases, _defines_forward(stmt), _forward_output(stmt)))
            facts.moved |= _moved_abroad(stmt)
        elif isinstance(stmt, ast.FunctionDef):
            built = _factory_of(stmt)
            if built:
                facts.built.setdefault(stmt.name, built)
        elif isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 \
                and isinstance(stmt.targets[0], ast.Name):
            target = _dotted(stmt.value)
            if target and target != stmt.targets[0].id:
                facts.aliases.setdefault(stmt.targets[0].id, target)
        elif isinstance(stmt, ast.If):
            _collect(stmt.body, facts)
            _collect(stmt.orelse, facts)
        elif isinstance(stmt, ast.Try) or type(stmt).__name__ == "TryStar":
            _collect(stmt.body, facts)
            for handler in stmt.handlers:
                _collect(handler.body, facts)
            _collect(stmt.orelse, facts)


def _moved_abroad(node: ast.ClassDef) -> Set[str]:
    """`stride` of `m.stride = fn(m.stride)` in the class's `_apply`: attributes its MOVERS
    overrides set on objects other than `self`."""
    found: Set[str] = set()
    for method in node.body:
        if not isinstance(method, (ast.FunctionDef, ast.AsyncFunctionDef)) or method.name not in MOVERS \
                or not method.args.args:
            continue
        me = method.args.args[0].arg
        for assign in ast.walk(method):
            if isinstance(assign, ast.Assign):
                found.update(t.attr for t in assign.targets if isinstance(t, ast.Attribute)
                             and not (isinstance(t.value, ast.Name) and t.value.id == me))
    return found


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


_ACTIVATIONS = {"softmax": "softmax", "log_softmax": "log_softmax", "sigmoid": "sigmoid",
                "Softmax": "softmax", "LogSoftmax": "log_softmax", "Sigmoid": "sigmoid"}


def _forward_output(node: ast.ClassDef) -> Optional[str]:
    """The activation every `return` of the class's own `forward` gives: `F.softmax(...)`,
    `x.sigmoid()`, or `self.act(...)` where `__init__` sets `self.act = nn.Softmax(...)` (or an
    `nn.Sequential(...)` ending in one). None when any return is something else."""
    methods = {s.name: s for s in node.body if isinstance(s, ast.FunctionDef)}
    forward = methods.get("forward")
    if forward is None:
        return None
    layers: Dict[str, Optional[str]] = {}
    for stmt in ast.walk(methods["__init__"]) if "__init__" in methods else ():
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Attribute) \
                and isinstance(stmt.targets[0].value, ast.Name) and stmt.targets[0].value.id == "self":
            attr = stmt.targets[0].attr
            layers[attr] = _layer_activation(stmt.value) if attr not in layers else None
    found = set()
    for stmt in _own_nodes(forward.body):
        if isinstance(stmt, (ast.Yield, ast.YieldFrom)):
            return None
        if isinstance(stmt, ast.Return):
            found.add(_returned_activation(stmt.value, layers))
    return found.pop() if len(found) == 1 else None


def _own_nodes(body: List[ast.stmt]) -> Iterator[ast.AST]:
    """Every node of a function's own body: not those of the functions, classes and lambdas
    defined in it."""
    stack: List[ast.AST] = list(body)
    while stack:
        node = stack.pop()
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            yield node
            stack.extend(ast.iter_child_nodes(node))


def _returned_activation(value: Optional[ast.expr], layers: Dict[str, Optional[str]]) -> Optional[str]:
    if not isinstance(value, ast.Call):
        return None
    func = value.func
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "self":
        return layers.get(func.attr)
    if isinstance(func, ast.Attribute) and func.attr in ("softmax", "log_softmax", "sigmoid"):
        return func.attr  # torch.softmax(x), F.log_softmax(x), x.sigmoid()
    return None


def _layer_activation(value: ast.expr) -> Optional[str]:
    """`nn.Softmax(dim=1)` -> "softmax"; `nn.Sequential(..., nn.Sigmoid())` -> "sigmoid"."""
    if not isinstance(value, ast.Call):
        return None
    name = _dotted(value.func) or ""
    last = name.rsplit(".", 1)[-1]
    if last == "Sequential" and value.args and not any(isinstance(a, ast.Starred) for a in value.args):
        return _layer_activation(value.args[-1])
    return _ACTIVATIONS.get(last) if last[:1].isupper() else None


_KEEPS_OBJECT = frozenset({"to", "cuda", "cpu", "train", "eval", "float", "double", "half", "requires_grad_"})


def _factory_of(node: ast.FunctionDef) -> Optional[str]:
    """The dotted name of the class every `return` of a module-level function builds:
    `return Net(...)`, `return Net(...).to(device)`, or `return model` after one
    `model = Net(...)` in the function. None when any return is something else, or the
    function yields or is decorated (a decorator may return anything)."""
    if node.decorator_list:
        return None
    assigned: Dict[str, Optional[str]] = {}
    returns: List[Optional[ast.expr]] = []
    for stmt in _own_nodes(node.body):
        if isinstance(stmt, (ast.Yield, ast.YieldFrom)):
            return None
        if isinstance(stmt, ast.Return):
            returns.append(stmt.value)
        elif isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            for target in targets:
                for name in ast.walk(target):
                    if not isinstance(name, ast.Name) or _same_object(stmt.value, name.id):
                        continue  # `model = model.to(device)` keeps the object
                    built = _built(stmt.value) if isinstance(target, ast.Name) else None
                    assigned[name.id] = built if name.id not in assigned else None  # bound twice: unknown
    found = set()
    for value in map(_object, returns):
        found.add(assigned.get(value.id) if isinstance(value, ast.Name) else _built(value))
    return found.pop() if len(found) == 1 else None


def _object(value: Optional[ast.expr]) -> Optional[ast.expr]:
    """`Net().to(device).eval()` -> `Net()`: the methods that return their receiver."""
    while isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and value.func.attr in _KEEPS_OBJECT:
        value = value.func.value
    return value


def _same_object(value: Optional[ast.expr], name: str) -> bool:
    value = _object(value)
    return isinstance(value, ast.Name) and value.id == name


def _built(value: Optional[ast.expr]) -> Optional[str]:
    value = _object(value)
    if isinstance(value, ast.Call) and not isinstance(value.func, ast.Call):
        name = _dotted(value.func)
        if name and name.rsplit(".", 1)[-1][:1].isupper():  # a class (PEP 8), not a function
            return name
    return None


def _dotted(expr: ast.expr) -> Optional[str]:
    if isinstance(expr, ast.Name):
        return expr.id
    if isinstance(expr, ast.Attribute):
        base = _dotted(expr.value)
        return f"{base}.{expr.attr}" if base else None
    return None
