import re
from typing import Dict, Optional

import libcst as cst

from nnlint.finding import Severity
from nnlint.rules._grad import Derivation, disables_grad, grad_disabled, tensor_inputs
from nnlint.rules._grad_mode import inplace_method
from nnlint.rules._torch_refs import ancestors, parent
from nnlint.rules.base import Invalid, Rule, Runtime, Valid, dedent
from nnlint.tree import dotted_name, iter_nodes

# Reading these through `.data` asks about the tensor, not its values: no gradient is cut.
METADATA = frozenset({
    "shape", "dtype", "device", "size", "dim", "ndim", "numel", "data_ptr", "is_cuda",
    "layout", "requires_grad", "nelement", "element_size", "stride", "is_contiguous",
})
# Methods of `x.data` whose result holds none of x's values (new tensors, Python numbers, numpy
# arrays: none of them could carry a gradient anyway), and methods that pass x's values on.
VALUE_FREE = METADATA | frozenset({
    "new", "new_zeros", "new_ones", "new_empty", "new_full", "new_tensor", "numpy", "tolist",
    "item", "type", "get_device",
})
PASS_ON = frozenset({"cpu", "clone", "contiguous", "detach"})
# Functions that read only the shape, dtype and device of their tensor argument.
LIKE = frozenset({"torch.zeros_like", "torch.ones_like", "torch.empty_like", "torch.full_like",
                  "torch.rand_like", "torch.randn_like", "torch.randint_like"})
# A name that holds integers or booleans (lengths, masks, token ids), or no tensor at all (a
# device, a shape): no gradient exists.
NO_GRADIENT_NAME = re.compile(
    r"(?:^|_)(?:lengths?|lens|len|masks?|ids|idx|index|indices|tokens|labels|counts?|device|dtype|"
    r"shape|sizes?)$", re.IGNORECASE)
# A test that is true only outside training: `not self.training`, `incremental_state is not None`.
_TRAINING = re.compile(r"training|grad_enabled", re.IGNORECASE)
_INFERENCE = re.compile(r"inference|incremental|\beval|generat", re.IGNORECASE)


