"""`nnlint verify` on the fixtures/runtime zoo: each model's status and each finding's
confirmation, exactly. Two runs, in this process (a forked worker per file: torch is imported
once): the zoo, and the file of models that crash, hang or exit, with a short --timeout."""

import json
import os
from pathlib import Path

import pytest

pytest.importorskip("torch")

from nnlint.cli import main  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
ZOO = ROOT / "fixtures" / "runtime"
CONFIG = ["--config", "fixtures/runtime/pyproject.toml"]

# model -> (status, [(code, where, confirmed)]): `where` is the text that starts the finding's
# line in the model's file; confirmed is True / False / None for static findings and "runtime"
# for findings only the run makes.
EXPECTED = {
    "zoo_clean:MLP": ("checked", []),
    "zoo_clean:SmallCNN": ("checked", []),
    "zoo_clean:TinyTransformer": ("checked", []),
    "zoo_clean:LSTMTagger": ("checked", []),
    "zoo_registration:ListMLP": ("checked", [("NN101", "self.blocks = [", True)]),
    "zoo_registration:ParamList": ("checked", [("NN102", "self.scales = [", True)]),
    "zoo_registration:ScaleTensor": ("checked", [("NN105", "self.scale = torch.full", True)]),
    "zoo_registration:HelperModules": ("checked", [("NN101", "class HelperModules", "runtime")]),
    "zoo_registration:HelperTensor": ("checked", [("NN905", "class HelperTensor", "runtime")]),
    "zoo_registration:ShuffledFeatures": ("checked", [("NN906", "class ShuffledFeatures", "runtime")]),
    "zoo_registration:NoSuperInit": ("failed", [("NN103", "def __init__(self):  # expect: NN103", True)]),
    "zoo_registration:AssignBeforeInit": ("failed", [("NN104", "self.fc = nn.Linear(4, 4)  # expect", True)]),
    "zoo_gradients:DataInForward": ("checked", [("NN201", "return F.linear(x, self.fc.weight.data", True)]),
    "zoo_gradients:DetachedOutput": ("checked", [("NN903", "class DetachedOutput", "runtime")]),
    "zoo_gradients:UnusedHead": ("checked", [("NN903", "class UnusedHead", "runtime")]),
    "zoo_gradients:LogOfNegative": ("checked", [("NN904", "class LogOfNegative", "runtime")]),
    "zoo_gradients:RunningMean": ("checked", [("NN203", "self.running = 0.9", True)]),
    "zoo_gradients:BufferRequiresGrad": ("checked", [("NN908", "class BufferRequiresGrad", "runtime")]),
    "zoo_gradients:InplaceParameter": ("failed", [("NN205", "self.weight.mul_(0.99)", True)]),
    "zoo_modes:FunctionalDropout": ("checked", [("NN301", "return self.fc(F.dropout(x, p=0.5))", True)]),
    "zoo_modes:ZeroDropout": ("checked", [("NN301", "return self.fc(F.dropout(x, p=0.0))", False)]),
    "zoo_modes:HardcodedBatchNorm": ("checked", [("NN303", "return F.batch_norm(", True)]),
    "zoo_modes:SdpaDropout": ("checked", [("NN304", "out = F.scaled_dot_product_attention(", True)]),
    "zoo_modes:LayerInForward": ("checked", [("NN109", "return nn.Linear(8, 2)(", True)]),
    "zoo_modes:NoisyEval": ("checked", [("NN907", "keep = torch.empty(", "runtime")]),  # at the drop path's draw
    "zoo_modes:CpuMask": ("checked", [("NN503", "mask = torch.ones(", None)]),  # a GPU would confirm it
    "zoo_api:BackwardHook": ("checked", [("NN401", "self.handle = self.fc.register_backward_hook", True)]),
    "zoo_api:SoftmaxNoDim": ("checked", [("NN406", "return F.softmax(self.fc(x))", True)]),
    "zoo_api:MissingForward": ("failed", [("NN107", "class MissingForward", True)]),
    "zoo_api:SequentialOfList": ("failed", [("NN407", "self.net = nn.Sequential([", True)]),
    "zoo_api:LegacySuper": ("checked", [("NN108", "super(LegacySuper, self).__init__()", None)]),
}

