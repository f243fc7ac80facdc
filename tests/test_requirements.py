"""The torch versions a project declares (nnlint.requirements), and what the rules make of them."""

import json
import os
import textwrap

import pytest

from nnlint.cli import main
from nnlint.project import ProjectIndex
from nnlint.requirements import declared_torch_range, parse_torch_range, torch_requirement_floor

LOAD = "import torch\n\nstate = torch.load('model.pt')\nother = torch.load('x.pt', weights_only=False)\n"


def write(root, files):
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")


def read(path):
    with open(path, encoding="utf-8") as handle:
        return handle.read()


@pytest.mark.parametrize("requirement, expected", [
    ("torch>=2.6", (True, (2, 6))),
    ("torch >= 2.1, <3", (True, (2, 1))),
    ("torch==2.6.0+cu121", (True, (2, 6))),
    ("torch>=2.0.0", (True, (2,))),
    ("torch~=2.4.1", (True, (2, 4, 1))),
    ("torch[opt] (>=1.13) ; python_version > '3.8'", (True, (1, 13))),
    ("Torch>2.5", (True, (2, 5))),
    ("torch", (True, None)),
    ("torch<2.0", (True, None)),
    ("torch @ https://example.com/torch-2.6.0.whl", (True, None)),
    ("torchvision>=0.21", (False, None)),
    ("pytorch-lightning>=2.0", (False, None)),
])
def test_a_requirement_gives_its_floor(requirement, expected):
    assert torch_requirement_floor(requirement) == expected


@pytest.mark.parametrize("files, floor, source", [
    ({"pyproject.toml": """
        [project]
        name = "p"
        dependencies = ["numpy", "torch>=2.6"]
        [project.optional-dependencies]
        cuda = ["torch>=2.7"]
     """}, (2, 6), "pyproject.toml: project.dependencies, project.optional-dependencies.cuda"),
    ({"pyproject.toml": """
        [tool.poetry.dependencies]
        python = "^3.10"
        torch = {version = "^2.6", source = "pytorch"}
     """}, (2, 6), "pyproject.toml: tool.poetry.dependencies"),
    ({"pyproject.toml": '[dependency-groups]\ntrain = ["torch==2.7.1"]\n'}, (2, 7, 1),
     "pyproject.toml: dependency-groups.train"),
    ({"setup.cfg": """
        [options]
        install_requires =
            numpy
            torch>=2.6,<3
     """}, (2, 6), "setup.cfg: options.install_requires"),
    ({"setup.py": """
        from setuptools import setup

        REQUIRED = ["torch>=2.6", "numpy"]
        setup(name="p", install_requires=REQUIRED, extras_require={"old": ["torch>=1.13"]})
     """}, (1, 13), "setup.py: install_requires, extras_require.old"),
    ({"requirements.txt": "numpy\ntorch==2.6.0  # pinned\n-r requirements-dev.txt\n",
      "requirements/dev.txt": "torch>=2.8\n"}, (2, 6),
     "requirements*.txt: requirements.txt, requirements/dev.txt"),
    # packaging metadata that names torch wins over the requirements files
    ({"pyproject.toml": '[project]\ndependencies = ["torch>=2.1"]\n', "requirements.txt": "torch==2.6.0\n"},
     (2, 1), "pyproject.toml: project.dependencies"),
    # one requirement without a lower bound: no floor
    ({"pyproject.toml": '[project]\ndependencies = ["torch>=2.6"]\n[project.optional-dependencies]\n'
                        'any = ["torch"]\n'}, None, "pyproject.toml: project.dependencies, "
                                                      "project.optional-dependencies.any"),
])
def test_the_metadata_declares_the_range(tmp_path, files, floor, source):
    write(tmp_path, files)
    found, deps = declared_torch_range(str(tmp_path / "pkg"), read)
    assert found.floor == floor
    assert found.source.replace(str(tmp_path) + os.sep, "") == source
    assert any(os.path.isfile(dep) for dep in deps)  # the files read, and those looked for in vain
    assert all(os.path.isfile(dep) or not os.path.exists(dep) for dep in deps)


def test_the_nearest_declaration_wins_and_the_search_stops_at_the_repository(tmp_path):
    write(tmp_path, {
        "pyproject.toml": '[project]\ndependencies = ["torch>=1.0"]\n',
        "repo/.git/HEAD": "ref: refs/heads/main\n",
        "repo/requirements.txt": "numpy\n",
        "repo/sub/pyproject.toml": '[project]\nname = "sub"\n',
        "repo/sub/lib/setup.py": "import setuptools\nsetuptools.setup(install_requires=['torch>=2.6'])\n",
        "broken/pyproject.toml": "[project\n",
        "broken/setup.py": "setup(\n",
    })
    assert declared_torch_range(str(tmp_path / "repo" / "sub" / "lib" / "x"), read)[0].floor == (2, 6)
    found, deps = declared_torch_range(str(tmp_path / "repo" / "sub"), read)
    assert found is None  # not the torch>=1.0 above the repository
    # read, or looked for in vain (a file created there would declare a range)
    assert sorted(os.path.relpath(d, tmp_path) for d in deps) == [
        "repo/pyproject.toml", "repo/requirements.txt", "repo/setup.cfg", "repo/setup.py",
        "repo/sub/pyproject.toml", "repo/sub/setup.cfg", "repo/sub/setup.py"]
    assert declared_torch_range(str(tmp_path / "broken"), read)[0].floor == (1,)
    # an installed package is judged alone, not by the project whose virtual environment holds it
    write(tmp_path, {"proj/pyproject.toml": '[project]\ndependencies = ["torch>=2.6"]\n',
                     "proj/.venv/lib/site-packages/torch/amp/grad_scaler.py": ""})
    found, deps = declared_torch_range(str(tmp_path / "proj/.venv/lib/site-packages/torch/amp"), read)
    assert found is None and not any(os.path.exists(dep) for dep in deps)


