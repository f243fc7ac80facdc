"""Settings per file, as in ruff and Fixit: each file follows the nearest `[tool.nnlint]` above
it, paths in a configuration are relative to its own folder, and the command line goes on top
of each; `--config` and `--isolated` apply one answer to every file."""

import json
import os
import textwrap

from samples import BUGGY, run

# BUGGY has NN101 (line 8) and NN301 (line 11).


def _monorepo(project):
    """root: ignores NN301; a/: its own config (ignores NN101, and NN301 in its tests/);
    b/: none, so root's applies."""
    project("pyproject.toml", '[tool.nnlint]\nignore = ["NN301"]\n')
    project("a/pyproject.toml", textwrap.dedent("""\
        [tool.nnlint]
        ignore = ["NN101"]
        exclude = ["generated"]
        per-file-ignores = { "tests/*" = ["NN301"] }
    """))
    for path in ("a/net.py", "a/tests/net.py", "a/generated/net.py", "b/net.py", "b/tests/net.py"):
        project(path, BUGGY)


def _found(capsys, *args):
    code, out, err = run(capsys, "--format", "json", "--no-cache", *args)
    assert err == "", err
    return code, sorted((d["path"], d["code"]) for d in json.loads(out))


def test_each_file_follows_the_nearest_config(project, capsys):
    _monorepo(project)
    a, b, b_tests = (os.path.join(*p) for p in (("a", "net.py"), ("b", "net.py"), ("b", "tests", "net.py")))
    assert _found(capsys, "a", "b") == (1, [
        (a, "NN301"),  # a's own config alone (root's ignore is not merged in); a/tests: NN301
        (b, "NN101"), (b_tests, "NN101"),  # ignored too, a/generated excluded: globs relative to a/
    ])  # b/: root's config, NN301 ignored


def test_from_a_subfolder_the_other_files_keep_their_own_config(project, capsys, tmp_path):
    _monorepo(project)
    os.chdir(tmp_path / "a")
    assert _found(capsys, ".", os.path.join("..", "b", "net.py")) == (1, [
        (os.path.join("..", "b", "net.py"), "NN101"), ("net.py", "NN301")])


def test_the_command_line_goes_on_top_of_every_config(project, capsys):
    _monorepo(project)
    assert _found(capsys, "--ignore", "NN1", "a", "b") == (1, [(os.path.join("a", "net.py"), "NN301")])
    assert _found(capsys, "--select", "NN101", "a", "b") == (1, [  # a/ still ignores NN101
        (os.path.join("b", "net.py"), "NN101"), (os.path.join("b", "tests", "net.py"), "NN101")])
    assert _found(capsys, "--ignore", "NN1,NN3", "a", "b") == (0, [])


def test_config_and_isolated_give_every_file_one_answer(project, capsys):
    _monorepo(project)
    project("other.toml", '[tool.nnlint]\nignore = ["NN101"]\n')
    assert {c for _, c in _found(capsys, "--config", "other.toml", "a", "b")[1]} == {"NN301"}
    assert len(_found(capsys, "--isolated", "a", "b")[1]) == 10  # 5 files x 2, nothing excluded


def test_verbose_names_the_config_of_files_that_have_their_own(project, capsys):
    _monorepo(project)
    code, _, err = run(capsys, "-v", "--no-cache", "a/net.py", "b/net.py")
    lines = err.splitlines()
    assert f"nnlint: checking {os.path.join('a', 'net.py')} (config: {os.path.join('a', 'pyproject.toml')})" in lines
    assert f"nnlint: checking {os.path.join('b', 'net.py')}" in lines  # the run's own config


def test_a_broken_nested_config_is_a_usage_error(project, capsys):
    _monorepo(project)
    project("b/pyproject.toml", '[tool.nnlint.verify]\ndevice = "tpu"\n')
    code, out, err = run(capsys, "a", "b")
    assert code == 2 and out == ""
    assert "b/pyproject.toml: [tool.nnlint.verify]: device must be one of auto, cpu, cuda" in err


def test_the_cache_answers_per_config_and_sees_a_nested_config_change(project, capsys, tmp_path):
    _monorepo(project)
    first = run(capsys, "--format", "json", "a", "b")
    assert run(capsys, "--format", "json", "a", "b") == first
    project("a/pyproject.toml", "[tool.nnlint]\n")  # a/ now reports both codes everywhere
    code, out, _ = run(capsys, "--format", "json", "a", "b")
    found = sorted((d["path"], d["code"]) for d in json.loads(out))
    assert [c for p, c in found if p.startswith("a")] == ["NN101", "NN301"] * 3
    assert (tmp_path / ".nnlint_cache").is_dir() and not (tmp_path / "a" / ".nnlint_cache").exists()


def test_a_nested_torch_version_is_part_of_the_cache_key(project, capsys):
    project("pyproject.toml", "[tool.nnlint]\n")
    project("a/pyproject.toml", '[tool.nnlint]\ntorch-version = ">=2.6"\n')
    project("a/load.py", "import torch\nstate = torch.load('w.pt')\n")
    assert run(capsys, "a")[0] == 0  # torch.load is weights-only from 2.6
    project("a/pyproject.toml", '[tool.nnlint]\ntorch-version = ">=2.0"\n')
    code, out, _ = run(capsys, "a")
    assert code == 1 and "NN502" in out
