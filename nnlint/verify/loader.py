"""Importing the user's file in the worker, safely:

- **Scripts** (top-level loops, `with` blocks, `parse_args()`, calls other than set-up): only
  their imports and definitions run, plus the top-level assignments the classes need (read off
  the AST: `img_shape = (opt.channels, ...)`, `opt = parser.parse_args()` with no command-line
  arguments, the `parser.add_argument(...)` calls before it). A training loop never starts.
- **Missing packages**: an `import` of a package that is not installed, outside a
  `try: ... except ImportError`, gets a stand-in module, so that the file's other models still
  load. Touching the stand-in (calling, converting, subclassing it) is recorded: a model that
  does it is skipped as "needs `numpy`", never failed. A bare top-level call whose value is
  unused (`matplotlib.use("Agg")` in a helper module) is set-up: it gets another stand-in.
  `importlib.util.find_spec` still says the package is missing.
- **A top-level value made with a missing package** (`CONFIGS = {...: get_config()}` where the
  config is an `ml_collections.ConfigDict()`): the names it binds get stand-ins, and the file
  loads again; a model that uses them is skipped as needing the package.
- **A class under `if __name__ == "__main__":`** is defined by running its class statement
  alone, when every name it uses is the module's (the block never runs).
- **A star import of a missing package** (`from taming.modules.losses.vqperceptual import *`)
  binds nothing: a model of the file that then fails on an undefined name is skipped as
  needing the package (`worker._blame_star_import`).
- **An installed library missing its own dependency**: a top-level `from
  torch.utils.tensorboard import SummaryWriter` without tensorboard binds stand-ins for its
  names instead, and the file loads again: only a model that uses them is skipped ("needs
  `tensorboard`").
- **C++/CUDA extensions** compiled at import (`torch.utils.cpp_extension.load()`) are never
  built: `load()` returns a stand-in module, so code with a CPU fallback runs and a model that
  calls the extension is skipped as needing it.
- **The project's own compiled extensions** (Cython, C/C++, CUDA: a `.pyx`, or a `setup.py`
  that builds extensions and names it), never built here: a missing module of that name gets a
  stand-in too, labelled as the extension, so a model that calls it is skipped as "needs the
  compiled extension `pkg.ext` (not built: run its build step)".
- **Package context**: the file is imported as `pkg.sub.mod`; a parent package whose
  `__init__` raises (it imports a sibling that cannot load) is replaced by a bare package, so
  the file under test still loads, without running its unrelated siblings.
"""

from __future__ import annotations

import ast
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import inspect
import os
import re
import sys
import types
from functools import lru_cache
from typing import Dict, FrozenSet, List, Optional, Set, Tuple

_NNLINT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# What the stand-ins saw: the missing packages touched since the last reset().
touched: List[str] = []
stand_ins: Set[str] = set()  # top-level names given a stand-in in this process
# `from missing.pkg import *` in the file under test: (the module, what it needs); its names are
# unknown, so a NameError of the file's models may be its doing
star_imports: List[Tuple[str, str]] = []
no_op_decorators: Set[str] = set()  # decorators of missing packages applied as no-ops
# a script's top-level values the slice could not compute (name -> line): a NameError of the
# file's models on one of them is the slice's doing
left_out: Dict[str, int] = {}


class MissingPackage(ImportError):
    """Raised when code uses what a missing package would have provided."""

    def __init__(self, package: str, what: str = ""):
        super().__init__(f"`{package}` is not installed (needed for {what or package})")
        self.package, self.what = package, what or f"`{package}`"


def _touch(package: str, what: str) -> None:
    if package not in touched:
        touched.append(package)


def reset() -> None:
    touched.clear()


def needs(labels: List[str]) -> str:
    """What a model needs, in words: "`numpy` (not installed)", or the phrase of a stand-in
    that is not a package ("the C++/CUDA extension that op/fused_act.py builds at import")."""
    packages = [f"`{label}`" for label in labels if " " not in label]
    phrases = [label for label in labels if " " in label]
    return ", ".join(([f"{', '.join(packages)} (not installed)"] if packages else []) + phrases)


