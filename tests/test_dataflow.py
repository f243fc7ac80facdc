"""nnlint.dataflow: what local names hold, at each use (the facts NN105/NN2xx/NN5xx/NN6xx use)."""

import libcst as cst

from nnlint.context import FileContext
from nnlint.dataflow import local_kinds
from nnlint.tree import iter_nodes

SOURCE = '''
import torch
from torch import nn, optim
import torch.nn.functional as F

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 3)
        self.act = nn.Softmax(dim=1)
        self.criterion = nn.CrossEntropyLoss()
        self.mask = torch.ones(3)

    def forward(self, x):
        return self.act(self.fc(x))

model = Net()
opt = optim.Adam(model.parameters())
x = torch.randn(2, 4)

def train(batch, flag):
    out = model(batch)
    loss = model.criterion(out, batch)
    probs = F.softmax(out, dim=1)
    if flag:
        probs = probs * 2
    moved = x
    moved = moved.to("cuda")
    kept = loss.item()
    total = 0
    for _ in range(3):
        total += loss
    return out, loss, probs, moved, kept, total, opt, batch
'''


def kinds():
    module = cst.parse_module(SOURCE)
    context = FileContext("example.py", SOURCE, module)
    train = next(f for f in iter_nodes(module, cst.FunctionDef) if f.name.value == "train")
    flow = local_kinds(context, train)
    returned = next(iter_nodes(train, cst.Return)).value
    found = {}
    for element in returned.elements:
        kind = flow.kind(element.value)
        found[element.value.value] = None if kind is None else (kind.category, kind.origin)
    return found


def test_kinds_at_the_return():
    assert kinds() == {
        "out": ("tensor", "softmax"),  # Net.forward ends in an nn.Softmax held on self
        "loss": ("tensor", "loss"),  # model.criterion is an nn.CrossEntropyLoss
        "probs": ("tensor", None),  # softmax on one path, scaled on the other: joined
        "moved": ("tensor", None),  # the factory tensor, moved (flow-sensitive)
        "kept": None,  # .item() is a number
        "total": None,  # 0 or a loss: unknown
        "opt": ("optimizer", None),
        "batch": None,  # a parameter of unknown type
    }


def test_attribute_kinds_and_recursion_do_not_loop():
    source = '''
import torch
from torch import nn

class A(nn.Module):
    def __init__(self):
        super().__init__()
        self.b = B()
        self.t = torch.zeros(2)
        self.t = self.t.cuda()

    def forward(self, x):
        return self(x) + self.b(x)

class B(A):
    def forward(self, x):
        return self.t
'''
    module = cst.parse_module(source)
    context = FileContext("example.py", source, module)
    a = context.classes_by_name["A"]
    flow = local_kinds(context, a.methods["forward"])
    attrs = flow.dataflow.attr_kinds(a)
    assert attrs["b"].category == "module" and attrs["b"].name == "B"
    assert (attrs["t"].category, attrs["t"].origin) == ("tensor", None)
