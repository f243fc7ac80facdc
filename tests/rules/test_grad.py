"""Grad mode is read once (rules/_grad.disables_grad) for every rule that asks: NN202 and NN205
used to read `set_grad_enabled(flag)` and `inference_mode(mode=False)` differently from
NN203/NN204/NN503."""

import libcst as cst
import pytest

from nnlint.context import FileContext
from nnlint.engine import check_source
from nnlint.rules import all_rules
from nnlint.rules._grad import disables_grad


@pytest.mark.parametrize("code, off", [
    ("torch.no_grad()", True),
    ("torch.no_grad", True),  # the decorator without a call
    ("torch.autograd.grad_mode.no_grad()", True),
    ("torch.inference_mode()", True),
    ("torch.inference_mode(True)", True),
    ("torch.inference_mode(False)", False),
    ("torch.inference_mode(mode=False)", False),  # was "off" for NN203/NN204/NN503
    ("torch.inference_mode(flag)", True),  # unknown: may be off
    ("torch.set_grad_enabled(False)", True),
    ("torch.set_grad_enabled(mode=False)", True),
    ("torch.set_grad_enabled(True)", False),  # was "off" for NN203/NN204/NN503
    ("torch.set_grad_enabled(flag)", True),  # unknown: may be off (was "on" for NN202/NN205)
    ("torch.set_grad_enabled(*flags)", True),
    ("torch.set_grad_enabled()", False),  # raises: changes nothing
    ("torch.enable_grad()", False),
    ("contextlib.nullcontext()", False),
])
def test_disables_grad(code, off):
    source = f"import torch\nimport contextlib\nwith {code}:\n    pass\n"
    module = cst.parse_module(source)
    item = module.body[2].items[0].item
    assert disables_grad(FileContext("example.py", source, module), item) is off


NN205_UNDER = '''
import torch
from torch import nn

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.ones(2))

    def forward(self, x, update):
        with {manager}:
            self.w.mul_(0.99)
        return x * self.w
'''

NN204_UNDER = '''
import torch
from torch import nn

criterion = nn.CrossEntropyLoss()
total = 0
with {manager}:
    for x, y in loader:
        total += criterion(model(x), y)
'''


@pytest.mark.parametrize("template, code, manager, lines", [
    (NN205_UNDER, "NN205", "torch.set_grad_enabled(update)", []),  # unknown: may be off
    (NN205_UNDER, "NN205", "torch.set_grad_enabled(True)", [12]),
    (NN205_UNDER, "NN205", "torch.inference_mode(mode=False)", [12]),
    (NN204_UNDER, "NN204", "torch.set_grad_enabled(training)", []),
    (NN204_UNDER, "NN204", "torch.set_grad_enabled(True)", [9]),
    (NN204_UNDER, "NN204", "torch.inference_mode(mode=False)", [9]),
    (NN204_UNDER, "NN204", "torch.inference_mode(False)", [9]),
])
def test_rules_agree_on_grad_mode(template, code, manager, lines):
    result = check_source(template.format(manager=manager), "example.py", [all_rules()[code]])
    assert [(f.code, f.line) for f in result.findings] == [(code, line) for line in lines]
