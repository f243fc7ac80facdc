"""How the project itself builds and calls its models, read from its code and never run.

`net = MySequential(nn.Linear(20, 256), nn.ReLU(), nn.Linear(256, 10))`, then
`net(torch.rand(2, 20))`: the file, its `if __name__ == "__main__":` block, the project's
tests and example scripts say how a model is built and fed. `collect` (the parent, with `ast`,
no torch) finds each place that constructs a model class, and the first call of that instance,
and keeps the arguments it can describe safely, as *recipes* (plain JSON):

    {"v": 64}                                   a literal (numbers, strings, True/False/None)
    {"tuple": [...]} {"list": [...]} {"dict": [[k, v], ...]}   also dict(...), OrderedDict(...)
    {"dtype": "float32"}                        torch.float32, torch.long, ...
    {"tensor": "rand", "args": [...], "kwargs": {...}}   a torch factory: rand, randn, zeros, ...
    {"method": "float", "of": {...}, "args": [...]}      a shape or dtype method of such a tensor
    {"layer": "Linear", "args": [...], "kwargs": {...}}  an nn layer with such arguments
    {"class": ["models", "Encoder"], "args": [...], ...} a model or config class of the project
    {"ref": ["models", "BasicBlock"]}            such a class itself, passed uncalled
    {"namespace": {...}}                         SimpleNamespace(...) / Namespace(...)

Anything else (a variable read from a file, a function's result, a loop variable) makes the
site unusable: nothing else is ever evaluated, and the surrounding script never runs. Names
bound in the same scope to something describable count (`in_units = 64`, `X = torch.rand(2,
20)`), as do simple arithmetic on numbers, `cfg.hidden` of a config built there, `sizes["small"]`
of a dict, `a if FLAG else b` on a describable flag, and the first case of a test's
`@pytest.mark.parametrize`.

`materialize` (the worker, with torch) turns a recipe back into objects; a class of the
project is only called if its module is already imported (the model's file or what it
imported), so no new code of the user's runs.
"""

from __future__ import annotations

import ast
import os
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Set, Tuple

from nnlint import torch_api
from nnlint.verify.guess import Candidate

# where a site was found, in order of preference (a lower rank wins)
SAME_FILE, TESTS, SCRIPTS = 0, 1, 2
_TEST_FILE = re.compile(r"^(test_.*|.*_test|conftest)\.py$")
_TEST_DIRS = {"test", "tests", "testing"}
_SCRIPT_DIRS = {"example", "examples", "demo", "demos", "scripts", "tutorial", "tutorials", "notebooks"}
_SKIP_DIRS = {".git", ".hg", ".tox", ".nox", ".venv", "venv", "env", "node_modules", "__pycache__", "site-packages",
              "dist-packages", "build", "dist", ".mypy_cache", ".pytest_cache", ".nnlint_cache"}
_MAX_FILE = 2_000_000  # bytes: larger files are data, not usage
_MAX_FILES = 3000
PARAMETRIZE_CASES = 3  # a test's parametrize cases read (each a site)

TENSOR_FACTORIES = {"rand", "randn", "randint", "zeros", "ones", "empty", "full", "arange", "tensor", "Tensor",
                    "FloatTensor", "DoubleTensor", "LongTensor", "IntTensor", "BoolTensor",
                    "as_tensor", "eye", "linspace", "rand_like", "randn_like", "zeros_like", "ones_like",
                    "full_like", "randperm", "normal"}
TENSOR_METHODS = {"float", "double", "half", "long", "int", "bool", "unsqueeze", "view", "reshape", "permute",
                  "transpose", "t", "flatten", "contiguous", "expand", "repeat", "squeeze", "to",
                  "requires_grad_", "clone", "detach", "abs", "softmax", "sigmoid"}
_PLACEMENT = {"to", "cuda", "cpu", "eval", "train", "requires_grad_", "share_memory"}
_CONFIG_NAME = re.compile(r"(Config|Cfg|Conf|Args|Arguments|Params|Parameters|Options|Opts|Settings|HParams|"
                          r"Hparams|Hyperparameters)$")
_NAMESPACES = {"types.SimpleNamespace", "argparse.Namespace"}
_RAISES = {"raises", "assertRaises", "assertRaisesRegex"}
_DEVICE_KWARGS = {"device", "pin_memory", "layout", "generator", "out", "memory_format"}


@dataclass
class Site:
    """One place the code builds a model class, and (if found) the first call of that instance."""

    where: str  # "tests/test_models.py:42", the construction
    rank: int  # SAME_FILE, TESTS or SCRIPTS
    args: List[dict] = field(default_factory=list)
    kwargs: Dict[str, dict] = field(default_factory=dict)
    fed_where: str = ""  # where the instance is called, "" if never (or not describably)
    inputs: Optional[List[dict]] = None
    input_kwargs: Dict[str, dict] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"where": self.where, "rank": self.rank, "args": self.args, "kwargs": self.kwargs,
                "fed_where": self.fed_where, "inputs": self.inputs, "input_kwargs": self.input_kwargs}

    @classmethod
    def from_dict(cls, data: dict) -> "Site":
        return cls(**data)

    @property
    def key(self):
        return (self.inputs is None, self.rank)


# ----- finding the files -------------------------------------------------------------------------
def usage_files(checked: Sequence[str], root: str) -> List[Tuple[str, int]]:
    """(absolute path, rank): the checked files, then the tests and example scripts under root."""
    out: List[Tuple[str, int]] = []
    seen: Set[str] = set()
    for path in checked:  # a checked test or script still ranks as one
        path = os.path.abspath(path)
        if path not in seen:
            seen.add(path)
            out.append((path, _rank(path, root, SAME_FILE)))
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS and not d.startswith(".")
                         and not os.path.exists(os.path.join(folder, d, "pyvenv.cfg")))
        for name in sorted(files):
            path = os.path.join(folder, name)
            if name.endswith(".ipynb") and path not in seen:  # a notebook is an example
                rank = _rank(path, root, SCRIPTS)
            else:
                rank = _rank(path, root, None) if name.endswith(".py") and path not in seen else None
            if rank is None:
                continue
            seen.add(path)
            out.append((path, rank))
            if len(out) >= _MAX_FILES:
                return out
    return out


