"""What the names of a function hold: a tensor, a Module, an optimizer, a loss value.

A small abstract interpretation over one function's statements (or the module's own top-level
code), computed only when a rule asks and cached on the FileContext:

    flow = context.local_kinds(function_node)   # a Flow
    flow.kind(expr)                             # a Kind, or None when it is not known

Each use of a local name gets the join of what may reach it: assignments are followed in order,
both arms of an `if` are joined, loops are iterated to a fixed point. A name whose bindings
disagree (a tensor on one path, a call of unknown result on another) is unknown, and unknown
never becomes a finding: rules flag only what the flow knows.

`self.attr` inside a method reads the class's attribute kinds: the join of every
`self.attr = value` (and `register_buffer`/`register_parameter`) in the classes of its
hierarchy found in this file. A file-local Module class called like a function returns what
its `forward` returns.

What a Kind says:
- `tensor` (origin: `loss` for a loss value and what is computed from it without `.item()` or
  `.detach()`; `softmax`/`log_softmax`/`sigmoid` for their direct outputs; `parameter`/`buffer`
  for registered state; `factory` for a tensor a factory made on the default device, without
  `device=`);
- `module` (name: the class, `torch.nn.CrossEntropyLoss` or a class of the file; calling it
  gives a loss, a softmax, a tensor... when that is known);
- `optimizer` (a `torch.optim` optimizer, or a class of the file deriving from one).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Dict, FrozenSet, Iterable, List, Optional, Set, Tuple, Union

import libcst as cst

from nnlint import torch_api
from nnlint.context import ClassInfo, children, concrete_types, first_param_name

TENSOR, MODULE, OPTIMIZER = "tensor", "module", "optimizer"

Scope = Union[cst.FunctionDef, cst.Module]


@dataclass(frozen=True)
class Kind:
    category: str  # TENSOR, MODULE or OPTIMIZER
    origin: Optional[str] = None  # tensors: loss, softmax, log_softmax, sigmoid, parameter, buffer,
    # factory, detached, argument (a parameter annotated `torch.Tensor`)
    name: Optional[str] = None  # modules/optimizers: the class (qualified torch name or a class of the file)
    last: Optional["Kind"] = None  # nn.Sequential: the kind of its last layer
    site: Optional[cst.CSTNode] = field(default=None, repr=False)  # origin "factory": the call

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
    return Kind(
        a.category,
        origin=a.origin if a.origin == b.origin and a.site is b.site else None,
        name=a.name if a.name == b.name else None,
        last=a.last if a.last == b.last else None,
        site=a.site if a.origin == b.origin and a.site is b.site else None,
    )


def known(value: Value) -> Optional[Kind]:
    return None if value is BOTTOM else value


# ----- facts about torch ------------------------------------------------------------------------
# Tensor methods (and `torch.X` functions of the same name) whose result is not a single tensor.
NOT_A_TENSOR = frozenset({
    "item", "tolist", "size", "dim", "ndimension", "numel", "nelement", "element_size", "data_ptr",
    "stride", "storage", "untyped_storage", "storage_offset", "numpy", "split", "split_with_sizes",
    "chunk", "unbind", "tensor_split", "hsplit", "vsplit", "dsplit", "unsafe_chunk", "unsafe_split",
    "unsafe_split_with_sizes", "max", "min", "sort", "topk", "kthvalue", "median", "nanmedian",
    "mode", "aminmax", "unique", "unique_consecutive", "nonzero", "where", "frexp", "histogram",
    "cummax", "cummin", "slogdet", "lu", "qr", "svd", "symeig", "eig", "lstsq", "triangular_solve",
    "geqrf", "equal", "allclose", "backward", "register_hook", "register_post_accumulate_grad_hook",
    "get_device", "type", "apply_", "map_", "map2_", "tolist", "device", "dtype", "layout", "shape",
    "q_scale", "q_zero_point", "qscheme", "q_per_channel_axis", "mtia", "xpu", "retain_grad",
    "record_stream", "is_set_to", "hash_tensor", "std_mean", "var_mean", "__len__", "get_device",
    "data_ptr", "nonzero_static", "istft", "stft",
})
TENSOR_FUNCTIONS = frozenset(
    name for name in (set(torch_api.names_in("torch") or ()) & set(torch_api.data()["tensor_methods"]))
    if not name.startswith(("_", "is_")) and name not in NOT_A_TENSOR
) | frozenset({
    "cat", "concat", "concatenate", "stack", "hstack", "vstack", "dstack", "einsum", "cdist",
    "tensordot", "block_diag", "cartesian_prod", "bucketize", "searchsorted", "tril_indices",
    "triu_indices", "zeros_like", "ones_like", "empty_like", "full_like", "rand_like",
    "randn_like", "randint_like", "normal", "poisson", "combinations", "diag_embed", "as_tensor",
    "from_numpy", "rsub", "clamp", "lerp", "addmm",
})
# Factories: a new tensor on the default device unless given `device=`.
FACTORIES = frozenset({
    "zeros", "ones", "empty", "full", "rand", "randn", "randint", "randperm", "arange", "range",
    "linspace", "logspace", "eye", "tensor", "from_numpy", "empty_strided", "tril_indices",
    "triu_indices", "Tensor", "FloatTensor", "DoubleTensor", "HalfTensor", "BFloat16Tensor",
    "LongTensor", "IntTensor", "ShortTensor", "ByteTensor", "CharTensor", "BoolTensor",
    "as_tensor",
})
LEGACY_CONSTRUCTORS = frozenset(n for n in FACTORIES if n[0].isupper())

_F = "torch.nn.functional"
F_NOT_A_TENSOR = frozenset({
    "Tensor", "multi_head_attention_forward", "boolean_dispatch", "handle_torch_function",
    "has_torch_function", "has_torch_function_unary", "has_torch_function_variadic",
    "assert_int_or_pair", "grad", "importlib", "math", "np", "torch", "warnings", "dataclasses",
    "Callable", "Optional", "DType", "TYPE_CHECKING", "reproducibility_notes", "tf32_notes",
    "sparse_support_notes", "adaptive_max_pool1d_with_indices", "adaptive_max_pool2d_with_indices",
    "adaptive_max_pool3d_with_indices", "max_pool1d_with_indices", "max_pool2d_with_indices",
    "max_pool3d_with_indices", "fractional_max_pool2d_with_indices",
    "fractional_max_pool3d_with_indices", "BroadcastingList1", "BroadcastingList2",
    "BroadcastingList3", "GRID_SAMPLE_INTERPOLATION_MODES", "GRID_SAMPLE_PADDING_MODES",
    "ScalingType", "SwizzleType",
})
F_LOSSES = frozenset({"cross_entropy", "binary_cross_entropy", "binary_cross_entropy_with_logits",
                      "kl_div", "nll_loss", "linear_cross_entropy"})
# What a call of these returns, as the origin of a tensor.
ACTIVATION_ORIGINS = {
    "torch.softmax": "softmax", "torch.nn.functional.softmax": "softmax",
    "torch.special.softmax": "softmax",
    "torch.log_softmax": "log_softmax", "torch.nn.functional.log_softmax": "log_softmax",
    "torch.special.log_softmax": "log_softmax",
    "torch.sigmoid": "sigmoid", "torch.nn.functional.sigmoid": "sigmoid",
    "torch.special.expit": "sigmoid",
}
METHOD_ORIGINS = {"softmax": "softmax", "log_softmax": "log_softmax", "sigmoid": "sigmoid"}
LAYER_ORIGINS = {"Softmax": "softmax", "LogSoftmax": "log_softmax", "Sigmoid": "sigmoid",
                 "Softmax2d": "softmax"}
# torch.nn layers whose call does not return one tensor (or returns whatever it is given).
LAYERS_NOT_A_TENSOR = frozenset({
    "RNN", "LSTM", "GRU", "RNNBase", "LSTMCell", "MultiheadAttention", "AdaptiveLogSoftmaxWithLoss",
    "Identity", "Sequential", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict",
    "Container", "Module",
})

TENSOR_ATTRIBUTES = frozenset({"data", "T", "mT", "H", "mH", "real", "imag", "grad"})
# Methods that keep a value's origin: what a loss still is after them, and what a softmax is.
KEEPS_LOSS = frozenset({
    "mean", "sum", "nanmean", "nansum", "to", "cuda", "cpu", "float", "double", "half", "bfloat16",
    "clone", "squeeze", "unsqueeze", "view", "reshape", "contiguous", "mul", "div", "add", "sub",
    "neg", "abs", "sqrt", "pow", "exp", "log", "type_as", "view_as", "reshape_as", "flatten",
    "requires_grad_", "squeeze_", "mul_", "div_", "add_", "sub_",
})
KEEPS_ACTIVATION = frozenset({
    "to", "cuda", "cpu", "float", "double", "half", "bfloat16", "clone", "contiguous", "view",
    "reshape", "squeeze", "unsqueeze", "flatten", "type_as", "view_as", "reshape_as",
})
# What stays on the device it was made on (no `.to(...)`, `.cuda()`, `.type_as(...)`).
KEEPS_DEVICE = frozenset({
    "float", "double", "half", "bfloat16", "long", "int", "bool", "byte", "char", "short",
    "view", "reshape", "unsqueeze", "squeeze", "expand", "repeat", "flatten", "t", "transpose",
    "permute", "contiguous", "clone", "tril", "triu", "masked_fill", "fill_", "zero_", "mul",
    "add", "sub", "div", "neg", "exp", "log", "sqrt", "pow", "sin", "cos", "cumsum", "flip",
    "unflatten", "repeat_interleave", "tril_", "triu_", "masked_fill_", "mul_", "add_", "sub_",
    "div_", "uniform_", "normal_", "bernoulli_", "float_power", "abs", "reciprocal", "rsqrt",
    "sigmoid", "softmax", "log_softmax", "mean", "sum", "narrow", "select", "roll",
})
# Module methods that return the module itself.
RETURNS_MODULE = frozenset({"to", "cuda", "cpu", "half", "float", "double", "bfloat16", "train",
                            "eval", "requires_grad_", "type", "to_empty", "xpu", "mtia", "share_memory"})

_NUMBER_TYPES = (cst.Integer, cst.Float, cst.Imaginary)


def is_number(expr: cst.BaseExpression) -> bool:
    if isinstance(expr, cst.UnaryOperation) and isinstance(expr.operator, (cst.Minus, cst.Plus)):
        expr = expr.expression
    return isinstance(expr, _NUMBER_TYPES)


def keyword(call: cst.Call, name: str) -> Optional[cst.Arg]:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == name:
            return arg
    return None


def has_star_args(call: cst.Call) -> bool:
    return any(arg.star for arg in call.args)


def positional(call: cst.Call) -> List[cst.BaseExpression]:
    return [arg.value for arg in call.args if arg.keyword is None and not arg.star]


def is_scalar_data(expr: cst.BaseExpression) -> bool:
    """`torch.tensor(2.0)`: a 0-dim tensor mixes with tensors on any device."""
    if is_number(expr) or isinstance(expr, cst.Name) and expr.value in ("True", "False"):
        return True
    if isinstance(expr, cst.BinaryOperation):
        return is_number(expr.left) and is_number(expr.right)
    return False


# ----- one scope ----------------------------------------------------------------------------------
_COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)
_NESTED_SCOPES = (cst.FunctionDef, cst.ClassDef, cst.Lambda) + _COMPREHENSIONS
_NESTED_SCOPE_TYPES = frozenset(_NESTED_SCOPES)  # exact types: cheaper than isinstance() in walks
_COMPREHENSION_TYPES = frozenset(_COMPREHENSIONS)
_LAMBDA_OR_COMPREHENSION = _COMPREHENSION_TYPES | {cst.Lambda}
_NOT_LOCAL = object()  # a name this scope does not bind (a global, an import, a builtin)


def _target_names(target: cst.CSTNode, into: Set[str]) -> None:
    if isinstance(target, cst.Name):
        into.add(target.value)
    elif isinstance(target, (cst.Tuple, cst.List)):
        for element in target.elements:
            _target_names(element.value, into)
    elif isinstance(target, cst.StarredElement):
        _target_names(target.value, into)


_ASSIGNING_OR_SCOPE = concrete_types((
    cst.Assign, cst.AugAssign, cst.AnnAssign, cst.For, cst.AsName, cst.NamedExpr, cst.Global,
    cst.Nonlocal, cst.Import, cst.ImportFrom) + _NESTED_SCOPES)


def assigned_names(body: Iterable[cst.CSTNode]) -> Tuple[Set[str], Set[str]]:
    """The names a scope assigns (not imports, defs or classes), and those it declares global."""
    names: Set[str] = set()
    declared: Set[str] = set()
    stack = list(body)
    while stack:
        node = stack.pop()
        if type(node) not in _ASSIGNING_OR_SCOPE:  # most nodes: skip the isinstance() chain below
            stack.extend(children(node))
            continue
        if isinstance(node, (cst.Assign,)):
            for target in node.targets:
                _target_names(target.target, names)
        elif isinstance(node, (cst.AugAssign, cst.AnnAssign)):
            _target_names(node.target, names)
        elif isinstance(node, cst.For):
            _target_names(node.target, names)
        elif isinstance(node, cst.AsName):
            _target_names(node.name, names)
        elif isinstance(node, cst.NamedExpr):
            _target_names(node.target, names)
        elif isinstance(node, (cst.Global, cst.Nonlocal)):
            declared.update(n.name.value for n in node.names)
        if isinstance(node, _NESTED_SCOPES):
            continue
        if isinstance(node, (cst.Import, cst.ImportFrom)):
            continue
        stack.extend(children(node))
    return names - declared, declared


class Flow:
    """The kinds of one scope's names, at each of their uses."""

    def __init__(self, dataflow: "Dataflow", scope: Scope, class_info: Optional[ClassInfo],
                 attr_kinds: Callable[[str], Optional[Kind]]):
        self.dataflow = dataflow
        self.context = dataflow.context
        self.scope = scope
        self.class_info = class_info
        self._attr_kinds = attr_kinds
        if isinstance(scope, cst.Module):
            body = scope.body
        else:
            body = scope.body.body if isinstance(scope.body, cst.IndentedBlock) else [scope.body]
        self.locals, self.declared = assigned_names(body)
        self.self_name: Optional[str] = None
        self.params: Dict[str, Optional[Kind]] = {}
        if isinstance(scope, cst.FunctionDef):
            self._read_params(scope)
            if class_info is not None:
                self.self_name = first_param_name(scope)
        self.uses: Dict[int, Value] = {}  # id(Name node) -> what reaches that use
        self.bound: Dict[str, Value] = {name: BOTTOM for name in self.locals}  # every binding, joined
        for name, value in self.params.items():
            self.bound[name] = value
        self.returns: Value = BOTTOM  # join of the returned values
        self.attr_writes: List[Tuple[str, Value, cst.CSTNode]] = []  # self.X = value
        self._walker = _Walker(self)
        env = {name: BOTTOM for name in self.locals}
        env.update(self.params)
        self._walker.block(body, env)
        if isinstance(scope, cst.FunctionDef) and dataflow.has_yield and _yields(body):
            self.returns = None

    def _read_params(self, function: cst.FunctionDef) -> None:
        params = function.params
        for param in (*params.posonly_params, *params.params, *params.kwonly_params):
            self.params[param.name.value] = self._annotated(param.annotation)
            self.locals.discard(param.name.value)
        for star in (params.star_arg, params.star_kwarg):
            if isinstance(star, cst.Param):
                self.params[star.name.value] = None
                self.locals.discard(star.name.value)

    def _annotated(self, annotation: Optional[cst.Annotation]) -> Optional[Kind]:
        if annotation is None:
            return None
        qualified = self.context.qualified_name(annotation.annotation)
        if qualified is None:
            return None
        last = qualified.rsplit(".", 1)[-1]
        if qualified.startswith("torch.") and last in ("Tensor", "FloatTensor", "LongTensor"):
            return Kind(TENSOR, origin="argument")
        if qualified.startswith("torch.optim") and last in torch_api.optimizer_classes():
            return Kind(OPTIMIZER, name=qualified)
        if torch_api.is_module_class(qualified) or qualified == "torch.nn.Module":
            return Kind(MODULE, name=qualified)
        return None

    # ----- queries ---------------------------------------------------------------------------------
    def kind(self, expr: cst.BaseExpression) -> Optional[Kind]:
        """What `expr` (an expression of this scope) holds, or None when it is not known."""
        return known(self._safe_kind(expr))

    def _safe_kind(self, expr: cst.BaseExpression) -> Value:
        try:
            return self._kind(expr)
        except RecursionError:  # an expression nested thousands deep: not worth knowing
            return None

    def name_kind(self, name: cst.Name) -> Value:
        """What reaches this use of a name; _NOT_LOCAL for a name the scope (and the scopes
        around it) never bind."""
        if id(name) in self.uses:
            return self.uses[id(name)]
        return self._free(name.value)

    def _free(self, name: str):
        if name in self.params:
            return self.params[name]
        if name in self.locals or name in self.declared:
            return known(self.bound.get(name, BOTTOM)) if name in self.locals else None
        return self.dataflow.outer_kind(self.scope, name)

    def is_local(self, name: str) -> bool:
        return name in self.locals or name in self.params

    def attr_kind(self, attr: str) -> Value:
        return self._attr_kinds(attr)

    def is_self(self, expr: cst.BaseExpression) -> bool:
        return self.self_name is not None and isinstance(expr, cst.Name) and expr.value == self.self_name

    # ----- evaluation --------------------------------------------------------------------------------
    def _kind(self, expr: cst.BaseExpression) -> Value:
        if isinstance(expr, cst.Name):
            value = self.name_kind(expr)
            return None if value is _NOT_LOCAL else value
        if isinstance(expr, cst.Attribute):
            return self._attribute(expr)
        if isinstance(expr, cst.Call):
            return self._call(expr)
        if isinstance(expr, cst.BinaryOperation):
            spine = []  # `a + b + c + ...` nests to the left: follow it without recursion
            while isinstance(expr, cst.BinaryOperation):
                spine.append(expr)
                expr = expr.left
            value = self._kind(expr)
            for operation in reversed(spine):
                value = self._binary(value, operation.left, self._kind(operation.right), operation.right)
            return value
        if isinstance(expr, cst.UnaryOperation):
            inner = self._kind(expr.expression)
            if inner is BOTTOM:
                return BOTTOM
            if inner is not None and inner.is_tensor and not isinstance(expr.operator, cst.Not):
                return Kind(TENSOR, origin=inner.origin if inner.origin in ("loss", "factory") else None,
                            site=inner.site if inner.origin == "factory" else None)
            return None
        if isinstance(expr, cst.Comparison):
            if any(isinstance(c.operator, (cst.Is, cst.IsNot, cst.In, cst.NotIn)) for c in expr.comparisons):
                return None
            operands = [expr.left, *(c.comparator for c in expr.comparisons)]
            if any(_is_tensor(self._kind(o)) for o in operands):
                return TENSOR_KIND
            return None
        if isinstance(expr, cst.Subscript):
            base = self._kind(expr.value)
            if base is BOTTOM:
                return BOTTOM
            if base is not None and base.is_tensor:
                if base.origin == "factory":
                    return base
                return TENSOR_KIND
            return None
        if isinstance(expr, cst.IfExp):
            return known(join(self._kind(expr.body), self._kind(expr.orelse)))
        if isinstance(expr, cst.NamedExpr):
            return self._kind(expr.value)
        return None

    def _attribute(self, expr: cst.Attribute) -> Value:
        if self.is_self(expr.value):
            return self.attr_kind(expr.attr.value)
        base = self._kind(expr.value)
        if base is BOTTOM:
            return BOTTOM
        if base is not None and base.is_module:
            return self.dataflow.member(base, expr.attr.value)
        if base is not None and base.is_tensor and expr.attr.value in TENSOR_ATTRIBUTES:
            return Kind(TENSOR, origin="detached") if expr.attr.value == "data" else TENSOR_KIND
        return None

    def _binary(self, left: Value, left_expr, right: Value, right_expr) -> Value:
        if left is BOTTOM or right is BOTTOM:
            return BOTTOM  # not bound yet on this path (a first loop iteration, a first round)
        if not _is_tensor(left) and not _is_tensor(right):
            return None
        if _is_tensor(left) and _is_tensor(right):
            if left.origin == "loss" or right.origin == "loss":
                return Kind(TENSOR, origin="loss")
            return TENSOR_KIND
        tensor, other_expr = (left, right_expr) if _is_tensor(left) else (right, left_expr)
        if tensor.origin == "loss":
            return tensor
        if tensor.origin == "factory" and is_number(other_expr):
            return tensor
        return TENSOR_KIND

    def _call(self, call: cst.Call) -> Value:
        func = call.func
        qualified = self._qualified(func)
        if qualified is not None:
            return self.dataflow.qualified_call(qualified, call)
        if self.is_self(func):  # self(x): this Module's own forward
            return self._own_output()
        if isinstance(func, cst.Attribute) and self.is_self(func.value):
            if func.attr.value == "forward":
                return self._own_output()
            callee = self.attr_kind(func.attr.value)
            if callee is BOTTOM:
                return BOTTOM
            if callee is not None and callee.is_module:
                return self.dataflow.module_output(callee, call)
            return None
        if isinstance(func, cst.Attribute):
            receiver = self._kind(func.value)
            method = func.attr.value
            if receiver is BOTTOM:
                return BOTTOM
            if receiver is None:
                return None
            if receiver.is_tensor:
                return _tensor_method(receiver, method, call)
            if receiver.is_module:
                if method in RETURNS_MODULE:
                    return receiver
                if method == "forward":
                    return self.dataflow.module_output(receiver, call)
                member = self.dataflow.member(receiver, method)
                if member is not None and member.is_module:
                    return self.dataflow.module_output(member, call)
            return None
        callee = self._kind(func)
        if callee is BOTTOM:
            return BOTTOM
        if callee is not None and callee.is_module:
            return self.dataflow.module_output(callee, call)
        return None

    def _own_output(self) -> Value:
        if self.class_info is None or not self.class_info.is_module:
            return None
        return self.dataflow.class_output(self.class_info.name)

    def _qualified(self, func: cst.BaseExpression) -> Optional[str]:
        """The qualified name of a called function, unless its root is a value of this scope."""
        root = func
        while isinstance(root, cst.Attribute):
            root = root.value
        if not isinstance(root, cst.Name) or root.value == self.self_name:
            return None
        if not isinstance(self.scope, cst.Module) and self.is_local(root.value):
            return None
        return self.context.qualified_name(func)


