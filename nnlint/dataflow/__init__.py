"""What the names of a function hold: a tensor, a Module, an optimizer, a loss value.

A small abstract interpretation over one function's statements (or the module's own top-level
code), computed only when a rule asks and kept once per file (FileContext.derived):

    flow = local_kinds(context, function_node)  # a Flow
    flow.kind(expr)                             # a Kind, or None when it is not known

Each use of a local name gets the join of what may reach it: assignments are followed in order,
both arms of an `if` are joined, loops are iterated to a fixed point. A name whose bindings
disagree (a tensor on one path, a call of unknown result on another) is unknown, and unknown
never becomes a finding: rules flag only what the flow knows.

`self.attr` inside a method reads the class's attribute kinds: the join of every
`self.attr = value` (and `register_buffer`/`register_parameter`) in the classes of its
hierarchy found in this file. A file-local Module class called like a function returns what
its `forward` returns.

A parameter's kind comes from its annotation (annotations.py), else from what every call of
the function in the file passes (`Dataflow.argument_kinds`: module-level functions, and a
class's `__init__` from `Cls(...)`). Those arguments are evaluated with the callers' *base*
flows, whose own parameters are typed by annotations only, and a call of a function of the
file returns what its base flow returns: one level of call sites, so no flow waits for its
callers' flows and there is no cycle to cut (nor an answer that depends on the order of
questions).

Across files, only what the project index (nnlint/project.py) reads without a flow: a class of
another file is a Module, what its `forward` returns when every return is an activation, and a
factory there (`def build(): return Net()`) leads to the class it builds.

What a Kind says:
- `tensor` (origin: `loss` for a loss value and what is computed from it without `.item()` or
  `.detach()`; `softmax`/`log_softmax`/`sigmoid` for their direct outputs; `parameter`/`buffer`
  for registered state; `factory` for a tensor a factory made on the default device, without
  `device=`);
- `module` (name: the class, `torch.nn.CrossEntropyLoss` or a class of the file; calling it
  gives a loss, a softmax, a tensor... when that is known);
- `optimizer` (a `torch.optim` optimizer, or a class of the file deriving from one);
- `tuple` (elements: the kind of each element, through `a, b = f()` and `t[1]`).

The rooms: lattice.py (Kind, BOTTOM, join), annotations.py (what an annotation promises),
walker.py (statements in order: branches joined, loops to a fixed point), flow.py (one scope:
the expression evaluator), classes.py (attribute kinds of the file's classes, what a Module's
forward returns), file.py (the Dataflow of a file, its flows cached, parameters typed from the
file's calls, what its functions return); what torch's calls return is in nnlint/torch_tables.py.
"""

from __future__ import annotations

from typing import Union

import libcst as cst

from nnlint.context import FileContext
from nnlint.dataflow.file import Dataflow
from nnlint.dataflow.flow import Flow
from nnlint.dataflow.lattice import BOTTOM, MODULE, OPTIMIZER, TENSOR, Kind, join

__all__ = ["BOTTOM", "MODULE", "OPTIMIZER", "TENSOR", "Dataflow", "Flow", "Kind", "join", "local_kinds"]


def local_kinds(context: FileContext, scope: Union[cst.FunctionDef, cst.Module, None] = None) -> Flow:
    """The dataflow of `scope` (default: the function around the visitor, else the module's
    top-level code): `.kind(expr)` says whether an expression holds a tensor, a Module, an
    optimizer or a loss value, or None when that is not known."""
    if scope is None:
        scope = context.current_function or context.module
    return context.derived(Dataflow).flow(scope)