class _Missing:
    """What an attribute of a stand-in module is: any attribute of it is another one; using it
    (calling, converting, comparing, iterating) records the package as needed and raises."""

    def __init__(self, package: str, path: str):
        object.__setattr__(self, "_nnlint_package", package)
        object.__setattr__(self, "_nnlint_path", path)

    def __getattr__(self, name: str):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return _Missing(self._nnlint_package, f"{self._nnlint_path}.{name}")

    def __mro_entries__(self, bases):
        _touch(self._nnlint_package, self._nnlint_path)
        return (_missing_base(self._nnlint_package, self._nnlint_path),)

    def __repr__(self) -> str:
        return f"<{self._nnlint_path}: not installed>"

    def _use(self, *args, **kwargs):
        _touch(self._nnlint_package, self._nnlint_path)
        raise MissingPackage(self._nnlint_package, f"`{self._nnlint_path}`")

    def __call__(self, *args, **kwargs):
        frame = sys._getframe(1)
        if _decorating(frame):
            # `@beartype`, `@jaxtyped(typechecker=beartype)`, `@numba.jit`: checks or speeds up
            # what it wraps and changes nothing a model computes; the wrapped def as written
            if len(args) == 1 and not kwargs and (inspect.isfunction(args[0]) or isinstance(args[0], type)):
                no_op_decorators.add(f"@{self._nnlint_path}")
                return args[0]
            return _Missing(self._nnlint_package, self._nnlint_path)  # the factory's decorator
        if _set_up_call(frame):  # `matplotlib.use("Agg")` while a module is imported
            return _Missing(self._nnlint_package, f"{self._nnlint_path}()")
        return self._use()

    def __getitem__(self, key):
        if not sys._getframe(1).f_code.co_flags & inspect.CO_NEWLOCALS:
            # a module or class body: an annotation or an alias (`Float[Tensor, "b n d"]`)
            return _Missing(self._nnlint_package, f"{self._nnlint_path}[...]")
        return self._use()

    __iter__ = __len__ = __bool__ = __int__ = __float__ = __index__ = _use
    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __truediv__ = __rtruediv__ = _use
    __floordiv__ = __rfloordiv__ = __pow__ = __rpow__ = __lt__ = __le__ = __gt__ = __ge__ = _use
    __neg__ = __contains__ = __enter__ = __array__ = _use

    def __eq__(self, other):
        return self is other

    def __hash__(self):
        return id(self)


@lru_cache(maxsize=64)
def _parsed(filename: str) -> Optional[ast.Module]:
    """A source file's tree, parsed once for every question the stand-ins ask of it; None when
    it cannot be read or parsed."""
    try:
        with open(filename, "rb") as handle:
            return ast.parse(handle.read())
    except (OSError, SyntaxError, ValueError):
        return None


_decorator_lines: Dict[str, Set[int]] = {}  # file -> the lines its decorators span


def _decorating(frame) -> bool:
    """Whether `frame` is applying (or building) a decorator of a def or class."""
    filename = frame.f_code.co_filename
    if filename not in _decorator_lines:
        lines: Set[int] = set()
        tree = _parsed(filename)
        for node in ast.walk(tree) if tree is not None else ():
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                for decorator in node.decorator_list:
                    lines.update(range(decorator.lineno, (decorator.end_lineno or decorator.lineno) + 1))
        _decorator_lines[filename] = lines
    return frame.f_lineno in _decorator_lines[filename]


_statements: Dict[str, List[Tuple[int, int, bool]]] = {}  # file -> top-level (first, last line, a bare call?)


def _set_up_call(frame) -> bool:
    """Whether `frame` runs a module's top level at a statement that is a bare call, its value
    unused (`matplotlib.use("Agg")`, `np.random.seed(0)`): set-up that no model can depend on,
    so a stand-in may answer it with another one. A value kept (`SCALE = np.pi * 2`) still
    fails at once."""
    code = frame.f_code
    if code.co_name != "<module>":
        return False
    if code.co_filename not in _statements:
        tree = _parsed(code.co_filename)
        body = tree.body if tree is not None else []
        _statements[code.co_filename] = [
            (node.lineno, node.end_lineno or node.lineno,
             isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)) for node in body]
    line = frame.f_lineno
    return any(first <= line <= last and bare for first, last, bare in _statements[code.co_filename])


def _missing_base(package: str, path: str) -> type:
    return type(path.rsplit(".", 1)[-1], (), {"_nnlint_missing": package, "__module__": package})


class _StandInModule(types.ModuleType):
    nnlint_stand_in = True  # nnlint's own code (seeding numpy) looks for this and leaves it alone

    def __getattr__(self, name: str):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        label = self.__dict__.get("_nnlint_label") or self.__name__.split(".")[0]
        return _Missing(label, f"{self.__name__}.{name}")