def _is_tensor(value: Value) -> bool:
    return isinstance(value, Kind) and value.is_tensor


_TENSOR_METHODS = frozenset(torch_api.data()["tensor_methods"])


def _tensor_method(receiver: Kind, method: str, call: cst.Call) -> Value:
    if method in NOT_A_TENSOR or method.startswith(("is_", "_")) or method in (
            "item", "tolist", "numpy"):
        return None
    if method == "detach" or method == "detach_":
        return Kind(TENSOR, origin="detached")
    if method in METHOD_ORIGINS:
        return Kind(TENSOR, origin=METHOD_ORIGINS[method])
    origin = receiver.origin
    if origin == "loss" and method in KEEPS_LOSS:
        return receiver
    if origin in ("softmax", "log_softmax", "sigmoid") and method in KEEPS_ACTIVATION:
        return receiver
    if origin == "factory" and method in KEEPS_DEVICE:
        return receiver
    if method in _TENSOR_METHODS:
        return TENSOR_KIND
    return None


class _Walker:
    """Follows the statements of one scope, recording what reaches every use of a local name."""

    def __init__(self, flow: Flow):
        self.flow = flow

    # ----- recording uses ----------------------------------------------------------------------
    def record(self, node: Optional[cst.CSTNode], env: Dict[str, Value],
               shadowed: FrozenSet[str] = frozenset()) -> None:
        if node is None:
            return
        flow = self.flow
        stack = [node]
        while stack:
            current = stack.pop()
            kind = type(current)
            if kind is cst.Name:
                name = current.value
                if name in shadowed:
                    flow.uses[id(current)] = None
                elif name in env:
                    flow.uses[id(current)] = env[name]
                elif name in flow.declared:
                    flow.uses[id(current)] = None
            elif kind is cst.Attribute or kind is cst.Arg:
                stack.append(current.value)
            elif kind is cst.Lambda:
                names = {p.name.value for p in _all_params(current.params)}
                self.record(current.body, env, shadowed | names)
            elif kind in _COMPREHENSION_TYPES:
                self._record_comprehension(current, env, shadowed)
            elif kind is not cst.FunctionDef and kind is not cst.ClassDef:
                stack.extend(children(current))

    def _record_comprehension(self, node, env, shadowed) -> None:
        inner = set(shadowed)
        comp = node.for_in
        first = True
        while comp is not None:
            self.record(comp.iter, env, frozenset(shadowed if first else inner))
            first = False
            _target_names(comp.target, inner)
            for condition in comp.ifs:
                self.record(condition.test, env, frozenset(inner))
            comp = comp.inner_for_in
        frozen = frozenset(inner)
        if isinstance(node, cst.DictComp):
            self.record(node.key, env, frozen)
            self.record(node.value, env, frozen)
        else:
            self.record(node.elt, env, frozen)

    # ----- binding ---------------------------------------------------------------------------------------
    def bind(self, target: cst.BaseExpression, value: Value, env: Dict[str, Value],
             source: Optional[cst.CSTNode] = None) -> None:
        flow = self.flow
        if isinstance(target, cst.Name):
            name = target.value
            if name in flow.declared:
                return
            env[name] = value
            flow.bound[name] = join(flow.bound.get(name, BOTTOM), value)
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self.bind(element.value, None, env)
        elif isinstance(target, cst.StarredElement):
            self.bind(target.value, None, env)
        elif isinstance(target, cst.Attribute):
            self.record(target.value, env)
            if flow.is_self(target.value):
                flow.attr_writes.append((target.attr.value, value, source or target))
        elif isinstance(target, cst.Subscript):
            self.record(target, env)

    # ----- statements ----------------------------------------------------------------------------------
    def block(self, body, env: Dict[str, Value]) -> Dict[str, Value]:
        for statement in body:
            env = self.statement(statement, env)
        return env

    def suite(self, suite: Optional[cst.BaseSuite], env):
        if suite is None:
            return env
        if isinstance(suite, cst.IndentedBlock):
            return self.block(suite.body, env)
        return self.block([suite], env)  # SimpleStatementSuite: `if x: a = 1`

    def statement(self, node, env):
        if isinstance(node, (cst.SimpleStatementLine, cst.SimpleStatementSuite)):
            for small in node.body:
                self.small(small, env)
            return env
        if isinstance(node, cst.If):
            self.record(node.test, env)
            then = self.suite(node.body, dict(env))
            otherwise = dict(env)
            if isinstance(node.orelse, cst.If):
                otherwise = self.statement(node.orelse, otherwise)
            elif isinstance(node.orelse, cst.Else):
                otherwise = self.suite(node.orelse.body, otherwise)
            return _join_env(then, otherwise)
        if isinstance(node, cst.For):
            self.record(node.iter, env)
            return self._loop(node, env, lambda e: self.bind(node.target, None, e))
        if isinstance(node, cst.While):
            self.record(node.test, env)
            return self._loop(node, env, lambda e: self.record(node.test, e))
        if isinstance(node, (cst.Try, cst.TryStar)):
            after_body = self.suite(node.body, dict(env))
            ends = []
            for handler in node.handlers:
                start = _join_env(env, after_body)
                self.record(handler.type, start)
                if handler.name is not None:
                    self.bind(handler.name.name, None, start)
                ends.append(self.suite(handler.body, start))
            if node.orelse is not None:
                after_body = self.suite(node.orelse.body, after_body)
            result = after_body
            for end in ends:
                result = _join_env(result, end)
            if node.finalbody is not None:
                result = self.suite(node.finalbody.body, _join_env(result, env))
            return result
        if isinstance(node, cst.With):
            for item in node.items:
                self.record(item.item, env)
                if item.asname is not None:
                    self.bind(item.asname.name, None, env)
            return self.suite(node.body, env)
        if isinstance(node, cst.FunctionDef):
            for decorator in node.decorators:
                self.record(decorator.decorator, env)
            for param in _all_params(node.params):
                self.record(param.default, env)
            return env
        if isinstance(node, cst.ClassDef):
            for decorator in node.decorators:
                self.record(decorator.decorator, env)
            for arg in node.bases:
                self.record(arg.value, env)
            return env
        if isinstance(node, cst.Match):
            self.record(node.subject, env)
            result = dict(env)
            for case in node.cases:
                branch = dict(env)
                for name_node in _pattern_names(case.pattern):
                    self.bind(name_node, None, branch)
                self.record(case.guard, branch)
                result = _join_env(result, self.suite(case.body, branch))
            return result
        return env

    def _loop(self, node, env, start):
        entry = dict(env)
        current = dict(env)
        for _ in range(4):
            head = dict(current)
            start(head)
            end = self.suite(node.body, head)
            following = _join_env(entry, end)
            if following == current:
                break
            current = following
        result = current
        if node.orelse is not None:
            result = self.suite(node.orelse.body, dict(result))
        return result

    def small(self, node, env) -> None:
        flow = self.flow
        if isinstance(node, cst.Assign):
            self.record(node.value, env)
            value = flow._safe_kind(node.value)
            for target in node.targets:
                self.bind(target.target, value, env, source=node)
        elif isinstance(node, cst.AnnAssign):
            if node.value is not None:
                self.record(node.value, env)
                self.bind(node.target, flow._safe_kind(node.value), env, source=node)
        elif isinstance(node, cst.AugAssign):
            self.record(node.value, env)
            if isinstance(node.target, cst.Name):
                self.record(node.target, env)
                value = flow._binary(flow._safe_kind(node.target), node.target, flow._safe_kind(node.value), node.value)
            elif isinstance(node.target, cst.Attribute) and flow.is_self(node.target.value):
                value = flow._binary(flow._safe_kind(node.target), node.target, flow._safe_kind(node.value), node.value)
            else:
                value = None
            self.bind(node.target, value, env, source=node)
        elif isinstance(node, cst.Return):
            self.record(node.value, env)
            value = flow._safe_kind(node.value) if node.value is not None else None
            flow.returns = join(flow.returns, value)
        elif isinstance(node, cst.Del):
            self.record(node.target, env)
            if isinstance(node.target, cst.Name):
                env[node.target.value] = BOTTOM
        elif isinstance(node, cst.Expr):
            self.record(node.value, env)
            self._register(node.value, env)
            self._grow(node.value, env)
        elif isinstance(node, (cst.Global, cst.Nonlocal, cst.Import, cst.ImportFrom, cst.Pass,
                               cst.Break, cst.Continue)):
            pass
        else:  # Raise, Assert and anything else: record what it reads
            for child in children(node):
                self.record(child, env)
        if flow.dataflow.has_walrus:
            for named in _named_exprs(node):
                self.bind(named.target, flow._safe_kind(named.value), env)

    def _grow(self, expr, env) -> None:
        """`model.append(layer)` / `model.add_module(...)`: a Sequential's last layer changes."""
        if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) \
                and isinstance(expr.func.value, cst.Name) \
                and expr.func.attr.value in ("append", "extend", "insert", "add_module", "register_module"):
            name = expr.func.value.value
            value = env.get(name)
            if isinstance(value, Kind) and value.is_module and value.last is not None:
                self.bind(expr.func.value, Kind(MODULE, name=value.name), env)

    def _register(self, expr, env) -> None:
        """`self.register_buffer("name", t)` / `self.register_parameter("name", p)` write attributes."""
        flow = self.flow
        if not (isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute)
                and flow.is_self(expr.func.value)):
            return
        method = expr.func.attr.value
        if method not in ("register_buffer", "register_parameter", "add_module", "register_module"):
            return
        args = positional(expr)
        if not args or not isinstance(args[0], cst.SimpleString):
            return
        name = args[0].evaluated_value
        if not isinstance(name, str):
            return
        if method == "register_buffer":
            value: Value = Kind(TENSOR, origin="buffer")
        elif method == "register_parameter":
            value = Kind(TENSOR, origin="parameter")
        else:
            value = flow._safe_kind(args[1]) if len(args) > 1 else None
            if not (isinstance(value, Kind) and value.is_module):
                value = Kind(MODULE)
        flow.attr_writes.append((name, value, expr))


