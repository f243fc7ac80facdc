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


def test_a_module_created_where_an_import_looked_for_one_is_checked_again(project, capsys, parses):
    """A cached answer depends on the files an import looked for in vain too (issue 18): the
    base's module did not exist, then it does."""
    (project / "pkg").mkdir()
    (project / "pkg" / "__init__.py").write_text("")
    (project / "pkg" / "model.py").write_text(textwrap.dedent("""\
        import torch
        from .layers import Base


        class Model(Base):
            def __init__(self):
                self.layers = [torch.nn.Linear(2, 2)]
    """))
    assert lint(capsys, "pkg") == (0, [])  # Base unknown: nothing to say
    (project / "pkg" / "layers").mkdir()
    (project / "pkg" / "layers" / "__init__.py").write_text("import torch\n\n\nclass Base(torch.nn.Module):\n    pass\n")
    model = os.path.join("pkg", "model.py")
    assert lint(capsys, "pkg") == (1, [(model, 6, "NN103"), (model, 7, "NN101")])
    assert lint(capsys, "--no-cache", "pkg") == (1, [(model, 6, "NN103"), (model, 7, "NN101")])


def test_no_cache_and_fix_runs_leave_no_cache(project, capsys):
    lint(capsys, "--no-cache", ".")
    main(["--fix", "."])
    capsys.readouterr()
    assert not (project / ".nnlint_cache").exists()


CACHE_FILE = os.path.join(".nnlint_cache", "findings-v1.json")


def damage(project, change):
    """Rewrite the cache file through `change(data)`, which edits the loaded JSON in place."""
    path = project / CACHE_FILE
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


def the_entry(data):
    (entry,) = data["entries"].values()
    return entry


def set_in_finding(key, value):
    def change(data):
        the_entry(data)["findings"][0][key] = value
    return change


@pytest.mark.parametrize("change", [
    pytest.param(lambda data: data.update(entries=[]), id="entries-a-list"),
    pytest.param(lambda data: data.update(entries="x"), id="entries-a-string"),
    pytest.param(lambda data: data["entries"].update({k: "x" for k in data["entries"]}), id="entry-a-string"),
    pytest.param(lambda data: data["entries"].update({k: [1, 2] for k in data["entries"]}), id="entry-a-list"),
    pytest.param(lambda data: the_entry(data).pop("key"), id="no-key"),
    pytest.param(lambda data: the_entry(data).update(deps=[]), id="deps-a-list"),
    pytest.param(lambda data: the_entry(data).update(deps={"/nowhere.py": "stamp"}), id="deps-odd"),
    pytest.param(lambda data: the_entry(data).update(findings={}), id="findings-a-dict"),
    pytest.param(lambda data: the_entry(data).update(findings=["x"]), id="finding-a-string"),
    pytest.param(lambda data: the_entry(data)["findings"][0].pop("line"), id="no-line"),
    pytest.param(set_in_finding("line", "7"), id="line-a-string"),
    pytest.param(set_in_finding("line", None), id="line-null"),
    pytest.param(set_in_finding("line", 0), id="line-0"),
    pytest.param(set_in_finding("line", True), id="line-true"),
    pytest.param(set_in_finding("line", 70), id="line-moved"),  # well-formed, not what --no-cache says
    pytest.param(set_in_finding("code", "NN999"), id="code-unknown"),
    pytest.param(set_in_finding("severity", "fatal"), id="severity-unknown"),
    pytest.param(set_in_finding("message", ["x"]), id="message-a-list"),
    pytest.param(set_in_finding("fixable", "yes"), id="fixable-a-string"),
    pytest.param(set_in_finding("extra", [[[[]]]]), id="finding-extra-key"),
    pytest.param(set_in_finding("fix", "x"), id="fix-a-string"),
    pytest.param(set_in_finding("fix", {"edits": 3}), id="fix-odd"),
    pytest.param(lambda data: the_entry(data).update(findings=[]), id="finding-dropped"),
    pytest.param(lambda data: the_entry(data).update(check="0" * 32), id="checksum-wrong"),
])
def test_a_damaged_cache_is_a_miss_never_a_crash_nor_a_different_answer(project, capsys, parses, change):
    expected = (1, [("net.py", 7, "NN101")])
    assert lint(capsys, ".") == expected
    damage(project, change)
    assert lint(capsys, ".") == expected
    assert parses == ["net.py", "net.py"]  # checked again, not answered from the damaged entry
    assert lint(capsys, ".") == expected and parses == ["net.py", "net.py"]  # and repaired


@pytest.mark.parametrize("content", [b"[]", b"null", b'"x"', b"{}", b"\xff\xfe", b"[" * 100_000],
                         ids=["list", "null", "string", "empty", "not-utf8", "deep"])
def test_a_cache_file_that_is_not_ours_is_ignored(project, capsys, content):
    lint(capsys, ".")
    (project / CACHE_FILE).write_bytes(content)
    assert lint(capsys, ".") == (1, [("net.py", 7, "NN101")])


def test_concurrent_runs_keep_each_others_entries(project, capsys, parses):
    from nnlint.cache import FindingsCache

    (project / "other.py").write_text(BUGGY)
    lint(capsys, "net.py")
    late = FindingsCache(project / ".nnlint_cache")  # a second run that started meanwhile...
    lint(capsys, "other.py")  # ...while the first one saved other.py's entry
    late.store(str(project / "net.py"), "k", [], [])
    late.save()
    assert lint(capsys, "other.py") == (1, [("other.py", 7, "NN101")])
    assert parses == ["net.py", "other.py"]  # other.py's entry survived the second run's save
    assert sorted(os.listdir(project / ".nnlint_cache")) == [".gitignore", "findings-v1.json"]


def test_an_interrupted_save_leaves_no_partial_file(project, capsys, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(json, "dump", interrupted)  # Ctrl-C while the cache is being written
    assert main(["-j", "1", "."]) == 130
    assert os.listdir(project / ".nnlint_cache") == [".gitignore"]


def test_entries_of_deleted_files_are_dropped_when_the_cache_is_written(project, capsys):
    (project / "old.py").write_text(BUGGY)
    lint(capsys, ".")
    entries = lambda: sorted(os.path.basename(p) for p in  # noqa: E731
                             json.loads((project / CACHE_FILE).read_text())["entries"])
    assert entries() == ["net.py", "old.py"]
    (project / "old.py").unlink()
    (project / "new.py").write_text(BUGGY)
    assert lint(capsys, ".") == (1, [("net.py", 7, "NN101"), ("new.py", 7, "NN101")])
    assert entries() == ["net.py", "new.py"]
