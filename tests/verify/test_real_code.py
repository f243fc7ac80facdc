"""`nnlint verify` on code as public repositories write it, with no configuration: constructor
arguments guessed, shipped configuration objects used, scripts sliced to their definitions,
missing packages blamed once, packages whose `__init__` breaks, repeated module names,
coverage, --fail-under and --shard."""

import json
import os
import shutil
import textwrap
from pathlib import Path

import pytest

from nnlint.cli import main

pytest.importorskip("torch")

REAL = Path(__file__).resolve().parents[2] / "fixtures" / "runtime" / "real"

MISSING = "nnlint_test_not_installed"  # a package no environment has

FILES = {
    # a package whose __init__ imports a sibling that needs a package that is not installed
    "pkg/__init__.py": f"from pkg.audio import Spectrogram\n",
    "pkg/audio.py": f"""
        import torch.nn as nn

        import {MISSING}.transforms as T


        class Spectrogram(nn.Module):  # uses the missing package: skipped, not failed
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(16, 4)

            def forward(self, x):
                return self.fc(T.spectrogram(x))


        class Head(nn.Module):  # does not use it: checked
            def __init__(self, dim):
                super().__init__()
                self.fc = nn.Linear(dim, 2)

            def forward(self, x):
                return self.fc(x)
    """,
    "pkg/vision.py": """
        import torch.nn as nn


        class Stem(nn.Module):
            def __init__(self, in_channels, out_channels):
                super().__init__()
                self.conv = nn.Conv2d(in_channels, out_channels, 3, padding=1)

            def forward(self, x):
                return self.conv(x)
    """,
    # a package whose __init__ raises: its modules still load, without it
    "broken/__init__.py": 'raise ImportError("the compiled extension is not built")\n',
    "broken/layers.py": """
        import torch.nn as nn

        from .blocks import width


        class Layer(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(width(), 2)

            def forward(self, x):
                return self.fc(x)
    """,
    "broken/blocks.py": "def width():\n    return 4\n",
    # an optional dependency guarded by try/except keeps its fallback: no stand-in
    "optional.py": f"""
        import torch.nn as nn

        try:
            import {MISSING}_fast as fast
        except ImportError:
            fast = None


        class Norm(nn.Module):
            def __init__(self, dim):
                super().__init__()
                self.norm = nn.LayerNorm(dim) if fast is None else fast.LayerNorm(dim)

            def forward(self, x):
                return self.norm(x)
    """,
    # every class of a file needs it at import time (a class attribute computed with it): one
    # skip reason for the file
    "needs_it.py": f"""
        import torch.nn as nn
        import {MISSING}


        class A(nn.Module):
            scale = {MISSING}.default_scale()

            def forward(self, x):
                return x * self.scale


        class B(A):
            pass
    """,
    # a helper module that sets up a missing plotting package at import, and a model that only
    # takes a function from it (https://github.com/jik876/hifi-gan/blob/master/utils.py)
    "vocoder_utils.py": f"""
        import {MISSING}
        {MISSING}.use("Agg")
        import {MISSING}.pylab as plt


        def get_padding(kernel_size, dilation=1):
            return (kernel_size * dilation - dilation) // 2


        def plot(spectrogram):
            fig, ax = plt.subplots(figsize=(10, 2))
            return fig
    """,
    "vocoder.py": """
        import torch.nn as nn

        from vocoder_utils import get_padding


        class ResBlock(nn.Module):
            def __init__(self, channels=4, kernel_size=3):
                super().__init__()
                self.conv = nn.Conv1d(channels, channels, kernel_size, padding=get_padding(kernel_size))

            def forward(self, x):
                return x + self.conv(x)
    """,
    # numpy, installed or not (the checks seed it only when it is real)
    "with_numpy.py": """
        import numpy as np
        import torch.nn as nn


        class Plain(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(4, 2)

            def forward(self, x):
                return self.fc(x)
    """,
    # a folder without __init__ holding a module of its own name
    # (https://github.com/seungwonpark/melgan: utils/utils.py beside utils/stft.py): the folder
    # is the package `utils`, not the module utils/utils.py
    "utils/utils.py": "def window_size():\n    return 4\n",
    "utils/stft.py": """
        import torch.nn as nn

        from .utils import window_size


        class STFT(nn.Module):
            def __init__(self):
                super().__init__()
                self.proj = nn.Linear(window_size(), 2)

            def forward(self, x):
                return self.proj(x)
    """,
    # two scripts' folders with a models.py each
    "gan/models.py": """
        import torch.nn as nn


        class Generator(nn.Module):
            def __init__(self, latent_dim=8):
                super().__init__()
                self.fc = nn.Linear(latent_dim, 4)

            def forward(self, z):
                return self.fc(z)
    """,
    "cyclegan/models.py": """
        import torch.nn as nn


        class Generator(nn.Module):
            def __init__(self, channels=3):
                super().__init__()
                self.conv = nn.Conv2d(channels, 3, 1)

            def forward(self, img):
                return self.conv(img)
    """,
}


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = tmp_path_factory.mktemp("real")
    for name, text in FILES.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    for source in REAL.glob("*.py"):
        shutil.copy(source, root / source.name)
    (root / "pyproject.toml").write_text("[tool.nnlint]\n", encoding="utf-8")
    return root


