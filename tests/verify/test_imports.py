"""How `nnlint verify` imports the user's files, modelled on public repositories: a folder of
modules without `__init__.py` that import each other relatively, an in-project compiled
extension that was never built, top-level values that need a package that is not installed."""

import json
import os
import textwrap

import pytest

from nnlint.cli import main
from nnlint.verify.discover import module_name

pytest.importorskip("torch")


def make(root, files):
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    (root / "pyproject.toml").write_text("[tool.nnlint]\n", encoding="utf-8")


def verify(root, capsys, *args):
    cwd = os.getcwd()
    os.chdir(root)
    try:
        main(["verify", "--device", "cpu", "--format", "json", *args])
    finally:
        os.chdir(cwd)
    out, _ = capsys.readouterr()
    data = json.loads(out)
    return {m["name"]: m for m in data["models"]}, data["summary"]


# source: https://github.com/jeonsworld/ViT-pytorch/blob/main/models/modeling.py (models/ has no
# __init__.py; modeling.py does `import models.configs as configs` and `from .modeling_resnet import
# ResNetV2`; train.py at the root does `from models.modeling import VisionTransformer`)
NAMESPACE = {
    "models/configs.py": """
        def get_config():
            return {"hidden_size": 8}
    """,
    "models/modeling_resnet.py": """
        import torch.nn as nn


        class Stem(nn.Module):
            def __init__(self, width=4):
                super().__init__()
                self.conv = nn.Conv2d(3, width, 3, padding=1)

            def forward(self, x):
                return self.conv(x)
    """,
    "models/modeling.py": """
        import torch.nn as nn

        import models.configs as configs

        from .modeling_resnet import Stem

        CONFIGS = {"tiny": configs.get_config()}


        class Hybrid(nn.Module):
            def __init__(self, width=4):
                super().__init__()
                self.stem = Stem(width)

            def forward(self, x):
                return self.stem(x).mean()
    """,
    "scripts/plain.py": """
        import torch.nn as nn


        class Alone(nn.Module):
            def forward(self, x):
                return x
    """,
}


def test_a_folder_without_init_whose_files_import_relatively_is_a_namespace_package(tmp_path, capsys):
    make(tmp_path, NAMESPACE)
    assert module_name(str(tmp_path / "models" / "modeling.py"), str(tmp_path)) == ("models.modeling", str(tmp_path))
    # its siblings too, as `from models.modeling_resnet import Stem` would name them
    assert module_name(str(tmp_path / "models" / "modeling_resnet.py"), str(tmp_path))[0] == "models.modeling_resnet"
    # a folder of scripts stays a folder of scripts; without a root, nothing changes
    assert module_name(str(tmp_path / "scripts" / "plain.py"), str(tmp_path)) == ("plain", str(tmp_path / "scripts"))
    assert module_name(str(tmp_path / "models" / "modeling.py")) == ("modeling", str(tmp_path / "models"))
    models, summary = verify(tmp_path, capsys, "models")
    assert {n: m["status"] for n, m in models.items()} == {
        "models.modeling:Hybrid": "checked", "models.modeling_resnet:Stem": "checked"}
    assert not models["models.modeling:Hybrid"]["findings"]


# source: https://github.com/jaywalnut310/vits/blob/main/monotonic_align/__init__.py (a Cython
# extension built by `python setup.py build_ext --inplace` in monotonic_align/; models.py does
# `import monotonic_align` and only SynthesizerTrn.forward calls `monotonic_align.maximum_path`)
UNBUILT = {
    "align/__init__.py": """
        import torch
        from .align.core import maximum_path_c


        def maximum_path(neg_cent, mask):
            path = torch.zeros_like(neg_cent, dtype=torch.int32)
            maximum_path_c(path, neg_cent, mask.sum(1), mask.sum(2))
            return path
    """,
    "align/core.pyx": "cpdef void maximum_path_c(int[:,:,::1] paths) nogil:\n    pass\n",
    "align/setup.py": """
        from distutils.core import setup
        from Cython.Build import cythonize

        setup(name='align', ext_modules=cythonize("core.pyx"))
    """,
    "tts.py": """
        import torch.nn as nn

        import align


        class Encoder(nn.Module):  # never calls the extension: checked
            def __init__(self, channels=4):
                super().__init__()
                self.conv = nn.Conv1d(channels, channels, 3, padding=1)

            def forward(self, x):
                return self.conv(x)


        class Synthesizer(nn.Module):  # calls it: skipped, as needing it built
            def __init__(self, channels=4):
                super().__init__()
                self.enc = Encoder(channels)

            def forward(self, x):
                h = self.enc(x)
                score = h.transpose(1, 2) @ h
                return align.maximum_path(score, score > 0).float() * score
    """,
}