def _rank(path: str, root: str, otherwise: Optional[int]) -> Optional[int]:
    """TESTS for a test file (or one under tests/), SCRIPTS for an example or script, else `otherwise`."""
    name = os.path.basename(path)
    parts = set(os.path.relpath(os.path.dirname(path), root).split(os.sep))
    if _TEST_FILE.match(name) or parts & _TEST_DIRS:
        return TESTS
    if parts & _SCRIPT_DIRS or name.startswith(("example", "demo", "train", "run_", "main")):
        return SCRIPTS
    return otherwise


# ----- reading one file ------------------------------------------------------------------------
Target = Tuple[str, str]  # (dotted module, class name)


def collect(targets: Iterable[Target], checked: Sequence[str], root: str,
            module_of: Callable[[str], str]) -> Dict[Target, List[Site]]:
    """The sites of each target class, best first (with inputs, then same file, tests, scripts).
    `module_of(path)`: a file's dotted import name, as the targets are named."""
    targets = list(targets)
    found: Dict[Target, List[Site]] = {t: [] for t in targets}
    if not targets:
        return found
    from nnlint.sources import DocumentError, Document, kind_of, read

    exports = _Exports(root)
    for path, rank in usage_files(checked, root):
        document: Optional[Document] = None
        try:
            if os.path.getsize(path) > _MAX_FILE:
                continue
            with open(path, "rb") as handle:
                data = handle.read()
            if kind_of(path) == "notebook":  # its code cells, one program, as `check` reads it
                document = read(path, data.decode("utf-8"))
                data = document.python
            tree = ast.parse(data, filename=path)
        except (OSError, SyntaxError, ValueError, RecursionError, MemoryError, DocumentError):
            continue
        reader = _FileReader(path, rank, module_of(path), targets, exports, document)
        try:
            reader.read(tree)
        except RecursionError:
            continue
        for target, sites in reader.sites.items():
            found[target].extend(sites)
    for sites in found.values():
        sites.sort(key=lambda s: s.key)
    return found


class _Exports:
    """What a package's `__init__.py` re-exports from its modules (`from .vit import ViT`), read
    once per package: `from vit_pytorch import ViT` then names `vit_pytorch.vit.ViT`."""

    def __init__(self, root: str):
        self.root = root
        self.read: Dict[str, Dict[str, str]] = {}

    def of(self, package: str) -> Dict[str, str]:
        if package not in self.read:
            self.read[package] = self._parse(package)
        return self.read[package]

    def _parse(self, package: str) -> Dict[str, str]:
        parts = package.split(".")
        for base in (self.root, os.path.join(self.root, "src")):
            path = os.path.join(base, *parts, "__init__.py")
            try:
                if os.path.getsize(path) > _MAX_FILE:
                    return {}
                with open(path, "rb") as handle:
                    tree = ast.parse(handle.read(), filename=path)
            except (OSError, SyntaxError, ValueError, RecursionError, MemoryError):
                continue
            out: Dict[str, str] = {}
            for node in tree.body:
                if isinstance(node, ast.ImportFrom) and (node.module or node.level):
                    module = node.module or ""
                    if node.level:
                        above = parts[:len(parts) - node.level + 1]
                        module = ".".join(above + ([module] if module else []))
                    for alias in node.names:
                        if alias.name != "*":
                            out[alias.asname or alias.name] = f"{module}.{alias.name}"
            return out
        return {}


def _display(path: str) -> str:
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative


def _same_module(a: str, b: str) -> bool:
    return a == b or a.endswith("." + b) or b.endswith("." + a)