def test_the_setting_parses_a_version_or_a_lower_bound():
    assert parse_torch_range("2.6", "x").floor == (2, 6)
    assert parse_torch_range(">=2.6,<3", "x").at_least((2, 6))
    assert not parse_torch_range("~=2.5", "x").at_least((2, 6))
    for bad in ("<3", "", "latest"):
        with pytest.raises(ValueError):
            parse_torch_range(bad, "x")


def lint(capsys, *args):
    code = main(["--format", "json", "-j", "1", *args])
    captured = capsys.readouterr()
    return code, [(d["line"], d["code"]) for d in json.loads(captured.out)], captured.err


def test_nn502_is_quiet_when_the_project_requires_torch_2_6(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, {"train.py": LOAD, "requirements.txt": "torch>=2.1\n"})
    assert lint(capsys, "--no-cache", ".")[:2] == (1, [(3, "NN502"), (4, "NN502")])
    (tmp_path / "pyproject.toml").write_text('[project]\ndependencies = ["torch>=2.6"]\n')
    code, found, err = lint(capsys, "--no-cache", "-v", ".")
    assert (code, found) == (1, [(4, "NN502")])  # an explicit weights_only=False still is
    assert f"nnlint: torch: torch>=2.6 (from {tmp_path / 'pyproject.toml'}: project.dependencies)" in err
    # the setting overrides the metadata
    (tmp_path / "pyproject.toml").write_text('[project]\ndependencies = ["torch>=2.6"]\n'
                                            '[tool.nnlint]\ntorch-version = "2.1"\n')
    code, found, err = lint(capsys, "--no-cache", "-v", ".")
    assert (code, found) == (1, [(3, "NN502"), (4, "NN502")])
    assert "nnlint: torch: 2.1 (from [tool.nnlint] torch-version)" in err


def test_verbose_says_when_no_version_is_declared(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, {"train.py": LOAD, ".git/HEAD": ""})
    assert "nnlint: torch: no version declared (any torch assumed; see torch-version)" in \
        lint(capsys, "--no-cache", "-v", ".")[2]


def test_a_broken_torch_version_setting_is_a_usage_error(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, {"train.py": LOAD, "pyproject.toml": '[tool.nnlint]\ntorch-version = "<3"\n'})
    assert main(["."]) == 2
    assert "torch-version must be a version or a lower bound such as \">=2.6\", got '<3'" in capsys.readouterr().err


def test_the_findings_cache_follows_the_declared_version(tmp_path, monkeypatch, capsys):
    """The metadata read is a dependency of the cached findings, the setting part of the key."""
    monkeypatch.chdir(tmp_path)
    write(tmp_path, {"train.py": LOAD, "requirements.txt": "torch>=2.1\n",
                     "pyproject.toml": "[tool.nnlint]\n"})
    assert lint(capsys, ".")[:2] == (1, [(3, "NN502"), (4, "NN502")])
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("torch>=2.6\n")
    stat = os.stat(requirements)
    os.utime(requirements, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert lint(capsys, ".")[:2] == (1, [(4, "NN502")])
    (tmp_path / "pyproject.toml").write_text('[tool.nnlint]\ntorch-version = "2.0"\n')
    assert lint(capsys, ".")[:2] == (1, [(3, "NN502"), (4, "NN502")])


def test_an_open_buffer_and_an_edited_file_are_read_again(tmp_path):
    write(tmp_path, {"pyproject.toml": '[project]\ndependencies = ["torch>=2.1"]\n', "pkg/m.py": ""})
    index = ProjectIndex()
    path = str(tmp_path / "pkg" / "m.py")
    assert index.torch_range(path).floor == (2, 1)
    index.set_source(str(tmp_path / "pyproject.toml"), '[project]\ndependencies = ["torch>=2.6"]\n')
    assert index.torch_range(path).floor == (2, 6)
    index.set_source(str(tmp_path / "pyproject.toml"), None)
    assert index.torch_range(path).floor == (2, 1)


# A training script of a project that declares `torch>=2` while torch.amp.GradScaler appeared in
# 2.3, modelled on https://github.com/WhisperSpeech/WhisperSpeech/pull/177 (they kept the old
# name for torch < 2.3).
AMP = """
    import torch
    from torch import nn

    scaler = torch.cuda.amp.GradScaler(enabled=True)
    conv = nn.utils.weight_norm(nn.Conv1d(4, 4, 3))
    with torch.cuda.amp.autocast():
        steps = torch.range(0, 10)
"""


@pytest.mark.parametrize("declared, lines", [
    ("torch>=2", [6, 7]),  # GradScaler (2.3) and parametrizations.weight_norm (2.1) are newer
    ("torch>=2.1", [5, 6, 7]),
    ("torch>=2.3", [4, 5, 6, 7]),
    ("torch", [4, 5, 6, 7]),  # no floor: judged as today
])
def test_nn408_leaves_alone_what_the_oldest_supported_torch_cannot_replace(tmp_path, monkeypatch, capsys,
                                                                          declared, lines):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, {"train.py": AMP, "requirements.txt": f"{declared}\n"})
    assert lint(capsys, "--no-cache", "--select", "NN408", ".")[1] == [(line, "NN408") for line in lines]


def test_isolated_ignores_the_declared_version(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, {"train.py": LOAD, "pyproject.toml": '[project]\ndependencies = ["torch>=2.6"]\n'})
    assert lint(capsys, "--no-cache", ".")[:2] == (1, [(4, "NN502")])
    assert lint(capsys, "--no-cache", "--isolated", ".")[:2] == (1, [(3, "NN502"), (4, "NN502")])