def test_an_unbuilt_extension_of_the_project_gets_a_stand_in(tmp_path, capsys):
    make(tmp_path, UNBUILT)
    models, summary = verify(tmp_path, capsys, "tts.py")
    assert {n: m["status"] for n, m in models.items()} == {"tts:Encoder": "checked", "tts:Synthesizer": "skipped"}
    assert models["tts:Synthesizer"]["reason"] == (
        "needs the compiled extension `align.align` (not built: run its build step)")
    assert not models["tts:Synthesizer"]["findings"]
    assert "The compiled extension `align.align` (not built: run its build step): a stand-in was imported " \
           "(a model that calls it is skipped)" in models["tts:Encoder"]["notes"]
    # without a build script or a source for it, a missing module of the project is the project's error
    (tmp_path / "align" / "setup.py").unlink()
    (tmp_path / "align" / "core.pyx").unlink()
    models, summary = verify(tmp_path, capsys, "tts.py")
    assert {m["status"] for m in models.values()} == {"failed"}
    assert models["tts:Encoder"]["reason"] == "importing tts raised ModuleNotFoundError: No module named 'align.align'"


# source: https://github.com/jeonsworld/ViT-pytorch/blob/main/models/modeling.py (a top-level
# `CONFIGS = {'ViT-B_16': configs.get_b16_config(), ...}`, each config an
# `ml_collections.ConfigDict()`, with ml_collections not installed)
MISSING = "nnlint_test_not_installed"
TOP_LEVEL_VALUE = {
    "vit_configs.py": f"""
        import {MISSING}


        def get_b16_config():
            config = {MISSING}.ConfigDict()
            config.hidden_size = 768
            return config
    """,
    "vit.py": """
        import torch.nn as nn

        import vit_configs as configs


        class Mlp(nn.Module):  # never touches CONFIGS: checked
            def __init__(self, dim=8):
                super().__init__()
                self.fc = nn.Linear(dim, dim)

            def forward(self, x):
                return self.fc(x)


        class VisionTransformer(nn.Module):  # builds from CONFIGS: needs the package
            def __init__(self, model_type="ViT-B_16"):
                super().__init__()
                self.fc = nn.Linear(CONFIGS[model_type].hidden_size, 2)

            def forward(self, x):
                return self.fc(x)


        CONFIGS = {"ViT-B_16": configs.get_b16_config()}
    """,
}


def test_a_top_level_value_made_with_a_missing_package_gets_a_stand_in(tmp_path, capsys):
    make(tmp_path, TOP_LEVEL_VALUE)
    models, summary = verify(tmp_path, capsys, "vit.py")
    assert {n: (m["status"], m["reason"]) for n, m in models.items()} == {
        "vit:Mlp": ("checked", ""), "vit:VisionTransformer": ("skipped", f"needs `{MISSING}` (not installed)")}
    assert (f"the value of `CONFIGS` at line 24 needs `{MISSING}` (not installed): it was given a stand-in "
            f"(a model that uses it is skipped)") in models["vit:Mlp"]["notes"]


