"""Which files a run reads: only regular files (a FIFO or a device could block the run forever),
and every path it cannot read is said on stderr, with the reason, while the rest is checked."""

import json
import os
import resource
import signal
import subprocess
import sys

import pytest

from nnlint import engine
from nnlint.rules import all_rules
from samples import BUGGY, run

NET_FINDINGS = [("net.py", 8, "NN101"), ("net.py", 11, "NN301")]


def findings(out):
    return [(d["path"], d["line"], d["code"]) for d in json.loads(out)]


def _limit_memory():
    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))


def lint_in_subprocess(cwd, *args):
    """A run that could hang on a FIFO or fill the memory from /dev/zero before: in a
    subprocess, with a timeout and a memory limit."""
    return subprocess.run([sys.executable, "-m", "nnlint", "--format", "json", "--no-cache", *args],
                          cwd=cwd, capture_output=True, text=True, timeout=60, preexec_fn=_limit_memory)


@pytest.mark.parametrize("by_name", [False, True])
def test_a_fifo_is_skipped_with_a_warning(project, tmp_path, by_name):
    project("net.py", BUGGY)
    os.mkfifo(tmp_path / "x.py")  # nobody ever writes to it: reading it would wait forever
    args = ["x.py", "net.py"] if by_name else ["."]
    done = lint_in_subprocess(tmp_path, *args)
    assert done.returncode == 1
    assert findings(done.stdout) == NET_FINDINGS
    assert done.stderr == "nnlint: warning: x.py: not a regular file (a FIFO), skipped\n" if by_name \
        else done.stderr == "nnlint: warning: ./x.py: not a regular file (a FIFO), skipped\n"


def test_a_device_named_on_the_command_line_is_skipped(project, tmp_path):
    project("net.py", BUGGY)
    done = lint_in_subprocess(tmp_path, "/dev/zero", "net.py")
    assert done.returncode == 1 and findings(done.stdout) == NET_FINDINGS
    assert done.stderr == "nnlint: warning: /dev/zero: not a regular file (a character device), skipped\n"


def test_broken_links_and_link_loops_are_warned_about(project, capsys, tmp_path):
    project("net.py", BUGGY)
    os.symlink("gone.py", tmp_path / "broken.py")
    os.symlink("loop.py", tmp_path / "loop.py")
    os.symlink("notes.txt", tmp_path / "other")  # not a .py name: not ours to mention
    code, out, err = run(capsys, "--format", "json", "--no-cache", ".")
    assert code == 1 and findings(out) == NET_FINDINGS
    assert err.splitlines() == [
        "nnlint: warning: ./broken.py: cannot read: No such file or directory, skipped",
        "nnlint: warning: ./loop.py: cannot read: Too many levels of symbolic links, skipped",
    ]


def test_an_unreadable_folder_is_warned_about_and_the_rest_is_checked(project, capsys, tmp_path,
                                                                      monkeypatch):
    project("net.py", BUGGY)
    project("secret/net.py", BUGGY)
    os.chmod(tmp_path / "secret", 0)
    if os.geteuid() == 0:  # root reads it anyway: refuse it as the kernel would refuse a user
        listing = os.scandir

        def scandir(path="."):
            if os.path.basename(os.path.normpath(path)) == "secret":
                raise PermissionError(13, "Permission denied", path)
            return listing(path)

        monkeypatch.setattr(os, "scandir", scandir)
    try:
        code, out, err = run(capsys, "--format", "json", "--no-cache", ".")
    finally:
        os.chmod(tmp_path / "secret", 0o755)
    assert code == 1 and findings(out) == NET_FINDINGS
    assert err == "nnlint: warning: ./secret: cannot read folder: Permission denied, skipped\n"


def test_a_file_that_became_a_fifo_after_discovery_is_an_nn001(tmp_path):
    os.mkfifo(tmp_path / "x.py")
    probe = "from nnlint.engine import check_file; f = check_file('x.py', []).findings[0]; print(f.code, f.message)"
    done = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True,
                          text=True, timeout=60)
    assert done.stdout == "NN001 cannot read file: not a regular file (a FIFO)\n"


def test_verify_skips_a_fifo_too(project, tmp_path):
    pytest.importorskip("torch")
    project("net.py", "import torch.nn as nn\n")
    os.mkfifo(tmp_path / "x.py")
    process = subprocess.Popen([sys.executable, "-m", "nnlint", "verify", "--isolated", "."],
                               cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, start_new_session=True)
    try:
        done = subprocess.CompletedProcess(process.args, 0, *process.communicate(timeout=120))
    except subprocess.TimeoutExpired:  # blocked on the FIFO: end it, its workers too
        os.killpg(process.pid, signal.SIGKILL)
        raise
    done.returncode = process.returncode
    assert "nnlint: warning: ./x.py: not a regular file (a FIFO), skipped\n" in done.stderr
    assert done.returncode == 0 and "no nn.Module class found" in done.stdout


def test_files_over_max_file_size_are_refused_unread(project, capsys):
    project("pyproject.toml", "[tool.nnlint]\nmax-file-size = 0.001  # MB\n")
    project("big.py", BUGGY + "#" * 2000 + "\n")
    project("net.py", BUGGY)
    code, out, _ = run(capsys, "--format", "json", "--no-cache", ".")
    assert code == 1
    assert [(d["path"], d["code"], d["message"]) for d in json.loads(out)][0] == (
        "big.py", "NN001", "file too large to analyse (0.0022 MB > 0.001 MB limit, see max-file-size)")
    assert findings(out)[1:] == NET_FINDINGS
    project("pyproject.toml", "[tool.nnlint]\nmax-file-size = 0  # no limit\n")
    assert findings(run(capsys, "--format", "json", "--no-cache", "big.py")[1]) == [
        ("big.py", 8, "NN101"), ("big.py", 11, "NN301")]


