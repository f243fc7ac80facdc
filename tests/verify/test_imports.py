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