def run(project, capsys, *args):
    cwd = os.getcwd()
    os.chdir(project)
    try:
        code = main(["verify", "--device", "cpu", *args])
    finally:
        os.chdir(cwd)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def report(project):
    """One run over the whole project, as JSON: {name: model}."""
    cwd = os.getcwd()
    os.chdir(project)
    try:
        assert main(["verify", "--device", "cpu", "--format", "json", "-o", "report.json", "."]) in (0, 1)
    finally:
        os.chdir(cwd)
    data = json.loads((project / "report.json").read_text(encoding="utf-8"))
    return {m["name"]: m for m in data["models"]}, data["summary"]


def statuses(models):
    return {name: m["status"] for name, m in models.items()}


def test_every_model_is_checked_or_skipped_for_a_reason_of_ours(report):
    models, summary = report
    assert statuses(models) == {
        "vit_like:Patches": "checked", "vit_like:Attention": "checked", "vit_like:ViT": "checked",
        "gpt_config:Block": "checked", "gpt_config:GPT": "checked", "mingpt_like:MinGPT": "checked",
        "mingpt_like:MinBlock": "checked",
        "gan_script:Generator": "checked", "gan_script:Discriminator": "checked",
        "pkg.audio:Spectrogram": "skipped", "pkg.audio:Head": "checked", "pkg.vision:Stem": "checked",
        "optional:Norm": "checked", "broken.layers:Layer": "checked", "with_numpy:Plain": "checked", "needs_it:A": "skipped", "needs_it:B": "skipped",
        "vocoder:ResBlock": "checked",
        "gan/models.py:Generator": "checked", "cyclegan/models.py:Generator": "checked",
        "gpt_train_script:GPT": "checked", "gpt_train_script:Head": "skipped", "utils.stft:STFT": "checked",
    }
    assert (summary["checked"], summary["models"], summary["coverage"], summary["failed"]) == (19, 23, 82.6, 0)
    assert all(not m["findings"] for m in models.values())  # nothing blamed on the models


def test_guessed_arguments_are_said(report):
    models, _ = report
    assert models["vit_like:ViT"]["notes"][0] == (
        "built as ViT(image_size=32, patch_size=4, num_classes=10, dim=32, depth=1, heads=2), fed (2, 3, 32, 32) "
        "(an image for `img`): guessed, not configured")
    assert models["pkg.vision:Stem"]["notes"][0].startswith("built as Stem(in_channels=3, out_channels=8), fed (2, 3, 16, 16)")


def test_shipped_configurations_are_used_and_shrunk(report):
    models, _ = report
    assert models["gpt_config:GPT"]["notes"][:2] == [
        "built as GPT(config=GPTConfig(...)), fed (2, 8) int64 (token ids for `idx` (vocabulary of 64)): "
        "guessed, not configured",
        "shrunk GPTConfig for `config`: block_size 1024 -> 16, vocab_size 50304 -> 64, n_layer 12 -> 1, "
        "n_head 12 -> 2, n_embd 768 -> 32"]
    assert models["mingpt_like:MinGPT"]["notes"][1] == (
        "shrunk Node for `config`: n_layer None -> 1, n_head None -> 2, n_embd None -> 32, vocab_size None -> 64, "
        "block_size None -> 16, model_type 'gpt' -> None")
    assert models["mingpt_like:MinBlock"]["notes"][1] == models["mingpt_like:MinGPT"]["notes"][1]  # MinGPT's


