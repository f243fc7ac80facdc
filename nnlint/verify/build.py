"""Constructor arguments and example inputs: from the configuration, a factories file, the
model's own `example_input_array` / `example_inputs()`, or inferred from its first layer.

The configuration half (`parse_config`) runs in the parent and never imports torch; the
building half runs in the worker, next to the user's code.

```toml
[tool.nnlint.verify]
factories = ["tests/nnlint_factories.py"]   # functions returning (model, example_args)
device = "auto"                              # auto | cpu | cuda
timeout = 60                                 # seconds per model
memory-limit = 8                             # GB per worker (default: half the machine's memory)

[tool.nnlint.verify.models."zoo:Tower"]
args = [4, 32]                 # positional constructor arguments
kwargs = { dropout = 0.1 }
inputs = [[8, 32]]             # one shape per forward argument
dtypes = ["float32"]           # optional; integer dtypes draw from [0, high)
high = 100
skip = "needs a GPU"           # optional: do not build it, say why
```
"""

from __future__ import annotations

import ast
import inspect
import os
import re
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

DTYPES = {
    "float32": "float32", "float": "float32", "float64": "float64", "double": "float64",
    "float16": "float16", "half": "float16", "bfloat16": "bfloat16",
    "int64": "int64", "long": "int64", "int32": "int32", "int": "int32", "int16": "int16",
    "int8": "int8", "uint8": "uint8", "bool": "bool", "complex64": "complex64",
}
DEVICES = ("auto", "cpu", "cuda")
_VERIFY_KEYS = ("models", "factories", "device", "timeout", "memory-limit")
_MODEL_KEYS = ("args", "kwargs", "inputs", "dtypes", "high", "skip")
_NAME = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$")


# ----- configuration (parent side, no torch) ---------------------------------------------------
@dataclass
class ModelSpec:
    args: List[Any] = field(default_factory=list)
    kwargs: Dict[str, Any] = field(default_factory=dict)
    inputs: Optional[List[List[int]]] = None  # None: infer
    dtypes: Optional[List[str]] = None
    high: Optional[int] = None
    skip: str = ""
    has_constructor: bool = False  # args or kwargs were given (even empty)

    def to_dict(self) -> dict:
        return {"args": self.args, "kwargs": self.kwargs, "inputs": self.inputs, "dtypes": self.dtypes,
                "high": self.high, "skip": self.skip, "has_constructor": self.has_constructor}

    @classmethod
    def from_dict(cls, data: dict) -> "ModelSpec":
        return cls(**data)


@dataclass
class VerifyConfig:
    models: Dict[str, ModelSpec] = field(default_factory=dict)  # "module:Class" -> spec
    factories: List[str] = field(default_factory=list)  # absolute paths
    device: str = "auto"
    timeout: Optional[float] = None
    memory_limit: Optional[float] = None  # GB per worker; 0: none; None: the default


def parse_config(table: dict, where: str, root: Path) -> VerifyConfig:
    """Validate `[tool.nnlint.verify]`; every problem is a ConfigError naming the key."""
    from nnlint.config import ConfigError

    where = f"{where}: [tool.nnlint.verify]"
    if not isinstance(table, dict):
        raise ConfigError(f"{where} must be a table")
    unknown = sorted(set(table) - set(_VERIFY_KEYS))
    if unknown:
        raise ConfigError(f"{where}: unknown key {unknown[0]!r} (known: {', '.join(_VERIFY_KEYS)})")
    config = VerifyConfig()
    factories = table.get("factories", [])
    if not isinstance(factories, list) or not all(isinstance(f, str) for f in factories):
        raise ConfigError(f"{where}: factories must be a list of file paths")
    for entry in factories:
        path = (root / entry).resolve()
        if not path.is_file():
            raise ConfigError(f"{where}: factories: {entry}: no such file")
        config.factories.append(str(path))
    device = table.get("device", "auto")
    if device not in DEVICES:
        raise ConfigError(f"{where}: device must be one of {', '.join(DEVICES)}, not {device!r}")
    config.device = device
    if "timeout" in table:
        timeout = table["timeout"]
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
            raise ConfigError(f"{where}: timeout must be a positive number of seconds")
        config.timeout = float(timeout)
    if "memory-limit" in table:
        config.memory_limit = parse_memory_limit(table["memory-limit"], f"{where}: memory-limit")
    models = table.get("models", {})
    if not isinstance(models, dict):
        raise ConfigError(f"{where}: models must be a table of \"module:Class\" tables")
    for name, entry in models.items():
        config.models[name] = _parse_model(name, entry, f"{where[:-len(']')]}.models.\"{name}\"]")
    return config


