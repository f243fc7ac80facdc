"""What a CI job relies on: github/sarif/json output, --output-file, --exit-zero, --statistics,
and --shard splitting a run across machines."""

import json
import textwrap
from pathlib import Path

import pytest

from nnlint.finding import Finding, Severity
from nnlint.report import RunSummary, github
from samples import BUGGY, run

NO_FIX = textwrap.dedent("""\
    import torch.nn as nn


    class Net(nn.Module):
        def forward(self, x):
            return x.data
""")


def test_github_annotations_carry_the_severity():
    findings = [Finding("a b.py", 3, 5, 3, 9, code, "n", severity, "50% of it: lost,\nreally")
                for code, severity in (("NN101", Severity.ERROR), ("NN106", Severity.WARNING),
                                       ("NN108", Severity.STYLE))]
    assert github.render(findings, RunSummary()).splitlines() == [
        f"::{level} file=a b.py,line=3,col=5,endLine=3,endColumn=9,title={code}::"
        f"{code} 50%25 of it: lost,%0Areally"
        for code, level in (("NN101", "error"), ("NN106", "warning"), ("NN108", "notice"))
    ]


def test_sarif_to_an_output_file_with_relative_uris(project, capsys):
    project("pkg/net.py", BUGGY)
    code, out, _ = run(capsys, "--format", "sarif", "--output-file", "nnlint.sarif", ".")
    assert (code, out) == (1, "")
    sarif = json.loads(Path("nnlint.sarif").read_text(encoding="utf-8"))
    results = sarif["runs"][0]["results"]
    assert [(r["ruleId"], r["level"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
             r["locations"][0]["physicalLocation"]["region"]["startLine"]) for r in results] == [
        ("NN101", "error", "pkg/net.py", 8), ("NN301", "error", "pkg/net.py", 11)]


def test_sarif_uri_of_a_file_outside_the_working_directory(project, capsys, tmp_path, monkeypatch):
    path = project("outside/net.py", BUGGY)
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    _, out, _ = run(capsys, "--format", "sarif", str(path))
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            for r in json.loads(out)["runs"][0]["results"]}
    assert uris == {path.as_uri()}


def test_sarif_with_no_findings_is_still_a_valid_document(project, capsys):
    project("ok.py", "x = 1\n")
    code, out, _ = run(capsys, "--format", "sarif", "ok.py")
    sarif = json.loads(out)
    assert code == 0 and sarif["runs"][0]["results"] == [] and sarif["runs"][0]["tool"]["driver"]["rules"] == []


def test_exit_zero_keeps_the_report(project, capsys):
    project("net.py", BUGGY)
    code, out, _ = run(capsys, "--exit-zero", "--format", "json", "net.py")
    assert code == 0
    assert [f["code"] for f in json.loads(out)] == ["NN101", "NN301"]


def test_exit_zero_does_not_hide_usage_errors(project, capsys):
    assert run(capsys, "--exit-zero", "missing.py")[0] == 2
    assert run(capsys, "--exit-zero", "--select", "XX1", ".")[0] == 2


def test_output_file_in_a_missing_folder_is_a_usage_error(project, capsys):
    project("net.py", BUGGY)
    code, _, err = run(capsys, "--output-file", "no/such/dir/out.json", "net.py")
    assert code == 2 and "--output-file no/such/dir/out.json" in err


def test_statistics_counts_per_code_most_frequent_first(project, capsys):
    project("a.py", BUGGY)
    project("b.py", BUGGY.replace("F.dropout(x, 0.5)", "x"))
    project("c.py", NO_FIX)
    code, out, _ = run(capsys, "--statistics", "--unsafe-fixes", ".")
    assert code == 1
    assert out.splitlines() == [
        "    2  NN101  submodule-in-plain-container  [*]",
        "    1  NN201  data-in-forward",
        "    1  NN301  functional-dropout-ignores-mode  [*]",
    ]
    assert "[*]" not in run(capsys, "--statistics", ".")[1]  # unsafe fixes are not applied by default
    code, out, _ = run(capsys, "--statistics", "--unsafe-fixes", "--format", "json", "--exit-zero", ".")
    assert code == 0
    assert json.loads(out) == [
        {"code": "NN101", "name": "submodule-in-plain-container", "count": 2, "fixable": True},
        {"code": "NN201", "name": "data-in-forward", "count": 1, "fixable": False},
        {"code": "NN301", "name": "functional-dropout-ignores-mode", "count": 1, "fixable": True},
    ]


def test_statistics_of_a_clean_run_is_empty(project, capsys):
    project("ok.py", "x = 1\n")
    assert run(capsys, "--statistics", "ok.py") == (0, "", "")


def _findings(capsys, *args):
    code, out, _ = run(capsys, "--format", "json", *args)
    assert code in (0, 1)
    return [(f["path"], f["line"], f["code"]) for f in json.loads(out)]


def test_shards_are_disjoint_and_together_equal_a_full_run(project, capsys):
    for i in range(24):
        project(f"pkg{i % 3}/net_{i}.py", BUGGY if i % 2 else NO_FIX)
    full = _findings(capsys, ".")
    assert len({path for path, _, _ in full}) == 24
    shards = [_findings(capsys, "--shard", f"{k}/4", ".") for k in range(1, 5)]
    files = [{path for path, _, _ in shard} for shard in shards]
    assert sum(len(f) for f in files) == 24 and set().union(*files) == {p for p, _, _ in full}
    assert sum(1 for f in files if f) >= 3  # actually spread, not all in one shard
    assert sorted(f for shard in shards for f in shard) == sorted(full)
    assert _findings(capsys, "--shard", "2/4", ".") == shards[1]  # deterministic


def test_shard_is_relative_to_the_project_root_not_the_working_directory(project, capsys, monkeypatch):
    project("pyproject.toml", "[tool.nnlint]\n")
    for i in range(8):
        project(f"src/net_{i}.py", NO_FIX)
    from_root = {p for p, _, _ in _findings(capsys, "--shard", "1/3", "src")}
    monkeypatch.chdir("src")
    from_src = {p for p, _, _ in _findings(capsys, "--shard", "1/3", ".")}
    assert {f"src/{p}" for p in from_src} == from_root


@pytest.mark.parametrize("value", ["0/3", "4/3", "1/0", "a/b", "2", "1/2/3"])
def test_bad_shard_is_a_usage_error(project, capsys, value):
    code, _, err = run(capsys, "--shard", value, ".")
    assert code == 2 and "--shard" in err