class DataInForward(Rule):
    """
    ## What it does
    Flags `.data` read inside `forward`, or inside a method of the same class that `forward`
    calls (followed through `self.method(...)` calls).

    Not flagged, because no gradient is lost there:
    - `.data` used only for the tensor's metadata or to make a new one: `x.data.shape`,
      `x.data.new_zeros(...)`, `torch.zeros_like(x.data)`, `x.data.cpu().numpy()`, also
      through a local (`w = self.weight.data` used only as `w.new(...)`);
    - a value that carries no gradient: integer or boolean tensors by name (`lengths`,
      `mask`, `token_ids`), `.data` used as an index (`self.freqs[xs.data[0][i]]`: integers
      or a mask), and values built from constants (`self.drop(torch.ones(n)).data`);
    - state updates: `.data` read to write a tensor in place (`self.avg.copy_(self.w.data)`,
      `self.w.data = torch.renorm(self.w.data, ...)`), and the whole block of a branch that
      rewrites parameters through `.data` (data-dependent initialisation);
    - code that runs without autograd: under `torch.no_grad()`, or in a branch that runs only
      outside training (`if not self.training:`, the `else` of `if self.training:`, an
      incremental-decoding branch `if incremental_state is not None:`);
    - `x.data["key"]`: a mapping (DGL's `edges.data`), not `Tensor.data`.

    ## Why is this bad?
    `t.data` is the same storage as `t` detached from autograd. A value computed from
    `self.weight.data` in forward carries no gradient back to `self.weight`: after
    `loss.backward()` the parameter's `.grad` stays `None` (or misses this path), and the
    optimizer silently never trains it. Unlike `.detach()`, `.data` also hides in-place
    changes from autograd's version counter, so wrong gradients elsewhere go unnoticed.

    ## Example
    ```python
    def forward(self, x):
        return x @ self.weight.data.t()
    ```

    ## Use instead
    ```python
    def forward(self, x):
        return x @ self.weight.t()
    ```
    If cutting the gradient is intended, say so with `.detach()`.

    ## References
    - https://pytorch.org/docs/stable/notes/autograd.html
    """

    code = "NN201"
    name = "data-in-forward"
    severity = Severity.ERROR
    summary = "`.data` read in `forward` (or a method it calls): the gradient is cut"
    suggestion = "use the tensor itself (or .detach() if cutting the gradient is intended)"
    runtime = Runtime(("no_grad",), "the parameter's .grad stays None after backward")

    VALID = [
        Valid(dedent("""
            from torch import nn

            class Net(nn.Module):
                def reset_parameters(self):
                    self.weight.data.normal_()

                def forward(self, x):
                    return x * self.weight + x.data.shape[0]
        """)),
        Valid(dedent("""
            class Loader:
                def forward(self, batch):
                    return batch.data  # not an nn.Module
        """)),
        Valid(dedent("""
            import torch
            from torch import nn

            class Rnn(nn.Module):
                def forward(self, x, lengths, mask=None):
                    h0 = x.data.new(x.size(0), self.hidden).zero_()
                    c0 = x.data.new_zeros(x.size(0), self.hidden)
                    longest = lengths.data.max()
                    keep = self.drop(torch.ones(x.size(0), self.hidden)).data
                    ids = x[:, :, 0].cpu().data.numpy()
                    device = get_device_of(x)
                    steps = get_range_vector(x.size(1), device).data.float()
                    if mask is not None:
                        x = x * mask.data
                    return self.cell(x * steps[:, None], (h0 * keep, c0)), longest, ids

                def dropout_mask(self, size):
                    w = self.weight.data
                    return w.new(*size).bernoulli_(0.9)
        """)),
        Valid(dedent("""
            import torch
            from torch import nn

            class TfIdfEncoder(nn.Module):
                def forward(self, xs):
                    w = torch.zeros(xs.size(1), device=xs.device)
                    for i in range(xs.size(1)):
                        w[i] = self.freqs[xs.data[0][i]]  # token ids, used as an index
                    return self.lt(xs).squeeze(0).t() @ w
        """)),
        Valid(dedent("""
            import torch
            from torch import nn

            class WeightNormLinear(nn.Linear):
                def forward(self, x, init=False):
                    if init:  # data-dependent initialisation: rewrites the weights on purpose
                        v = self.weight.data / self.weight.data.norm(2, 1, keepdim=True)
                        out = (x @ v.t()).data
                        self.weight.data.copy_(v / out.std(0)[:, None])
                    self.avg.copy_(self.weight.data)
                    if self.max_norm is not None:
                        self.weight.data = torch.renorm(self.weight.data, 2, 0, self.max_norm)
                    return super().forward(x)
        """)),
        Valid(dedent("""
            import torch
            from torch import nn

            class Decoder(nn.Module):
                def forward(self, x, incremental_state=None):
                    if incremental_state is not None:  # step-by-step generation only
                        x = x.data[:, -1:]
                    if not self.training:
                        x = x + self.bias.data
                    with torch.no_grad():
                        scale = self.scale.data.abs()
                    return self.proj(x) * scale

            class Rgcn(nn.Module):
                def forward(self, graph):
                    def message(edges):
                        return {"m": self.w[edges.data["type"]] * edges.data["norm"]}
                    return graph.update_all(message)
        """)),
    ]
    INVALID = [
        Invalid(dedent("""
            import torch.nn as nn

            class Net(nn.Module):
                def forward(self, x):
                    return x @ self.weight.data.t()
        """), line=5),
        Invalid(dedent("""
            from torch import nn

            class Net(nn.Module):
                def scale(self):
                    return self.gain.data * 2

                def forward(self, x):
                    return x * self.scale()
        """), line=5),
        Invalid(dedent("""
            from torch import nn

            class Lstm(nn.Module):
                def forward(self, x):
                    state = x.new_zeros(x.size(0), self.hidden)
                    for t in range(x.size(1)):
                        out = self.cell(x[:, t], state)
                        state = state.data.clone()
                        state[: out.size(0)] = out
                    if self.training:
                        state = state + self.bias.data
                    return state
        """), line=(8, 11)),
    ]

    def __init__(self, context):
        super().__init__(context)
        self._skip = set()  # ids of `.data` nodes that are written, not read (NN202's business)
        self._reachable = {}  # class node -> methods reached from forward
        self._derived: Dict[cst.FunctionDef, Derivation] = {}

    def visit_Assign(self, node: cst.Assign) -> None:
        self._skip.update(id(t.target) for t in node.targets)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._skip.add(id(node.target))

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value.endswith("_") \
                and not func.attr.value.startswith("_"):
            self._skip.add(id(func.value))  # `x.data.clamp_(...)`: an in-place write

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if node.attr.value in METADATA and isinstance(node.value, cst.Attribute):
            self._skip.add(id(node.value))  # `x.data.shape`
        if node.attr.value != "data" or id(node) in self._skip:
            return
        info = self.context.enclosing_module_class
        method = self.context.current_method
        if info is None or method is None:
            return
        if info.node not in self._reachable:
            self._reachable[info.node] = info.methods_called_from("forward")
        if method.name.value not in self._reachable[info.node]:
            return
        if self._loses_no_gradient(node, method):
            return
        shown = dotted_name(node) or ".data"
        where = "forward" if method.name.value == "forward" else f"{method.name.value}() (called from forward)"
        self.report(node, f"`{shown}` read in {where}: no gradient flows back through it")

    def _loses_no_gradient(self, data: cst.Attribute, method: cst.FunctionDef) -> bool:
        context = self.context
        above = parent(context, data)
        if isinstance(above, cst.Subscript) and len(above.slice) == 1 \
                and isinstance(above.slice[0].slice, cst.Index) \
                and isinstance(above.slice[0].slice.value, cst.SimpleString):
            return True  # `edges.data["norm"]`: a mapping
        if _value_free(context, data) or _local_value_free(context, data, method):
            return True
        if _updates_state(context, data, method) or _without_autograd(context, data, method):
            return True
        return not self._derivation(method).carries(data.value)

    def _derivation(self, method: cst.FunctionDef) -> Derivation:
        """Which values of `method` may carry a gradient: its tensor arguments (less those
        named like integers) and the module's attributes, and what is computed from them."""
        found = self._derived.get(method)
        if found is None:
            context = self.context
            starts = {name for name in tensor_inputs(context, method) if not NO_GRADIENT_NAME.search(name)}

            def source(expr) -> Optional[bool]:
                name = expr.value if isinstance(expr, cst.Name) else \
                    expr.attr.value if isinstance(expr, cst.Attribute) else None
                if name is not None and NO_GRADIENT_NAME.search(name):
                    return False
                if isinstance(expr, cst.Attribute) and context.is_self(expr.value):
                    return True  # the module's own state: a parameter, unless known otherwise
                return None

            found = self._derived[method] = Derivation(context, method, starts, detach_cleans=True,
                                                        source=source)
        return found