def parse_memory_limit(value: Any, where: str) -> float:
    """GB of memory per worker, 0 for no limit; a ConfigError otherwise."""
    from nnlint.config import ConfigError

    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 2 ** 20:
        raise ConfigError(f"{where} must be a number of GB (0: no limit), not {value!r}")
    return float(value)


def _parse_model(name: str, entry: Any, where: str) -> ModelSpec:
    from nnlint.config import ConfigError

    if not _NAME.match(name):
        raise ConfigError(f"{where}: the name must be \"module:Class\" (e.g. \"zoo:Tower\")")
    if not isinstance(entry, dict):
        raise ConfigError(f"{where} must be a table")
    unknown = sorted(set(entry) - set(_MODEL_KEYS))
    if unknown:
        raise ConfigError(f"{where}: unknown key {unknown[0]!r} (known: {', '.join(_MODEL_KEYS)})")
    spec = ModelSpec(has_constructor="args" in entry or "kwargs" in entry)
    spec.args = entry.get("args", [])
    if not isinstance(spec.args, list):
        raise ConfigError(f"{where}: args must be a list")
    spec.kwargs = entry.get("kwargs", {})
    if not isinstance(spec.kwargs, dict):
        raise ConfigError(f"{where}: kwargs must be a table")
    if "inputs" in entry:
        inputs = entry["inputs"]
        if not isinstance(inputs, list) or not all(
                isinstance(shape, list) and all(isinstance(d, int) and not isinstance(d, bool) and d >= 0
                                                for d in shape) for shape in inputs):
            raise ConfigError(f"{where}: inputs must be a list of shapes, e.g. [[8, 32]]")
        spec.inputs = inputs
    if "dtypes" in entry:
        dtypes = entry["dtypes"]
        if not isinstance(dtypes, list) or not all(isinstance(d, str) for d in dtypes):
            raise ConfigError(f"{where}: dtypes must be a list of dtype names")
        bad = [d for d in dtypes if d not in DTYPES]
        if bad:
            raise ConfigError(f"{where}: unknown dtype {bad[0]!r} (known: {', '.join(sorted(set(DTYPES)))})")
        if spec.inputs is None or len(dtypes) != len(spec.inputs):
            raise ConfigError(f"{where}: dtypes needs inputs, one dtype per input")
        spec.dtypes = [DTYPES[d] for d in dtypes]
    if "high" in entry:
        high = entry["high"]
        if isinstance(high, bool) or not isinstance(high, int) or high < 1:
            raise ConfigError(f"{where}: high must be a positive integer")
        spec.high = high
    if "skip" in entry:
        skip = entry["skip"]
        if skip is True:
            skip = "skipped by the configuration"
        if not isinstance(skip, str) and skip is not False:
            raise ConfigError(f"{where}: skip must be true or a reason")
        spec.skip = skip or ""
    return spec


# ----- building (worker side) ------------------------------------------------------------------
class Skip(Exception):
    """The model cannot be built or fed without more configuration: skipped, with a hint."""

    def __init__(self, reason: str, hint: str = ""):
        super().__init__(reason)
        self.reason, self.hint = reason, hint


