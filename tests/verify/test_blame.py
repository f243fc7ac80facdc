"""What `nnlint verify` blames on a model built and fed as its own code says: parameters that
forward never uses but another method of the model trains, or that a later stage of a
progressive model reaches, are by design, not NN903."""

import json
import os
import textwrap

import pytest

from nnlint.cli import main

pytest.importorskip("torch")

# source: https://github.com/AntixK/PyTorch-VAE/blob/master/models/fvae.py (FactorVAE: the
# discriminator is trained in `loss_function`, never in forward) and models/vampvae.py (the
# pseudo-inputs of the prior, used in `loss_function`)
VAE = """
    import torch
    import torch.nn as nn


    class FactorVAE(nn.Module):
        def __init__(self, dim=8, latent=4):
            super().__init__()
            self.encoder = nn.Linear(dim, latent)
            self.decoder = nn.Linear(latent, dim)
            self.discriminator = nn.Sequential(nn.Linear(latent, 8), nn.ReLU(), nn.Linear(8, 2))

        def encode(self, x):
            return self.encoder(x)

        def forward(self, x):
            return self.decoder(self.encode(x))

        def loss_function(self, x):
            z = self.encode(x)
            return self.discriminator(z).mean() + (self.decoder(z) - x).pow(2).mean()


    class Forgotten(nn.Module):
        def __init__(self, dim=8):
            super().__init__()
            self.fc = nn.Linear(dim, dim)
            self.head = nn.Linear(dim, dim)  # never used anywhere: NN903 stays

        def forward(self, x):
            return self.fc(x)
"""


def verified(tmp_path, capsys, name: str, source: str) -> dict:
    """{model name: its JSON result} of `nnlint verify` on one file written from `source`."""
    (tmp_path / name).write_text(textwrap.dedent(source).lstrip(), encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text("[tool.nnlint]\n", encoding="utf-8")
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        main(["verify", "--device", "cpu", "--format", "json", "."])
    finally:
        os.chdir(cwd)
    return {m["name"]: m for m in json.loads(capsys.readouterr().out)["models"]}


def test_parameters_another_method_trains_are_not_blamed_and_unused_ones_are(tmp_path, capsys):
    models = verified(tmp_path, capsys, "vae.py", VAE)
    vae, forgotten = models["vae:FactorVAE"], models["vae:Forgotten"]
    assert (vae["status"], [f["code"] for f in vae["findings"]]) == ("checked", [])
    assert vae["notes"][-1] == ("4 parameters without a gradient from forward (e.g. `discriminator.0.weight`) are "
                                "used by `loss_function`, which forward never calls: not reported as NN903")
    assert [(f["code"], f["line"]) for f in forgotten["findings"] if f["source"] != "static"] == [("NN903", 23)]


# source: https://github.com/rosinality/progressive-gan-pytorch/blob/master/model.py (the
# generator grows a block per `step`: at forward's default `step=0` only the first block and its
# to-RGB layer run)
PROGRESSIVE = """
    import torch.nn as nn


    class Growing(nn.Module):
        def __init__(self, dim=8):
            super().__init__()
            self.progression = nn.ModuleList([nn.Linear(dim, dim) for _ in range(3)])
            self.to_rgb = nn.ModuleList([nn.Linear(dim, 3) for _ in range(3)])

        def forward(self, x, step=0, alpha=-1):
            for i, (block, to_rgb) in enumerate(zip(self.progression, self.to_rgb)):
                x = block(x)
                if i == step:
                    return to_rgb(x)
"""


def test_parameters_a_later_stage_of_a_progressive_model_reaches_are_not_blamed(tmp_path, capsys):
    model = verified(tmp_path, capsys, "pro.py", PROGRESSIVE)["pro:Growing"]
    assert (model["status"], [f["code"] for f in model["findings"]]) == ("checked", [])
    assert model["notes"][-1] == (
        "8 parameters got no gradient (e.g. `progression.1.weight`) with forward's default `step=0`; another "
        "`step` may reach them: not reported as NN903 (configure the inputs with `step` to check them)")