class _Loader(importlib.abc.Loader):
    def __init__(self, label: str = ""):
        self.label = label  # what a user of the stand-in needs, if not the package of its name

    def create_module(self, spec):
        module = _StandInModule(spec.name)
        module.__path__ = []  # a package: `import missing.sub` works too
        if self.label:
            module._nnlint_label = self.label
        return module

    def exec_module(self, module) -> None:
        pass


class StandInFinder(importlib.abc.MetaPathFinder):
    """Last on sys.meta_path: answers for a top-level package nobody else found, when the import
    comes from an `import` statement that no `except ImportError` guards."""

    def __init__(self, project_roots: List[str]):
        self.roots = [os.path.abspath(r) for r in project_roots if r]
        self._guarded: Dict[str, List[Tuple[int, int]]] = {}

    def find_spec(self, fullname, path=None, target=None):
        top = fullname.split(".")[0]
        label = self._unbuilt(fullname)
        if label:
            return importlib.machinery.ModuleSpec(fullname, _Loader(label), is_package=True)
        if top not in stand_ins:
            if "." in fullname or self._in_project(top) or not self._plain_import():
                return None
            stand_ins.add(top)
        return importlib.machinery.ModuleSpec(fullname, _Loader(), is_package=True)

    def _unbuilt(self, fullname: str) -> str:
        """The stand-in's label if `fullname` is one of the project's compiled extensions (Cython,
        C/C++, CUDA) that was never built, or inside one; else ""."""
        for prefix, label in unbuilt.items():
            if fullname == prefix or fullname.startswith(prefix + "."):
                return label
        parent, _, name = fullname.rpartition(".")
        if parent:  # a module of one of the project's packages
            folders = getattr(sys.modules.get(parent), "__path__", None) or []
            if not any(self._in_user_code(os.path.join(str(f), "x.py")) for f in folders):
                return ""
        elif self._in_project(name):
            return ""
        if name not in extension_names(self.roots) or not self._plain_import():
            return ""
        unbuilt[fullname] = f"the compiled extension `{fullname}` (not built: run its build step)"
        return unbuilt[fullname]

    def _in_project(self, top: str) -> bool:
        return any(os.path.exists(os.path.join(root, top + ".py")) or os.path.isdir(os.path.join(root, top))
                   for root in self.roots)

    def _plain_import(self) -> bool:
        """Whether the import being resolved is an import statement's (not find_spec's), outside
        a try block that catches ImportError."""
        frame = sys._getframe(1)
        while frame is not None and frame.f_code.co_filename == __file__:
            frame = frame.f_back
        loading = False
        while frame is not None:
            code = frame.f_code
            if code.co_filename.startswith("<frozen importlib") or "importlib" in code.co_filename:
                if code.co_name == "_find_and_load":
                    loading = True
                elif code.co_name == "find_spec" and code.co_filename.endswith("util.py"):
                    return False
                frame = frame.f_back
                continue
            return loading and self._in_user_code(code.co_filename) and not self._guarded_line(
                code.co_filename, frame.f_lineno)
        return False

    def _in_user_code(self, filename: str) -> bool:
        """Imports made by the project's files only: an installed library that lacks one of its
        own dependencies fails as it would for the user."""
        path = os.path.abspath(filename)
        if "site-packages" in path or "dist-packages" in path or path.startswith(_NNLINT):
            return False
        return any(path.startswith(os.path.join(root, "")) for root in self.roots)

    def _guarded_line(self, filename: str, line: int) -> bool:
        if filename not in self._guarded:
            self._guarded[filename] = _import_guards(filename)
        return any(first <= line <= last for first, last in self._guarded[filename])


# ----- the project's own compiled extensions, never built ----------------------------------------
unbuilt: Dict[str, str] = {}  # module name -> the label of its stand-in, in this process
_SOURCES = (".pyx", ".pyx.in")
_BUILD_MARKS = re.compile(r"ext_modules|cythonize|build_ext|Extension\s*\(")
_EXTENSION_CALL = re.compile(r"\b\w*Extension\s*\(\s*(?:name\s*=\s*)?[\"']([\w.]+)[\"']")
_SETUP_NAME = re.compile(r"\bname\s*=\s*[\"']([\w.]+)[\"']")
_CYTHON_SOURCE = re.compile(r"[\"']([\w./-]+)\.pyx[\"']")
_SKIPPED_FOLDERS = {"node_modules", "site-packages", "__pycache__", "build", "dist"}
MAX_WALK_DEPTH, MAX_WALK_FILES = 4, 5000