def _value_free(context, expr: cst.BaseExpression) -> bool:
    """`expr` (a `.data`) is used only for metadata or to make a new tensor."""
    while True:
        above = parent(context, expr)
        if isinstance(above, cst.Attribute) and above.value is expr:
            name = above.attr.value
            if name in VALUE_FREE:
                return True
            call = parent(context, above)
            if name in PASS_ON and isinstance(call, cst.Call) and call.func is above:
                expr = call
                continue
            return False
        if isinstance(above, cst.Subscript) and above.value is expr:
            expr = above  # `xs.data[0][i]`: still its values
            continue
        if isinstance(above, cst.Index):
            return True  # `table[xs.data[0][i]]`: an index (integers or a mask) has no gradient to lose
        if isinstance(above, cst.Arg):
            call = parent(context, above)
            return isinstance(call, cst.Call) and context.qualified_name(call.func) in LIKE
        return False


def _local_value_free(context, data: cst.Attribute, method: cst.FunctionDef) -> bool:
    """`w = self.weight.data`, and every use of `w` is value-free (`w.new(...)`)."""
    statement = parent(context, data)
    if not (isinstance(statement, cst.Assign) and statement.value is data and len(statement.targets) == 1
            and isinstance(statement.targets[0].target, cst.Name)):
        return False
    local = statement.targets[0].target
    uses = [n for n in iter_nodes(method.body, cst.Name) if n.value == local.value and n is not local]
    return bool(uses) and all(_value_free(context, use) or _is_target(context, use) for use in uses)