def test_a_script_runs_its_definitions_only(report, project):
    models, _ = report
    assert models["gan_script:Generator"]["notes"][-1] == (
        "gan_script.py is a script (command-line parsing (`parse_args()`) at line 16): only its imports, "
        "definitions and the top-level values its classes use were run")
    assert not (project / "images_made_by_the_script").exists()


def test_a_script_value_the_slice_cannot_compute_is_left_out_not_blamed(report):
    models, _ = report
    # `device_type` is also GPT.configure_optimizers's own parameter: not a value GPT needs
    left_out = ("`run_device` (set at line 64) could not be computed from the definitions alone: left out "
                "(a model that uses it is skipped)")
    assert models["gpt_train_script:Head"]["notes"][-1] == left_out
    assert models["gpt_train_script:Head"]["reason"] == (
        "needs `run_device`, which its script computes at line 64 from statements nnlint does not run "
        "(only the script's definitions were)")
    # the script's full-size model, shrunk with its config's large defaults too
    assert models["gpt_train_script:GPT"]["notes"][0] == (
        "built as in gpt_train_script.py:65 (shrunk for a fast run: vocab_size 50304 -> 64, block_size 1024 -> 16, "
        "n_layer 12 -> 2, n_embd 768 -> 36), fed (2, 8) int64 (token ids for `idx` (vocabulary of 64))")


def test_a_folder_is_the_package_even_with_a_module_of_its_name_inside(report):
    models, _ = report
    assert models["utils.stft:STFT"]["notes"] == []


def test_a_package_whose_init_raises_does_not_stop_its_modules(report):
    models, _ = report
    assert models["broken.layers:Layer"]["notes"] == [
        "the package `broken`'s __init__ raised ImportError: the compiled extension is not built: loaded "
        "broken.layers without it"]


def test_a_missing_package_is_blamed_once_not_on_the_model(report, capsys, project):
    models, _ = report
    assert models["pkg.audio:Spectrogram"]["reason"] == f"needs `{MISSING}` (not installed)"
    assert models["pkg.audio:Head"]["notes"][-1] == (
        f"not installed: `{MISSING}` (a stand-in was imported; a model that uses it is skipped)")
    assert models["needs_it:A"]["reason"].startswith(f"needs `{MISSING}` (not installed): importing needs_it:")
    code, out, _ = run(project, capsys, "needs_it.py")
    assert out.splitlines()[:2] == [
        "needs_it.py: 2 models skipped (A, B)",
        f"  skipped: needs `{MISSING}` (not installed): importing needs_it: it uses `{MISSING}.default_scale`"]


def test_coverage_fail_under_and_nothing_checked(project, capsys):
    code, out, err = run(project, capsys, "needs_it.py", "pkg/vision.py")
    assert code == 0
    assert out.splitlines()[-1].endswith("checked 1 of 3 model classes (33.3%), 2 skipped, 0 failed. No findings.")
    code, out, err = run(project, capsys, "--fail-under", "50", "needs_it.py", "pkg/vision.py")
    assert code == 1
    assert err.splitlines()[-1] == "nnlint: error: 33.3% of the models were checked, under --fail-under 50%"
    code, out, err = run(project, capsys, "needs_it.py")
    assert code == 0 and "nnlint: warning: no model was checked (2 skipped, 0 failed): nothing was verified" in err
    assert run(project, capsys, "--fail-under", "101", "pkg/vision.py")[0] == 2


def test_shards_split_the_files(project, capsys):
    names = []
    for k in (1, 2, 3):
        code, out, _ = run(project, capsys, "--format", "json", "--shard", f"{k}/3", "pkg", "gan", "cyclegan")
        names.append(sorted(m["name"] for m in json.loads(out)["models"]))
    assert sorted(n for shard in names for n in shard) == [
        "cyclegan/models.py:Generator", "gan/models.py:Generator", "pkg.audio:Head", "pkg.audio:Spectrogram",
        "pkg.vision:Stem"]
    assert sum(1 for shard in names if shard) >= 2
    assert run(project, capsys, "--shard", "4/3", "pkg")[0] == 2