def test_max_file_size_applies_to_stdin_and_is_validated(project, capsys, monkeypatch):
    import io

    project("pyproject.toml", "[tool.nnlint]\nmax-file-size = 0.0001\n")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(BUGGY.encode())))
    code, out, _ = run(capsys, "--format", "json", "-")
    assert code == 1 and [d["message"] for d in json.loads(out)] == [
        "file too large to analyse (0.000101 MB > 0.0001 MB limit, see max-file-size)"]  # read: 101 bytes
    project("pyproject.toml", "[tool.nnlint]\nmax-file-size = -1\n")
    code, out, err = run(capsys, "net.py")
    assert code == 2 and err.endswith("max-file-size must be a number of megabytes (0: no limit)\n")


def test_the_default_limit_is_5_mb(tmp_path):
    path = tmp_path / "big.py"
    with open(path, "wb") as handle:
        handle.truncate(5_000_001)  # sparse: no time spent writing it
    result = engine.check_file(str(path), [])
    assert [f.message for f in result.findings] == [
        "file too large to analyse (5.000001 MB > 5 MB limit, see max-file-size)"]


def test_fix_on_a_stdin_over_the_limit_passes_it_through_whole(tmp_path):
    """`--fix -` over max-file-size (issue 10): not analysed, so stdout is the input exactly,
    every byte past the limit too; the NN001 goes to stderr and the exit code says so."""
    (tmp_path / "pyproject.toml").write_text("[tool.nnlint]\nmax-file-size = 0.001\n")
    data = (BUGGY + "# padding\n" * 400).encode()
    done = subprocess.run([sys.executable, "-m", "nnlint", "--fix", "-"], input=data, cwd=tmp_path,
                          capture_output=True, timeout=60)
    assert (done.returncode, done.stdout) == (1, data)
    assert done.stderr.decode().splitlines() == [
        "-:1:1: NN001 file too large to analyse (0.001001 MB > 0.001 MB limit, see max-file-size)",
        "Found 1 problem."]


def test_running_out_of_memory_is_said_as_such_and_not_cached(monkeypatch):
    import libcst

    def exhausted(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(libcst, "parse_module", exhausted)
    result = engine.check_bytes(BUGGY.encode(), "net.py", [], collect_classes=True)
    assert [(f.code, f.message) for f in result.findings] == [
        ("NN009", "ran out of memory analysing this file (0.00025 MB)")]
    assert not result.cacheable


def test_an_endless_stdin_is_read_no_further_than_the_limit(tmp_path):
    with open("/dev/zero", "rb") as endless:
        done = subprocess.run([sys.executable, "-m", "nnlint", "--isolated", "-"], stdin=endless,
                              cwd=tmp_path, capture_output=True, text=True, timeout=60,
                              preexec_fn=_limit_memory)
    assert (done.returncode, done.stdout.splitlines()[0]) == (
        1, "-:1:1: NN001 file too large to analyse (5.000001 MB > 5 MB limit, see max-file-size)")


def test_a_fifo_in_place_of_the_cache_file_is_ignored(project, tmp_path):
    project("net.py", BUGGY)
    (tmp_path / ".nnlint_cache").mkdir()
    os.mkfifo(tmp_path / ".nnlint_cache" / "findings-v1.json")
    done = subprocess.run([sys.executable, "-m", "nnlint", "--format", "json", "net.py"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and findings(done.stdout) == NET_FINDINGS


@pytest.mark.parametrize("chain", [
    "x = a" + " and a" * 20_000,  # one BoolOp for CPython, 20,000 nested ones for LibCST
    "import a" + ".b" * 10_000,  # one name for CPython, nested Attributes for LibCST
    "from a" + ".b" * 10_000 + " import c",
])
def test_chains_flat_for_cpython_but_deep_for_libcst_are_refused_not_a_crash(tmp_path, chain):
    (tmp_path / "chain.py").write_text("import torch\n" + chain + "\n")
    probe = ("from nnlint.engine import check_file; from nnlint.rules import all_rules;"
             "f = check_file('chain.py', list(all_rules().values())).findings; print(f[0].code, f[0].message)")
    done = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)
    assert (done.returncode, done.stdout) == (0, "NN002 too deeply nested to analyse\n")


@pytest.mark.parametrize("literals, separator", [
    (['"a"'] * 5_000, " "),
    (['"a"', "f'{x}'", "'c'"] * 1_001, "  # a comment\n    "),  # over lines, with comments
])
def test_a_concatenation_longer_than_libcst_takes_is_named_not_a_generic_parse_error(literals, separator):
    """CPython parses any number of adjacent string literals; LibCST's grammar refuses more than
    3,000 (issue 10): the finding says so, at the concatenation's first literal."""
    text = "import torch\nx = 1\ntext = (\n    " + separator.join(literals) + "\n)\n"
    found = engine.check_source(text, "long.py", list(all_rules().values())).findings
    assert [(f.code, f.line, f.column, f.message) for f in found] == [
        ("NN002", 4, 5, f"an implicit concatenation of {len(literals):,} string literals is more than "
                        "LibCST's parser takes (3,000)")]
    if separator == " ":  # (once) at the limit, LibCST parses it: no finding
        fine = "import torch\ntext = (" + " ".join(['"a"'] * 3_000) + ")\n"
        assert engine.check_source(fine, "fine.py", list(all_rules().values())).findings == []