class _FileReader:
    """Walks a file's scopes in order, statement by statement, keeping what each name holds."""

    def __init__(self, path: str, rank: int, module: str, targets: List[Target],
                 exports: Optional[_Exports] = None, document=None):
        self.path, self.rank, self.module = path, rank, module
        self.shown = _display(path)
        self.exports, self.document = exports, document
        self.targets = targets
        self.by_class: Dict[str, List[Target]] = {}
        for target in targets:
            self.by_class.setdefault(target[1], []).append(target)
        self.names: Dict[str, str] = {}  # local name -> the dotted name it stands for
        self.sites: Dict[Target, List[Site]] = {}
        self.recorded: Dict[int, Site] = {}  # id(call node) -> its site
        self.classes: Set[str] = set()  # the classes this file defines at its top level
        # functions of this file without parameters that return a construction: `def ResNet18():
        # return ResNet(BasicBlock, [2, 2, 2, 2])`; calling one builds what it returns
        self.factories: Dict[str, ast.FunctionDef] = {}
        self.module_env: Dict[str, Optional[dict]] = {}
        self.read_functions: Set[int] = set()
        self.rebound: Set[str] = set()  # module globals some function sets (`global h`)
        self.case = ""  # " (parametrize case 2)" while a test is read with its second case

    # -- names ----------------------------------------------------------------------------------
    def read(self, tree: ast.Module) -> None:
        for node in tree.body:  # imports and classes anywhere at the top level name things
            self._bind_import(node)
            if isinstance(node, ast.ClassDef):
                self.names[node.name] = f"{self.module}.{node.name}"
                self.classes.add(node.name)
            elif isinstance(node, ast.FunctionDef) and _no_parameters(node.args) and node.body \
                    and isinstance(node.body[-1], ast.Return) and isinstance(node.body[-1].value, ast.Call):
                self.factories[node.name] = node
            elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Attribute) \
                    and self._qualified(node.value) == "pytest.mark.parametrize":
                for name in _names(node.targets[0]):  # `param = pytest.mark.parametrize`
                    self.names[name] = "pytest.mark.parametrize"
        # `h = None` at the top, set by main() through `global h`: a placeholder, unknown in functions
        self.rebound = {name for node in ast.walk(tree) if isinstance(node, ast.Global) for name in node.names}
        self._scope(tree.body, self.module_env, {})
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self._function(node)

    def _function(self, node) -> None:
        if id(node) in self.read_functions:
            return
        self.read_functions.add(id(node))
        env = dict(self.module_env)  # module constants are visible; the parameters are unknown
        env.update(dict.fromkeys(self.rebound & set(env)))
        for arg in ast.walk(node.args):
            if isinstance(arg, ast.arg):
                env[arg.arg] = None
        cases = self._parametrized(node, self.module_env)
        self._scope(node.body, dict(env, **cases[0]) if cases else env, {})
        for number, case in enumerate(cases[1:], 2):  # the next cases: sites of their own, tried after
            saved, self.case = self.recorded, f" (parametrize case {number})"
            inside = {id(child) for child in ast.walk(node)}
            self.recorded = {key: site for key, site in saved.items() if key not in inside}
            try:
                self._scope(node.body, dict(env, **case), {})
            finally:
                self.recorded, self.case = saved, ""

    def _parametrized(self, func: ast.FunctionDef, env) -> List[Dict[str, Optional[dict]]]:
        """The cases of a test's `@pytest.mark.parametrize(names, values)` decorators, up to
        PARAMETRIZE_CASES: the first case of each, then the second (a decorator with fewer cases
        keeps its last), ... A first case may be a corner case (an all-False mask): a model it
        gives NaN is tried with the next (worker.py)."""
        decorators: List[List[Dict[str, Optional[dict]]]] = []
        for decorator in func.decorator_list:
            if not (isinstance(decorator, ast.Call) and len(decorator.args) >= 2
                    and self._qualified(decorator.func) == "pytest.mark.parametrize"):
                continue
            names_node, values = decorator.args[0], decorator.args[1]
            if isinstance(names_node, ast.Constant) and isinstance(names_node.value, str):
                names = [n.strip() for n in names_node.value.split(",") if n.strip()]
            elif isinstance(names_node, (ast.Tuple, ast.List)):
                names = [e.value for e in names_node.elts if isinstance(e, ast.Constant)]
            else:
                continue
            if not isinstance(values, (ast.Tuple, ast.List)) or not values.elts:
                continue
            cases = []
            for value in values.elts[:PARAMETRIZE_CASES]:
                if isinstance(value, ast.Call) and self._qualified(value.func) == "pytest.param":
                    value = ast.Tuple(elts=list(value.args), ctx=ast.Load()) if len(value.args) != 1 else value.args[0]
                if len(names) == 1:
                    cases.append({names[0]: self.recipe(value, env)})
                elif isinstance(value, (ast.Tuple, ast.List)) and len(value.elts) == len(names):
                    cases.append({n: self.recipe(e, env) for n, e in zip(names, value.elts)})
                else:
                    cases.append({})
            decorators.append(cases)
        count = max((len(cases) for cases in decorators), default=0)
        out = []
        for number in range(count):
            bound: Dict[str, Optional[dict]] = {}
            for cases in decorators:
                bound.update(cases[min(number, len(cases) - 1)])
            out.append(bound)
        return out

    def _bind_import(self, node: ast.stmt) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    self.names[alias.asname] = alias.name
                else:
                    top = alias.name.split(".")[0]
                    self.names[top] = top
        elif isinstance(node, ast.ImportFrom) and (node.module is not None or node.level):
            base = node.module or ""
            if node.level:
                package = self.module.split(".")[:-node.level]
                base = ".".join(package + ([base] if base else []))
            for alias in node.names:
                if alias.name != "*":
                    self.names[alias.asname or alias.name] = f"{base}.{alias.name}" if base else alias.name

    def _qualified(self, node: ast.expr) -> Optional[str]:
        """`torch.nn.Linear` for `nn.Linear` (after `from torch import nn`), `models.Net` for `Net`."""
        parts: List[str] = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name):
            return None
        parts.reverse()
        bound = self.names.get(node.id)
        if bound is None:
            return node.id if node.id == "dict" and not parts else None
        return ".".join([bound] + parts)

    def _target(self, qualified: Optional[str]) -> Optional[Target]:
        if not qualified or "." not in qualified:
            return None
        module, name = qualified.rsplit(".", 1)
        candidates = self.by_class.get(name, [])
        exact = [t for t in candidates if _same_module(t[0], module)]
        if exact:
            return exact[0]
        packaged = [t for t in candidates if t[0].startswith(module + ".")]  # re-exported by a package
        if len(candidates) == 1 and packaged:
            return packaged[0]
        exported = self.exports.of(module).get(name) if packaged and self.exports is not None else None
        if exported is not None:
            module, name = exported.rsplit(".", 1)
            return next((t for t in self.by_class.get(name, []) if _same_module(t[0], module)), None)
        return None

    def _place(self, line: int) -> str:
        """`models.py:42`, or `demo.ipynb:cell 3:2` in a notebook (as `check` names its cells)."""
        location = self.document.locate(line, 1) if self.document is not None else None
        if location is not None and location.cell is not None:
            return f"{self.shown}:cell {location.cell}:{location.line}"
        return f"{self.shown}:{line}"

    # -- scopes ---------------------------------------------------------------------------------
    def _scope(self, body: Sequence[ast.stmt], env: Dict[str, Optional[dict]],
               instances: Dict[str, Tuple[Site, bool]]) -> None:
        """Statements in order; `env`: name -> recipe (None: unknown); `instances`: name -> the
        site it was built at, and whether it is that site itself (False: a Sequential it heads)."""
        for stmt in body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                env.pop(stmt.name, None)
                continue
            if isinstance(stmt, (ast.If, ast.For, ast.AsyncFor, ast.While)):
                self._expression(stmt.test if isinstance(stmt, (ast.If, ast.While)) else stmt.iter, env, instances)
                if isinstance(stmt, (ast.For, ast.AsyncFor)):
                    for name in _names(stmt.target):
                        env[name] = None
                self._scope(stmt.body, env, instances)
                self._scope(stmt.orelse, env, instances)
                continue
            if isinstance(stmt, (ast.With, ast.AsyncWith)):
                if any(_is_raises(item.context_expr) for item in stmt.items):
                    continue  # built or called to show that it fails
                for item in stmt.items:
                    self._expression(item.context_expr, env, instances)
                    if item.optional_vars is not None:
                        for name in _names(item.optional_vars):
                            env[name] = None
                self._scope(stmt.body, env, instances)
                continue
            if isinstance(stmt, ast.Try):
                for block in (stmt.body, *(h.body for h in stmt.handlers), stmt.orelse, stmt.finalbody):
                    self._scope(block, env, instances)
                continue
            if isinstance(stmt, (ast.Assign, ast.AnnAssign)) and stmt.value is not None:
                self._assign(stmt, env, instances)
                continue
            if isinstance(stmt, ast.AugAssign):
                self._expression(stmt.value, env, instances)
                for name in _names(stmt.target):
                    env[name] = None
                continue
            if isinstance(stmt, (ast.Import, ast.ImportFrom)):
                self._bind_import(stmt)
                continue
            for child in ast.iter_child_nodes(stmt):
                if isinstance(child, ast.expr):
                    self._expression(child, env, instances)

    def _assign(self, stmt, env, instances) -> None:
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        value = stmt.value
        built = self._construction(value, env, instances)
        self._expression(value, env, instances)
        if len(targets) == 1 and isinstance(targets[0], ast.Name):
            name = targets[0].id
            instances.pop(name, None)
            if built is not None:
                instances[name] = built
            # a built model passed on is its recipe (where it goes and its mode do not matter)
            env[name] = self.recipe(_unplaced(value) if built is not None else value, env)
            return
        if (len(targets) == 1 and isinstance(targets[0], (ast.Tuple, ast.List))
                and isinstance(value, (ast.Tuple, ast.List)) and len(value.elts) == len(targets[0].elts)):
            for target, item in zip(targets[0].elts, value.elts):
                for name in _names(target):
                    instances.pop(name, None)
                    env[name] = self.recipe(item, env) if isinstance(target, ast.Name) else None
            return
        for target in targets:
            for name in _names(target):
                instances.pop(name, None)
                env[name] = None

    def _construction(self, node: ast.expr, env, instances) -> Optional[Tuple[Site, bool]]:
        """The site an expression builds (a target class, maybe moved with .to()/.eval(), or an
        nn.Sequential whose first element is one), recorded; None if it builds none."""
        node = _unplaced(node)
        if not isinstance(node, ast.Call):
            return None
        target = self._target(self._qualified(node.func))
        if target is not None:
            return self._record(target, node, env), True
        if isinstance(node.func, ast.Name) and node.func.id in self.factories and node.func.id not in env \
                and not node.args and not node.keywords:
            factory = self.factories[node.func.id]  # `net = ResNet18()`
            self._function(factory)  # (once) what it returns is recorded there
            built = self.recorded.get(id(_unplaced(factory.body[-1].value)))
            return (built, True) if built is not None else None
        if self._qualified(node.func) in ("torch.nn.Sequential",) and node.args:
            for arg in node.args[1:]:
                self._construction(arg, env, instances)
            first = self._construction(node.args[0], env, instances)
            return (first[0], False) if first is not None else None
        return None

    def _record(self, target: Target, call: ast.Call, env) -> Site:
        """The site of a construction (once per call node); kept only if its arguments can be
        described (an instance built some other way still takes its calls, to no one)."""
        if id(call) in self.recorded:
            return self.recorded[id(call)]
        args, kwargs = self.arguments(call, env)
        site = Site(where=self._place(call.lineno) + self.case, rank=self.rank, args=args or [], kwargs=kwargs)
        self.recorded[id(call)] = site
        if args is not None:
            self.sites.setdefault(target, []).append(site)
        return site

    def _expression(self, node: ast.expr, env, instances) -> None:
        """Sites built and instances called anywhere inside an expression."""
        for child in _walk_calls(node):
            func = child.func
            callee = func.value if isinstance(func, ast.Attribute) and func.attr == "forward" else func
            if isinstance(callee, ast.Name) and callee.id in instances:
                self._feed(instances[callee.id], child, env)
                continue
            built = self._construction(callee, env, instances) if isinstance(callee, ast.Call) else None
            if built is not None:  # Net(4)(x)
                self._feed(built, child, env)
                continue
            if isinstance(child, ast.Call) and self._target(self._qualified(child.func)) is not None:
                self._construction(child, env, instances)

    def _feed(self, built: Tuple[Site, bool], call: ast.Call, env) -> None:
        site, _ = built
        if site.fed_where:
            return
        args, kwargs = self.arguments(call, env)
        if args is None:
            return
        site.fed_where, site.inputs, site.input_kwargs = self._place(call.lineno), args, kwargs

    # -- recipes --------------------------------------------------------------------------------
    def arguments(self, call: ast.Call, env) -> Tuple[Optional[List[dict]], Dict[str, dict]]:
        args: List[dict] = []
        for arg in call.args:
            if isinstance(arg, ast.Starred):
                spread = self.recipe(arg.value, env)
                if spread is None or not ({"tuple", "list"} & set(spread)):
                    return None, {}
                args.extend(spread.get("tuple", spread.get("list")))
                continue
            value = self.recipe(arg, env)
            if value is None:
                return None, {}
            args.append(value)
        kwargs: Dict[str, dict] = {}
        for keyword in call.keywords:
            if keyword.arg is None:
                spread = self.recipe(keyword.value, env)
                if spread is None or "dict" not in spread or not all(isinstance(k.get("v"), str)
                                                                     for k, _ in spread["dict"]):
                    return None, {}
                kwargs.update({k["v"]: v for k, v in spread["dict"]})
                continue
            value = self.recipe(keyword.value, env)
            if value is None:
                return None, {}
            kwargs[keyword.arg] = value
        return args, kwargs

    def recipe(self, node: Optional[ast.expr], env) -> Optional[dict]:
        """What `node` evaluates to, as a recipe; None if it is not one of the safe shapes."""
        if node is None:
            return None
        if isinstance(node, ast.Constant):
            return _literal(node.value)
        if isinstance(node, ast.Name):
            if node.id in env:
                return env[node.id]
            target = self._target(self._qualified(node))  # a class passed, not called (`BasicBlock`)
            if target is not None:
                return {"ref": list(target)}
            return {"ref": [self.module, node.id]} if node.id in self.classes else None
        if isinstance(node, (ast.Tuple, ast.List)):
            items = [self.recipe(e, env) for e in node.elts]
            if any(i is None for i in items) or any(isinstance(e, ast.Starred) for e in node.elts):
                return None
            return {"tuple" if isinstance(node, ast.Tuple) else "list": items}
        if isinstance(node, ast.Dict):
            pairs = []
            for key, value in zip(node.keys, node.values):
                k, v = self.recipe(key, env), self.recipe(value, env)
                if k is None or v is None or "v" not in k:
                    return None
                pairs.append([k, v])
            return {"dict": pairs}
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            value = self.recipe(node.operand, env)
            if value is not None and _number(value):
                return {"v": -value["v"] if isinstance(node.op, ast.USub) else value["v"]}
            return None
        if isinstance(node, ast.BinOp):
            return _arithmetic(node.op, self.recipe(node.left, env), self.recipe(node.right, env))
        if isinstance(node, ast.IfExp):
            test = self.recipe(node.test, env)
            if test is None or "v" not in test:
                return None
            return self.recipe(node.body if test["v"] else node.orelse, env)
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
            owner, key = env.get(node.value.id), self.recipe(node.slice, env)
            if owner is not None and "dict" in owner and key is not None and "v" in key:
                return next((v for k, v in owner["dict"] if k.get("v") == key["v"]), None)
            return None
        if isinstance(node, ast.Attribute):
            return self._attribute(node, env)
        if isinstance(node, ast.Call):
            return self._call(node, env)
        return None

    def _attribute(self, node: ast.Attribute, env) -> Optional[dict]:
        qualified = self._qualified(node)
        if qualified and qualified.startswith("torch.") and qualified.count(".") == 1:
            name = qualified.split(".")[1]
            if name in _DTYPES:
                return {"dtype": name}
        owner = self.recipe(node.value, env) if isinstance(node.value, ast.Name) else None
        if owner is not None:  # cfg.hidden, for a config built from describable values
            fields = owner.get("namespace") or (dict(owner.get("kwargs", {})) if "class" in owner else None)
            if fields and node.attr in fields:
                return fields[node.attr]
        return None

    def _call(self, node: ast.Call, env) -> Optional[dict]:
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in TENSOR_METHODS | _PLACEMENT:
            of = self.recipe(func.value, env)
            if of is not None and ("tensor" in of or "method" in of):
                args, kwargs = self.arguments(node, env)
                if args is None:
                    return None
                if func.attr in _PLACEMENT:
                    args = [a for a in args if "dtype" in a]
                    if not args and func.attr != "requires_grad_":
                        return of  # a move to a device: the checks choose the device
                return {"method": func.attr, "of": of, "args": args,
                        "kwargs": {k: v for k, v in kwargs.items() if k not in _DEVICE_KWARGS}}
        qualified = self._qualified(func)
        if qualified is None:
            return None
        args, kwargs = self.arguments(node, env)
        if args is None:
            return None
        if qualified.startswith("torch.") and qualified.count(".") == 1 and qualified[6:] in TENSOR_FACTORIES:
            return {"tensor": qualified[6:], "args": args,
                    "kwargs": {k: v for k, v in kwargs.items() if k not in _DEVICE_KWARGS}}
        if torch_api.is_module_class(qualified):
            return {"layer": qualified.rsplit(".", 1)[1], "args": args, "kwargs": kwargs}
        if qualified in ("dict", "collections.OrderedDict"):
            if len(args) > 1 or args and "dict" not in args[0]:
                return None
            return {"dict": (args[0]["dict"] if args else []) + [[{"v": k}, v] for k, v in kwargs.items()]}
        if qualified in _NAMESPACES:
            return None if args else {"namespace": kwargs}
        target = self._target(qualified)
        module, _, name = qualified.rpartition(".")
        if target is not None:
            module, name = target
        if module and (target is not None or _CONFIG_NAME.search(name)):
            return {"class": [module, name], "args": args, "kwargs": kwargs}
        return None