@lru_cache(maxsize=8)
def _extension_names_of(roots: Tuple[str, ...]) -> FrozenSet[str]:
    """The module names (last dotted part) of the compiled extensions the project builds: the
    names a `setup.py` that builds extensions gives them (`Extension("nms.cpu_nms", ...)`,
    `CUDAExtension("dcn_cuda", ...)`, `setup(name="monotonic_align", ext_modules=cythonize(
    "core.pyx"))`) and the stems of its Cython sources (`core.pyx`)."""
    names: Set[str] = set()
    seen = 0
    for root in roots:
        for folder, subfolders, files in os.walk(root):
            depth = os.path.relpath(folder, root).count(os.sep)
            subfolders[:] = [] if depth >= MAX_WALK_DEPTH else sorted(
                d for d in subfolders if not d.startswith(".") and d not in _SKIPPED_FOLDERS)
            seen += len(files)
            if seen > MAX_WALK_FILES:
                return frozenset(names)
            for name in files:
                if name.endswith(_SOURCES):
                    names.add(name.split(".")[0])
                elif name == "setup.py":
                    try:
                        with open(os.path.join(folder, name), "r", encoding="utf-8", errors="replace") as handle:
                            text = handle.read(1_000_000)
                    except OSError:
                        continue
                    if not _BUILD_MARKS.search(text):
                        continue
                    for found in _EXTENSION_CALL.findall(text) + _SETUP_NAME.findall(text):
                        names.add(found.rsplit(".", 1)[-1])
                    names.update(os.path.basename(found) for found in _CYTHON_SOURCE.findall(text))
    return frozenset(names)


def extension_names(roots: List[str]) -> FrozenSet[str]:
    return _extension_names_of(tuple(roots))


_IMPORT_ERRORS = {"ImportError", "ModuleNotFoundError", "Exception", "BaseException"}


def _import_guards(filename: str) -> List[Tuple[int, int]]:
    """Line spans of try bodies whose handlers catch ImportError (or everything)."""
    tree = _parsed(filename)
    if tree is None:
        return []
    spans = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Try):
            continue
        for handler in node.handlers:
            names = _handler_names(handler.type)
            if handler.type is None or names & _IMPORT_ERRORS:
                spans.append((node.body[0].lineno, node.body[-1].end_lineno or node.body[-1].lineno))
                break
    return spans


def _handler_names(node) -> Set[str]:
    if node is None:
        return set()
    if isinstance(node, ast.Tuple):
        return set().union(*(_handler_names(e) for e in node.elts))
    if isinstance(node, ast.Attribute):
        return {node.attr}
    if isinstance(node, ast.Name):
        return {node.id}
    return set()


def install_stand_ins(project_roots: List[str]) -> None:
    if not any(isinstance(f, StandInFinder) for f in sys.meta_path):
        sys.meta_path.append(StandInFinder(project_roots))
    if not any(isinstance(f, _ExtensionBuilders) for f in sys.meta_path):
        sys.meta_path.insert(0, _ExtensionBuilders(project_roots))
    if _EXTENSIONS in sys.modules:
        _build_none(sys.modules[_EXTENSIONS])


# ----- C++/CUDA extensions compiled at import ----------------------------------------------------
_EXTENSIONS = "torch.utils.cpp_extension"
extensions: List[str] = []  # what the file's import asked to build, in words (for its note)


class _ExtensionBuilders(importlib.abc.MetaPathFinder):
    """`torch.utils.cpp_extension`, once imported, builds nothing: `load()` and `load_inline()`
    return a stand-in module. Compiling takes minutes, needs a compiler (and CUDA_HOME for .cu
    files) and writes to ~/.cache; code with a CPU fallback (StyleGAN2's `op`: `if
    input.device.type == "cpu"` -> native PyTorch) still runs, and a model that calls the
    extension is skipped as needing it."""

    def __init__(self, project_roots: List[str]):
        self.roots = [os.path.abspath(r) for r in project_roots if r]

    def find_spec(self, fullname, path=None, target=None):
        if fullname != _EXTENSIONS:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.loader is None:
            return None
        spec.loader = _PatchingLoader(spec.loader, self.roots)
        return spec


class _PatchingLoader(importlib.abc.Loader):
    def __init__(self, loader, roots: List[str]):
        self.loader, self.roots = loader, roots

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module) -> None:
        self.loader.exec_module(module)
        _build_none(module, self.roots)


