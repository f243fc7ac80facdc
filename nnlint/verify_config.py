"""`[tool.nnlint.verify]`: the verify table's schema, read without torch, by the configuration
whenever one is loaded (so `nnlint check` reports a broken table too) and by `nnlint verify`,
which runs what it says (nnlint.verify.build builds the models from a ModelSpec).

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

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional

from nnlint.exit_codes import ConfigError

DTYPES = {
    "float32": "float32", "float": "float32", "float64": "float64", "double": "float64",
    "float16": "float16", "half": "float16", "bfloat16": "bfloat16",
    "int64": "int64", "long": "int64", "int32": "int32", "int": "int32", "int16": "int16",
    "int8": "int8", "uint8": "uint8", "bool": "bool", "complex64": "complex64",
}
DEVICES = ("auto", "cpu", "cuda")
_VERIFY_KEYS = ("models", "factories", "device", "timeout", "memory-limit", "fail-under")
MAX_TIMEOUT = 86_400.0  # a day: past it (inf, 1e308), waiting for a model overflows the clock
TIMEOUT_RULE = f"must be a number of seconds above 0 and at most {MAX_TIMEOUT:.0f}"


def valid_timeout(seconds: float) -> bool:
    return 0 < seconds <= MAX_TIMEOUT  # false for nan too


_MODEL_KEYS = ("args", "kwargs", "inputs", "dtypes", "high", "skip")
_NAME = re.compile(r"^(?:[A-Za-z_][\w.]*|[\w./-]+\.py):[A-Za-z_][\w.]*$")  # module:Class or path.py:Class


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
    fail_under: Optional[float] = None  # percent of models that must be checked


def parse_config(table: dict, where: str, root: Path) -> VerifyConfig:
    """Validate `[tool.nnlint.verify]`; every problem is a ConfigError naming the key."""
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
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) \
                or not valid_timeout(timeout):
            raise ConfigError(f"{where}: timeout {TIMEOUT_RULE}")
        config.timeout = float(timeout)
    if "memory-limit" in table:
        config.memory_limit = parse_memory_limit(table["memory-limit"], f"{where}: memory-limit")
    if "fail-under" in table:
        fail_under = table["fail-under"]
        if isinstance(fail_under, bool) or not isinstance(fail_under, (int, float)) or not 0 <= fail_under <= 100:
            raise ConfigError(f"{where}: fail-under must be a percentage between 0 and 100")
        config.fail_under = float(fail_under)
    models = table.get("models", {})
    if not isinstance(models, dict):
        raise ConfigError(f"{where}: models must be a table of \"module:Class\" tables")
    for name, entry in models.items():
        config.models[name] = _parse_model(name, entry, f"{where[:-len(']')]}.models.\"{name}\"]")
    return config


def parse_memory_limit(value: Any, where: str) -> float:
    """GB of memory per worker, 0 for no limit; a ConfigError otherwise."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 2 ** 20:
        raise ConfigError(f"{where} must be a number of GB (0: no limit), not {value!r}")
    return float(value)


def _parse_model(name: str, entry: Any, where: str) -> ModelSpec:
    if not _NAME.match(name):
        raise ConfigError(f"{where}: the name must be \"module:Class\" (e.g. \"zoo:Tower\") or \"path.py:Class\"")
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
