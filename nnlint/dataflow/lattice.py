"""The values of the dataflow: a Kind (what a name holds), None (not known), BOTTOM (nothing
reaches here yet), and how two of them join where paths meet."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, Optional, Tuple, Union

import libcst as cst

TENSOR, MODULE, OPTIMIZER, TUPLE = "tensor", "module", "optimizer", "tuple"

Scope = Union[cst.FunctionDef, cst.Module]


@dataclass(frozen=True)
class Kind:
    category: str  # TENSOR, MODULE, OPTIMIZER or TUPLE
    origin: Optional[str] = None  # tensors: loss, softmax, log_softmax, sigmoid, parameter, buffer,
    # factory, detached, argument (a parameter annotated `torch.Tensor`)
    name: Optional[str] = None  # modules/optimizers: the class (qualified torch name or a class of the file)
    last: Optional["Kind"] = None  # a module's last layer: nn.Sequential's, or a head put in place
    # of the model's own (`model.fc = nn.Sequential(..., nn.Sigmoid())`); its output is the model's
    site: Optional[cst.CSTNode] = field(default=None, repr=False)  # origin "factory": the call
    elements: Optional[Tuple[Optional["Kind"], ...]] = None  # tuples: the kind of each element

    @property
    def is_tensor(self) -> bool:
        return self.category == TENSOR

    @property
    def is_module(self) -> bool:
        return self.category == MODULE

    @property
    def is_optimizer(self) -> bool:
        return self.category == OPTIMIZER

    @property
    def is_loss(self) -> bool:
        return self.category == TENSOR and self.origin == "loss"

    @property
    def short_name(self) -> str:
        """`nn.CrossEntropyLoss`, `optim.Adam`, `Net`."""
        if not self.name:
            return self.category
        parts = self.name.split(".")
        if parts[0] == "torch" and len(parts) > 1:
            return ("nn." if "nn" in parts[:-1] else "optim." if "optim" in parts[:-1] else "torch.") + parts[-1]
        return self.name


class _Bottom:
    """Nothing reaches here yet (an unbound name): the identity of join."""

    def __repr__(self) -> str:
        return "BOTTOM"


BOTTOM = _Bottom()
Value = Union[Kind, None, _Bottom]

TENSOR_KIND = Kind(TENSOR)


def join(a: Value, b: Value) -> Value:
    if a is BOTTOM:
        return b
    if b is BOTTOM or a == b:
        return a
    if a is None or b is None or a.category != b.category:
        return None
    if a.category == TUPLE:
        if len(a.elements) != len(b.elements):
            return None
        return Kind(TUPLE, elements=tuple(known(join(x, y)) for x, y in zip(a.elements, b.elements)))
    return Kind(
        a.category,
        origin=a.origin if a.origin == b.origin and a.site is b.site else None,
        name=a.name if a.name == b.name else None,
        last=a.last if a.last == b.last else None,
        site=a.site if a.origin == b.origin and a.site is b.site else None,
    )


def known(value: Value) -> Optional[Kind]:
    return None if value is BOTTOM else value


def tuple_of(values) -> Optional[Kind]:
    """The kind of a tuple of these values; None when nothing is known of any element."""
    elements = tuple(known(v) for v in values)
    return Kind(TUPLE, elements=elements) if any(e is not None for e in elements) else None


def join_env(a: Dict[str, Value], b: Dict[str, Value]) -> Dict[str, Value]:
    if a is b:
        return dict(a)
    result = dict(a)
    for name, value in b.items():
        result[name] = join(result.get(name, BOTTOM), value)
    return result


def is_tensor(value: Value) -> bool:
    return isinstance(value, Kind) and value.is_tensor


NOT_LOCAL = object()  # a name this scope does not bind (a global, an import, a builtin)
