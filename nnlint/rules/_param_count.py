"""How many parameters a construction holds, counted statically from its arguments.

`nn.Linear(8, 4)` holds 8*4 + 4 = 36 parameters: a message can say how much a bug hides
(`... -> 396 parameters invisible to the optimizer`). Only torch.nn layers whose shapes follow
from integer literals are counted (`nn.Linear(4 * 64, 10)`, `kernel_size=(3, 3)`,
`bias=False`); a name, a call, an unknown keyword or a class not in the table makes the count
unknown (None), and then a message says nothing about it.

The formulas mirror torch's own `reset_parameters` shapes; tests/rules/test_param_count.py
compares them with `sum(p.numel() for p in layer.parameters())` on real layers.
"""

from __future__ import annotations

import math
from typing import Dict, Optional, Sequence, Tuple

import libcst as cst

from nnlint.context import FileContext

_MISSING = object()

# Class -> its constructor's parameters, in positional order (as in torch 2.x).
_CONV = ("in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation", "groups",
         "bias", "padding_mode", "device", "dtype")
_CONV_T = ("in_channels", "out_channels", "kernel_size", "stride", "padding", "output_padding",
           "groups", "bias", "dilation", "padding_mode", "device", "dtype")
_BATCH_NORM = ("num_features", "eps", "momentum", "affine", "track_running_stats", "device",
               "dtype", "bias")
_RNN_KEYWORDS = ("input_size", "hidden_size", "num_layers", "nonlinearity", "bias", "batch_first",
                 "dropout", "bidirectional", "proj_size", "device", "dtype")
SIGNATURES: Dict[str, Tuple[str, ...]] = {
    "Linear": ("in_features", "out_features", "bias", "device", "dtype"),
    "Bilinear": ("in1_features", "in2_features", "out_features", "bias", "device", "dtype"),
    **{f"Conv{d}d": _CONV for d in (1, 2, 3)},
    **{f"ConvTranspose{d}d": _CONV_T for d in (1, 2, 3)},
    "Embedding": ("num_embeddings", "embedding_dim", "padding_idx", "max_norm", "norm_type",
                  "scale_grad_by_freq", "sparse", "_weight", "_freeze", "device", "dtype"),
    "EmbeddingBag": ("num_embeddings", "embedding_dim", "max_norm", "norm_type",
                     "scale_grad_by_freq", "mode", "sparse", "_weight", "include_last_offset",
                     "padding_idx", "device", "dtype"),
    "LayerNorm": ("normalized_shape", "eps", "elementwise_affine", "bias", "device", "dtype"),
    "RMSNorm": ("normalized_shape", "eps", "elementwise_affine", "device", "dtype"),
    **{f"BatchNorm{d}d": _BATCH_NORM for d in (1, 2, 3)},
    **{f"InstanceNorm{d}d": _BATCH_NORM for d in (1, 2, 3)},
    "GroupNorm": ("num_groups", "num_channels", "eps", "affine", "device", "dtype", "bias"),
    "PReLU": ("num_parameters", "init", "device", "dtype"),
    "RNNCell": ("input_size", "hidden_size", "bias", "nonlinearity", "device", "dtype"),
    "LSTMCell": ("input_size", "hidden_size", "bias", "device", "dtype"),
    "GRUCell": ("input_size", "hidden_size", "bias", "device", "dtype"),
    # RNN/LSTM/GRU take *args: only the first three are safe positionally, the rest by keyword.
    "RNN": _RNN_KEYWORDS, "LSTM": _RNN_KEYWORDS, "GRU": _RNN_KEYWORDS,
    "MultiheadAttention": ("embed_dim", "num_heads", "dropout", "bias", "add_bias_kv",
                           "add_zero_attn", "kdim", "vdim", "batch_first", "device", "dtype"),
}
_POSITIONAL_LIMIT = {"RNN": 3, "LSTM": 3, "GRU": 3}
_GATES = {"RNN": 1, "GRU": 3, "LSTM": 4, "RNNCell": 1, "GRUCell": 3, "LSTMCell": 4}