def _build_none(module, roots: Optional[List[str]] = None) -> None:
    if getattr(module, "_nnlint_builds_none", False):
        return
    roots = roots or []

    def stand_in(function: str):
        def build(name, *args, **kwargs):
            caller = sys._getframe(1)
            filename = os.path.abspath(caller.f_code.co_filename)
            root = next((r for r in roots if filename.startswith(os.path.join(r, ""))), "")
            where = f"{os.path.relpath(filename, root) if root else os.path.basename(filename)}:{caller.f_lineno}"
            label = f"the C++/CUDA extension `{name}` that {where} builds at import (nnlint builds none)"
            if label not in extensions:
                extensions.append(label)
            return _Missing(label, f"{name}")
        build.__name__ = function
        return build

    module.load = stand_in("load")
    module.load_inline = stand_in("load_inline")
    module._nnlint_builds_none = True


def missing_package(exc: BaseException) -> Optional[str]:
    """The package an exception says is missing (not installed), or None."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, MissingPackage):
            return exc.package
        if isinstance(exc, ModuleNotFoundError) and exc.name:
            top = exc.name.split(".")[0]
            try:
                if importlib.util.find_spec(top) is None:
                    return top
            except (ImportError, ValueError):
                return top
        exc = exc.__cause__ or exc.__context__
    return None


# ----- scripts ----------------------------------------------------------------------------------
_SETUP_CALLS = {"filterwarnings", "simplefilter", "basicConfig", "getLogger", "setLevel", "manual_seed",
                "seed", "set_printoptions", "set_default_dtype", "set_grad_enabled", "append", "insert",
                "register", "register_buffer", "use", "setdefault", "update", "addHandler", "disable",
                "set_float32_matmul_precision", "allow_tf32", "set_num_threads", "warn", "add_argument",
                "add_argument_group", "set_defaults"}


def script_work(tree: ast.Module) -> Optional[Tuple[str, int]]:
    """(what, line) of the first top-level statement that does work beyond definitions, or None."""
    for node in tree.body:
        if isinstance(node, (ast.For, ast.AsyncFor, ast.While, ast.With, ast.AsyncWith)):
            kind = {ast.For: "a `for` loop", ast.AsyncFor: "a `for` loop", ast.While: "a `while` loop"}.get(
                type(node), "a `with` block")
            return kind, node.lineno
        if _is_main_guard(node):
            continue
        for call in (n for n in ast.walk(node) if isinstance(n, ast.Call)):
            name = _call_name(call)
            if name in ("parse_args", "parse_known_args"):
                return "command-line parsing (`parse_args()`)", node.lineno
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            name = _call_name(node.value)
            if name not in _SETUP_CALLS:
                return f"a call to `{name or '...'}()`", node.lineno
    return None


def _is_main_guard(node) -> bool:
    return isinstance(node, ast.If) and "__main__" in ast.unparse(node.test) and "__name__" in ast.unparse(node.test)


def _call_name(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return ""


def slice_definitions(tree: ast.Module) -> ast.Module:
    """The imports, function and class definitions, and the simple top-level statements the
    classes need (transitively), in their order; loops, `with` blocks and the main guard go."""
    body = tree.body
    definitions = [n for n in body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]
    functions = {n.name: n for n in definitions if not isinstance(n, ast.ClassDef)}
    needed: Set[str] = set()
    queue = [n for n in definitions if isinstance(n, ast.ClassDef)]
    followed: Set[int] = set()
    while queue:
        node = queue.pop()
        if id(node) in followed:
            continue
        followed.add(id(node))
        names = _free_names(node)
        needed |= names
        queue += [functions[n] for n in names if n in functions]
    kept: List[ast.stmt] = []
    chosen: Set[int] = set()
    changed = True
    while changed:  # statements binding or configuring a needed name, until nothing new is needed
        changed = False
        for node in body:
            if id(node) not in chosen and _simple(node) and (_binds(node) | _configures(node)) & needed:
                chosen.add(id(node))
                needed |= _names_used(node)
                changed = True
    for node in body:
        if isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            kept.append(node)
        elif id(node) in chosen:
            kept.append(node)
        elif isinstance(node, ast.Try) and all(isinstance(s, (ast.Import, ast.ImportFrom, ast.Assign))
                                               for s in node.body):
            kept.append(node)
    return ast.Module(body=kept, type_ignores=[])


def _simple(node) -> bool:
    if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.Assert)):
        return True
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
        return True
    if isinstance(node, ast.If) and not _is_main_guard(node):
        return all(_simple(s) or isinstance(s, (ast.Import, ast.ImportFrom, ast.Pass)) for s in node.body + node.orelse)
    return False


def _binds(node) -> Set[str]:
    targets: List[ast.AST] = []
    if isinstance(node, ast.Assign):
        targets = node.targets
    elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
        targets = [node.target]
    elif isinstance(node, ast.If):
        return set().union(set(), *(_binds(s) for s in node.body + node.orelse))
    return {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}


def _configures(node) -> Set[str]:
    """`parser.add_argument(...)`: the receiver of a method call statement."""
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) and isinstance(node.value.func, ast.Attribute):
        receiver = node.value.func.value
        while isinstance(receiver, ast.Attribute):
            receiver = receiver.value
        if isinstance(receiver, ast.Name):
            return {receiver.id}
    return set()


def _names_used(node) -> Set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)


def _free_names(node, bound: FrozenSet[str] = frozenset()) -> Set[str]:
    """The names `node` reads that its functions do not bind themselves: a method's parameter
    `device_type` is not the script's top-level `device_type`."""
    if isinstance(node, ast.Name):
        return {node.id} if isinstance(node.ctx, ast.Load) and node.id not in bound else set()
    if isinstance(node, _SCOPES):
        free: Set[str] = set()
        for outer in (node.args.defaults + [d for d in node.args.kw_defaults if d is not None]
                      + getattr(node, "decorator_list", [])):
            free |= _free_names(outer, bound)
        arguments = node.args.posonlyargs + node.args.args + node.args.kwonlyargs + \
            [a for a in (node.args.vararg, node.args.kwarg) if a is not None]
        body = node.body if isinstance(node.body, list) else [node.body]
        declared = {name for statement in body for n in ast.walk(statement)
                    if isinstance(n, (ast.Global, ast.Nonlocal)) for name in n.names}
        local = {a.arg for a in arguments} | (set().union(*map(_stores, body)) - declared)
        for statement in body:
            free |= _free_names(statement, bound | local)
        return free
    return set().union(set(), *(_free_names(child, bound) for child in ast.iter_child_nodes(node)))