def _named_exprs(node) -> List[cst.NamedExpr]:
    found = []
    stack = [node]
    while stack:
        current = stack.pop()
        kind = type(current)
        if kind is cst.NamedExpr:
            found.append(current)
        if kind not in _LAMBDA_OR_COMPREHENSION:
            stack.extend(children(current))
    return found


def _all_params(params: cst.Parameters) -> List[cst.Param]:
    found = [*params.posonly_params, *params.params, *params.kwonly_params]
    for star in (params.star_arg, params.star_kwarg):
        if isinstance(star, cst.Param):
            found.append(star)
    return found


def _pattern_names(pattern) -> List[cst.Name]:
    found = []
    stack = [pattern]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.MatchAs) and current.name is not None:
            found.append(current.name)
        elif isinstance(current, cst.MatchStar) and current.name is not None:
            found.append(current.name)
        elif isinstance(current, cst.MatchMapping) and current.rest is not None:
            found.append(current.rest)
        stack.extend(c for c in children(current) if not isinstance(c, cst.Name))
    return found


def _join_env(a: Dict[str, Value], b: Dict[str, Value]) -> Dict[str, Value]:
    if a is b:
        return dict(a)
    result = dict(a)
    for name, value in b.items():
        result[name] = join(result.get(name, BOTTOM), value)
    return result