def required_parameters(func, drop_first: bool = False) -> List[inspect.Parameter]:
    """The parameters without a default (not *args/**kwargs) of a callable's signature."""
    try:
        params = list(inspect.signature(func).parameters.values())
    except (TypeError, ValueError):
        return []
    if drop_first and params:
        params = params[1:]
    return [p for p in params if p.default is inspect.Parameter.empty and p.kind in (
        p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]


def forward_function(cls: type):
    """`cls.forward`, or None where reading it from the class raises (a ScriptModule's
    compiled forward is only reachable on an instance)."""
    try:
        return cls.forward
    except AttributeError:
        return None


def construct(cls: type, name: str, spec: Optional[ModelSpec]):
    """`cls(*args, **kwargs)` from the configuration; Skip when it needs arguments it lacks."""
    if spec is not None and spec.skip:
        raise Skip(spec.skip)
    abstract = sorted(getattr(cls, "__abstractmethods__", ()) or ())
    if abstract:
        raise Skip(f"abstract class (abstract: {', '.join(abstract)})")
    if spec is None or not spec.has_constructor:
        required = required_parameters(cls)
        if required:
            names = ", ".join(p.name for p in required)
            raise Skip(f"{cls.__name__}({names}) needs constructor arguments",
                       toml_hint(name, constructor=required, existing=spec is not None))
    if spec is not None and spec.has_constructor:
        return cls(*spec.args, **spec.kwargs)
    try:
        return cls()
    except TypeError as exc:  # `__init__(self, *args, **kwargs)` passing them on: the base needs them
        missing = _MISSING_ARGS.search(str(exc))
        if missing is None or not _takes_var_args(cls):
            raise
        names = re.findall(r"'(\w+)'", missing.group(0))
        params = [inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD) for n in names]
        raise Skip(f"{cls.__name__}(...) needs constructor arguments: {exc}",
                   toml_hint(name, constructor=params, existing=spec is not None)) from None


_MISSING_ARGS = re.compile(r"missing \d+ required (?:positional|keyword-only) arguments?:? ?(.*)$")


def _takes_var_args(cls) -> bool:
    try:
        params = inspect.signature(cls).parameters.values()
    except (TypeError, ValueError):
        return True
    return any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in params)


_PLACEHOLDERS = {int: "16", float: "0.1", bool: "false", str: '"..."'}


def _placeholder(param: inspect.Parameter) -> Tuple[str, bool]:
    """A TOML value for a parameter, and whether its type is plain (JSON-able)."""
    annotation = param.annotation
    if isinstance(annotation, str):
        annotation = {"int": int, "float": float, "bool": bool, "str": str}.get(annotation, annotation)
    if annotation in _PLACEHOLDERS:
        return _PLACEHOLDERS[annotation], True
    if annotation is inspect.Parameter.empty and not re.search(r"config|cfg|args|opt", param.name, re.I):
        return "16", True
    return "16", False


def _toml_key(name: str) -> str:
    return name if re.match(r"^[A-Za-z0-9_-]+$", name) else f'"{name}"'


def toml_hint(name: str, constructor: Sequence[inspect.Parameter] = (),
              forward: Optional[Sequence[str]] = None, existing: bool = False) -> str:
    """The TOML a user adds to build and feed `name`: placeholders to replace."""
    lines = [f'[tool.nnlint.verify.models."{name}"]' + ("   # add to the existing table" if existing else "")]
    plain = True
    if constructor:
        values = []
        for param in constructor:
            value, simple = _placeholder(param)
            plain = plain and simple
            values.append(f"{_toml_key(param.name)} = {value}")
        lines.append(f"kwargs = {{ {', '.join(values)} }}   # placeholders: put the real values")
    if forward:
        shapes = ", ".join("[2, 16]" for _ in forward)
        lines.append(f"inputs = [{shapes}]   # one shape per forward argument ({', '.join(forward)})")
    if not plain:
        lines.append("# or build it in a function listed in [tool.nnlint.verify] factories, "
                     "returning (model, example_args)")
    return "\n".join(lines)


# ----- example inputs --------------------------------------------------------------------------
@dataclass
class Inputs:
    how: str  # "configured", "example_input_array", "example_inputs()", "inferred from `fc` (Linear)"
    attempts: List[Tuple[tuple, dict]]  # candidate (args, kwargs); inferred inputs may have several
    inferred: bool = False