_DTYPES = {"float32", "float", "float64", "double", "float16", "half", "bfloat16", "int64", "long", "int32",
           "int", "int16", "short", "int8", "uint8", "bool", "complex64", "cfloat", "complex128"}


def _literal(value: Any) -> Optional[dict]:
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return {"v": value}
    if isinstance(value, float):
        return {"v": value} if value == value and abs(value) != float("inf") else {"float": repr(value)}
    return None  # bytes, complex, Ellipsis


def _number(recipe: dict) -> bool:
    return "v" in recipe and isinstance(recipe["v"], (int, float)) and not isinstance(recipe["v"], bool)


def _arithmetic(op: ast.operator, left: Optional[dict], right: Optional[dict]) -> Optional[dict]:
    if left is None or right is None or not (_number(left) and _number(right)):
        if left and right and "v" in left and "v" in right and isinstance(op, ast.Add) \
                and isinstance(left["v"], str) and isinstance(right["v"], str):
            return {"v": left["v"] + right["v"]}
        return None
    a, b = left["v"], right["v"]
    try:
        if isinstance(op, ast.Add):
            value = a + b
        elif isinstance(op, ast.Sub):
            value = a - b
        elif isinstance(op, ast.Mult):
            value = a * b
        elif isinstance(op, ast.FloorDiv):
            value = a // b
        elif isinstance(op, ast.Div):
            value = a / b
        elif isinstance(op, ast.Mod):
            value = a % b
        elif isinstance(op, ast.Pow) and abs(b) <= 64:
            value = a ** b
        else:
            return None
    except (ArithmeticError, ValueError):
        return None
    return {"v": value} if abs(value) < 1e15 else None


