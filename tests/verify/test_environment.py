"""`nnlint verify` on repositories whose imports the environment cannot satisfy, and on layouts
that hide the Module base: what is the environment's (skipped, said once) and what is the
model's. Each case is modelled on a public repository (cited beside it)."""

import json
import os
import sys
import textwrap

import pytest

from nnlint.cli import main

pytest.importorskip("torch")

MISSING = "nnlint_test_not_installed"

# An installed library (outside the project) whose own dependency is missing, imported at the
# top of a training script: https://github.com/karpathy/makemore/blob/master/makemore.py
# (`from torch.utils.tensorboard import SummaryWriter` without tensorboard).
LIBRARY = {"boardlib/__init__.py": f"import {MISSING}_board\n", "boardlib/writer.py": "class SummaryWriter:\n    pass\n"}

PROJECT = {
    "makemore_like.py": """
        import argparse

        import torch.nn as nn
        from boardlib.writer import SummaryWriter


        class Bigramish(nn.Module):
            def __init__(self, dim=8):
                super().__init__()
                self.fc = nn.Linear(dim, dim)

            def forward(self, x):
                return self.fc(x)


        class Logged(nn.Module):
            def __init__(self):
                super().__init__()
                self.writer = SummaryWriter()
                self.fc = nn.Linear(8, 8)

            def forward(self, x):
                return self.fc(x)


        parser = argparse.ArgumentParser()
        args = parser.parse_args()
        writer = SummaryWriter()
    """,
    # a package that compiles its C++/CUDA ops at import, with a CPU fallback for some:
    # https://github.com/rosinality/stylegan2-pytorch/blob/master/op/fused_act.py and model.py
    "op/__init__.py": "from .fused_act import FusedLeakyReLU, fused_leaky_relu\n",
    "op/fused_act.py": """
        import os

        import torch.nn as nn
        import torch.nn.functional as F
        from torch.utils.cpp_extension import load

        module_path = os.path.dirname(__file__)
        fused = load("nnlint_test_fused", sources=[os.path.join(module_path, "fused_bias_act.cpp")])


        class FusedLeakyReLU(nn.Module):
            def forward(self, x):
                return fused.fused_bias_act(x)


        def fused_leaky_relu(x):
            if x.device.type == "cpu":
                return F.leaky_relu(x, 0.2)
            return fused.fused_bias_act(x)
    """,
    "stylegan_like.py": """
        import torch.nn as nn

        from op import FusedLeakyReLU, fused_leaky_relu


        class PixelNorm(nn.Module):
            def forward(self, x):
                return x / (x.pow(2).mean(dim=1, keepdim=True) + 1e-8).sqrt()


        class EqualLinear(nn.Module):
            def __init__(self, dim=8):
                super().__init__()
                self.fc = nn.Linear(dim, dim)

            def forward(self, x):
                return fused_leaky_relu(self.fc(x))
    """,
    # `nn` comes with a star import of the parts file:
    # https://github.com/milesial/Pytorch-UNet/blob/master/unet/unet_model.py
    "unet/__init__.py": "from .unet_model import UNet\n",
    "unet/unet_parts.py": """
        import torch
        import torch.nn as nn


        class DoubleConv(nn.Module):
            def __init__(self, in_channels, out_channels):
                super().__init__()
                self.conv = nn.Conv2d(in_channels, out_channels, 3, padding=1)

            def forward(self, x):
                return torch.relu(self.conv(x))
    """,
    "unet/unet_model.py": """
        from .unet_parts import *


        class UNet(nn.Module):
            def __init__(self, n_channels, n_classes):
                super().__init__()
                self.inc = DoubleConv(n_channels, 8)
                self.outc = nn.Conv2d(8, n_classes, 1)

            def forward(self, x):
                return self.outc(self.inc(x))
    """,
    # a container whose only parameter is *fns and which asserts on them:
    # https://github.com/lucidrains/vector-quantize-pytorch/blob/master/vector_quantize_pytorch/utils.py
    "chain.py": """
        import torch.nn as nn


        class Quantizer(nn.Module):
            def forward(self, x):
                return x.round()


        class Chain(nn.Module):
            def __init__(self, *fns):
                super().__init__()
                assert sum(isinstance(fn, Quantizer) for fn in fns) == 1, "must contain exactly one quantizer"
                self.fns = nn.ModuleList(fns)

            def forward(self, x):
                for fn in self.fns:
                    x = fn(x)
                return x
    """,
    # runtime type checks from packages that are not installed, lucidrains-style:
    # https://github.com/lucidrains/muse-maskgit-pytorch/blob/main/muse_maskgit_pytorch/muse_maskgit_pytorch.py
    # (`from beartype import beartype`, `@beartype` on classes and methods) and jaxtyping's
    # annotations (https://github.com/lucidrains/x-transformers: `Float[Tensor, "b n d"]`)
    "typed.py": f"""
        import torch.nn as nn
        from torch import Tensor
        from {MISSING}_beartype import beartype
        from {MISSING}_jaxtyping import Float, jaxtyped

        Embeddings = Float[Tensor, "b n d"]


        @beartype
        class TypedBlock(nn.Module):
            def __init__(self, dim: int = 8):
                super().__init__()
                self.fc = nn.Linear(dim, dim)

            @jaxtyped(typechecker=beartype)
            def forward(self, x: Float[Tensor, "b n d"]) -> Embeddings:
                return self.fc(x)


        class Checked(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(8, 8)

            def forward(self, x):
                return beartype(self.fc)(x)  # a call, not a decorator: needs the package
    """,
}


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    base = tmp_path_factory.mktemp("environment")
    library, root = base / "site", base / "project"
    for files, folder in ((LIBRARY, library), (PROJECT, root)):
        for name, text in files.items():
            path = folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    (root / "pyproject.toml").write_text("[tool.nnlint]\n", encoding="utf-8")
    saved = {k: os.environ.get(k) for k in ("PYTHONPATH", "TORCH_EXTENSIONS_DIR")}
    cwd = os.getcwd()
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(library), saved["PYTHONPATH"]]))
    os.environ["TORCH_EXTENSIONS_DIR"] = str(base / "extensions")  # load() makes its build folder there
    os.chdir(root)
    sys.path.insert(0, str(library))  # a worker forked from this process
    try:
        assert main(["verify", "--device", "cpu", "--format", "json", "-o", "report.json", "."]) in (0, 1)
    finally:
        os.chdir(cwd)
        sys.path.remove(str(library))
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    data = json.loads((root / "report.json").read_text(encoding="utf-8"))
    return {m["name"]: m for m in data["models"]}


