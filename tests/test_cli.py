"""The command line as a user meets it: exit codes, output, selection, config, suppressions,
--fix/--diff, and files that cannot be read."""

import json
import os
import subprocess
import sys
import textwrap

import pytest

from samples import BUGGY, run

CLEAN = textwrap.dedent("""\
    import torch.nn as nn


    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.ModuleList([nn.Linear(4, 4) for _ in range(2)])

        def forward(self, x):
            return x
""")


def test_findings_exit_1_with_sorted_lines_and_summary(project, capsys):
    project("b.py", BUGGY)
    project("a.py", BUGGY)
    code, out, _ = run(capsys, ".")
    assert code == 1
    assert out.splitlines() == [
        "a.py:8:9: NN101 `self.layers` holds nn.Linear built in a list comprehension, in a plain list "
        "-> 40 parameters invisible to the optimizer",
        "a.py:11:16: NN301 `dropout` without `training=`: it keeps dropping in eval() mode",
        "b.py:8:9: NN101 `self.layers` holds nn.Linear built in a list comprehension, in a plain list "
        "-> 40 parameters invisible to the optimizer",
        "b.py:11:16: NN301 `dropout` without `training=`: it keeps dropping in eval() mode",
        "Found 4 problems (4 with --unsafe-fixes).",
    ]


def test_clean_exit_0(project, capsys):
    project("net.py", CLEAN)
    assert run(capsys, "net.py") == (0, "All checks passed!\n", "")


def test_missing_path_is_an_error_line_and_others_are_still_checked(project, capsys):
    project("net.py", BUGGY)
    code, out, err = run(capsys, "nope/", "net.py")
    assert code == 2
    assert err == "nnlint: error: nope/: no such file or directory\n"
    assert "net.py:8:9: NN101" in out


def test_a_missing_path_is_never_all_checks_passed(project, capsys):
    project("net.py", CLEAN)
    assert run(capsys, "nope/") == (2, "No problems found in 0 files checked; 1 path not found.\n",
                                    "nnlint: error: nope/: no such file or directory\n")
    assert run(capsys, "nope/", "gone.py", "net.py")[:2] == (
        2, "No problems found in 1 file checked; 2 paths not found.\n")


def test_unknown_flag_and_unknown_code_exit_2(project, capsys):
    project("net.py", CLEAN)
    assert run(capsys, "--frobnicate", "net.py")[0] == 2
    code, _, err = run(capsys, "--select", "NN999", "net.py")
    assert code == 2 and "unknown rule code or prefix 'NN999'" in err


def test_json_format(project, capsys):
    project("net.py", BUGGY)
    code, out, _ = run(capsys, "--format", "json", "net.py")
    data = json.loads(out)
    assert code == 1
    assert [(d["code"], d["line"], d["column"]) for d in data] == [("NN101", 8, 9), ("NN301", 11, 16)]
    first = data[0]
    assert {"path", "line", "column", "end_line", "end_column", "code", "name", "severity",
            "message", "fixable", "suggestion", "fix", "cell"} == set(first)
    assert (first["path"], first["name"], first["severity"], first["fixable"]) == (
        "net.py", "submodule-in-plain-container", "error", False)  # its fix is unsafe
    assert (first["end_line"], first["end_column"]) == (8, 58)  # exclusive, like ruff
    assert first["fix"] == {"applicability": "unsafe", "message": "wrap in nn.ModuleList", "edits": [
        {"line": 8, "column": 23, "end_line": 8, "end_column": 58,
         "content": "nn.ModuleList([nn.Linear(4, 4) for _ in range(2)])"}]}
    assert data[1]["fix"]["edits"] == [
        {"line": 11, "column": 32, "end_line": 11, "end_column": 32, "content": ", training=self.training"}]
    _, out, _ = run(capsys, "--format", "json", "--unsafe-fixes", "net.py")
    assert [d["fixable"] for d in json.loads(out)] == [True, True]


def test_github_format(project, capsys):
    project("net.py", BUGGY)
    _, out, _ = run(capsys, "--format", "github", "net.py")
    assert out.splitlines()[1] == (
        "::error file=net.py,line=11,col=16,endLine=11,endColumn=33,title=NN301::"
        "NN301 `dropout` without `training=`: it keeps dropping in eval() mode")