EXPECTED_FAILURES = {
    "zoo_failures:FactoryBuilt": ("checked", []),  # built by nnlint_factories.py
    "zoo_failures:BuildRaises": ("failed", [("NN901", "raise ValueError(", "runtime")]),
    "zoo_failures:ForwardRaises": ("failed", [("NN902", "raise KeyError(", "runtime")]),
    "zoo_failures:ExitsInInit": ("failed", [("NN901", "sys.exit(3)", "runtime")]),
    "zoo_failures:Segfault": ("failed", [("NN902", "ctypes.string_at(0)", "runtime")]),
    "zoo_failures:AfterCrash": ("checked", []),
    "zoo_failures:Sleeper": ("skipped", []),  # too slow to check here: nothing against the model
    "zoo_failures:NeedsArgs": ("checked", []),  # depth and width guessed
    "zoo_failures:Configured": ("checked", []),
    "zoo_failures:TokensAndMask": ("checked", []),
    "zoo_failures:TwoInputs": ("checked", []),  # y like x
    "zoo_failures:Shapeless": ("checked", []),  # a few ranks and sizes tried
    "zoo_failures:NeedsAName": ("skipped", []),
    "zoo_failures:TakesABatch": ("skipped", []),
}


def line_of(path: Path, text: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip().startswith(text):
            return number
    raise AssertionError(f"{text!r} not in {path}")


def verify(output: Path, *args):
    before = os.getcwd()
    os.chdir(ROOT)
    try:
        code = main(["verify", *CONFIG, "--format", "json", "--output-file", str(output), *args])
    finally:
        os.chdir(before)
    assert code == 1
    return {m["name"]: m for m in json.loads(output.read_text(encoding="utf-8"))["models"]}


@pytest.fixture(scope="module")
def zoo(tmp_path_factory):
    files = sorted(str(p.relative_to(ROOT)) for p in ZOO.glob("zoo_*.py") if p.name != "zoo_failures.py")
    return verify(tmp_path_factory.mktemp("zoo") / "zoo.json", "--select", "ALL", *files)


@pytest.fixture(scope="module")
def failures(tmp_path_factory):
    return verify(tmp_path_factory.mktemp("zoo") / "failures.json", "--timeout", "2",
                  "fixtures/runtime/zoo_failures.py", "fixtures/runtime/nnlint_factories.py")


def expected_findings(name, findings):
    module = name.split(":")[0]
    path = ZOO / f"{module}.py"
    return sorted((code, line_of(path, where), "runtime" if confirmed == "runtime" else confirmed)
                  for code, where, confirmed in findings)


def actual_findings(model):
    return sorted((f["code"], f["line"], "runtime" if f["source"] == "runtime" else f["confirmed"])
                  for f in model["findings"])


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_zoo_model(zoo, name):
    status, findings = EXPECTED[name]
    model = zoo[name]
    assert (model["status"], actual_findings(model)) == (status, expected_findings(name, findings))
    if status == "checked":
        assert model["device"] == "cpu"
        assert "state_dict" in model["checks"] or model["notes"], model


def test_zoo_lists_every_model_once(zoo):
    assert sorted(zoo) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED_FAILURES))
def test_failure_model(failures, name):
    status, findings = EXPECTED_FAILURES[name]
    model = failures[name]
    assert (model["status"], actual_findings(model)) == (status, expected_findings(name, findings))


def test_failures_say_why(failures):
    models = failures
    assert sorted(models) == sorted(EXPECTED_FAILURES)
    assert models["zoo_failures:Sleeper"]["reason"] == "timed out after 2 s while checking it (forward)"
    assert "SIGSEGV" in models["zoo_failures:Segfault"]["reason"]
    assert models["zoo_failures:ExitsInInit"]["reason"] == "construction called sys.exit(3)"
    assert models["zoo_failures:FactoryBuilt"]["factory"] == "fixtures/runtime/nnlint_factories.py:factory_built"
    assert models["zoo_failures:NeedsArgs"]["notes"] == [
        "built as NeedsArgs(depth=1, width=32), fed (2, 32) (inferred from `layers.0` (Linear)): guessed, not configured"]
    named = models["zoo_failures:NeedsAName"]
    assert named["reason"] == "NeedsAName(activation, width) needs constructor arguments (no guess for activation)"
    assert named["hint"].splitlines() == [
        '[tool.nnlint.verify.models."zoo_failures:NeedsAName"]',
        'kwargs = { activation = "...", width = 32 }   # placeholders: put the real values']
    batch = models["zoo_failures:TakesABatch"]
    assert batch["reason"].startswith("forward on the tried ranks and sizes (no layer tells the input shape) "
                                      "input (2, 3, 32, 32) (and 2 other guesses) raised IndexError")