# ----- the file ---------------------------------------------------------------------------------
class Dataflow:
    """Flows of a file's scopes and the attribute kinds of its classes, made on demand."""

    def __init__(self, context):
        self.context = context
        # Most files have no `:=` or `yield`: skip looking for them statement by statement.
        self.has_walrus = ":=" in context.source
        self.has_yield = "yield" in context.source
        self._flows: Dict[Scope, Flow] = {}
        self._computing: Set[Scope] = set()
        self._used_pending = False  # set when an answer came from a provisional attribute map
        self._first_round: Set[cst.ClassDef] = set()
        self._parents: Optional[Dict[cst.FunctionDef, Tuple[Scope, Optional[ClassInfo]]]] = None
        self._attrs: Dict[cst.ClassDef, Dict[str, Value]] = {}
        self._attrs_pending: Dict[cst.ClassDef, Dict[str, Value]] = {}
        self._outputs: Dict[str, Value] = {}
        self._outputs_pending: Set[str] = set()

    # ----- scopes ------------------------------------------------------------------------------
    def _index(self) -> Dict[cst.FunctionDef, Tuple[Scope, Optional[ClassInfo]]]:
        """Each function's enclosing scope (for free names) and, for a method, its class."""
        if self._parents is None:
            parents: Dict[cst.FunctionDef, Tuple[Scope, Optional[ClassInfo]]] = {}
            stack: list = [(self.context.module, self.context.module, None)]
            while stack:
                node, scope, klass = stack.pop()
                for child in children(node):
                    if isinstance(child, cst.FunctionDef):
                        parents[child] = (scope, klass)
                        stack.append((child.body, child, None))
                    elif isinstance(child, cst.ClassDef):
                        stack.append((child.body, scope, self.context.classes.get(child)))
                    elif not isinstance(child, (cst.SimpleStatementLine, cst.BaseExpression,
                                                cst.Decorator, cst.Parameters)):
                        stack.append((child, scope, klass))
            self._parents = parents
        return self._parents

    def class_of(self, function: cst.FunctionDef) -> Optional[ClassInfo]:
        entry = self._index().get(function)
        return entry[1] if entry is not None else None

    def flow(self, scope: Scope) -> Flow:
        """The flow of `scope`. A flow that read a class's attribute kinds while they were still
        being worked out depends on a provisional answer: it is made but not kept."""
        found = self._flows.get(scope)
        if found is None:
            klass = self.class_of(scope) if isinstance(scope, cst.FunctionDef) else None
            if klass is not None and first_param_name(scope) is not None:
                getter = self._attr_getter(klass)
            else:
                getter = _no_attrs
            outer_used, self._used_pending = self._used_pending, False
            self._computing.add(scope)
            try:
                found = Flow(self, scope, klass, getter)
            finally:
                self._computing.discard(scope)
                used, self._used_pending = self._used_pending, outer_used or self._used_pending
            if not used:
                self._flows[scope] = found
        return found

    def outer_kind(self, scope: Scope, name: str):
        """A free name of `scope`: what the enclosing scopes bind it to, all bindings joined."""
        if isinstance(scope, cst.Module):
            return _NOT_LOCAL
        entry = self._index().get(scope)
        if entry is None:
            return _NOT_LOCAL
        parent = entry[0]
        if parent in self._computing:
            return None
        parent_flow = self.flow(parent)
        if name in parent_flow.params:
            return parent_flow.params[name]
        if name in parent_flow.locals:
            return known(parent_flow.bound.get(name, BOTTOM))
        return self.outer_kind(parent, name)

    # ----- classes -------------------------------------------------------------------------------
    def hierarchy(self, info: ClassInfo) -> List[ClassInfo]:
        """`info`, its ancestors and its descendants among the classes of this file."""
        by_name = self.context.classes_by_name
        found = {info.name: info}
        todo = [info]
        while todo:
            current = todo.pop()
            for base in current.base_names:
                if base in by_name and base not in found:
                    found[base] = by_name[base]
                    todo.append(by_name[base])
        changed = True
        while changed:
            changed = False
            for other in self.context.classes.values():
                if other.name not in found and any(b in found for b in other.base_names):
                    found[other.name] = other
                    changed = True
        return list(found.values())

    def _attr_getter(self, info: ClassInfo) -> Callable[[str], Optional[Kind]]:
        def get(attr: str) -> Value:
            kinds = self.attr_kinds(info)
            if attr in kinds:
                return kinds[attr]
            return BOTTOM if info.node in self._first_round else None
        return get

    def attr_kinds(self, info: ClassInfo) -> Dict[str, Value]:
        """attr -> the join of everything the classes of `info`'s hierarchy assign to `self.attr`."""
        done = self._attrs.get(info.node)
        if done is not None:
            return done
        pending = self._attrs_pending.get(info.node)
        if pending is not None:
            self._used_pending = True
            return pending  # asked while being computed: the previous round's answer
        classes = self.hierarchy(info)
        methods = [(klass, m) for klass in classes for m in klass.methods.values()
                   if _writes_self(m)]
        try:
            current = self._attr_rounds(classes, methods)
        finally:
            for klass in classes:
                self._attrs_pending.pop(klass.node, None)
                self._first_round.discard(klass.node)
        for klass in classes:
            self._attrs_pending.pop(klass.node, None)
            self._attrs[klass.node] = current
        return current

    def _attr_rounds(self, classes, methods) -> Dict[str, Value]:
        """Every method is followed with the previous round's attribute kinds, until they settle.
        In the first round nothing is known yet (BOTTOM); from then on, an attribute that no
        method assigns is unknown (a base class outside the file, or a caller, may set it)."""
        current: Dict[str, Value] = {}
        for round_ in range(3):
            for klass in classes:
                self._attrs_pending[klass.node] = current
                if round_ == 0:
                    self._first_round.add(klass.node)
                else:
                    self._first_round.discard(klass.node)
            found: Dict[str, Value] = {}
            reads = []

            def get(attr, c=current, missing=BOTTOM if round_ == 0 else None):
                reads.append(attr)
                return c.get(attr, missing)

            for klass, method in methods:
                flow = Flow(self, method, klass, get)
                for attr, value, _node in flow.attr_writes:
                    found[attr] = join(found.get(attr, BOTTOM), value)
            if found == current or not reads:
                return found  # settled, or exact already: no write depended on another attribute
            current = found
        return current

    def member(self, owner: Kind, attr: str) -> Optional[Kind]:
        """`net.criterion` where `net` is a Module of a class of this file: its attribute kind."""
        info = self.context.classes_by_name.get(owner.name or "")
        if info is None or owner.name.startswith("torch."):
            return None
        return known(self.attr_kinds(info).get(attr, BOTTOM))

    def module_output(self, module: Kind, call: Optional[cst.Call] = None) -> Value:
        """What calling a Module of this kind returns."""
        name = module.name
        if name is None:
            return None
        if name.startswith("torch."):
            last = name.rsplit(".", 1)[1]
            if last == "Sequential":
                return self.module_output(module.last, None) if module.last is not None else None
            if last in torch_api.loss_classes():
                return Kind(TENSOR, origin="loss")
            if last in LAYER_ORIGINS:
                return Kind(TENSOR, origin=LAYER_ORIGINS[last])
            if last in LAYERS_NOT_A_TENSOR or module.origin == "indices":
                return None
            return TENSOR_KIND
        return self.class_output(name)

    def class_output(self, class_name: str) -> Value:
        """What the `forward` of a Module class of this file returns (all returns joined)."""
        if class_name in self._outputs:
            return self._outputs[class_name]
        if class_name in self._outputs_pending:
            return None
        info = self.context.classes_by_name.get(class_name)
        if info is None or not info.is_module:
            return None
        forward = self._find_forward(info)
        if forward is None:
            return None
        if forward in self._computing:
            return None  # recursion: unknown (a safe answer, unlike a provisional attribute map)
        outer_used, self._used_pending = self._used_pending, False
        self._outputs_pending.add(class_name)
        try:
            value = known(self.flow(forward).returns)
        finally:
            self._outputs_pending.discard(class_name)
            used, self._used_pending = self._used_pending, outer_used or self._used_pending
        if not used:
            self._outputs[class_name] = value
        return value

    def _find_forward(self, info: ClassInfo) -> Optional[cst.FunctionDef]:
        seen = set()
        while info is not None and info.name not in seen:
            seen.add(info.name)
            if "forward" in info.methods:
                return info.methods["forward"]
            nxt = None
            for base in info.base_names:
                if base in self.context.classes_by_name:
                    nxt = self.context.classes_by_name[base]
                    break
            info = nxt
        return None

    def _is_optimizer_class(self, name: str) -> bool:
        info = self.context.classes_by_name.get(name)
        seen = set()
        while info is not None and info.name not in seen:
            seen.add(info.name)
            nxt = None
            for base in info.base_names:
                if base and base.startswith("torch.optim") and base.rsplit(".", 1)[1] in torch_api.optimizer_classes():
                    return True
                if base in self.context.classes_by_name:
                    nxt = self.context.classes_by_name[base]
            info = nxt
        return False

    # ----- calls of named functions and classes ---------------------------------------------------------
    def qualified_call(self, qualified: str, call: cst.Call) -> Value:
        parts = qualified.split(".")
        last = parts[-1]
        if torch_api.is_module_class(qualified):
            layers = [a for a in call.args if not a.star and a.keyword is None]
            last_layer = None
            if last == "Sequential" and layers and not has_star_args(call):
                inner = layers[-1].value
                if isinstance(inner, cst.Call):
                    inner_q = self.context.qualified_name(inner.func)
                    if inner_q:
                        last_layer = known(self.qualified_call(inner_q, inner))
            origin = "indices" if keyword(call, "return_indices") is not None else None
            return Kind(MODULE, name=qualified, last=last_layer, origin=origin)
        info = self.context.classes_by_name.get(qualified)
        if info is not None:
            if info.is_module:
                return Kind(MODULE, name=info.name)
            if self._is_optimizer_class(info.name):
                return Kind(OPTIMIZER, name=info.name)
            return None
        if parts[0] != "torch":
            return None
        if torch_api.is_parameter_class(qualified):
            return Kind(TENSOR, origin="parameter")
        if "optim" in parts[:-1] and "lr_scheduler" not in parts and last in torch_api.optimizer_classes():
            return Kind(OPTIMIZER, name=qualified)
        if qualified in ACTIVATION_ORIGINS:
            return Kind(TENSOR, origin=ACTIVATION_ORIGINS[qualified])
        if len(parts) == 2:  # torch.X
            if last in FACTORIES:
                if keyword(call, "device") is None and not has_star_args(call) and _fresh(last, call):
                    return Kind(TENSOR, origin="factory", site=call)
                return TENSOR_KIND
            if last in TENSOR_FUNCTIONS:
                return TENSOR_KIND
            return None
        if qualified.startswith(_F + "."):
            if last in F_LOSSES or last.endswith("_loss"):
                return Kind(TENSOR, origin="loss")
            if last in F_NOT_A_TENSOR or last.startswith("_") or keyword(call, "return_indices") is not None:
                return None
            if last in (torch_api.names_in(_F) or ()):
                return TENSOR_KIND
        return None