def test_sarif_is_valid_2_1_0(project, capsys):
    project("net.py", BUGGY)
    _, out, _ = run(capsys, "--format", "sarif", "net.py")
    sarif = json.loads(out)
    assert sarif["version"] == "2.1.0" and "sarif-2.1.0" in sarif["$schema"]
    (only_run,) = sarif["runs"]
    driver = only_run["tool"]["driver"]
    assert driver["name"] == "nnlint"
    rule_ids = [r["id"] for r in driver["rules"]]
    assert rule_ids == ["NN101", "NN301"]
    for result in only_run["results"]:
        assert rule_ids[result["ruleIndex"]] == result["ruleId"]
        assert result["level"] in ("error", "warning", "note")
        assert result["message"]["text"]
        (location,) = result["locations"]
        region = location["physicalLocation"]["region"]
        assert location["physicalLocation"]["artifactLocation"]["uri"] == "net.py"
        assert region["startLine"] >= 1 and region["startColumn"] >= 1
        assert (region["endLine"], region["endColumn"]) >= (region["startLine"], region["startColumn"])
    assert [r["region"]["startLine"] for res in only_run["results"]
            for r in [res["locations"][0]["physicalLocation"]]] == [8, 11]
    assert only_run["columnKind"] == "unicodeCodePoints"
    assert only_run["results"][1]["fixes"] == [{
        "description": {"text": "pass training=self.training (unsafe fix: review it)"},
        "artifactChanges": [{"artifactLocation": {"uri": "net.py"}, "replacements": [{
            "deletedRegion": {"startLine": 11, "startColumn": 32, "endLine": 11, "endColumn": 32},
            "insertedContent": {"text": ", training=self.training"}}]}],
    }]


@pytest.mark.parametrize("args, codes", [
    (["--select", "NN3"], ["NN301"]),
    (["--select", "NN101,NN301"], ["NN101", "NN301"]),
    (["--ignore", "NN1"], ["NN301"]),
    (["--select", "ALL", "--ignore", "NN301"], ["NN101"]),
    (["--select", "NN", "--ignore", "NN1", "--extend-select", "NN101"], ["NN101", "NN301"]),
])
def test_select_and_ignore(project, capsys, args, codes):
    project("net.py", BUGGY)
    _, out, _ = run(capsys, "--format", "json", *args, "net.py")
    assert [d["code"] for d in json.loads(out)] == codes


def test_config_in_nearest_pyproject(project, capsys):
    project("pyproject.toml", textwrap.dedent("""\
        [tool.nnlint]
        ignore = ["NN301"]
        exclude = ["legacy"]
        per-file-ignores = { "tests/*" = ["NN101"] }
    """))
    project("src/net.py", BUGGY)
    project("legacy/old.py", BUGGY)
    project("tests/test_net.py", BUGGY)
    os.chdir("src")
    code, out, _ = run(capsys, "--format", "json", "..")
    assert code == 1
    assert sorted((d["path"], d["code"]) for d in json.loads(out)) == [
        (os.path.join("..", "src", "net.py"), "NN101")]


@pytest.mark.parametrize("config, message", [
    ("[tool.nnlint\nselect = 1", "invalid TOML"),
    ('[tool.nnlint]\nselekt = ["NN1"]', "unknown key 'selekt'"),
    ('[tool.nnlint]\nselect = "NN1"', "select must be a list of strings"),
    ('[tool.nnlint]\nignore = ["XX1"]', "unknown rule code or prefix 'XX1'"),
    # the verify table is read by `check` too, without torch
    ('[tool.nnlint.verify]\ndevice = "tpu"', "[tool.nnlint.verify]: device must be one of auto, cpu, cuda"),
    ('[tool.nnlint.verify]\nfactories = ["nope.py"]', "factories: nope.py: no such file"),
    ('[tool.nnlint.verify.models."zoo:Tower"]\nargs = 3', '[tool.nnlint.verify.models."zoo:Tower"]: args must be a list'),
    ('[tool.nnlint]\nverify = 3', "[tool.nnlint.verify] must be a table"),
])
def test_broken_config_is_a_clear_error(project, capsys, config, message):
    project("pyproject.toml", config)
    project("net.py", CLEAN)
    code, out, err = run(capsys, "net.py")
    assert code == 2 and out == ""
    assert err.startswith("nnlint: error: ") and message in err and "Traceback" not in err