# torch.nn layers that hold no parameter at all, whatever their arguments.
PARAMETER_FREE = frozenset("""
    Identity Flatten Unflatten Dropout Dropout1d Dropout2d Dropout3d AlphaDropout
    FeatureAlphaDropout ReLU ReLU6 LeakyReLU ELU SELU CELU GELU SiLU Mish Sigmoid Tanh Softplus
    Softsign Softmax Softmin Softmax2d LogSoftmax LogSigmoid Hardtanh Hardswish Hardsigmoid
    Hardshrink Softshrink Tanhshrink Threshold GLU MaxPool1d MaxPool2d MaxPool3d AvgPool1d
    AvgPool2d AvgPool3d AdaptiveAvgPool1d AdaptiveAvgPool2d AdaptiveAvgPool3d AdaptiveMaxPool1d
    AdaptiveMaxPool2d AdaptiveMaxPool3d LPPool1d LPPool2d LPPool3d Upsample UpsamplingNearest2d
    UpsamplingBilinear2d PixelShuffle PixelUnshuffle ChannelShuffle ZeroPad1d ZeroPad2d ZeroPad3d
    ConstantPad1d ConstantPad2d ConstantPad3d ReflectionPad1d ReflectionPad2d ReflectionPad3d
    ReplicationPad1d ReplicationPad2d ReplicationPad3d CircularPad1d CircularPad2d CircularPad3d
    CosineSimilarity PairwiseDistance Fold Unfold LocalResponseNorm
""".split())

# torch factories whose size arguments give a tensor's element count.
_SIZED_FACTORIES = frozenset({"zeros", "ones", "empty", "rand", "randn", "Tensor", "FloatTensor"})


# ----- literals ------------------------------------------------------------------------------
def int_value(expr) -> Optional[int]:
    """The value of an integer literal or of arithmetic on them (`4 * 64`, `2 ** 10`), or None."""
    if isinstance(expr, cst.Integer):
        try:
            return int(expr.value, 0)
        except ValueError:
            return None
    if isinstance(expr, cst.UnaryOperation) and isinstance(expr.operator, cst.Minus):
        value = int_value(expr.expression)
        return -value if value is not None else None
    if isinstance(expr, cst.BinaryOperation):
        left, right = int_value(expr.left), int_value(expr.right)
        if left is None or right is None:
            return None
        op = expr.operator
        if isinstance(op, cst.Add):
            return left + right
        if isinstance(op, cst.Subtract):
            return left - right
        if isinstance(op, cst.Multiply):
            return left * right
        if isinstance(op, cst.FloorDivide) and right:
            return left // right
        if isinstance(op, cst.Power) and 0 <= right <= 64:
            return left ** right
    return None


def _ints(expr) -> Optional[Tuple[int, ...]]:
    """An int, or a tuple/list of ints, as a tuple."""
    single = int_value(expr)
    if single is not None:
        return (single,)
    if isinstance(expr, (cst.Tuple, cst.List)) and expr.elements:
        values = [int_value(e.value) if isinstance(e, cst.Element) else None for e in expr.elements]
        if all(v is not None for v in values):
            return tuple(values)
    return None


def _bool(expr) -> Optional[bool]:
    if isinstance(expr, cst.Name) and expr.value in ("True", "False"):
        return expr.value == "True"
    return None


def _is_none(expr) -> bool:
    return isinstance(expr, cst.Name) and expr.value == "None"


def _bind(call: cst.Call, names: Sequence[str], positional_limit: int) -> Optional[Dict[str, object]]:
    """Arguments by parameter name, or None for *args, **kwargs or a name not in `names`."""
    bound: Dict[str, object] = {}
    for index, arg in enumerate(call.args):
        if arg.star:
            return None
        if arg.keyword is None:
            if index >= min(len(names), positional_limit):
                return None
            bound[names[index]] = arg.value
        elif arg.keyword.value in names and arg.keyword.value not in bound:
            bound[arg.keyword.value] = arg.value
        else:
            return None
    return bound


# ----- one construction ------------------------------------------------------------------------
def torch_nn_class(qualified: Optional[str]) -> Optional[str]:
    """`Linear` for `torch.nn.Linear` or `torch.nn.modules.linear.Linear`; None otherwise
    (quantized and other `torch.*.nn` variants hold their weights differently)."""
    if not qualified:
        return None
    parts = qualified.split(".")
    if parts[:2] == ["torch", "nn"] and (len(parts) == 3 or (len(parts) == 5 and parts[2] == "modules")):
        return parts[-1]
    return None


def module_parameter_count(call: cst.Call, context: FileContext) -> Optional[int]:
    """Parameters held by `nn.X(...)` when its arguments say, else None."""
    name = torch_nn_class(context.qualified_name(call.func))
    if name is None:
        return None
    if name in PARAMETER_FREE:
        return 0
    names = SIGNATURES.get(name)
    if names is None:
        return None
    args = _bind(call, names, _POSITIONAL_LIMIT.get(name, len(names)))
    if args is None:
        return None

    def get_int(key: str, default=_MISSING) -> Optional[int]:
        if key not in args:
            return None if default is _MISSING else default
        return int_value(args[key])

    def get_bool(key: str, default: bool) -> Optional[bool]:
        return _bool(args[key]) if key in args else default

    try:
        return _count(name, args, get_int, get_bool)
    except (TypeError, ZeroDivisionError):  # a None among the values: unknown
        return None


