"""Where autograd is recording (NN202, NN205): inside a Module's forward (or a method it calls),
outside `torch.no_grad()` / `torch.inference_mode()` blocks and decorated functions.

`GradModeTracker` is a mixin for rules: its visit_With/leave_With keep count of the enclosing
no-grad blocks while the engine walks the tree.
"""

from __future__ import annotations

from typing import Dict, List, Optional, Set

import libcst as cst

from nnlint import torch_api
from nnlint.context import FileContext
from nnlint.rules._grad import disables_grad

# In-place tensor methods that change no values.
NOT_MUTATING = frozenset({"requires_grad_", "share_memory_", "retain_grad", "record_stream",
                          "detach_", "rename_", "resize_as_"})


def inplace_method(name: str) -> bool:
    """`add_`, `copy_`, `normal_`...: an in-place tensor method that changes values."""
    return name.endswith("_") and not name.startswith("_") and name not in NOT_MUTATING \
        and name in torch_api.tensor_methods()


class GradModeTracker:
    """Mixin: `self.grad_recording()` says whether the visitor stands where autograd records,
    inside a forward-reachable method of a Module."""

    context: FileContext

    def visit_With(self, node: cst.With) -> None:
        if any(disables_grad(self.context, item.item) for item in node.items):
            self._no_grad_depth = getattr(self, "_no_grad_depth", 0) + 1
            self._no_grad_blocks().add(id(node))

    def leave_With(self, node: cst.With) -> None:
        if id(node) in self._no_grad_blocks():
            self._no_grad_depth -= 1

    def _no_grad_blocks(self) -> Set[int]:
        if not hasattr(self, "_no_grad_ids"):
            self._no_grad_ids: Set[int] = set()
        return self._no_grad_ids

    def forward_method(self) -> Optional[str]:
        """The current method's name if it is `forward` or a method forward calls, of a Module."""
        info = self.context.enclosing_module_class
        method = self.context.current_method
        if info is None or method is None:
            return None
        if not hasattr(self, "_reachable"):
            self._reachable: Dict[cst.ClassDef, Set[str]] = {}
        if info.node not in self._reachable:
            self._reachable[info.node] = info.methods_called_from("forward")
        name = method.name.value
        return name if name in self._reachable[info.node] else None

    def grad_recording(self) -> bool:
        """In forward-reachable code, not under a no-grad block or decorator."""
        if getattr(self, "_no_grad_depth", 0) > 0 or self.forward_method() is None:
            return False
        functions: List[cst.FunctionDef] = [s for s in self.context.scope if isinstance(s, cst.FunctionDef)]
        return not any(disables_grad(self.context, d.decorator)
                       for function in functions for d in function.decorators)


def where(method: str) -> str:
    return "forward" if method == "forward" else f"{method}() (called from forward)"
