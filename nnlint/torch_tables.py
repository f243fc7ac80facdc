"""What torch's functions, tensor methods and layers return, as the dataflow sees it.

Hand-written tables beside the generated facts of torch_api (which names exist): which calls
give a tensor, a loss, a softmax output; which methods keep a value's origin or its device.
"""

from __future__ import annotations

from nnlint import torch_api

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
    name for name in (set(torch_api.names_in("torch") or ()) & torch_api.tensor_methods())
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

FUNCTIONAL = "torch.nn.functional"
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