def _stores(node) -> Set[str]:
    """The names a statement binds in its own scope (not in the functions it defines)."""
    if isinstance(node, _SCOPES + (ast.ClassDef,)):
        return {node.name} if not isinstance(node, ast.Lambda) else set()
    if isinstance(node, ast.Name):
        return {node.id} if isinstance(node.ctx, (ast.Store, ast.Del)) else set()
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return {(a.asname or a.name).split(".")[0] for a in node.names}
    return set().union(set(), *(_stores(child) for child in ast.iter_child_nodes(node)))


# ----- loading ----------------------------------------------------------------------------------
def load(module_name: str, path: str, project_roots: List[str]) -> Tuple[types.ModuleType, List[str]]:
    """Import the file at `path` as `module_name`; (module, notes about how)."""
    install_stand_ins(project_roots)
    notes: List[str] = []
    _load_parents(module_name, path, notes)
    try:
        with open(path, "rb") as handle:
            source = handle.read()
        tree = ast.parse(source, filename=path)
    except (OSError, SyntaxError, ValueError):
        return importlib.import_module(module_name), notes  # let the import say what is wrong
    original = tree
    work = script_work(tree)
    if work is not None:
        what, line = work
        notes.append(f"{os.path.basename(path)} is a script ({what} at line {line}): only its imports, "
                     f"definitions and the top-level values its classes use were run")
        tree = slice_definitions(tree)
    replaced: Dict[int, str] = {}  # line of a top-level import or assignment -> what it lacks
    left_out.clear()
    while True:
        try:
            if work is None and not replaced:
                module = importlib.import_module(module_name)
            else:
                module = _exec_sliced(module_name, path, _without_imports(tree, replaced))
            break
        except Exception as exc:
            failed = _failed_statement(exc, path, tree) if work is not None and isinstance(exc, NameError) else None
            if failed is not None and _simple(failed):
                # `run_device = device`, where the script sets `device` in a branch with a loop: the
                # value needs statements the slice did not run; the models that use it say so
                tree = ast.Module(body=[n for n in tree.body if n is not failed], type_ignores=[])
                left_out.update((name, failed.lineno) for name in _binds(failed))
                continue
            line = _failed_import(exc, path, tree)
            lacks = missing_package(exc)
            if line is None or lacks is None or line in replaced:
                raise
            replaced[line] = lacks
    star_imports[:] = _star_imports_of_stand_ins(original)
    guarded = _define_guarded_classes(module, original, path)
    if guarded:
        notes.append(f"{', '.join(f'`{name}`' for name in guarded)} {'is' if len(guarded) == 1 else 'are'} "
                     f"defined under `if __name__ == \"__main__\":`: only the class statement was run, "
                     f"not the block")
    notes.extend(f"{what[0].upper()}{what[1:]}: not built, a stand-in was loaded (a model that calls it is "
                 f"skipped)" for what in extensions)
    extensions.clear()
    for line, lacks in sorted(replaced.items()):
        node = next(n for n in tree.body if n.lineno == line)
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            notes.append(f"the import at line {line} needs {needs([lacks])}: its names were given stand-ins "
                         f"(a model that uses them is skipped)")
        else:
            names = ", ".join(f"`{name}`" for name in _assigned(node))
            notes.append(f"the value of {names} at line {line} needs {needs([lacks])}: it was given a stand-in "
                         f"(a model that uses it is skipped)")
    for label in unbuilt.values():
        notes.append(f"{label[0].upper()}{label[1:]}: a stand-in was imported (a model that calls it is skipped)")
    if stand_ins:
        notes.append(f"not installed: {', '.join(f'`{n}`' for n in sorted(stand_ins))} (a stand-in was imported; "
                     f"a model that uses it is skipped)")
    if left_out:
        notes.append(f"{', '.join(f'`{name}`' for name in sorted(left_out))} (set at line "
                     f"{', '.join(str(n) for n in sorted(set(left_out.values())))}) could not be computed from the "
                     f"definitions alone: left out (a model that uses it is skipped)")
    if no_op_decorators:
        notes.append(f"{', '.join(f'`{d}`' for d in sorted(no_op_decorators))} (not installed) applied as a no-op: "
                     f"the decorated code ran as written")
        no_op_decorators.clear()
    reset()
    return module, notes


