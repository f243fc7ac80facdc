"""The static parameter counts (nnlint/rules/_param_count.py) against torch's own layers."""

import libcst as cst
import pytest

from nnlint.context import FileContext
from nnlint.rules._param_count import (
    container_parameter_count, element_parameter_count, int_value,
)

HEADER = "import torch\nimport torch.nn as nn\nfrom torch.nn import Linear as L\n"

# Every expression here is evaluated by torch too: the static count must equal numel().
COUNTED = [
    "nn.Linear(8, 4)", "nn.Linear(8, 4, bias=False)", "L(in_features=3, out_features=5)",
    "nn.Linear(4 * 16, 2 ** 3)", "torch.nn.modules.linear.Linear(2, 2)",
    "nn.Bilinear(3, 4, 5)", "nn.Bilinear(3, 4, 5, False)",
    "nn.Conv1d(4, 8, 3)", "nn.Conv2d(3, 16, 3)", "nn.Conv2d(3, 16, (3, 5), bias=False)",
    "nn.Conv2d(8, 16, kernel_size=3, stride=2, padding=1, groups=4)", "nn.Conv3d(2, 4, 3)",
    "nn.ConvTranspose1d(4, 8, 3)", "nn.ConvTranspose2d(8, 4, (2, 3), groups=2)",
    "nn.ConvTranspose3d(2, 4, 2, bias=False)",
    "nn.Embedding(100, 16)", "nn.Embedding(100, 16, padding_idx=0)", "nn.EmbeddingBag(50, 8)",
    "nn.LayerNorm(32)", "nn.LayerNorm((4, 8))", "nn.LayerNorm(32, elementwise_affine=False)",
    "nn.LayerNorm(32, bias=False)", "nn.RMSNorm(16)",
    "nn.BatchNorm1d(10)", "nn.BatchNorm2d(10, affine=False)", "nn.BatchNorm3d(6, eps=1e-3)",
    "nn.InstanceNorm2d(10)", "nn.InstanceNorm1d(10, affine=True)", "nn.GroupNorm(4, 16)",
    "nn.PReLU()", "nn.PReLU(8)", "nn.ReLU()", "nn.Dropout(0.1)", "nn.MaxPool2d(2)", "nn.Identity()",
    "nn.RNNCell(4, 8)", "nn.LSTMCell(4, 8, bias=False)", "nn.GRUCell(4, 8)",
    "nn.RNN(4, 8)", "nn.LSTM(4, 8, 2)", "nn.GRU(4, 8, num_layers=3, bidirectional=True)",
    "nn.LSTM(input_size=5, hidden_size=7, bias=False, batch_first=True)",
    "nn.MultiheadAttention(16, 4)", "nn.MultiheadAttention(16, 2, bias=False)",
    "nn.MultiheadAttention(8, 2, add_bias_kv=True)", "nn.MultiheadAttention(8, 2, kdim=None)",
    "nn.Parameter(torch.zeros(3, 4))", "nn.Parameter(torch.randn((2, 5)))",
    "nn.Parameter(torch.full((3,), 0.5))", "nn.Parameter(torch.eye(4))", "nn.Parameter(torch.eye(2, 3))",
    "nn.Parameter(torch.tensor([[1.0, 2.0], [3.0, 4.0]]))", "nn.Parameter(torch.ones(6), True)",
]

UNKNOWN = [
    "nn.Linear(d, 4)", "nn.Linear(8, 4, bias=use_bias)", "nn.Linear(*sizes)", "nn.Linear(8, 4, **kw)",
    "nn.Conv2d(3, 16, k)", "nn.Conv2d(3, 16, 3, groups=g)", "nn.LSTM(4, 8, proj_size=2)",
    "nn.LSTM(4, 8, 1, True)",  # past the third positional argument torch takes *args
    "nn.MultiheadAttention(8, 2, kdim=4)", "nn.Embedding(10, 4, _weight=w)",
    "nn.LazyLinear(4)", "nn.Transformer()", "Block(4)", "nn.Linear(8, 4, frobnicate=True)",
    "torch.ao.nn.quantized.Linear(4, 4)", "nn.Parameter(torch.zeros(n))",
    "nn.Parameter(torch.zeros(3), requires_grad=False)", "nn.Parameter(torch.zeros(size=(3,)))",
    "nn.Parameter(t)", "make_layer()", "layer",
]