@pytest.mark.parametrize("config, message", [
    (b'[tool.nnlint]\nignore = ["NN101"]  # caf\xe9\n', "invalid TOML: not UTF-8 (line 2, byte 0xe9)"),
    (b"[tool.nnlint]\nx = " + b"[" * 100_000 + b"]" * 100_000 + b"\n", "invalid TOML: nested too deeply"),
])
@pytest.mark.parametrize("given", [False, True])
def test_an_undecodable_config_is_one_line_exit_2(project, capsys, tmp_path, config, message, given):
    (tmp_path / "pyproject.toml").write_bytes(config)
    project("net.py", CLEAN)
    code, out, err = run(capsys, *(["--config", "pyproject.toml"] if given else []), "net.py")
    assert (code, out) == (2, "")
    assert err == f"nnlint: error: {tmp_path / 'pyproject.toml'}: {message}\n"


def test_negative_jobs_is_a_usage_error(project, capsys):
    project("net.py", CLEAN)
    assert run(capsys, "-j", "-3", "net.py") == (
        2, "", "nnlint: error: -j/--jobs must be 0 (one process per core) or more, not -3\n")


def test_suppressions(project, capsys):
    project("net.py", textwrap.dedent("""\
        import torch.nn as nn
        import torch.nn.functional as F
        # nnlint: disable-file=NN401


        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.a = [nn.Linear(2, 2)]  # noqa: NN101
                self.b = [nn.Linear(2, 2)]  # nnlint: disable=NN101
                self.c = [nn.Linear(2, 2)]  # noqa
                self.d = [nn.Linear(2, 2)]  # noqa: E501
                self.e = "# noqa"; self.f = [nn.Linear(2, 2)]
                self.register_backward_hook(print)

            def forward(self, x):
                return F.dropout(x, 0.1)  # nnlint: disable=NN301, NN101
    """))
    _, out, _ = run(capsys, "--format", "json", "net.py")
    assert [(d["line"], d["code"]) for d in json.loads(out)] == [(12, "NN101"), (13, "NN101")]


def test_fix_writes_only_files_with_fixes_and_is_idempotent(project, capsys):
    buggy = project("buggy.py", BUGGY)
    clean = project("clean.py", CLEAN)
    os.utime(clean, (1_000_000, 1_000_000))
    code, out, _ = run(capsys, "--fix", "--unsafe-fixes", ".")
    assert code == 0 and out == "Fixed 2 problems, 0 remaining.\n"
    fixed = buggy.read_text()
    assert "self.layers = nn.ModuleList([nn.Linear(4, 4) for _ in range(2)])" in fixed
    assert "F.dropout(x, 0.5, training=self.training)" in fixed
    assert os.stat(clean).st_mtime == 1_000_000
    assert sorted(p.name for p in buggy.parent.iterdir()) == ["buggy.py", "clean.py"]  # no temp files
    assert run(capsys, "--fix", "--unsafe-fixes", ".") == (0, "All checks passed!\n", "")
    assert buggy.read_text() == fixed


def test_unsafe_fixes_from_the_config_and_the_command_line(project, capsys):
    path = project("net.py", BUGGY)
    project("pyproject.toml", "[tool.nnlint]\nunsafe-fixes = true\n")
    assert run(capsys, "--fix", "--no-unsafe-fixes", "net.py")[0] == 1
    assert path.read_text() == BUGGY
    assert run(capsys, "--fix", "net.py") == (0, "Fixed 2 problems, 0 remaining.\n", "")
    project("pyproject.toml", "[tool.nnlint]\nunsafe-fixes = 'yes'\n")
    code, _, err = run(capsys, "net.py")
    assert code == 2 and "unsafe-fixes must be true or false" in err


def test_fix_reports_what_remains(project, capsys):
    project("net.py", BUGGY.replace("[nn.Linear(4, 4) for _ in range(2)]", "[nn.Linear(4, 4), None]"))
    code, out, _ = run(capsys, "--fix", "--unsafe-fixes", "net.py")
    assert code == 1
    assert out.splitlines()[-1] == "Found 2 problems (1 fixed, 1 remaining)."