def _is_target(context, name: cst.Name) -> bool:
    above = parent(context, name)
    return isinstance(above, cst.AssignTarget) or (isinstance(above, cst.AugAssign) and above.target is name)


def _updates_state(context, data: cst.Attribute, method: cst.FunctionDef) -> bool:
    """The value read feeds an in-place write (`self.avg.copy_(self.w.data)`, `w.data = f(w.data)`),
    or sits in a branch that rewrites tensors through `.data` (data-dependent initialisation)."""
    for above, child in ancestors(context, data):
        if above is method:
            return False
        if isinstance(above, cst.Call) and isinstance(child, cst.Arg) and isinstance(above.func, cst.Attribute) \
                and inplace_method(above.func.attr.value):
            return True
        if isinstance(above, cst.Assign) and child is above.value and any(
                _writes_data(t.target) for t in above.targets):
            return True
        if isinstance(above, cst.If) and child is above.body and _rewrites_data(above.body):
            return True
    return False


def _writes_data(target: cst.BaseExpression) -> bool:
    if isinstance(target, cst.Subscript):
        target = target.value
    return isinstance(target, cst.Attribute) and target.attr.value == "data"


def _rewrites_data(block: cst.BaseSuite) -> bool:
    for node in iter_nodes(block, (cst.Assign, cst.Call)):
        if isinstance(node, cst.Assign) and any(_writes_data(t.target) for t in node.targets):
            return True
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) \
                and inplace_method(node.func.attr.value) and _writes_data(node.func.value):
            return True
    return False


def _without_autograd(context, data: cst.Attribute, method: cst.FunctionDef) -> bool:
    """Under `torch.no_grad()` (block or decorator), or in a branch that runs only outside
    training."""
    for above, child in ancestors(context, data):
        if isinstance(above, cst.FunctionDef):
            if grad_disabled(context, above):
                return True
            if above is method:
                return False
        elif isinstance(above, cst.With) and child is above.body \
                and any(disables_grad(context, item.item) for item in above.items):
            return True
        elif isinstance(above, (cst.If, cst.IfExp)):
            training = _runs_in_training(above.test)
            if training is not None and (child is above.body) != training:
                return True
    return False


def _runs_in_training(test: cst.BaseExpression) -> Optional[bool]:
    """True: the test holds only in training (`self.training`); False: only outside it (`not
    self.training`, `incremental_state is not None`); None: it does not say."""
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        inner = _runs_in_training(test.expression)
        return None if inner is None else not inner
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
        operator = test.comparisons[0].operator
        comparator = test.comparisons[0].comparator
        inner = _runs_in_training(test.left)
        if inner is None or not isinstance(comparator, cst.Name):
            return None
        if comparator.value == "None":
            return inner if isinstance(operator, cst.IsNot) else not inner
        if comparator.value in ("True", "False") and isinstance(operator, (cst.Is, cst.Equal)):
            return inner if comparator.value == "True" else not inner
        return None
    if isinstance(test, cst.BooleanOperation) and isinstance(test.operator, cst.And):
        sides = [_runs_in_training(test.left), _runs_in_training(test.right)]
        if False in sides:
            return False
        return True if True in sides else None
    if isinstance(test, cst.Call):
        test = test.func
    text = test.value if isinstance(test, cst.Name) else test.attr.value if isinstance(test, cst.Attribute) else ""
    if _TRAINING.search(text):
        return True
    if _INFERENCE.search(text):
        return False
    return None