def make_tensor(shape: Sequence[int], dtype: str = "float32", high: Optional[int] = None):
    import torch
    dt = getattr(torch, dtype)
    if dt == torch.bool:
        return torch.randint(0, 2, tuple(shape)).bool()
    if dt.is_floating_point or dt.is_complex:
        return torch.randn(tuple(shape), dtype=dt)
    return torch.randint(0, high or 2, tuple(shape), dtype=dt)


def normalize_example(value: Any) -> Tuple[tuple, dict]:
    """Lightning's convention: a tensor is one argument, a tuple/list several, a dict keywords."""
    if isinstance(value, dict):
        return (), dict(value)
    if isinstance(value, (tuple, list)) and not hasattr(value, "_fields"):
        return tuple(value), {}
    return (value,), {}


def example_inputs(model, name: str, spec: Optional[ModelSpec]) -> Inputs:
    """The inputs to call `model` with, or Skip with the TOML to add."""
    if spec is not None and spec.inputs is not None:
        dtypes = spec.dtypes or [_float_dtype(model)] * len(spec.inputs)
        args = tuple(make_tensor(shape, dtype, spec.high) for shape, dtype in zip(spec.inputs, dtypes))
        return Inputs("configured", [(args, {})])
    declared = getattr(model, "example_input_array", None)
    if declared is not None and not callable(declared):
        return Inputs("example_input_array", [normalize_example(declared)])
    method = getattr(model, "example_inputs", None)
    if callable(method) and not required_parameters(method):
        return Inputs("example_inputs()", [normalize_example(method())])
    forward = forward_function(type(model))
    required = [p.name for p in required_parameters(forward, drop_first=True)
                if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    params = _forward_parameters(forward)
    if not params:  # forward(self): nothing to feed
        return Inputs("no arguments", [((), {})])
    found = first_layer(model)
    if found is None:
        raise Skip("cannot infer the example input: no layer with a known input shape",
                   toml_hint(name, forward=required or params[:1], existing=spec is not None))
    path, layer, attempts = found
    if len(required) > 1:
        raise Skip(f"forward({', '.join(required)}) takes {len(required)} inputs: only the first "
                   f"can be inferred", toml_hint(name, forward=required, existing=spec is not None))
    how = f"inferred from `{path}` ({type(layer).__name__})"
    dtype = _float_dtype(model)
    made = []
    for attempt in attempts:
        args = tuple(make_tensor(shape, dtype if kind == "float" else kind, high)
                     for shape, kind, high in attempt)
        made.append((args, {}))
    return Inputs(how, made, inferred=True)


def _forward_parameters(forward) -> List[str]:
    try:
        params = list(inspect.signature(forward).parameters.values())[1:]
    except (TypeError, ValueError):
        return ["x"]
    return [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL)]


def _float_dtype(model) -> str:
    for param in model.parameters():
        if param.is_floating_point():
            return str(param.dtype).replace("torch.", "")
    return "float32"


Attempt = List[Tuple[Tuple[int, ...], str, Optional[int]]]  # per argument: shape, "float"|dtype, high

_SIZES = {1: (16, 32, 64, 128, 28), 2: (16, 32, 28, 64, 224), 3: (16, 32)}