def calls_torch_op(context, root: cst.CSTNode) -> bool:
    """Does `root` call a torch function that returns a tensor (`torch.zeros`, `torch.cat`,
    `F.relu`, `nn.Parameter`...)? A cheap gate before following a function's dataflow."""
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Call):
            qualified = context.qualified_name(node.func)
            if qualified and qualified.startswith("torch."):
                last = qualified.rsplit(".", 1)[1]
                if last in FACTORIES or last in TENSOR_FUNCTIONS or qualified.startswith(_F + ".") \
                        or torch_api.is_parameter_class(qualified):
                    return True
        stack.extend(children(node))
    return False


def _fresh(factory: str, call: cst.Call) -> bool:
    """Does this factory call make a tensor on the default device, whatever its argument?
    (`torch.tensor(t)` of a tensor keeps `t`'s device; of a list literal, it does not.)"""
    if factory in ("tensor", "as_tensor"):
        args = positional(call)
        data = args[0] if args else (keyword(call, "data").value if keyword(call, "data") else None)
        return isinstance(data, (cst.List, cst.Tuple, cst.ListComp))
    return True


def _yields(body) -> bool:
    stack = list(body)
    while stack:
        node = stack.pop()
        kind = type(node)
        if kind is cst.Yield:
            return True
        if kind not in _NESTED_SCOPE_TYPES:
            stack.extend(children(node))
    return False


_REGISTERS = frozenset({"register_buffer", "register_parameter", "add_module", "register_module"})


def _writes_self(method: cst.FunctionDef) -> bool:
    """Does the method assign `self.x` (or register one)? Only such methods shape attribute kinds."""
    self_name = first_param_name(method)
    if self_name is None:
        return False
    stack = [method.body]
    while stack:
        node = stack.pop()
        kind = type(node)
        if kind is cst.Assign or kind is cst.AugAssign or kind is cst.AnnAssign:
            targets = [t.target for t in node.targets] if kind is cst.Assign else [node.target]
            for target in targets:
                if isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name) \
                        and target.value.value == self_name:
                    return True
        elif kind is cst.Call and isinstance(node.func, cst.Attribute) \
                and node.func.attr.value in _REGISTERS:
            return True
        elif kind is cst.FunctionDef or kind is cst.ClassDef or kind is cst.Lambda:
            continue
        stack.extend(children(node))
    return False


def _no_attrs(_attr: str) -> Optional[Kind]:
    return None