def _count(name, args, get_int, get_bool) -> Optional[int]:
    bias = get_bool("bias", True)
    if bias is None:
        return None
    if name == "Linear":
        i, o = get_int("in_features"), get_int("out_features")
        return i * o + (o if bias else 0)
    if name == "Bilinear":
        a, b, o = get_int("in1_features"), get_int("in2_features"), get_int("out_features")
        return a * b * o + (o if bias else 0)
    if name.startswith("Conv"):  # Conv1d..3d, ConvTranspose1d..3d
        i, o, groups = get_int("in_channels"), get_int("out_channels"), get_int("groups", 1)
        kernel = _ints(args["kernel_size"]) if "kernel_size" in args else None
        dims = int(name[-2])
        if kernel is None or len(kernel) not in (1, dims) or groups <= 0 or i % groups or o % groups:
            return None
        size = math.prod(kernel) ** (dims if len(kernel) == 1 else 1)
        weight = i * (o // groups) * size if "Transpose" in name else o * (i // groups) * size
        return weight + (o if bias else 0)
    if name in ("Embedding", "EmbeddingBag"):
        if "_weight" in args or "_freeze" in args:
            return None
        return get_int("num_embeddings") * get_int("embedding_dim")
    if name in ("LayerNorm", "RMSNorm"):
        shape = _ints(args["normalized_shape"]) if "normalized_shape" in args else None
        affine = get_bool("elementwise_affine", True)
        if shape is None or affine is None:
            return None
        return math.prod(shape) * (1 + (bias and name == "LayerNorm")) if affine else 0
    if name.startswith(("BatchNorm", "InstanceNorm", "GroupNorm")):
        channels = get_int("num_channels" if name == "GroupNorm" else "num_features")
        affine = get_bool("affine", not name.startswith("InstanceNorm"))
        if affine is None or channels is None:
            return None
        return channels * (1 + bias) if affine else 0
    if name == "PReLU":
        return get_int("num_parameters", 1)
    if name.endswith("Cell"):
        i, h, gates = get_int("input_size"), get_int("hidden_size"), _GATES[name]
        return gates * h * (i + h) + (2 * gates * h if bias else 0)
    if name in ("RNN", "LSTM", "GRU"):
        return _recurrent(name, args, get_int, get_bool, bias)
    if name == "MultiheadAttention":
        e = get_int("embed_dim")
        add_bias_kv = get_bool("add_bias_kv", False)
        if add_bias_kv is None or any(k in args and not _is_none(args[k]) for k in ("kdim", "vdim")):
            return None
        return 4 * e * e + (4 * e if bias else 0) + (2 * e if add_bias_kv else 0)
    return None


def _recurrent(name, args, get_int, get_bool, bias) -> Optional[int]:
    i, h, layers = get_int("input_size"), get_int("hidden_size"), get_int("num_layers", 1)
    bidirectional = get_bool("bidirectional", False)
    if get_int("proj_size", 0) != 0 or bidirectional is None or layers is None or layers < 1:
        return None
    directions, gates = 2 if bidirectional else 1, _GATES[name]
    total = 0
    for layer in range(layers):
        layer_input = i if layer == 0 else h * directions
        total += directions * (gates * h * (layer_input + h) + (2 * gates * h if bias else 0))
    return total


def tensor_element_count(expr, context: FileContext) -> Optional[int]:
    """Elements of `torch.zeros(3, 4)`, `torch.randn((3, 4))`, `torch.full((3,), v)`,
    `torch.eye(n[, m])`, `torch.tensor(<nested literal lists of numbers>)`; else None."""
    if not isinstance(expr, cst.Call) or not expr.args or any(a.star for a in expr.args):
        return None
    qualified = context.qualified_name(expr.func) or ""
    if not qualified.startswith("torch.") or qualified.count(".") != 1:
        return None
    factory = qualified.split(".", 1)[1]
    positional = [a.value for a in expr.args if a.keyword is None]
    if factory in _SIZED_FACTORIES or factory == "full":
        sizes = positional[:1] if factory == "full" else positional
        if not sizes:
            return None
        if len(sizes) == 1:
            shape = _ints(sizes[0])
        else:
            values = [int_value(s) for s in sizes]
            shape = tuple(values) if all(v is not None for v in values) else None
        return math.prod(shape) if shape is not None and all(s >= 0 for s in shape) else None
    if factory == "eye":
        values = [int_value(s) for s in positional[:2]]
        if not values or None in values:
            return None
        return values[0] * (values[1] if len(values) == 2 else values[0])
    if factory == "tensor" and positional:
        return _literal_elements(positional[0])
    return None


def _literal_elements(expr) -> Optional[int]:
    if isinstance(expr, (cst.Integer, cst.Float)) or _bool(expr) is not None:
        return 1
    if isinstance(expr, cst.UnaryOperation):
        return _literal_elements(expr.expression)
    if isinstance(expr, (cst.List, cst.Tuple)):
        counts = [_literal_elements(e.value) if isinstance(e, cst.Element) else None
                  for e in expr.elements]
        return sum(counts) if counts and None not in counts else None
    return None


def parameter_element_count(call: cst.Call, context: FileContext) -> Optional[int]:
    """Elements of `nn.Parameter(torch.zeros(3, 4))` (None if it does not require grad)."""
    if torch_nn_class(context.qualified_name(call.func)) != "Parameter" or not call.args:
        return None
    data, requires_grad = None, True
    for index, arg in enumerate(call.args):
        if arg.star:
            return None
        if arg.keyword is None and index == 0 or arg.keyword is not None and arg.keyword.value == "data":
            data = arg.value
        elif arg.keyword is None and index == 1 or arg.keyword is not None and arg.keyword.value == "requires_grad":
            requires_grad = _bool(arg.value)
    if requires_grad is not True or data is None:
        return None
    return tensor_element_count(data, context)


# ----- a container ---------------------------------------------------------------------------
def container_parameter_count(value, context: FileContext) -> Optional[int]:
    """Parameters held by a list/tuple/dict literal or comprehension of constructions
    (`[nn.Linear(8, 8) for _ in range(3)]` -> 216), or None when any part is unknown."""
    if isinstance(value, cst.Call) and context.qualified_name(value.func) in (
            "builtins.list", "builtins.tuple", "builtins.dict") and len(value.args) == 1 \
            and value.args[0].keyword is None and not value.args[0].star:
        return container_parameter_count(value.args[0].value, context)
    if isinstance(value, cst.BinaryOperation) and isinstance(value.operator, cst.Multiply):
        for literal, times in ((value.left, value.right), (value.right, value.left)):
            if isinstance(literal, cst.List):
                repeat, each = int_value(times), container_parameter_count(literal, context)
                return repeat * each if repeat is not None and each is not None else None
        return None
    if isinstance(value, (cst.List, cst.Tuple, cst.Set)):
        if any(not isinstance(e, cst.Element) for e in value.elements):
            return None
        return _sum(element_parameter_count(e.value, context) for e in value.elements)
    if isinstance(value, cst.Dict):
        if any(not isinstance(e, cst.DictElement) for e in value.elements):
            return None
        return _sum(element_parameter_count(e.value, context) for e in value.elements)
    if isinstance(value, (cst.ListComp, cst.GeneratorExp, cst.SetComp, cst.DictComp)):
        loop = value.for_in
        if loop.inner_for_in is not None or loop.ifs or loop.asynchronous is not None:
            return None
        times = _iterations(loop.iter, context)
        each = element_parameter_count(value.value if isinstance(value, cst.DictComp) else value.elt, context)
        return times * each if times is not None and each is not None else None
    return None


def element_parameter_count(expr, context: FileContext) -> Optional[int]:
    if not isinstance(expr, cst.Call):
        return None
    count = module_parameter_count(expr, context)
    return count if count is not None else parameter_element_count(expr, context)


def _iterations(expr, context: FileContext) -> Optional[int]:
    """len() of `range(<ints>)` or of a literal list/tuple."""
    if isinstance(expr, (cst.List, cst.Tuple)):
        return len(expr.elements) if all(isinstance(e, cst.Element) for e in expr.elements) else None
    if isinstance(expr, cst.Call) and context.qualified_name(expr.func) == "builtins.range" \
            and 1 <= len(expr.args) <= 3 and all(a.keyword is None and not a.star for a in expr.args):
        values = [int_value(a.value) for a in expr.args]
        if None in values or (len(values) == 3 and values[2] == 0):
            return None
        return len(range(*values))
    return None


def _sum(counts) -> Optional[int]:
    total = 0
    for count in counts:
        if count is None:
            return None
        total += count
    return total


def hidden_parameter_count(hidden, context: FileContext) -> Optional[int]:
    """Parameters in a `_containers.Hidden` container, when it is built in one statement."""
    if hidden.filled_at is None and isinstance(hidden.statement, (cst.Assign, cst.AnnAssign)):
        return container_parameter_count(hidden.statement.value, context)
    return None


def hidden_parameters_phrase(hidden, context: FileContext,
                             unknown: str = ": their parameters are not registered") -> str:
    """The end of an NN101/NN102 message: ` -> 396 parameters invisible to the optimizer` when
    the count is known, else `unknown`."""
    count = hidden_parameter_count(hidden, context)
    if not count:
        return unknown
    return f" -> {count:,} parameter{'s' if count != 1 else ''} invisible to the optimizer"
