"""nnlint.dataflow: what local names hold, at each use (the facts NN105/NN2xx/NN5xx/NN6xx use)."""

import json
import subprocess
import sys

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


def returned_kinds(source, function):
    """name -> (category, origin or class name) of each name `function` returns."""
    module = cst.parse_module(source)
    context = FileContext("example.py", source, module)
    scope = module if function is None else next(
        f for f in iter_nodes(module, cst.FunctionDef) if f.name.value == function)
    flow = local_kinds(context, scope)
    returned = next(iter_nodes(scope, cst.Return)).value
    elements = [e.value for e in returned.elements] if isinstance(returned, cst.Tuple) else [returned]
    found = {}
    for element in elements:
        kind = flow.kind(element)
        name = context.module.code_for_node(element)
        found[name] = None if kind is None else (kind.category, kind.origin or kind.name)
    return found


def test_annotations():
    source = '''
from typing import Optional, Union
import torch
from torch import nn

class Net(nn.Module):
    def forward(self, x):
        return x

def f(a: Optional[torch.optim.Optimizer], b: "nn.Module", c: nn.CrossEntropyLoss | None,
      d: Net, e: Union[None, torch.Tensor], g: Union[int, str], h: "not valid python("):
    return a, b, c, d, e, g, h
'''
    assert returned_kinds(source, "f") == {
        "a": ("optimizer", "torch.optim.Optimizer"), "b": ("module", "torch.nn.Module"),
        "c": ("module", "torch.nn.CrossEntropyLoss"), "d": ("module", "Net"), "e": ("tensor", "argument"),
        "g": None, "h": None,
    }


CALLS = '''
import torch
from torch import nn

def train(model, opt, crit, scale):
    return model, opt, crit, scale

def callback(opt):
    return opt

def recurse(opt, n):
    if n:
        recurse(opt, n - 1)
    return opt

class Trainer:
    def __init__(self, model, optimizer):
        self.model = model
        self.optimizer = optimizer

    def fit(self):
        return self.model, self.optimizer

net = nn.Linear(2, 2)
sgd = torch.optim.SGD(net.parameters(), lr=0.1)
train(net, sgd, nn.MSELoss(), 2.0)
train(nn.Linear(3, 3), opt=sgd, crit=nn.MSELoss(), scale=torch.ones(1))
callback(sgd)
hooks = [callback]
recurse(sgd, 3)
Trainer(net, sgd).fit()
'''


def test_parameters_typed_from_every_call_in_the_file():
    assert returned_kinds(CALLS, "train") == {
        "model": ("module", "torch.nn.Linear"),
        "opt": ("optimizer", "torch.optim.SGD"),
        "crit": ("module", "torch.nn.MSELoss"),
        "scale": None,  # a float at one call, a tensor at the other: they disagree
    }
    assert returned_kinds(CALLS, "callback") == {"opt": None}  # also used as a value: any caller
    assert returned_kinds(CALLS, "recurse") == {"opt": ("optimizer", "torch.optim.SGD")}
    assert returned_kinds(CALLS, "fit") == {
        "self.model": ("module", "torch.nn.Linear"), "self.optimizer": ("optimizer", "torch.optim.SGD")}


def test_factories_tuples_and_parts():
    source = '''
import torch
import torchvision
from torch import nn

class D(nn.Module):
    def __init__(self):
        super().__init__()
        self.adv = nn.Sequential(nn.Linear(8, 1), nn.Sigmoid())
        self.aux = nn.Linear(8, 10)

    def forward(self, x):
        return self.adv(x), torch.softmax(self.aux(x), dim=1)

def build():
    return D()

def make_model() -> nn.Module:
    return load_somehow()

def f(x, given, opt: "torch.optim.Optimizer | None" = None):
    validity, label = build()(x)
    out = build()(x)
    seq = nn.Sequential()
    seq.add_module("fc", nn.Linear(8, 2))
    seq.add_module("act", nn.Softmax(dim=1))
    net = torchvision.models.resnet18()
    net.fc = nn.Sequential(nn.Linear(512, 1), nn.Sigmoid())
    optimizer = opt or torch.optim.Adam(net.parameters())
    return validity, label, out[1], out[-2], seq(x), net(x), make_model(), given.softmax(dim=1), optimizer
'''
    assert returned_kinds(source, "f") == {
        "validity": ("tensor", "sigmoid"),
        "label": ("tensor", "softmax"),
        "out[1]": ("tensor", "softmax"),
        "out[-2]": ("tensor", "sigmoid"),
        "seq(x)": ("tensor", "softmax"),  # add_module: the last layer added
        "net(x)": ("tensor", "sigmoid"),  # a torchvision model whose head was replaced
        "make_model()": ("module", "torch.nn.Module"),  # the return annotation
        "given.softmax(dim=1)": ("tensor", "softmax"),  # only tensors have .softmax()
        "optimizer": ("optimizer", None),  # `opt or Adam(...)`: an optimizer either way
    }


def test_a_model_class_of_another_file_returns_what_its_forward_returns(project):
    """ProjectIndex reads the other file's `forward` (ast only): every return an activation."""
    project("pyproject.toml", "")
    project("models.py", '''
import torch.nn as nn
import torch.nn.functional as F

class Probs(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 3)
        self.out = nn.Sequential(nn.ReLU(), nn.Softmax(dim=1))

    def forward(self, x):
        return self.out(self.fc(x))

class Mixed(nn.Module):
    def forward(self, x):
        if x.dim() > 2:
            return F.sigmoid(x)
        return x
''')
    project("train.py", '''
import torch.nn as nn
from models import Mixed, Probs

criterion = nn.CrossEntropyLoss()
loss = criterion(Probs()(x), y) + criterion(Mixed()(x), y)
''')
    run = subprocess.run([sys.executable, "-m", "nnlint", "--isolated", "--select", "NN602", "--format", "json", "."],
                         capture_output=True, text=True)
    assert [(f["path"], f["line"], f["code"]) for f in json.loads(run.stdout)] == [("train.py", 6, "NN602")]