def layer_inputs(layer) -> Optional[List[Attempt]]:
    """Candidate inputs for a torch layer met first in a model, or None if it does not tell."""
    from torch import nn
    if isinstance(layer, nn.Linear) and not isinstance(layer, getattr(nn, "LazyLinear", ())):
        return [[((2, layer.in_features), "float", None)]]
    if isinstance(layer, nn.Bilinear):
        return [[((2, layer.in1_features), "float", None), ((2, layer.in2_features), "float", None)]]
    for dims, classes in ((1, (nn.Conv1d, nn.ConvTranspose1d)), (2, (nn.Conv2d, nn.ConvTranspose2d)),
                          (3, (nn.Conv3d, nn.ConvTranspose3d))):
        if isinstance(layer, classes) and layer.in_channels:
            return [[((2, layer.in_channels) + (size,) * dims, "float", None)] for size in _SIZES[dims]]
    if isinstance(layer, (nn.Embedding, nn.EmbeddingBag)):
        return [[((2, 8), "int64", layer.num_embeddings)]]
    if isinstance(layer, nn.RNNBase):
        shape = (2, 8, layer.input_size) if layer.batch_first else (8, 2, layer.input_size)
        return [[(shape, "float", None)]]
    if isinstance(layer, nn.TransformerEncoder) and len(layer.layers):
        layer = layer.layers[0]
    if isinstance(layer, nn.TransformerEncoderLayer):
        d_model = layer.self_attn.embed_dim
        shape = (2, 8, d_model) if layer.self_attn.batch_first else (8, 2, d_model)
        return [[(shape, "float", None)]]
    if isinstance(layer, nn.LayerNorm) and layer.normalized_shape:
        return [[((2,) + tuple(layer.normalized_shape), "float", None)]]
    for dims, classes in ((1, (nn.BatchNorm1d,)), (2, (nn.BatchNorm2d, nn.InstanceNorm2d)),
                          (3, (nn.BatchNorm3d, nn.InstanceNorm3d))):
        if isinstance(layer, classes) and layer.num_features:
            spatial = {1: (), 2: (16, 16), 3: (8, 8, 8)}[dims]
            return [[((2, layer.num_features) + spatial, "float", None)]]
    return None


def forward_attribute_order(cls: type) -> List[str]:
    """The `self.<name>` attributes `cls.forward` uses, those applied to its input first: a
    walk of forward's statements in order, each expression inside out (in `self.fc(self.conv(x))`
    conv comes first), following the input through assignments and `for layer in self.layers`."""
    forward = getattr(cls, "forward", None)
    if forward is None or getattr(forward, "__module__", "").startswith("torch."):
        return []
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(forward)))
    except (OSError, TypeError, SyntaxError, IndentationError):
        return []
    func = next((n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))), None)
    if func is None or not func.args.args:
        return []
    params = [a.arg for a in func.args.posonlyargs + func.args.args]
    self_name = params[0]
    tainted = set(params[1:2]) | ({func.args.vararg.arg} if func.args.vararg else set())
    loop_vars: Dict[str, str] = {}  # `for layer in self.layers`: layer -> layers
    fed: List[str] = []  # applied to the input (or what came of it)
    mentioned: List[str] = []

    def attr_of(node) -> Optional[str]:
        if isinstance(node, ast.Subscript):
            node = node.value
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == self_name:
            return node.attr
        if isinstance(node, ast.Name):
            return loop_vars.get(node.id)
        return None

    def uses_input(node) -> bool:
        return any(isinstance(n, ast.Name) and n.id in tainted for n in ast.walk(node))

    def visit(node) -> None:
        for child in ast.iter_child_nodes(node):  # inside out: arguments before the call
            if not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
                visit(child)
        if isinstance(node, ast.Call):
            name = attr_of(node.func)
            if name is not None:
                if name not in mentioned:
                    mentioned.append(name)
                if name not in fed and any(uses_input(a) for a in list(node.args) + [k.value for k in node.keywords]):
                    fed.append(name)
        elif isinstance(node, ast.Attribute):
            name = attr_of(node)
            if name is not None and name not in mentioned:
                mentioned.append(name)
        elif isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)) and node.value is not None \
                and uses_input(node.value):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            tainted.update(n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name))

    def statements(body) -> None:
        for stmt in body:
            if isinstance(stmt, (ast.For, ast.AsyncFor)):
                name = attr_of(stmt.iter if not isinstance(stmt.iter, ast.Call) else stmt.iter.func)
                if name is None and isinstance(stmt.iter, ast.Call) and stmt.iter.args:
                    name = attr_of(stmt.iter.args[0])  # enumerate(self.layers), zip(...)
                if name is not None:
                    for target in ast.walk(stmt.target):
                        if isinstance(target, ast.Name):
                            loop_vars[target.id] = name
                visit(stmt.iter)
                statements(stmt.body)
                statements(stmt.orelse)
            elif isinstance(stmt, (ast.If, ast.While)):
                visit(stmt.test)
                statements(stmt.body)
                statements(stmt.orelse)
            elif isinstance(stmt, (ast.With, ast.AsyncWith)):
                for item in stmt.items:
                    visit(item.context_expr)
                statements(stmt.body)
            elif isinstance(stmt, ast.Try):
                statements(stmt.body)
            elif not isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                visit(stmt)

    statements(func.body)
    return fed + [name for name in mentioned if name not in fed]