def test_diff_prints_and_writes_nothing(project, capsys):
    path = project("net.py", BUGGY)
    assert run(capsys, "--diff", "net.py") == (0, "No safe fixes. 2 unsafe fixes not shown (--unsafe-fixes).\n", "")
    code, out, _ = run(capsys, "--diff", "--unsafe-fixes", "net.py")
    assert code == 1
    assert path.read_text() == BUGGY
    assert "--- a/net.py\n+++ b/net.py\n" in out
    assert "-        self.layers = [nn.Linear(4, 4) for _ in range(2)]\n" in out
    assert "+        self.layers = nn.ModuleList([nn.Linear(4, 4) for _ in range(2)])\n" in out
    assert out.rstrip().endswith("Would fix 1 file.")
    path.write_text(BUGGY.replace("        super().__init__()\n", ""))  # NN103's fix is safe
    code, out, _ = run(capsys, "--diff", "net.py")
    assert code == 1 and "+        super().__init__()\n" in out
    assert out.endswith("\nWould fix 1 file. 2 unsafe fixes not shown (--unsafe-fixes).\n")


def test_files_that_cannot_be_checked_are_nn000_nn001_and_the_rest_is_checked(project, capsys, tmp_path):
    project("a_syntax.py", "def forward(self, x)\n    return x\n")
    (tmp_path / "b_latin1.py").write_bytes(b"x = '\xe9t\xe9'\n")
    (tmp_path / "c_binary.py").write_bytes(b"\x00\x01\x02ELF")
    (tmp_path / "d_cookie.py").write_bytes(b"# -*- coding: latin-1 -*-\nx = '\xe9'\n")
    project("e_net.py", BUGGY)
    code, out, _ = run(capsys, "--format", "json", ".")
    data = json.loads(out)
    assert code == 1
    assert [(d["path"], d["line"], d["code"], d["name"]) for d in data] == [
        ("a_syntax.py", 1, "NN000", "syntax-error"), ("b_latin1.py", 1, "NN001", "unreadable-file"),
        ("c_binary.py", 1, "NN001", "unreadable-file"),
        ("e_net.py", 8, "NN101", "submodule-in-plain-container"),
        ("e_net.py", 11, "NN301", "functional-dropout-ignores-mode")]
    messages = [d["message"] for d in data[:3]]
    assert messages[0].startswith("syntax error")
    assert messages[1] == "cannot decode as utf-8 at byte 5: invalid continuation byte"
    assert messages[2] == "binary file (contains NUL bytes), not Python source"


def test_stdin(project, capsys, monkeypatch):
    import io

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(BUGGY.encode())))
    code, out, _ = run(capsys, "-", "--stdin-filename", "models/net.py")
    assert code == 1 and out.startswith("models/net.py:8:9: NN101 ")


def _nnlint(*args, stdin: bytes = b"", cwd=None):
    return subprocess.run([sys.executable, "-m", "nnlint", *args], input=stdin, cwd=cwd,
                          capture_output=True, timeout=120)


MISSING_SUPER = BUGGY.replace("        super().__init__()\n", "")


def test_fix_on_stdin_prints_the_source_alone_and_reports_on_stderr(tmp_path):
    """Like `ruff check --fix -` (issue 10, item 4): stdout is the source, always."""
    fixed = _nnlint("check", "--isolated", "--fix", "-", stdin=MISSING_SUPER.encode(), cwd=tmp_path)
    assert fixed.stdout.decode() == MISSING_SUPER.replace(
        "    def __init__(self):\n", "    def __init__(self):\n        super().__init__()\n")
    assert fixed.returncode == 1  # NN101 and NN301 remain (unsafe fixes), said on stderr
    assert fixed.stderr.decode().splitlines() == [
        "-:8:9: NN101 `self.layers` holds nn.Linear built in a list comprehension, in a plain list "
        "-> 40 parameters invisible to the optimizer",
        "-:11:16: NN301 `dropout` without `training=`: it keeps dropping in eval() mode",
        "Found 3 problems (1 fixed, 2 remaining). (2 with --unsafe-fixes)"]
    untouched = _nnlint("check", "--isolated", "--fix", "-", stdin=BUGGY.encode(), cwd=tmp_path)
    assert (untouched.stdout.decode(), untouched.returncode) == (BUGGY, 1)
    clean = _nnlint("check", "--isolated", "--fix", "-", stdin=b"x = 1\n", cwd=tmp_path)
    assert (clean.stdout, clean.stderr, clean.returncode) == (b"x = 1\n", b"All checks passed!\n", 0)
    latin1 = b"# -*- coding: latin-1 -*-\nimport torch\ntorch.nn.init.normal(w)  # \xe9\n"
    renamed = _nnlint("check", "--isolated", "--fix", "-", stdin=latin1, cwd=tmp_path)
    assert renamed.stdout == latin1.replace(b"normal(", b"normal_(") and renamed.returncode == 0
    garbage = b"\x00\x01binary"
    echoed = _nnlint("check", "--isolated", "--fix", "-", stdin=garbage, cwd=tmp_path)
    assert echoed.stdout == garbage and echoed.returncode == 1