def _no_parameters(args: ast.arguments) -> bool:
    return not (args.posonlyargs or args.args or args.vararg or args.kwonlyargs or args.kwarg)


def _names(target: ast.expr) -> List[str]:
    return [n.id for n in ast.walk(target) if isinstance(n, ast.Name)]


def _unplaced(node: ast.expr) -> ast.expr:
    """`Net(4).to(device).eval()` -> `Net(4)`."""
    while (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
           and node.func.attr in _PLACEMENT | {"float", "double", "half"}):
        node = node.func.value
    return node


def _is_raises(node: ast.expr) -> bool:
    func = node.func if isinstance(node, ast.Call) else node
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    return name in _RAISES


def _walk_calls(node: ast.expr) -> List[ast.Call]:
    """The calls inside an expression, outermost first, not into lambdas or comprehensions' scopes."""
    out: List[ast.Call] = []
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, ast.Lambda):
            continue
        if isinstance(current, ast.Call):
            out.append(current)
        stack.extend(reversed(list(ast.iter_child_nodes(current))))
    return out


# ----- the worker's side: recipes back into objects ----------------------------------------------
class Unusable(Exception):
    """A recipe that cannot be made here (its class's module is not imported, a tensor too large)."""


MAX_ELEMENTS = 1 << 25  # per input tensor (128 MB of float32): a larger usage input is not taken


