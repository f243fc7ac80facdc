"""The pre-commit hooks, through the real `pre-commit`, as a user's repository meets them.

pre-commit installs a hook repository from a commit, not from a working tree. So this checkout
(its tracked and not-ignored files, committed or not) is committed into a scratch repository,
and a user's repository points its `.pre-commit-config.yaml` at that commit. pre-commit then
builds the hook's environment with pip, as it would from GitHub: once per test session here
(about ten seconds), shared by every test below.
"""

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml
from samples import notebook

ROOT = Path(__file__).resolve().parent.parent
GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.com", "GIT_CONFIG_GLOBAL": os.devnull,
           "GIT_CONFIG_NOSYSTEM": "1"}
# pip failing for these reasons is the machine's network, not this project: skip, do not fail.
OFFLINE_SIGNS = ("No matching distribution found", "Could not find a version",
                 "Failed to establish a new connection", "Network is unreachable",
                 "Temporary failure in name resolution", "ProxyError", "SSLError", "ConnectTimeout")

BUGGY = textwrap.dedent("""\
    import torch.nn as nn


    class MLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = [nn.Linear(8, 8) for _ in range(3)]
""")
CLEAN = BUGGY.replace("[nn.Linear(8, 8) for _ in range(3)]", "nn.ModuleList([nn.Linear(8, 8) for _ in range(3)])")
NO_TORCH = "def add(a, b):\n    return a + b\n"


def git(*args, cwd):
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True,
                          env={**os.environ, **GIT_ENV}).stdout.strip()


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory):
    """A repository whose HEAD is this checkout's current working tree -> (path, rev)."""
    snapshot = tmp_path_factory.mktemp("nnlint-hook-repo")
    listed = git("ls-files", "-z", "--cached", "--others", "--exclude-standard", cwd=ROOT)
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():  # tracked but deleted in the working tree: gone from the snapshot too
            (snapshot / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, snapshot / name)
    git("init", "-q", cwd=snapshot)
    git("add", "-A", cwd=snapshot)
    git("commit", "-q", "-m", "snapshot", cwd=snapshot)
    return snapshot, git("rev-parse", "HEAD", cwd=snapshot)


@pytest.fixture(scope="module")
def pre_commit_home(hook_repo, tmp_path_factory):
    """pre-commit's cache with the hook environments built once (skip if pip cannot reach an index)."""
    home = tmp_path_factory.mktemp("pre-commit-home")
    scratch = tmp_path_factory.mktemp("install")
    git("init", "-q", cwd=scratch)
    _write_config(scratch, hook_repo)
    run = _pre_commit(scratch, home, "install-hooks")
    if run.returncode != 0:
        if any(sign in run.stdout for sign in OFFLINE_SIGNS):
            pytest.skip("pre-commit cannot build the hook environment on this machine (pip cannot "
                        "download libcst): " + run.stdout.strip().splitlines()[-1])
        pytest.fail(f"pre-commit install-hooks failed:\n{run.stdout}")
    return home


