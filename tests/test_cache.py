"""The findings cache answers unchanged files and is never wrong: a change to the file, the
config, nnlint's version or a base class in a sibling file each invalidates it."""

import json
import os
import textwrap

import pytest

from nnlint import cache as cache_module
from nnlint import engine
from nnlint.cli import main

BUGGY = textwrap.dedent("""\
    import torch.nn as nn


    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = [nn.Linear(4, 4), nn.Linear(4, 4)]
""")


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "net.py").write_text(BUGGY)
    return tmp_path


@pytest.fixture
def parses(monkeypatch):
    """The files the engine really parsed (not answered from the cache)."""
    seen = []
    original = engine.check_source

    def spy(text, path, *args, **kwargs):
        seen.append(os.path.basename(path))
        return original(text, path, *args, **kwargs)

    monkeypatch.setattr(engine, "check_source", spy)
    return seen


def lint(capsys, *args):
    code = main(["--format", "json", "-j", "1", *args])
    return code, [(d["path"], d["line"], d["code"]) for d in json.loads(capsys.readouterr().out)]


def test_unchanged_file_is_answered_from_the_cache(project, capsys, parses):
    first = lint(capsys, ".")
    assert first == (1, [("net.py", 7, "NN101")]) and parses == ["net.py"]
    assert lint(capsys, ".") == first and parses == ["net.py"]  # not parsed again
    assert (project / ".nnlint_cache" / ".gitignore").read_text().endswith("*\n")


def test_findings_from_the_cache_keep_their_fixes(project, capsys, parses):
    cold = main(["--format", "json", "-j", "1", "."]), capsys.readouterr().out
    warm = main(["--format", "json", "-j", "1", "."]), capsys.readouterr().out
    assert parses == ["net.py"] and warm == cold
    assert json.loads(warm[1])[0]["fix"]["edits"][0]["content"] == "nn.ModuleList([nn.Linear(4, 4), nn.Linear(4, 4)])"


def test_a_changed_file_is_checked_again(project, capsys, parses):
    lint(capsys, ".")
    (project / "net.py").write_text(BUGGY.replace("[nn.Linear(4, 4), nn.Linear(4, 4)]",
                                                  "nn.ModuleList([nn.Linear(4, 4)])"))
    assert lint(capsys, ".") == (0, [])
    assert parses == ["net.py", "net.py"]


def test_a_changed_config_is_checked_again(project, capsys, parses):
    lint(capsys, ".")
    (project / "pyproject.toml").write_text('[tool.nnlint]\nignore = ["NN101"]\n')
    assert lint(capsys, ".") == (0, [])
    (project / "pyproject.toml").write_text('[tool.nnlint]\nignore = []\n')
    assert lint(capsys, ".") == (1, [("net.py", 7, "NN101")])
    assert len(parses) == 3


def test_a_new_nnlint_version_is_checked_again(project, capsys, parses, monkeypatch):
    lint(capsys, ".")
    monkeypatch.setattr(cache_module, "__version__", "99.0")
    cache_module.nnlint_fingerprint.cache_clear()
    try:
        assert lint(capsys, ".") == (1, [("net.py", 7, "NN101")])
    finally:
        cache_module.nnlint_fingerprint.cache_clear()
    assert parses == ["net.py", "net.py"]


def test_a_changed_base_class_in_a_sibling_file_is_checked_again(project, capsys, parses):
    (project / "pkg").mkdir()
    (project / "pkg" / "__init__.py").write_text("")
    (project / "pkg" / "base.py").write_text("class Base:\n    pass\n")
    (project / "pkg" / "model.py").write_text(textwrap.dedent("""\
        import torch
        from .base import Base


        class Model(Base):
            def __init__(self):
                self.layers = [torch.nn.Linear(2, 2)]
    """))
    assert lint(capsys, "pkg") == (0, [])  # Base is not a Module: nothing to say
    base = project / "pkg" / "base.py"
    base.write_text("import torch\n\n\nclass Base(torch.nn.Module):\n    pass\n")
    stat = os.stat(base)
    os.utime(base, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))  # a later mtime, for sure
    model = os.path.join("pkg", "model.py")
    assert lint(capsys, "pkg") == (1, [(model, 6, "NN103"), (model, 7, "NN101")])
    assert parses == ["model.py", "base.py", "model.py"]  # base.py: first skipped, no torch in it


def test_no_cache_and_fix_runs_leave_no_cache(project, capsys):
    lint(capsys, "--no-cache", ".")
    main(["--fix", "."])
    capsys.readouterr()
    assert not (project / ".nnlint_cache").exists()