def parse(expr_source: str):
    module = cst.parse_module(HEADER + f"value = {expr_source}\n")
    context = FileContext("t.py", module.code, module)
    return module.body[-1].body[0].value, context


@pytest.mark.parametrize("source", COUNTED)
def test_count_matches_torch(source):
    torch = pytest.importorskip("torch")
    namespace = {"torch": torch, "nn": torch.nn, "L": torch.nn.Linear}
    built = eval(source, namespace)  # noqa: S307 - our own literal table
    expected = built.numel() if isinstance(built, torch.nn.Parameter) else \
        sum(p.numel() for p in built.parameters())
    expr, context = parse(source)
    assert element_parameter_count(expr, context) == expected


@pytest.mark.parametrize("source", UNKNOWN)
def test_unknown_is_none(source):
    expr, context = parse(source)
    assert element_parameter_count(expr, context) is None


@pytest.mark.parametrize("source, expected", [
    ("[nn.Linear(8, 8), nn.Linear(8, 8), nn.Linear(8, 8)]", 3 * 72),
    ("(nn.Linear(2, 2), nn.ReLU())", 6),
    ("{'a': nn.Linear(2, 2), 'b': nn.Conv1d(1, 1, 1)}", 6 + 2),
    ("[nn.Linear(11, 11) for _ in range(3)]", 396),
    ("list(nn.Linear(2, 2) for i in range(1, 7, 2))", 18),
    ("{k: nn.Linear(2, 2) for k in ['a', 'b']}", 12),
    ("[nn.Linear(2, 2)] * 4", 24),
    ("4 * [nn.Linear(2, 2)]", 24),
    ("[nn.Parameter(torch.zeros(3)) for _ in range(2)]", 6),
    ("[nn.Linear(2, 2), layer]", None),
    ("[nn.Linear(d, d) for d in [2, 4]]", None),
    ("[nn.Linear(2, 2) for _ in range(n)]", None),
    ("[nn.Linear(2, 2) for _ in range(3) if keep]", None),
    ("[nn.Linear(2, 2) for _ in range(3) for _ in range(2)]", None),
    ("[*layers, nn.Linear(2, 2)]", None),
    ("[nn.Linear(2, 2)] * n", None),
])
def test_container_counts(source, expected):
    expr, context = parse(source)
    assert container_parameter_count(expr, context) == expected


def test_int_value():
    values = {"8": 8, "0x10": 16, "1_000": 1000, "4 * 64": 256, "2 ** 10": 1024, "-3": -3,
              "(2 + 3) * 4": 20, "7 // 2": 3, "7 / 2": None, "n": None, "1.5": None}
    for source, expected in values.items():
        assert int_value(cst.parse_expression(source)) == expected, source


def test_nn101_message_names_the_hidden_parameter_count():
    from nnlint.engine import check_source
    from nnlint.rules import all_rules

    source = (
        "from torch import nn\n\n"
        "class Net(nn.Module):\n"
        "    def __init__(self, d):\n"
        "        super().__init__()\n"
        "        self.blocks = [nn.Linear(11, 11), nn.Linear(11, 11), nn.Linear(11, 11)]\n"
        "        self.deep = [nn.Linear(d, d)]\n"
    )
    result = check_source(source, "net.py", [all_rules()["NN101"]])
    assert [(f.line, f.message) for f in result.findings] == [
        (6, "`self.blocks` holds 3 nn.Linear in a plain list -> 396 parameters invisible to the optimizer"),
        (7, "`self.deep` holds 1 nn.Linear in a plain list: their parameters are not registered"),
    ]