def _write_config(repo: Path, hook_repo, hooks=("nnlint", "nnlint-fix")):
    path, rev = hook_repo
    config = {"repos": [{"repo": str(path), "rev": rev, "hooks": [{"id": h} for h in hooks]}]}
    (repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")


def _env(home: Path) -> dict:
    env = {**os.environ, **GIT_ENV, "PRE_COMMIT_HOME": str(home), "PRE_COMMIT_COLOR": "never"}
    env.pop("PRE_COMMIT_ALLOW_NO_CONFIG", None)
    return env


def _pre_commit(repo: Path, home: Path, *args):
    """Run pre-commit; stdout and stderr together in .stdout."""
    return subprocess.run([sys.executable, "-m", "pre_commit", *args], cwd=repo, env=_env(home),
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          stdin=subprocess.DEVNULL, timeout=300)


@pytest.fixture
def user_repo(tmp_path, hook_repo, pre_commit_home):
    """A user's repository with the hooks configured and `pre-commit install`ed."""
    git("init", "-q", cwd=tmp_path)
    _write_config(tmp_path, hook_repo, hooks=("nnlint",))
    git("add", ".pre-commit-config.yaml", cwd=tmp_path)
    install = _pre_commit(tmp_path, pre_commit_home, "install")
    assert install.returncode == 0, install.stdout

    def commit(files: dict):
        for name, text in files.items():
            (tmp_path / name).write_text(text, encoding="utf-8")
            git("add", name, cwd=tmp_path)
        return subprocess.run(["git", "commit", "-m", "change"], cwd=tmp_path, env=_env(pre_commit_home),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=300)

    return commit


def test_commit_with_a_bug_is_refused_and_a_clean_one_goes_through(user_repo):
    refused = user_repo({"model.py": BUGGY})
    assert refused.returncode == 1, refused.stdout
    assert "nnlint" in refused.stdout and "Failed" in refused.stdout
    assert "model.py:7:9: NN101 `self.layers` holds nn.Linear built in a list comprehension" in refused.stdout

    accepted = user_repo({"model.py": CLEAN})
    assert accepted.returncode == 0, accepted.stdout
    assert "nnlint" in accepted.stdout and "Passed" in accepted.stdout
    assert "NN1" not in accepted.stdout and "All checks passed" not in accepted.stdout  # quiet


def test_a_notebook_with_a_bug_is_refused_at_its_cell(user_repo):
    refused = user_repo({"train.ipynb": notebook(["import torch\n", BUGGY])})
    assert refused.returncode == 1, refused.stdout
    assert "train.ipynb:cell 2:7:9: NN101 `self.layers` holds nn.Linear" in refused.stdout


def test_commits_without_python_or_without_torch_pass_quietly(user_repo):
    docs = user_repo({"README.md": "# notes\n"})
    assert docs.returncode == 0, docs.stdout
    assert "(no files to check)Skipped" in docs.stdout
    plain = user_repo({"util.py": NO_TORCH})
    assert plain.returncode == 0, plain.stdout
    hook_lines = [line for line in plain.stdout.splitlines() if line.startswith("nnlint")]
    assert len(hook_lines) == 1 and hook_lines[0].endswith("Passed")
    assert "- hook id" not in plain.stdout  # pre-commit prints the hook's output only on failure


def test_fix_hook_rewrites_the_file_and_fails_so_it_can_be_reviewed(tmp_path, hook_repo, pre_commit_home):
    git("init", "-q", cwd=tmp_path)
    _write_config(tmp_path, hook_repo)
    (tmp_path / "model.py").write_text(BUGGY, encoding="utf-8")
    git("add", ".", cwd=tmp_path)
    safe_only = _pre_commit(tmp_path, pre_commit_home, "run", "nnlint-fix", "--files", "model.py")
    assert safe_only.returncode == 1 and "1 with --unsafe-fixes" in safe_only.stdout, safe_only.stdout
    assert (tmp_path / "model.py").read_text(encoding="utf-8") == BUGGY  # NN101's fix is unsafe
    (tmp_path / "pyproject.toml").write_text("[tool.nnlint]\nunsafe-fixes = true\n", encoding="utf-8")
    first = _pre_commit(tmp_path, pre_commit_home, "run", "nnlint-fix", "--files", "model.py")
    assert first.returncode == 1, first.stdout
    assert "files were modified by this hook" in first.stdout
    assert (tmp_path / "model.py").read_text(encoding="utf-8") == CLEAN
    second = _pre_commit(tmp_path, pre_commit_home, "run", "nnlint-fix", "--files", "model.py")
    assert second.returncode == 0, second.stdout


def test_hook_environment_has_no_torch(pre_commit_home):
    packages = {entry.name.split("-")[0].lower() for site in Path(pre_commit_home).rglob("site-packages")
                for entry in site.iterdir()}
    assert {"nnlint", "libcst"} <= packages
    assert "torch" not in packages


def test_manifest_is_valid_and_its_entries_parse():
    from pre_commit.clientlib import load_manifest

    from nnlint.cli import build_parser

    manifest = ROOT / ".pre-commit-hooks.yaml"
    load_manifest(str(manifest))  # pre-commit's own validation (raises on a bad manifest)
    # As written: pre-commit >= 4.4 reads `system` as `unsupported`, a name 3.x does not know.
    hooks = {hook["id"]: hook for hook in yaml.safe_load(manifest.read_text(encoding="utf-8"))}
    assert set(hooks) == {"nnlint", "nnlint-fix", "nnlint-verify"}
    for hook_id in ("nnlint", "nnlint-fix"):
        hook = hooks[hook_id]
        assert (hook["language"], hook["types_or"], hook["require_serial"]) == ("python", ["python", "jupyter"], False)
    assert "--fix" in hooks["nnlint-fix"]["entry"].split()
    verify = hooks["nnlint-verify"]
    assert (verify["language"], verify["pass_filenames"], verify["entry"]) == ("system", False, "nnlint verify")
    for hook in hooks.values():
        program, *args = hook["entry"].split()
        assert program == "nnlint"
        build_parser().parse_args(args + ["file.py"])  # raises on an unknown flag