FIXED_SIZE = """
    import torch.nn as nn


    class Fixed(nn.Module):
        def __init__(self, channels):
            super().__init__()
            self.conv = nn.Conv2d(channels, 4, 3)

        def forward(self, img):
            assert img.shape[-1] == 48, "48x48 images only"
            return self.conv(img)
"""


def test_a_skip_hint_works_in_one_round(tmp_path, capsys):
    (tmp_path / "fixed.py").write_text(textwrap.dedent(FIXED_SIZE).lstrip(), encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text("[tool.nnlint]\n", encoding="utf-8")
    code, out, _ = run(tmp_path, capsys, "--format", "json", "fixed.py")
    (model,) = json.loads(out)["models"]
    assert model["status"] == "skipped"
    assert model["hint"].splitlines() == [
        '[tool.nnlint.verify.models."fixed:Fixed"]',
        "kwargs = { channels = 3 }   # what nnlint guessed: check them",
        "inputs = [[2, 3, 32, 32]]   # one shape per forward argument (img)"]  # an image, for an image model
    with open(tmp_path / "pyproject.toml", "a", encoding="utf-8") as handle:
        handle.write(model["hint"] + "\n")
    code, out, _ = run(tmp_path, capsys, "--format", "json", "fixed.py")
    (model,) = json.loads(out)["models"]
    assert model["reason"] == "forward raised AssertionError: 48x48 images only"  # built, and fed as told


SHARED = """
    # source: https://github.com/eriklindernoren/PyTorch-GAN/blob/master/implementations/unit/models.py
    # source: https://github.com/lucidrains/vit-pytorch/blob/main/vit_pytorch/cct.py
    import torch
    import torch.nn as nn


    class Encoder(nn.Module):  # the training script always passes a shared block
        def __init__(self, dim=8, shared_block=None):
            super().__init__()
            self.fc = nn.Linear(dim, dim)
            self.shared_block = shared_block

        def forward(self, x):
            return self.shared_block(self.fc(x))


    class Broken(nn.Module):  # a real bug, whatever the arguments
        def __init__(self, dim):
            super().__init__()
            self.fc = nn.Linear(in_channels, dim)

        def forward(self, x):
            return self.fc(x)


    class NeedsLength(nn.Module):  # its defaults fail, a guess builds it, no input fits: ours, skipped
        def __init__(self, dim=8, sequence_length=None):
            super().__init__()
            assert sequence_length is not None, "the sequence length was not specified"
            self.cls = nn.Parameter(torch.zeros(1, 1, 3))
            self.pos = nn.Parameter(torch.zeros(sequence_length, 3))

        def forward(self, x):  # (b, sequence_length - 1, 3) and a class token: no guess of ours
            return torch.cat((self.cls.expand(x.shape[0], -1, -1), x), dim=1) + self.pos


    class Unfinished(nn.Module):  # its own defaults build; its forward is the model's problem
        def __init__(self, width=4, scale=None):
            super().__init__()
            self.fc = nn.Linear(width, width)

        def forward(self, x):
            raise ValueError("not implemented yet")
"""


def test_none_defaults_get_a_guess_and_real_bugs_stay_the_models(tmp_path, capsys):
    (tmp_path / "shared.py").write_text(textwrap.dedent(SHARED).lstrip(), encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text("[tool.nnlint]\n", encoding="utf-8")
    code, out, _ = run(tmp_path, capsys, "--format", "json", "shared.py")
    models = {m["name"]: m for m in json.loads(out)["models"]}
    assert {n: (m["status"], [f["code"] for f in m["findings"]]) for n, m in models.items()} == {
        "shared:Encoder": ("checked", []), "shared:Broken": ("failed", ["NN901"]),
        "shared:Unfinished": ("failed", ["NN902"]), "shared:NeedsLength": ("skipped", [])}
    assert models["shared:NeedsLength"]["reason"].startswith("built as NeedsLength(sequence_length=16), forward on")
    assert models["shared:Encoder"]["notes"][0].startswith("built as Encoder(shared_block=Identity()), fed (2, 8)")
    assert models["shared:Broken"]["reason"] == "construction raised NameError: name 'in_channels' is not defined"
