"""Facts about torch's public API, read from the generated torch_api.json (never from torch)."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import FrozenSet, Optional

_DATA_FILE = Path(__file__).with_name("torch_api.json")


@lru_cache(maxsize=None)
def data() -> dict:
    return json.loads(_DATA_FILE.read_text(encoding="utf-8"))


@lru_cache(maxsize=None)
def module_classes() -> FrozenSet[str]:
    return frozenset(data()["module_classes"])


@lru_cache(maxsize=None)
def loss_classes() -> FrozenSet[str]:
    return frozenset(data()["loss_classes"])


@lru_cache(maxsize=None)
def optimizer_classes() -> FrozenSet[str]:
    return frozenset(data()["optimizer_classes"])


@lru_cache(maxsize=None)
def tensor_methods() -> FrozenSet[str]:
    """The attribute names of `torch.Tensor` (methods and properties, no dunders)."""
    return frozenset(data()["tensor_methods"])


@lru_cache(maxsize=None)
def names_in(namespace: str) -> Optional[FrozenSet[str]]:
    """Public attribute names of a torch namespace (`torch.nn.functional`), or None if unknown."""
    names = data()["modules"].get(namespace)
    return frozenset(names) if names is not None else None


def is_torch_nn_name(qualified: Optional[str], names: FrozenSet[str]) -> bool:
    """`torch.nn.Linear`, `torch.nn.modules.linear.Linear`, `torch.ao.nn.X`: a torch.nn name in `names`."""
    if not qualified or not qualified.startswith("torch."):
        return False
    parts = qualified.split(".")
    return "nn" in parts[:-1] and parts[-1] in names


def is_module_class(qualified: Optional[str]) -> bool:
    return is_torch_nn_name(qualified, module_classes())


def is_parameter_class(qualified: Optional[str]) -> bool:
    return is_torch_nn_name(qualified, frozenset({"Parameter", "UninitializedParameter"}))


@lru_cache(maxsize=None)
def checked_namespaces() -> FrozenSet[str]:
    """Namespaces whose attribute list is complete (no module `__getattr__` serving more)."""
    return frozenset(set(data()["modules"]) - set(data().get("open_namespaces", ())))


def deprecated(qualified: Optional[str]) -> Optional[dict]:
    """{"new": qualified or None, "rename": bool, "note": str} for a deprecated torch name."""
    return data().get("deprecated", {}).get(qualified) if qualified else None


@lru_cache(maxsize=None)
def legacy_reduction_callables() -> FrozenSet[str]:
    """Losses that still accept the deprecated `size_average` / `reduce` arguments."""
    return frozenset(data().get("legacy_reduction", ()))


@lru_cache(maxsize=None)
def device_modules() -> FrozenSet[str]:
    """Names `torch.<device>` that a device backend may register at runtime (`torch.npu`)."""
    return frozenset(data().get("device_modules", ()))