def materialize(recipe: dict):
    import sys

    import torch

    if "v" in recipe:
        return recipe["v"]
    if "float" in recipe:
        return float(recipe["float"])
    if "tuple" in recipe:
        return tuple(materialize(r) for r in recipe["tuple"])
    if "list" in recipe:
        return [materialize(r) for r in recipe["list"]]
    if "dict" in recipe:
        return {materialize(k): materialize(v) for k, v in recipe["dict"]}
    if "namespace" in recipe:
        import types

        return types.SimpleNamespace(**{k: materialize(v) for k, v in recipe["namespace"].items()})
    if "dtype" in recipe:
        dtype = getattr(torch, recipe["dtype"], None)
        if not isinstance(dtype, torch.dtype):
            raise Unusable(f"torch.{recipe['dtype']} is not a dtype here")
        return dtype
    args = [materialize(r) for r in recipe.get("args", [])]
    kwargs = {k: materialize(v) for k, v in recipe.get("kwargs", {}).items()}
    if "tensor" in recipe:
        if recipe["tensor"] not in TENSOR_FACTORIES:
            raise Unusable(f"torch.{recipe['tensor']}")
        _check_size(recipe["tensor"], args, kwargs)
        return getattr(torch, recipe["tensor"])(*args, **kwargs)
    if "method" in recipe:
        if recipe["method"] not in TENSOR_METHODS:
            raise Unusable(f".{recipe['method']}()")
        return getattr(materialize(recipe["of"]), recipe["method"])(*args, **kwargs)
    if "layer" in recipe:
        layer = getattr(torch.nn, recipe["layer"], None)
        if not (isinstance(layer, type) and issubclass(layer, torch.nn.Module)):
            raise Unusable(f"nn.{recipe['layer']}")
        return layer(*args, **kwargs)
    if "class" in recipe or "ref" in recipe:
        module_name, name = recipe.get("class") or recipe["ref"]
        module = next((m for key, m in list(sys.modules.items())
                       if m is not None and _same_module(key, module_name) and isinstance(getattr(m, name, None), type)),
                      None)
        if module is None:
            raise Unusable(f"{module_name}.{name} is not imported by the model's file")
        cls = getattr(module, name)
        return cls if "ref" in recipe else cls(*args, **kwargs)
    raise Unusable(f"unknown recipe {sorted(recipe)}")


def _check_size(factory: str, args: list, kwargs: dict) -> None:
    shape = kwargs.get("size")
    if shape is None and factory in ("rand", "randn", "zeros", "ones", "empty"):
        shape = args[0] if len(args) == 1 and isinstance(args[0], (tuple, list)) else args
    elif shape is None and factory == "randint":
        shape = next((a for a in args if isinstance(a, (tuple, list))), ())
    elif shape is None and factory == "full":
        shape = args[0] if args else ()
    count = 1
    for dim in shape or ():
        if isinstance(dim, int):
            count *= max(dim, 0)
    if count > MAX_ELEMENTS:
        raise Unusable(f"torch.{factory} of {count:,} elements")