def test_fix_writes_through_a_symlink_and_keeps_the_link(project, capsys, tmp_path):
    """Issue 10, item 5."""
    target = project("real/net.py", MISSING_SUPER)
    os.symlink(target, tmp_path / "net.py")
    assert run(capsys, "--fix", "--select", "NN103", "net.py") == (0, "Fixed 1 problem, 0 remaining.\n", "")
    assert os.path.islink(tmp_path / "net.py") and os.readlink(tmp_path / "net.py") == str(target)
    assert "super().__init__()" in target.read_text()
    assert sorted(p.name for p in target.parent.iterdir()) == ["net.py"]


def test_fix_keeps_cr_only_line_breaks(project, capsys, tmp_path):
    """Old Mac files (issue 10, item 6): every line break stays a CR, the last one too."""
    path = tmp_path / "net.py"
    path.write_bytes(MISSING_SUPER.replace("\n", "\r").encode())
    assert run(capsys, "--fix", "--select", "NN103", "net.py")[0] == 0
    fixed = path.read_bytes()
    assert b"\n" not in fixed and fixed.endswith(b"0.5)\r")
    assert fixed == MISSING_SUPER.replace("    def __init__(self):\n", "    def __init__(self):\n        super().__init__()\n") \
        .replace("\n", "\r").encode()