def _star_imports_of_stand_ins(tree: ast.Module) -> List[Tuple[str, str]]:
    """(module, what it needs) of each top-level `from module import *` that imported a stand-in."""
    found = []
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and not node.level and node.module and \
                any(alias.name == "*" for alias in node.names):
            stand_in = sys.modules.get(node.module)
            if getattr(stand_in, "nnlint_stand_in", False):
                found.append((node.module, stand_in.__dict__.get("_nnlint_label") or node.module.split(".")[0]))
    return found


def _define_guarded_classes(module: types.ModuleType, tree: ast.Module, path: str) -> List[str]:
    """Define in the module the classes of its `if __name__ == "__main__":` block (a demo's model,
    `class Classifier(nn.Module)` beside the sampling code), each by running its class statement
    alone, where every name it uses is the module's (or a builtin): the block itself never runs.
    The names defined."""
    import builtins

    defined: List[str] = []
    for guard in (n for n in tree.body if _is_main_guard(n)):
        for node in guard.body:
            if not isinstance(node, ast.ClassDef) or node.name in module.__dict__:
                continue
            free = _names_used(node) - _names_bound(node) - set(module.__dict__) - set(dir(builtins))
            if free:
                continue
            try:
                exec(compile(ast.Module(body=[node], type_ignores=[]), path, "exec"),  # noqa: S102
                     module.__dict__)
            except Exception:  # noqa: BLE001 - the class stays unreachable, as before
                module.__dict__.pop(node.name, None)
                continue
            defined.append(node.name)
    return defined