@dataclass
class FromUsage(Candidate):
    """A constructor call as a usage site makes it: fresh arguments (layers, tensors) each call."""

    site: Optional[Site] = None
    shrunk: List[str] = field(default_factory=list)  # ["dim 1024 -> 32"] when the site's sizes were cut

    @property
    def shrunk_note(self) -> str:
        return f" (shrunk for a fast run: {', '.join(self.shrunk)})" if self.shrunk else ""

    @property
    def input_shrunk(self) -> bool:
        """Whether a size the input follows was shrunk (`image_size`, `max_seq_len`): then the
        site's own inputs are too large for it, or larger than needed."""
        return any(_INPUT_SIZE_NAME.search(change.split(" ")[0].lower()) for change in self.shrunk) \
            and not any(change.startswith(INPUTS_FOLLOW) for change in self.shrunk)

    def call(self, cls):
        args, kwargs = make(self.site)
        return cls(*args, **kwargs)

    def named(self, cls) -> Dict[str, Any]:
        """The site's arguments by parameter name (their sizes seed the input guesses)."""
        import inspect

        try:
            args, kwargs = make(self.site)
            return dict(inspect.signature(cls).bind_partial(*args, **kwargs).arguments)
        except Exception:
            return {}

    def describe(self, cls_name: str) -> str:
        return f"{cls_name}(...) as in {self.site.where}"

    def __eq__(self, other) -> bool:  # `in` tests identity, not equal arguments
        return self is other

    __hash__ = object.__hash__


def make(site: Site) -> Tuple[tuple, dict]:
    """The constructor's (args, kwargs) of a site; Unusable if a part cannot be made."""
    return tuple(materialize(r) for r in site.args), {k: materialize(v) for k, v in site.kwargs.items()}


def feed(site: Site) -> Optional[Tuple[tuple, dict]]:
    """The (args, kwargs) the site calls the instance with, or None."""
    if site.inputs is None:
        return None
    return tuple(materialize(r) for r in site.inputs), {k: materialize(v) for k, v in site.input_kwargs.items()}


# ----- shrinking a site's sizes (the size guard) ---------------------------------------------------
MAX_BATCH = 2  # a shrunk site's inputs keep at most this many samples
_INPUT_SIZE_NAME = re.compile(r"(image|img|input)_?(size|res|resolution|shape)$|^resolution$|seq|len|block_size|ctx|"
                              r"positions|context")


def shrink(site: Site, names: Sequence[str], spatial: bool = True) -> Optional[Tuple[Site, List[str]]]:
    """The site with its large size-named integers made small (`dim=1024` -> 32, also inside a
    nested constructor call such as `attn_layers=Decoder(dim=512)`) and its inputs cut to
    MAX_BATCH samples, with what changed ("dim 1024 -> 32"); None when nothing is large.
    `names`: the constructor's parameter names, for the positional arguments. `spatial=False`:
    image, sequence, patch, window and kernel sizes are kept as written (widths, depths and
    counts only)."""
    changes: List[str] = []
    named = {names[i] if i < len(names) else f" {i}": r for i, r in enumerate(site.args)}
    named.update(site.kwargs)
    named = {k: _shrunk_recipe(k.strip() and k, r, changes, spatial) for k, r in named.items()}
    if not changes:
        return None
    _fit(named, changes)
    args = list(named.values())[:len(site.args)]
    kwargs = {k: named[k] for k in site.kwargs}
    sizes = _input_sizes(changes)
    resized: List[int] = []
    inputs = None if site.inputs is None else [_resized(_fewer_samples(r), sizes, resized) for r in site.inputs]
    input_kwargs = {k: _resized(_fewer_samples(r), sizes, resized) for k, r in site.input_kwargs.items()}
    changes += [f"{INPUTS_FOLLOW}{old} -> {sizes[old]}" for old in sorted(sizes) if old in resized]
    return Site(site.where, site.rank, args, kwargs, site.fed_where, inputs, input_kwargs), changes


_SPATIAL_NAME = re.compile(r"patch|window|kernel|stride|pool|^size$")  # besides _INPUT_SIZE_NAME


def _shrunk_recipe(name: str, recipe: dict, changes: List[str], spatial: bool = True) -> dict:
    from nnlint.verify import guess

    if not spatial and name and (_INPUT_SIZE_NAME.search(name.lower()) or _SPATIAL_NAME.search(name.lower())):
        return recipe
    if "v" in recipe:
        small = guess.smaller_value(name, recipe["v"]) if name else guess.EMPTY
        if small is guess.EMPTY:
            return recipe
        changes.append(f"{name} {recipe['v']} -> {small}")
        return {"v": small}
    for key in ("tuple", "list"):  # `num_blocks=[3, 4, 6, 3]`: each count
        if key in recipe and name and all("v" in item for item in recipe[key]):
            smalls = [guess.smaller_value(name, item["v"]) for item in recipe[key]]
            if any(small is not guess.EMPTY for small in smalls) and guess._DEPTH_NAME.search(name.lower()):
                values = [item["v"] if small is guess.EMPTY else small for item, small in zip(recipe[key], smalls)]
                changes.append(f"{name} {_plain_repr(key, [item['v'] for item in recipe[key]])} -> "
                               f"{_plain_repr(key, values)}")
                return {key: [{"v": value} for value in values]}
    if "class" in recipe:  # `Decoder(dim=512, depth=6)` passed on, `GPTConfig(vocab_size=50304)`
        inner: List[str] = []
        kwargs = {k: _shrunk_recipe(k, r, inner, spatial) for k, r in recipe.get("kwargs", {}).items()}
        defaults = _defaults(recipe, kwargs)
        for name, default in defaults.items():
            kwargs[name] = _shrunk_recipe(name, default, inner, spatial)
        if not inner:
            return recipe
        _fit(kwargs, inner)  # the defaults kept count too (`n_head=12` with `n_embd` shrunk)
        changes += inner
        shrunk = {change.split(" ")[0] for change in inner}
        return dict(recipe, kwargs={k: r for k, r in kwargs.items() if k not in defaults or k in shrunk})
    return recipe