# source: https://github.com/rosinality/stylegan2-pytorch/blob/master/lpips/networks_basic.py
# (NetLinLayer holds a Sequential that PNetLin calls as `self.lin0.model(x)`; FakeNet is the base
# of L2 and DSSIM) and abstract bases in the style of
# https://github.com/AntixK/PyTorch-VAE/blob/master/models/base.py (BaseVAE's forward is an
# `@abstractmethod` whose body is `pass`, its encode raises NotImplementedError; its subclasses
# live in other files)
NO_FORWARD = {
    "lpips_like.py": """
        import torch.nn as nn


        class NetLinLayer(nn.Module):  # a holder, never called itself
            def __init__(self, chn_in=8, chn_out=1):
                super().__init__()
                self.model = nn.Sequential(nn.Conv2d(chn_in, chn_out, 1, bias=False))


        class PNetLin(nn.Module):
            def __init__(self, chn_in=8):
                super().__init__()
                self.lin0 = NetLinLayer(chn_in)

            def forward(self, x):
                return self.lin0.model(x)


        class FakeNet(nn.Module):  # the base of L2
            def __init__(self, colorspace="Lab"):
                super().__init__()
                self.colorspace = colorspace


        class L2(FakeNet):
            def forward(self, a, b):
                return ((a - b) ** 2).mean()
    """,
    "base.py": """
        from abc import abstractmethod

        import torch.nn as nn


        class BaseVAE(nn.Module):
            def __init__(self):
                super().__init__()

            def encode(self, x):
                raise NotImplementedError

            def forward(self, *inputs):
                \"\"\"Every VAE defines its own.\"\"\"
                raise NotImplementedError


        class AbstractVAE(nn.Module):
            @abstractmethod
            def forward(self, *inputs):
                pass
    """,
}


def test_a_class_with_nothing_to_call_is_listed_but_not_counted(tmp_path, capsys):
    make(tmp_path, NO_FORWARD)
    models, summary = verify(tmp_path, capsys, "lpips_like.py", "base.py")
    assert {n: (m["status"], m["reason"]) for n, m in models.items()} == {
        "lpips_like:NetLinLayer": ("not-runnable",
                                   "defines no forward: nothing to call (a holder, a container or a base class)"),
        "lpips_like:PNetLin": ("checked", ""),
        "lpips_like:FakeNet": ("not-runnable", "a base class without forward (subclassed by L2)"),
        "lpips_like:L2": ("checked", ""),
        "base:BaseVAE": ("not-runnable", "an abstract base: its forward only raises NotImplementedError"),
        "base:AbstractVAE": ("not-runnable", "an abstract base: its forward is an @abstractmethod")}
    assert {k: summary[k] for k in ("models", "runnable", "checked", "skipped", "failed", "not_runnable",
                                    "coverage")} == {
        "models": 6, "runnable": 2, "checked": 2, "skipped": 0, "failed": 0, "not_runnable": 4, "coverage": 100.0}
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        assert main(["verify", "--device", "cpu", "--fail-under", "100", "lpips_like.py", "base.py"]) == 0
    finally:
        os.chdir(cwd)
    out = capsys.readouterr().out.splitlines()
    assert out[-1].endswith(": checked 2 of 2 model classes (100%), 0 skipped, 0 failed, 4 not runnable "
                            "(no forward to call). No findings.")
    assert "  not runnable: an abstract base: its forward only raises NotImplementedError" in out


# source: https://github.com/lucidrains/denoising-diffusion-pytorch/blob/main/denoising_diffusion_pytorch/guided_diffusion.py
# (`class Classifier(nn.Module)` defined inside `if __name__ == '__main__':`, beside the code
# that trains with it)
MAIN_GUARD = {
    "guided.py": """
        import torch
        import torch.nn as nn


        class Denoiser(nn.Module):
            def __init__(self, dim=4):
                super().__init__()
                self.fc = nn.Linear(dim, dim)

            def forward(self, x):
                return self.fc(x)


        if __name__ == '__main__':
            class Classifier(nn.Module):
                def __init__(self, dim=16, num_classes=10) -> None:
                    super().__init__()
                    self.linear_img = nn.Linear(dim, num_classes)

                def forward(self, x):
                    return self.linear_img(x).log_softmax(dim=-1)

            width = int(input("width? "))

            class Sized(nn.Module):  # uses a value of the block: left alone
                def __init__(self):
                    super().__init__()
                    self.fc = nn.Linear(width, width)

                def forward(self, x):
                    return self.fc(x)

            classifier = Classifier(dim=16, num_classes=10)
            print(classifier(torch.randn(2, 16)))
    """,
}