def test_an_unwritable_file_is_reported_and_the_others_are_fixed(project, capsys, monkeypatch):
    """Issue 10, item 7: the write fails (a read-only file or folder), the run goes on."""
    import tempfile

    first, second = project("a/net.py", MISSING_SUPER), project("b/net.py", MISSING_SUPER)
    real_mkstemp = tempfile.mkstemp

    def refuse_in_a(*args, dir=None, **kwargs):
        if os.path.basename(dir) == "a":
            raise PermissionError(13, "Permission denied")
        return real_mkstemp(*args, dir=dir, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", refuse_in_a)
    code, out, err = run(capsys, "--fix", "--select", "NN103", "-j", "1", "a", "b")
    assert code == 2
    assert err == f"nnlint: error: {os.path.join('a', 'net.py')}: cannot write the fix: Permission denied\n"
    assert first.read_text() == MISSING_SUPER and "super().__init__()" in second.read_text()
    assert out.splitlines() == [  # what is on disk: a/net.py as it was
        f"{os.path.join('a', 'net.py')}:6:9: NN103 `Net.__init__` never calls `super().__init__()`: "
        "the Module's registries are never created",
        "Found 2 problems (1 fixed, 1 remaining). (1 fixable with --fix)"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through any permission")
def test_a_read_only_folder_is_reported_and_the_others_are_fixed(project, capsys, tmp_path):
    first, second = project("a/net.py", MISSING_SUPER), project("b/net.py", MISSING_SUPER)
    os.chmod(tmp_path / "a", 0o555)
    try:
        code, _, err = run(capsys, "--fix", "--select", "NN103", "a", "b")
    finally:
        os.chmod(tmp_path / "a", 0o755)
    assert code == 2 and "a/net.py: cannot write the fix" in err
    assert first.read_text() == MISSING_SUPER and "super().__init__()" in second.read_text()


def test_default_excludes_and_symlink_loops(project, capsys, tmp_path):
    for folder in (".git", ".venv", "__pycache__", "node_modules", "build", "dist"):
        project(f"{folder}/net.py", BUGGY)
    project("pkg/net.py", BUGGY)
    os.symlink(tmp_path / "pkg", tmp_path / "pkg" / "loop")
    _, out, _ = run(capsys, "--format", "json", ".")
    assert sorted({d["path"] for d in json.loads(out)}) == [os.path.join("pkg", "net.py")]


def test_python_dash_m_and_no_torch_import(tmp_path):
    (tmp_path / "net.py").write_text(BUGGY)
    (tmp_path / "pyproject.toml").write_text(  # the verify table is validated, without torch
        '[tool.nnlint.verify]\ndevice = "cpu"\n[tool.nnlint.verify.models."net:Net"]\ninputs = [[2, 4]]\n')
    probe = ("import sys, runpy; sys.argv = ['nnlint', 'net.py'];"
             "code = 0\ntry: runpy.run_module('nnlint', run_name='__main__')\n"
             "except SystemExit as e: code = e.code\n"
             "assert 'torch' not in sys.modules, 'the static path imported torch'\nsys.exit(code)")
    run_ = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True)
    assert run_.returncode == 1, run_.stderr
    assert run_.stdout.startswith("net.py:8:9: NN101 ")


def test_rules_and_explain(capsys):
    code, out, _ = run(capsys, "rules")
    assert code == 0
    assert any(line.startswith("NN101  E  on   unsafe        submodule-in-plain-container")
               for line in out.splitlines())
    code, out, _ = run(capsys, "explain", "nn301")
    assert code == 0 and out.startswith("# NN301 functional-dropout-ignores-mode (error, fixable: unsafe)")
    assert "## Fix safety\nThis fix is unsafe" in out
    assert "## Why is this bad?" in out
    assert out.endswith("## nnlint verify\nTwo forwards in eval() mode on the same input give different outputs "
                        "(confirms the finding).\n")
    assert run(capsys, "explain", "NN108")[1].endswith(
        "## nnlint verify\nCannot be observed: a style rule (both calls do the same).\n")
    assert run(capsys, "explain", "NN408")[1].endswith(
        "(confirms the finding); a run without it proves nothing: a deprecated API that still works "
        "in the installed torch raises only once it is removed.\n")
    assert run(capsys, "explain", "NN999")[0] == 2


def test_too_deep_files_and_rule_crashes_do_not_stop_the_others(project, capsys, monkeypatch):
    # LibCST's native parser would overflow the C stack on this chain (~8,000 terms).
    project("a_deep.py", "import torch\nx = " + "+".join(["a"] * 12_000) + "\n")
    project("b_net.py", BUGGY)
    _, out, _ = run(capsys, "--format", "json", "--no-cache", "-j", "1", ".")
    assert [(d["path"], d["line"], d["code"], d["message"]) for d in json.loads(out)][:2] == [
        ("a_deep.py", 1, "NN002", "too deeply nested to analyse"),
        ("b_net.py", 8, "NN101", json.loads(out)[1]["message"])]

    from nnlint.rules import all_rules

    def broken(self, node):
        raise KeyError("boom")

    monkeypatch.setattr(all_rules()["NN401"], "visit_Call", broken)
    code, out, _ = run(capsys, "--format", "json", "--no-cache", "-j", "1", "b_net.py")
    # the broken rule costs its own findings only, and says where it failed (the first call)
    assert [(d["line"], d["column"], d["code"], d["message"]) for d in json.loads(out)] == [
        (7, 9, "NN009", "nnlint's NN401 check failed here (please report it): KeyError: 'boom'"),
        (8, 9, "NN101", json.loads(out)[1]["message"]),
        (11, 16, "NN301", "`dropout` without `training=`: it keeps dropping in eval() mode")]
    assert code == 2  # nnlint's own failure, not only findings in the file (as ty exits 2 on a panic)
    assert run(capsys, "--exit-zero", "--no-cache", "-j", "1", "b_net.py")[0] == 2



@pytest.mark.parametrize("args, message", [
    (["--ignore", "NN000"], "ignore: NN000 cannot be selected or ignored"),
    (["--ignore", "NN0"], "ignore: NN0 cannot be selected or ignored"),  # a prefix of NN0xx only
    (["--select", "NN001"], "select: NN001 cannot be selected or ignored"),
    (["--extend-select", "NN009"], "extend-select: NN009 cannot be selected or ignored"),
])
def test_codes_of_files_not_checked_cannot_be_selected_or_ignored(project, capsys, args, message):
    project("net.py", CLEAN)
    code, out, err = run(capsys, *args, "net.py")
    assert (code, out) == (2, "")
    assert err == (f"nnlint: error: {message}: a file nnlint could not check is always reported "
                   "(exclude the file to skip it)\n")


def test_per_file_ignores_of_nn0_codes_are_a_config_error(project, capsys):
    project("pyproject.toml", '[tool.nnlint.per-file-ignores]\n"legacy/*" = ["NN001"]\n')
    project("net.py", CLEAN)
    code, _, err = run(capsys, "net.py")
    assert code == 2 and "per-file-ignores: NN001 cannot be selected or ignored" in err


@pytest.mark.parametrize("args", [["--select", "NN101"], ["--ignore", "ALL"], ["--select", "NN"]])
def test_a_file_not_checked_is_reported_whatever_the_selection(project, capsys, args):
    project("broken.py", "import torch\ndef forward(self, x)\n    return x\n")
    code, out, _ = run(capsys, *args, "--format", "json", "broken.py")
    assert code == 1
    assert [(d["code"], d["line"]) for d in json.loads(out)] == [("NN000", 2)]


def test_a_crash_on_stdin_is_nn009_not_a_traceback(capsys, monkeypatch):
    import io

    def broken(*args):
        raise KeyError("boom")

    monkeypatch.setattr("nnlint.engine.FileContext", broken)  # before any rule: the whole file
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(BUGGY.encode())))
    code, out, _ = run(capsys, "--format", "json", "-", "--stdin-filename", "net.py")
    assert code == 2
    assert [(d["path"], d["code"], d["name"]) for d in json.loads(out)] == [
        ("net.py", "NN009", "internal-error")]


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize("args", [["net.py"], ["--fix", "-"], ["explain", "NN101"], ["rules"]])
@pytest.mark.parametrize("stdout", ["full", "closed"])
def test_a_stdout_that_cannot_be_written_is_one_error_line_not_a_traceback(project, args, stdout):
    """Found attacking the CLI (issue 10): the report to a full disk (/dev/full) or a closed
    descriptor was a traceback (exit 1); it is an error line and exit 2, as ruff does."""
    project("net.py", BUGGY)
    with open("net.py", "rb") as source, open("/dev/full", "wb") as full:
        done = subprocess.run([sys.executable, "-m", "nnlint", "--isolated", "--no-cache", *args]
                              if args[0] not in ("explain", "rules") else [sys.executable, "-m", "nnlint", *args],
                              stdin=source, stdout=full if stdout == "full" else subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True, timeout=120,
                              **({} if stdout == "full" else {"preexec_fn": lambda: os.close(1)}))
    reason = "No space left on device" if stdout == "full" else "it is closed"
    assert (done.returncode, done.stderr) == (2, f"nnlint: error: cannot write the report to stdout: {reason}\n")


def test_a_config_that_is_not_a_regular_file_is_said_so(project, capsys, tmp_path):
    project("net.py", BUGGY)
    os.mkfifo(tmp_path / "fifo.toml")
    for config, why in (("fifo.toml", "not a regular file"), (".", "not a regular file"),
                        ("gone.toml", "config file not found")):
        assert run(capsys, "--config", config, "net.py") == (2, "", f"nnlint: error: {config}: {why}\n")


@pytest.mark.parametrize("args", [["--select", ""], ["--ignore", " , "], ["--extend-select", ","]])
def test_an_empty_selector_is_a_usage_error_not_a_silent_pass(project, capsys, args):
    """Found attacking the CLI (issue 10): `--select "$CODES"` with CODES unset selected no rule
    and passed every file; like ruff, a selector with no code in it is refused."""
    project("net.py", BUGGY)
    code, out, err = run(capsys, *args, "net.py")
    flag, value = args
    assert (code, out, err) == (2, "", f"nnlint: error: {flag} {value!r}: no code given (`ALL` selects every rule)\n")
    assert run(capsys, "--select", "NN101,,", "--format", "concise", "net.py")[0] == 1  # a stray comma is fine
