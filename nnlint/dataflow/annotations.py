"""What an annotation promises about a name: `model: nn.Module`, `opt: Optional[Optimizer]`,
`-> nn.Module`."""

from __future__ import annotations

from typing import Optional

import libcst as cst

from nnlint import torch_api
from nnlint.dataflow.lattice import MODULE, OPTIMIZER, TENSOR, Kind


def annotated(context, annotation: cst.BaseExpression) -> Optional[Kind]:
    """The kind an annotation promises: `torch.Tensor`, an optimizer class, `nn.Module` or a
    Module class (torch's or the file's), through `Optional[X]`, `Union[X, None]`, `X | None`
    and string annotations."""
    if isinstance(annotation, cst.SimpleString):
        try:
            annotation = cst.parse_expression(annotation.evaluated_value)
        except (cst.ParserSyntaxError, TypeError, ValueError):
            return None
    if isinstance(annotation, cst.BinaryOperation) and isinstance(annotation.operator, cst.BitOr):
        sides = [s for s in (annotation.left, annotation.right) if not _is_none(s)]
        return annotated(context, sides[0]) if len(sides) == 1 else None
    if isinstance(annotation, cst.Subscript):
        outer = context.qualified_name(annotation.value) or ""
        inner = [e.slice.value for e in annotation.slice if isinstance(e.slice, cst.Index)]
        if outer in ("typing.Optional", "typing_extensions.Optional") and len(inner) == 1:
            return annotated(context, inner[0])
        if outer in ("typing.Union", "typing_extensions.Union"):
            sides = [s for s in inner if not _is_none(s)]
            return annotated(context, sides[0]) if len(sides) == 1 else None
        return None
    qualified = context.qualified_name(annotation)
    if qualified is None:
        return None
    last = qualified.rsplit(".", 1)[-1]
    if qualified.startswith("torch.") and last in ("Tensor", "FloatTensor", "LongTensor"):
        return Kind(TENSOR, origin="argument")
    if qualified.startswith("torch.optim") and last in torch_api.optimizer_classes():
        return Kind(OPTIMIZER, name=qualified)
    if torch_api.is_module_class(qualified) or qualified == "torch.nn.Module":
        return Kind(MODULE, name=qualified)
    info = context.classes_by_name.get(qualified)
    if info is not None and info.is_module:
        return Kind(MODULE, name=info.name)
    return None


def _is_none(expr: cst.BaseExpression) -> bool:
    return isinstance(expr, cst.Name) and expr.value == "None"