def _defaults(recipe: dict, kwargs: Dict[str, dict]) -> Dict[str, dict]:
    """The integer defaults a constructor call leaves to its class, as recipes
    (`GPTConfig(vocab_size=50304)` leaves `n_layer=12, n_embd=768` to be shrunk too)."""
    import inspect

    try:
        params = list(inspect.signature(materialize({"ref": recipe["class"]})).parameters.values())
    except Exception:
        return {}
    return {p.name: {"v": p.default} for p in params[len(recipe.get("args", [])):]
            if p.name not in kwargs and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
            and isinstance(p.default, int) and not isinstance(p.default, bool)}


def _plain_repr(key: str, values: list) -> str:
    return repr(tuple(values) if key == "tuple" else values)


def _fit(kwargs: Dict[str, dict], changes: List[str]) -> None:
    """Shrunk widths stay multiples of the head counts kept (`dim % heads == 0`)."""
    from nnlint.verify import guess

    shrunk = [change.split(" ")[0] for change in changes]
    values = {k: r["v"] for k, r in kwargs.items() if "v" in r}
    before = dict(values)
    guess.fit_widths(values, shrunk, values)
    for index, name in enumerate(shrunk):
        if values.get(name) != before.get(name):
            kwargs[name] = {"v": values[name]}
            changes[index] = changes[index].rsplit(" ", 1)[0] + f" {values[name]}"


INPUTS_FOLLOW = "inputs' "  # a change that resized the site's inputs along: "inputs' 128 -> 32"


def _input_sizes(changes: Sequence[str]) -> Dict[int, int]:
    """{old: new} of the shrunk sizes the inputs follow (`image_size 128 -> 32`: {128: 32})."""
    sizes: Dict[int, int] = {}
    for change in changes:
        parts = change.split(" ")
        if len(parts) == 4 and _INPUT_SIZE_NAME.search(parts[0].lower()) and parts[1].isdigit() \
                and parts[3].isdigit():
            sizes.setdefault(int(parts[1]), int(parts[3]))
    return sizes


def _resized(recipe: dict, sizes: Dict[int, int], resized: List[int]) -> dict:
    """A tensor recipe whose dimensions after the first (the batch) that equal a shrunk input
    size are that size shrunk (`randn(8, 3, 128, 128)` for `image_size 128 -> 32`: 32 x 32),
    so that the site's own inputs fit the smaller model; the sizes changed go to `resized`."""
    if not sizes:
        return recipe
    if "method" in recipe and "of" in recipe:
        return dict(recipe, of=_resized(recipe["of"], sizes, resized))
    if recipe.get("tensor") not in ("rand", "randn", "zeros", "ones", "empty", "randint", "full"):
        return recipe

    def dims(items: List[dict]) -> List[dict]:
        out = list(items)
        for index, item in enumerate(out[1:], 1):
            value = item.get("v")
            if isinstance(value, int) and not isinstance(value, bool) and value in sizes:
                resized.append(value)
                out[index] = {"v": sizes[value]}
        return out

    args = list(recipe.get("args", []))
    if recipe.get("kwargs", {}).get("size") is not None:
        shape = recipe["kwargs"]["size"]
        key = "tuple" if "tuple" in shape else "list" if "list" in shape else None
        return dict(recipe, kwargs=dict(recipe["kwargs"], size={key: dims(shape[key])})) if key else recipe
    for index, arg in enumerate(args):
        key = "tuple" if "tuple" in arg else "list" if "list" in arg else None
        if key:  # randn((8, 3, 256, 256)), randint(0, 10, (8, 16))
            args[index] = {key: dims(arg[key])}
            return dict(recipe, args=args)
    if recipe["tensor"] in ("rand", "randn", "zeros", "ones", "empty") and all("v" in a for a in args):
        return dict(recipe, args=dims(args))  # randn(8, 3, 256, 256)
    return recipe


def _fewer_samples(recipe: dict) -> dict:
    """A tensor recipe with its first dimension (the batch) cut to MAX_BATCH."""
    if "method" in recipe and "of" in recipe:
        return dict(recipe, of=_fewer_samples(recipe["of"]))
    if recipe.get("tensor") not in ("rand", "randn", "zeros", "ones", "empty", "randint", "full"):
        return recipe
    args = list(recipe.get("args", []))
    if recipe.get("kwargs", {}).get("size") is not None:
        return dict(recipe, kwargs=dict(recipe["kwargs"], size=_fewer_in_shape(recipe["kwargs"]["size"])))
    for index, arg in enumerate(args):
        if "tuple" in arg or "list" in arg:  # randn((8, 3, 256, 256)), randint(0, 10, (8, 16))
            args[index] = _fewer_in_shape(arg)
            return dict(recipe, args=args)
    if recipe["tensor"] in ("rand", "randn", "zeros", "ones", "empty") and args and "v" in args[0] \
            and isinstance(args[0]["v"], int) and args[0]["v"] > MAX_BATCH:
        args[0] = {"v": MAX_BATCH}
        return dict(recipe, args=args)
    return recipe


def _fewer_in_shape(shape: dict) -> dict:
    key = "tuple" if "tuple" in shape else "list" if "list" in shape else None
    if key is None or not shape[key] or "v" not in shape[key][0] or not isinstance(shape[key][0]["v"], int) \
            or shape[key][0]["v"] <= MAX_BATCH:
        return shape
    return {key: [{"v": MAX_BATCH}] + list(shape[key][1:])}
