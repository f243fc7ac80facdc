"""`nnlint.testing.assert_healthy`: fails a test with the runtime findings of a live model, in
the words of `nnlint verify`, and leaves the model and the random state as they were."""

import random
import textwrap

import pytest

pytest_plugins = ["pytester"]
# Loaded out here: pytester runs pytest in this process, then unloads what the run imported, and
# native extensions (torch, libcst's parser) do not survive being loaded twice.
torch = pytest.importorskip("torch")
from nnlint.rules import all_rules  # noqa: E402
from nnlint.testing import assert_healthy, code_of  # noqa: E402

all_rules(), code_of("no_grad")

HEALTH = textwrap.dedent("""\
    import torch
    import torch.nn as nn
    from nnlint.testing import assert_healthy


    class Hidden(nn.Module):
        def __init__(self):
            super().__init__()
            self.blocks = [nn.Linear(4, 4) for _ in range(2)]
            self.head = nn.Linear(4, 2)

        def forward(self, x):
            for block in self.blocks:
                x = block(x)
            return self.head(x)


    class Frozen(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 2)
            self.unused = nn.Linear(4, 2)

        def forward(self, x):
            return self.fc(x)


    def test_hidden():
        assert_healthy(Hidden(), torch.randn(3, 4))

    def test_clean():
        assert_healthy(nn.Sequential(nn.Linear(4, 4), nn.ReLU()), torch.randn(3, 4))

    def test_unused_head():
        assert_healthy(Frozen(), torch.randn(3, 4))

    def test_unused_head_tolerated():
        assert_healthy(Frozen(), torch.randn(3, 4), ignore=["NN903"])
""")


def test_assert_healthy_fails_the_test_with_the_findings(pytester):
    pytester.makepyfile(test_health=HEALTH)
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, failed=2)
    result.stdout.fnmatch_lines([
        "*Hidden is not healthy: 1 problem (checked on cpu)",
        "*  NN101 submodule-in-plain-container at `blocks`: `blocks` holds 2 modules (Linear) that "
        "named_modules() does not list: their 40 parameter values are missing*",
        "*      help: hold them in nn.ModuleList / nn.ModuleDict",
    ])
    result.stdout.fnmatch_lines([
        "*Frozen is not healthy: 2 problems (checked on cpu)",
        "*  NN903 parameter-without-gradient at `unused.weight`: *got no gradient*",
        "*  NN903 parameter-without-gradient at `unused.bias`: *got no gradient*",
    ])
    assert "NN906" not in result.stdout.str()  # the round trip fails because of the hidden blocks
    assert "nnlint/testing.py" not in result.stdout.str()  # the traceback ends at the test's line


def test_assert_healthy_leaves_the_model_and_the_random_state_as_they_were():
    model = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.Dropout(0.5)).eval()
    torch.manual_seed(7)
    random.seed(7)
    expected = (torch.rand(3), random.random())
    torch.manual_seed(7)
    random.seed(7)
    report = assert_healthy(model, torch.ones(2, 4))
    assert torch.equal(torch.rand(3), expected[0]) and random.random() == expected[1]
    assert not model.training and model[0].weight.grad is None
    assert {"registration", "gradients", "eval", "state_dict"} <= set(report.checks)