def test_an_installed_library_missing_its_dependency_skips_only_the_models_that_use_it(report):
    checked, logged = report["makemore_like:Bigramish"], report["makemore_like:Logged"]
    assert (checked["status"], checked["findings"]) == ("checked", [])
    assert checked["notes"][-2:] == [
        "makemore_like.py is a script (command-line parsing (`parse_args()`) at line 27): only its imports, "
        "definitions and the top-level values its classes use were run",
        f"the import at line 4 needs `{MISSING}_board` (not installed): its names were given stand-ins "
        f"(a model that uses them is skipped)"]
    assert (logged["status"], logged["reason"], logged["findings"]) == (
        "skipped", f"needs `{MISSING}_board` (not installed)", [])


def test_a_cpp_extension_built_at_import_is_not_built_and_blames_no_model(report):
    lacks = "the C++/CUDA extension `nnlint_test_fused` that op/fused_act.py:8 builds at import (nnlint builds none)"
    note = f"The{lacks[3:]}: not built, a stand-in was loaded (a model that calls it is skipped)"
    for name in ("stylegan_like:PixelNorm", "stylegan_like:EqualLinear"):  # the CPU fallback runs
        assert (report[name]["status"], report[name]["findings"], report[name]["notes"][-1]) == ("checked", [], note)
    own = report["op.fused_act:FusedLeakyReLU"]  # calls the extension: skipped, not NN902
    assert (own["status"], own["reason"], own["findings"]) == ("skipped", f"needs {lacks}", [])


def test_a_base_named_through_a_star_import_is_a_model(report):
    assert report["unet.unet_model:UNet"]["status"] == "checked"
    assert report["unet.unet_parts:DoubleConv"]["status"] == "checked"


def test_a_container_of_var_args_that_asserts_its_members_gets_one_of_them(report):
    chain = report["chain:Chain"]  # called without any it raises: one Quantizer, as it asserts
    assert (chain["status"], chain["findings"]) == ("checked", [])
    assert any(note.startswith("built as Chain(Quantizer()), fed ") for note in chain["notes"])


# A model built from a config object nnlint made, fed token ids it cannot infer (no embedding:
# the logits table is indexed): https://github.com/karpathy/makemore/blob/master/makemore.py (Bigram)
BIGRAM = """
    from dataclasses import dataclass

    import torch
    import torch.nn as nn


    @dataclass
    class ModelConfig:
        block_size: int = None
        vocab_size: int = None


    class Bigram(nn.Module):
        def __init__(self, config):
            super().__init__()
            n = config.vocab_size
            self.logits = nn.Parameter(torch.zeros((n, n)))

        def forward(self, idx):
            assert idx.dtype == torch.long  # no guess of ours passes: the hint must
            return self.logits[idx]
"""


def test_a_hint_for_a_model_built_from_a_made_config_gives_inputs_only_and_works(tmp_path, capsys):
    (tmp_path / "bigram.py").write_text(textwrap.dedent(BIGRAM).lstrip(), encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text("[tool.nnlint]\n", encoding="utf-8")

    def verify():
        cwd = os.getcwd()
        os.chdir(tmp_path)
        try:
            main(["verify", "--device", "cpu", "--format", "json", "bigram.py"])
        finally:
            os.chdir(cwd)
        (model,) = json.loads(capsys.readouterr().out)["models"]
        return model

    model = verify()
    assert model["status"] == "skipped"
    assert model["hint"].splitlines() == [  # no `kwargs = { config = 16 }`: a config object is not TOML
        '[tool.nnlint.verify.models."bigram:Bigram"]',
        "inputs = [[2, 8]]   # one shape per forward argument (idx)",
        'dtypes = ["int64"]',
        "high = 64"]
    with open(tmp_path / "pyproject.toml", "a", encoding="utf-8") as handle:
        handle.write(model["hint"] + "\n")
    model = verify()
    assert (model["status"], model["findings"]) == ("checked", [])


def test_a_missing_packages_decorators_and_annotations_are_no_ops_and_the_model_is_checked(report):
    typed, checked = report["typed:TypedBlock"], report["typed:Checked"]
    assert (typed["status"], typed["findings"]) == ("checked", [])
    assert typed["notes"][-1] == (f"`@{MISSING}_beartype.beartype`, `@{MISSING}_jaxtyping.jaxtyped` (not installed) "
                                  f"applied as a no-op: the decorated code ran as written")
    assert (checked["status"], checked["reason"]) == ("skipped", f"needs `{MISSING}_beartype` (not installed)")