def first_layer(model, depth: int = 0, prefix: str = ""):
    """(path, layer, attempts) of the first layer with a known input: the first one forward
    uses (a module held in a plain list or dict counts: that is the bug the run may show), else
    the first registered submodule, looking into containers and custom blocks."""
    from torch import nn
    children = dict(model.named_children())
    candidates: List[Tuple[str, Any]] = []
    for attr in forward_attribute_order(type(model)):
        value = children.get(attr, model.__dict__.get(attr))
        if isinstance(value, nn.Module):
            candidates.append((attr, value))
        elif isinstance(value, (list, tuple)) and value and isinstance(value[0], nn.Module):
            candidates.append((f"{attr}[0]", value[0]))
        elif isinstance(value, dict) and value and isinstance(next(iter(value.values())), nn.Module):
            key = next(iter(value))
            candidates.append((f"{attr}[{key!r}]", value[key]))
    seen = {id(v) for _, v in candidates}
    candidates += [(n, c) for n, c in children.items() if id(c) not in seen]
    for attr, child in candidates:
        path = f"{prefix}.{attr}" if prefix else attr
        attempts = layer_inputs(child)
        if attempts is not None:
            return path, child, attempts
        if depth < 6 and len(child._modules):
            found = first_layer(child, depth + 1, path)
            if found is not None:
                return found
    return None


_INPUT_ERROR = re.compile(
    r"shape|size|dimension|\bdims?\b|mat1|mat2|expected|out of range|must match|channels?|"
    r"index|dtype|scalar type|input type|positional argument|unexpected keyword|broadcast|\b\d+-?D\b",
    re.IGNORECASE)


def looks_like_input_error(exc: BaseException) -> bool:
    """Whether an error of a forward on an inferred input may just mean the guess was wrong."""
    from nnlint.verify.checks import error_kind

    if error_kind(exc, "forward") != "forward_error":
        return False  # missing forward, in-place on a leaf...: not about the input
    if isinstance(exc, AssertionError):
        return True
    return isinstance(exc, (RuntimeError, ValueError, IndexError, TypeError, NotImplementedError)) and bool(
        _INPUT_ERROR.search(str(exc)))


def choose_inputs(model, name: str, inputs: Inputs, spec: Optional[ModelSpec]) -> Tuple[tuple, dict]:
    """For inferred inputs, the first attempt a forward (eval mode, no grad) accepts; Skip when
    every attempt fails in a way a wrong guess explains. Configured inputs are used as given."""
    if not inputs.inferred:
        return inputs.attempts[0]
    import torch
    was_training = model.training
    last_error: Optional[BaseException] = None
    try:
        model.eval()
        for args, kwargs in inputs.attempts:
            try:
                with torch.no_grad():
                    model(*args, **kwargs)
                return args, kwargs
            except Exception as exc:
                if not looks_like_input_error(exc):
                    return args, kwargs  # a real failure: the checks will report it
                last_error = exc
    finally:
        model.train(was_training)
    from nnlint.verify.checks import describe_error

    shapes = ", ".join(str(tuple(a.shape)) for a in inputs.attempts[0][0] if hasattr(a, "shape"))
    forward = [p.name for p in required_parameters(forward_function(type(model)), drop_first=True)] or ["x"]
    raise Skip(f"forward on the {inputs.how} input {shapes} raised "
               f"{describe_error(last_error) if last_error else 'an error'}",
               toml_hint(name, forward=forward, existing=spec is not None))


def source_lines(cls: type) -> Tuple[str, int, int]:
    """(absolute source file, first line, last line) of a class; ("", 0, 0) if unknown."""
    try:
        path = inspect.getsourcefile(cls) or ""
        lines, start = inspect.getsourcelines(cls)
    except (OSError, TypeError, IndexError):
        return "", 0, 0
    return (os.path.abspath(path) if path else ""), start, start + len(lines) - 1