def _names_bound(node: ast.AST) -> Set[str]:
    """Every name a class statement binds anywhere inside it (parameters, locals, methods,
    comprehension variables, imports): what its loads may refer to without the module."""
    bound: Set[str] = set()
    for inner in ast.walk(node):
        if isinstance(inner, ast.Name) and isinstance(inner.ctx, (ast.Store, ast.Del)):
            bound.add(inner.id)
        elif isinstance(inner, ast.arg):
            bound.add(inner.arg)
        elif isinstance(inner, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(inner.name)
        elif isinstance(inner, (ast.Import, ast.ImportFrom)):
            bound.update((a.asname or a.name).split(".")[0] for a in inner.names)
        elif isinstance(inner, ast.ExceptHandler) and inner.name:
            bound.add(inner.name)
    return bound


def _load_parents(module_name: str, path: str, notes: List[str]) -> None:
    parts = module_name.split(".")[:-1]
    folder = os.path.dirname(os.path.abspath(path))
    folders = []
    for _ in parts:
        folders.insert(0, folder)
        folder = os.path.dirname(folder)
    for index in range(len(parts)):
        name = ".".join(parts[:index + 1])
        if hasattr(sys.modules.get(name), "__path__"):
            continue
        try:
            if not hasattr(importlib.import_module(name), "__path__"):
                # a module of the folder's name earlier on the path (`utils/utils.py` beside
                # `utils/stft.py`, the folder having no __init__): the folder is the package
                _add_package(name, folders[index], parts, index)
        except BaseException as exc:  # noqa: BLE001 - the package's own problem, not this file's
            if isinstance(exc, KeyboardInterrupt):
                raise
            _add_package(name, folders[index], parts, index)
            notes.append(f"the package `{name}`'s __init__ raised {type(exc).__name__}: {exc}: loaded "
                         f"{module_name} without it")


def _add_package(name: str, folder: str, parts: List[str], index: int) -> None:
    """An empty package `name` for `folder`, in place of whatever was imported under that name."""
    for loaded in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
        sys.modules.pop(loaded, None)
    package = types.ModuleType(name)
    package.__path__ = [folder]
    package.__file__ = os.path.join(folder, "__init__.py")
    package.__spec__ = importlib.machinery.ModuleSpec(name, None, is_package=True)
    package.__spec__.submodule_search_locations = [folder]
    sys.modules[name] = package
    if index:
        setattr(sys.modules[".".join(parts[:index])], parts[index], package)


def _failed_import(exc: BaseException, path: str, tree: ast.Module) -> Optional[int]:
    """The line of the file's top-level import statement that `exc` came out of, if it can be
    replaced by stand-ins (`from a import b`, `import a`, `import a.b as c`), or of a top-level
    assignment to plain names (`CONFIGS = {"ViT-B_16": configs.get_b16_config()}`, the config
    made with a package that is not installed); else None."""
    node = _failed_statement(exc, path, tree)
    if isinstance(node, ast.ImportFrom) and all(a.name != "*" for a in node.names):
        return node.lineno
    if isinstance(node, ast.Import) and all(a.asname or "." not in a.name for a in node.names):
        return node.lineno
    if node is not None and _assigned(node):
        return node.lineno
    return None


def _failed_statement(exc: BaseException, path: str, tree: ast.Module) -> Optional[ast.stmt]:
    """The file's top-level statement that `exc` came out of, if any."""
    path = os.path.abspath(path)
    tb = exc.__traceback__
    while tb is not None:
        code = tb.tb_frame.f_code
        if code.co_name == "<module>" and os.path.abspath(code.co_filename) == path:
            line = tb.tb_lineno
            return next((node for node in tree.body if node.lineno <= line <= (node.end_lineno or node.lineno)), None)
        tb = tb.tb_next
    return None


def _assigned(node: ast.stmt) -> List[str]:
    """The names a top-level assignment binds, if it binds plain names only (`a = ...`,
    `a, b = ...`, `a: T = ...`); else []."""
    if isinstance(node, ast.Assign):
        targets = node.targets
    elif isinstance(node, ast.AnnAssign) and node.value is not None:
        targets = [node.target]
    else:
        return []
    names: List[str] = []
    for target in targets:
        elements = target.elts if isinstance(target, (ast.Tuple, ast.List)) else [target]
        if not all(isinstance(e, ast.Name) for e in elements):
            return []
        names.extend(e.id for e in elements)
    return names


def _stand_in(name: str, lacks: str, what: str, node: ast.stmt) -> ast.stmt:
    value = ast.Call(ast.Name("__nnlint_stand_in__", ast.Load()), [ast.Constant(lacks), ast.Constant(what)], [])
    return ast.copy_location(ast.Assign([ast.Name(name, ast.Store())], value), node)


def _without_imports(tree: ast.Module, replaced: Dict[int, str]) -> ast.Module:
    """`tree` with each import statement or assignment at a line of `replaced` binding stand-ins
    instead."""
    if not replaced:
        return tree
    body: List[ast.stmt] = []
    for node in tree.body:
        if node.lineno not in replaced:
            body.append(node)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            origin = node.module or "" if isinstance(node, ast.ImportFrom) else ""
            for alias in node.names:
                body.append(_stand_in(alias.asname or alias.name, replaced[node.lineno],
                                      f"{origin}.{alias.name}" if origin else alias.name, node))
        else:
            body.extend(_stand_in(name, replaced[node.lineno], name, node) for name in _assigned(node))
    return ast.fix_missing_locations(ast.Module(body=body, type_ignores=[]))


def _exec_sliced(module_name: str, path: str, tree: ast.Module) -> types.ModuleType:
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    module.__dict__["__nnlint_stand_in__"] = _Missing
    sys.modules[module_name] = module
    try:
        exec(compile(tree, path, "exec"), module.__dict__)  # noqa: S102 - the user's own definitions
    except BaseException:
        sys.modules.pop(module_name, None)
        raise
    parent, _, child = module_name.rpartition(".")
    if parent and parent in sys.modules:
        setattr(sys.modules[parent], child, module)
    return module