def test_a_class_defined_under_the_main_guard_is_checked(tmp_path, capsys):
    make(tmp_path, MAIN_GUARD)
    models, summary = verify(tmp_path, capsys, "guided.py")
    assert {n: m["status"] for n, m in models.items()} == {
        "guided:Denoiser": "checked", "guided:Classifier": "checked", "guided:Sized": "skipped"}
    assert models["guided:Classifier"]["notes"][-1] == (
        '`Classifier` is defined under `if __name__ == "__main__":`: only the class statement was run, not the block')
    assert models["guided:Sized"]["reason"].startswith("not a module-level name at import time")


# source: https://github.com/CompVis/latent-diffusion/blob/main/ldm/modules/losses/contperceptual.py
# (`from taming.modules.losses.vqperceptual import *`, then `self.perceptual_loss = LPIPS().eval()`,
# taming not installed)
STAR_IMPORT = {
    "contperceptual.py": f"""
        import torch.nn as nn

        from {MISSING}.modules.losses.vqperceptual import *


        class LPIPSWithDiscriminator(nn.Module):  # LPIPS comes from the star import
            def __init__(self, disc_start=0):
                super().__init__()
                self.perceptual_loss = LPIPS().eval()

            def forward(self, x):
                return self.perceptual_loss(x)


        class Head(nn.Module):  # uses nothing of it: checked
            def __init__(self, dim=4):
                super().__init__()
                self.fc = nn.Linear(dim, 1)

            def forward(self, x):
                return self.fc(x)
    """,
}


def test_a_name_from_a_star_import_of_a_missing_package_is_not_the_models_error(tmp_path, capsys):
    make(tmp_path, STAR_IMPORT)
    models, summary = verify(tmp_path, capsys, "contperceptual.py")
    assert {n: (m["status"], m["reason"], m["findings"]) for n, m in models.items()} == {
        "contperceptual:LPIPSWithDiscriminator": (
            "skipped", f"needs `{MISSING}` (not installed): `LPIPS` is not defined, and would come from "
                       f"`from {MISSING}.modules.losses.vqperceptual import *`", []),
        "contperceptual:Head": ("checked", "", [])}


# source: https://github.com/lucidrains/perceiver-pytorch (the package perceiver_pytorch/ holds a module
# perceiver_pytorch.py; gated.py does `from perceiver_pytorch.perceiver_pytorch import ...`), verified
# as `python -m nnlint verify` run at the root puts the root on sys.path before the worker does
SAME_NAME = {
    "percy/__init__.py": "from percy.percy import Block\n",
    "percy/percy.py": """
        import torch.nn as nn


        class Block(nn.Module):
            def __init__(self, dim=8):
                super().__init__()
                self.fc = nn.Linear(dim, dim)

            def forward(self, x):
                return self.fc(x)
    """,
    "percy/gated.py": """
        import torch.nn as nn

        from percy.percy import Block


        class Gated(nn.Module):
            def __init__(self, dim=8):
                super().__init__()
                self.block = Block(dim)

            def forward(self, x):
                return self.block(x).sigmoid() * x
    """,
}


def test_a_package_holding_a_module_of_its_own_name_imports_from_the_root(tmp_path, capsys, monkeypatch):
    make(tmp_path, SAME_NAME)
    monkeypatch.syspath_prepend(str(tmp_path))
    models, summary = verify(tmp_path, capsys, "percy/gated.py")
    assert (models["percy.gated:Gated"]["status"], models["percy.gated:Gated"]["findings"]) == ("checked", [])
