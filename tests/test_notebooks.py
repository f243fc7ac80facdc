"""Notebooks, Markdown tutorials and fragments through the command line: where findings are
reported, how fixes are written back, and that the usual machinery (noqa, per-file ignores,
shards, the cache, statistics, stdin, pre-commit's file lists) works for them as for .py files."""

import importlib.util
import io
import json
import sys

import pytest
from samples import BUGGY, notebook, run

IMPORTS = "import torch.nn as nn\nimport torch.nn.functional as F\n"
MODEL = BUGGY.split("\n\n\n", 1)[1]  # the class alone: NN101 at 4:9, NN301 at 7:16
NB = notebook([IMPORTS, MODEL], markdown=[1])  # cells: 1 imports, 2 Markdown, 3 the model
NN101 = ("NN101 `self.layers` holds nn.Linear built in a list comprehension, in a plain list -> 40 "
         "parameters invisible to the optimizer")
NN301 = "NN301 `dropout` without `training=`: it keeps dropping in eval() mode"


def _at(text, line, column):
    return text.splitlines()[line - 1][column - 1:]


def test_findings_name_the_cell_and_count_lines_in_it(project, capsys):
    project("train.ipynb", NB)
    code, out, _ = run(capsys, "train.ipynb")
    assert code == 1
    assert out.splitlines() == [f"train.ipynb:cell 3:4:9: {NN101}", f"train.ipynb:cell 3:7:16: {NN301}",
                                "Found 2 problems (2 with --unsafe-fixes)."]


def test_json_has_the_cell_and_where_the_code_is_in_the_notebooks_text(project, capsys):
    project("train.ipynb", NB)
    project("model.py", BUGGY)
    _, out, _ = run(capsys, "--format", "json", ".")
    findings = json.loads(out)
    assert [(f["path"], f["cell"], f["line"], f["column"], f["end_line"], f["end_column"]) for f in findings] == [
        ("model.py", None, 8, 9, 8, 58), ("model.py", None, 11, 16, 11, 33),
        ("train.ipynb", 3, 4, 9, 4, 58), ("train.ipynb", 3, 7, 16, 7, 33)]
    assert "file_line" not in findings[0]
    assert _at(NB, findings[2]["file_line"], findings[2]["file_column"]).startswith("self.layers = [")
    assert _at(NB, findings[3]["file_line"], findings[3]["file_column"]).startswith("F.dropout(x, 0.5)")


def test_github_and_sarif_place_a_notebook_finding_on_its_json_line(project, capsys):
    project("train.ipynb", NB)
    line = NB.splitlines().index('    "        self.layers = [nn.Linear(4, 4) for _ in range(2)]\\n",') + 1
    _, out, _ = run(capsys, "--format", "github", "train.ipynb")
    assert out.splitlines()[0] == (f"::error file=train.ipynb,line={line},col=14,title=NN101::NN101 cell 3:4:9: "
                                   + NN101[6:])
    _, out, _ = run(capsys, "--format", "sarif", "train.ipynb")
    result = json.loads(out)["runs"][0]["results"][0]
    assert result["locations"][0]["physicalLocation"]["region"] == {"startLine": line, "startColumn": 14}
    assert result["message"]["text"] == "cell 3:4:9: " + NN101[6:]
    assert result["properties"] == {"cell": 3, "cellLine": 4, "cellColumn": 9}


def test_full_output_shows_the_cells_lines(project, capsys):
    project("train.ipynb", NB)
    _, out, _ = run(capsys, "--format", "full", "train.ipynb")
    assert out.splitlines()[:6] == [
        f"train.ipynb:cell 3:4:9: {NN101}",
        "  |",
        "3 |         super().__init__()",
        "4 |         self.layers = [nn.Linear(4, 4) for _ in range(2)]",
        "  |         ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^ NN101",
        "5 |",
    ]


def test_fix_rewrites_only_the_changed_cell_and_keeps_every_other_byte(project, capsys):
    text = NB.replace('"outputs": []', '"outputs": [{"name": "stdout", "output_type": "stream", "text": ["ok\\n"]}]')
    path = project("train.ipynb", text)
    code, out, _ = run(capsys, "--fix", "--unsafe-fixes", "train.ipynb")
    assert (code, out) == (0, "Fixed 2 problems, 0 remaining.\n")
    expected = text.replace("[nn.Linear(4, 4) for _ in range(2)]", "nn.ModuleList([nn.Linear(4, 4) for _ in range(2)])")
    expected = expected.replace("F.dropout(x, 0.5)", "F.dropout(x, 0.5, training=self.training)")
    assert path.read_text(encoding="utf-8") == expected
    assert run(capsys, "--fix", "--unsafe-fixes", "train.ipynb") == (0, "All checks passed!\n", "")


def test_diff_shows_the_changed_cells(project, capsys):
    project("train.ipynb", NB)
    code, out, _ = run(capsys, "--diff", "--unsafe-fixes", "train.ipynb")
    assert code == 1
    assert out.splitlines()[:8] == [
        "--- a/train.ipynb:cell 3", "+++ b/train.ipynb:cell 3", "@@ -1,7 +1,7 @@", " class Net(nn.Module):",
        "     def __init__(self):", "         super().__init__()",
        "-        self.layers = [nn.Linear(4, 4) for _ in range(2)]",
        "+        self.layers = nn.ModuleList([nn.Linear(4, 4) for _ in range(2)])"]
    assert out.endswith("\nWould fix 1 file.\n")


def test_a_cell_that_does_not_parse_is_nn000_and_the_others_are_still_checked(project, capsys):
    project("train.ipynb", notebook([IMPORTS, "x = (1,\n", MODEL]))
    code, out, _ = run(capsys, "train.ipynb")
    assert code == 1
    assert out.splitlines()[:3] == ["train.ipynb:cell 2:1:5: NN000 syntax error: '(' was never closed",
                                    f"train.ipynb:cell 3:4:9: {NN101}", f"train.ipynb:cell 3:7:16: {NN301}"]


@pytest.mark.parametrize("text, message", [
    ('{"cells": [', "train.ipynb:1:12: NN000 not a notebook: invalid JSON (Expecting value)"),
    ('{"nbformat": 3, "worksheets": []}', "train.ipynb:1:1: NN000 nbformat 3 notebooks are not supported, only "
                                          "nbformat 4 (convert with `jupyter nbconvert --to notebook --nbformat 4`)"),
])
def test_a_broken_notebook_is_a_clear_nn000(project, capsys, text, message):
    project("train.ipynb", text)
    assert run(capsys, "train.ipynb") == (1, message + "\nFound 1 problem.\n", "")


def test_noqa_in_a_cell_and_per_file_ignores_for_notebooks(project, capsys):
    project("a.ipynb", notebook([IMPORTS, MODEL.replace("range(2)]", "range(2)]  # noqa: NN101")]))
    project("pyproject.toml", '[tool.nnlint]\nper-file-ignores = { "b.ipynb" = ["NN301"] }\n')
    project("b.ipynb", NB)
    _, out, _ = run(capsys, ".")
    assert out.splitlines() == [f"a.ipynb:cell 2:7:16: {NN301}", f"b.ipynb:cell 3:4:9: {NN101}",
                                "Found 2 problems (2 with --unsafe-fixes)."]


def test_shards_statistics_and_the_cache_cover_notebooks(project, capsys):
    for name in ("a", "b", "c", "d"):
        project(f"{name}.ipynb", NB)
    full = run(capsys, "--no-cache", ".")[1].splitlines()[:-1]
    shards = [run(capsys, "--no-cache", "--shard", f"{k}/2", ".")[1].splitlines()[:-1] for k in (1, 2)]
    assert sorted(shards[0] + shards[1]) == sorted(full) and shards[0] and shards[1]
    assert run(capsys, "--statistics", ".")[1] == ("    4  NN101  submodule-in-plain-container\n"
                                                   "    4  NN301  functional-dropout-ignores-mode\n")
    cold = run(capsys, "--format", "json", ".")[1]
    warm = run(capsys, "--format", "json", ".")[1]  # from .nnlint_cache
    assert warm == cold and json.loads(warm)[0]["cell"] == 3


def test_folders_yield_notebooks_by_default_and_markdown_on_request(project, capsys):
    project("src/train.ipynb", NB)
    project("docs/tutorial.md", f"# Tutorial\n\n```python\n{IMPORTS}```\n\nThen:\n\n```python\n{MODEL}```\n")
    assert run(capsys, "-q", ".")[1].splitlines() == [f"src/train.ipynb:cell 3:4:9: {NN101}",
                                                      f"src/train.ipynb:cell 3:7:16: {NN301}"]
    from_md = [f"docs/tutorial.md:14:9: {NN101}", f"docs/tutorial.md:17:16: {NN301}"]
    assert run(capsys, "-q", "--extend-include", "*.md", "docs")[1].splitlines() == from_md
    assert run(capsys, "-q", "docs/tutorial.md")[1].splitlines() == from_md  # named: checked
    project("pyproject.toml", '[tool.nnlint]\nextend-include = ["*.md"]\nextend-exclude = ["*.ipynb"]\n')
    assert run(capsys, "-q", ".")[1].splitlines() == from_md


def test_stdin_is_read_as_the_kind_stdin_filename_names(project, capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(NB.encode())))
    _, out, _ = run(capsys, "-q", "--stdin-filename", "train.ipynb", "-")
    assert out.splitlines()[0] == f"train.ipynb:cell 3:4:9: {NN101}"


# ----- fragments ---------------------------------------------------------------------------------
def test_a_fragment_is_checked_as_if_the_conventional_imports_were_there(project, capsys, monkeypatch):
    project("snippet.py", MODEL)
    code, out, err = run(capsys, "-v", "snippet.py")
    assert out.splitlines()[:2] == [f"snippet.py:4:9: {NN101}", f"snippet.py:7:16: {NN301}"]
    assert ("nnlint: snippet.py: uses nn, F without binding them: checked as if it had "
            "`import torch.nn as nn; import torch.nn.functional as F`") in err.splitlines()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(MODEL.encode())))
    assert run(capsys, "-q", "-")[1].splitlines()[0] == f"-:4:9: {NN101}"


def test_a_fragments_fix_leaves_the_assumed_imports_out(project, capsys):
    path = project("snippet.py", MODEL)
    run(capsys, "--fix", "--unsafe-fixes", "snippet.py")
    assert path.read_text(encoding="utf-8") == MODEL.replace(
        "[nn.Linear(4, 4) for _ in range(2)]", "nn.ModuleList([nn.Linear(4, 4) for _ in range(2)])").replace(
        "F.dropout(x, 0.5)", "F.dropout(x, 0.5, training=self.training)")


def test_a_name_the_program_binds_is_not_assumed(project, capsys):
    project("snippet.py", "from mylayers import *\n" + MODEL)
    assert run(capsys, "-v", "snippet.py")[0] == 0
    project("cells.ipynb", notebook(["import torch.nn as nn\n", MODEL]))  # F is assumed, nn is not
    code, _, err = run(capsys, "-v", "cells.ipynb")
    assert code == 1
    assert ("nnlint: cells.ipynb: uses F without binding it: checked as if it had "
            "`import torch.nn.functional as F`") in err.splitlines()


def test_verify_names_the_notebooks_it_does_not_build(project, capsys):
    if importlib.util.find_spec("torch") is None:
        pytest.skip("verify needs torch")
    project("train.ipynb", NB)
    code, out, _ = run(capsys, "verify", ".")
    assert code == 0
    assert ("note: not verified: train.ipynb (notebooks and Markdown files are not verified yet; "
            "`nnlint check` lints them)") in out.splitlines()


def test_fix_edits_are_in_the_cell_or_at_the_markdown_files_own_columns(project, capsys):
    project("train.ipynb", NB)
    dropout = json.loads(run(capsys, "--format", "json", "train.ipynb")[1])[1]
    assert dropout["fix"]["edits"] == [{"line": 7, "column": 32, "end_line": 7, "end_column": 32,
                                        "content": ", training=self.training", "cell": 3}]
    indented = "".join("    " + line if line.strip() else line for line in (IMPORTS + MODEL).splitlines(True))
    project("t.md", f"- item\n\n    ```python\n{indented}    ```\n")
    dropout = json.loads(run(capsys, "--format", "json", "t.md")[1])[1]
    assert (dropout["line"], dropout["column"], dropout["cell"]) == (12, 20, None)
    assert dropout["fix"]["edits"] == [{"line": 12, "column": 36, "end_line": 12, "end_column": 36,
                                        "content": ", training=self.training"}]


def test_the_size_limit_of_a_notebook_is_on_its_code_not_its_outputs(project, capsys):
    image = {"data": {"image/png": "iVBORw0KGgo" * 400}, "metadata": {}, "output_type": "display_data"}
    project("big.ipynb", NB.replace('"outputs": []', '"outputs": [' + json.dumps(image) + "]"))
    project("pyproject.toml", "[tool.nnlint]\nmax-file-size = 0.002\n")  # 2,000 bytes
    assert run(capsys, "-q", "big.ipynb")[1].splitlines() == [f"big.ipynb:cell 3:4:9: {NN101}",
                                                             f"big.ipynb:cell 3:7:16: {NN301}"]
    project("long.ipynb", notebook(["x = 1\n" * 400]))
    assert run(capsys, "-q", "long.ipynb")[1] == (
        "long.ipynb:1:1: NN001 file too large to analyse (0.0024 MB > 0.002 MB limit, see max-file-size)\n")


# ----- the same program in three forms -------------------------------------------------------------
PARTS = [
    "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n",
    "class Net(nn.Module):\n"
    "    def __init__(self):\n"
    "        super().__init__()\n"
    "        self.blocks = [nn.Linear(8, 8) for _ in range(3)]\n"
    "        self.head = nn.Linear(8, 2)\n"
    "\n"
    "    def forward(self, x):\n"
    "        for block in self.blocks:\n"
    "            x = F.dropout(F.relu(block(x)), 0.2)\n"
    "        return F.softmax(self.head(x))\n",
    "model = Net()\n"
    "optimizer = torch.optim.SGD(model.parameters(), lr=0.1)\n"
    "criterion = nn.CrossEntropyLoss()\n"
    "total = 0\n"
    "for x, y in loader:\n"
    "    loss = criterion(model(x), y)\n"
    "    loss.backward()\n"
    "    optimizer.step()\n"
    "    total += loss\n",
]


def _codes(capsys, path):
    return {(f["code"], f["cell"], f["line"], f["column"])
            for f in json.loads(run(capsys, "--format", "json", "--select", "ALL", path)[1])}


def _three_forms(project, first):
    project("train.py", first + PARTS[1] + PARTS[2])
    project("train.ipynb", notebook(["%matplotlib inline\n" + first, PARTS[1], "%%time\n" + PARTS[2]], markdown=[2]))
    project("train.md", f"# Train\n\n```python\n{first}```\n\nThe model:\n\n```py\n{PARTS[1]}```\n\n"
                        f"```{{code-cell}} ipython3\n{PARTS[2]}```\n")


def test_a_program_gives_the_same_findings_as_a_py_file_a_notebook_and_a_markdown_tutorial(project, capsys):
    """The parts of one buggy program: as a .py file; as notebook cells (a Markdown cell between
    them, magics on top of two); as a Markdown tutorial's code blocks with prose around them.
    Every finding of the .py file is found at the corresponding cell and line, or Markdown line;
    and the same again with the imports left out (a fragment)."""
    _three_forms(project, PARTS[0])
    lines = [part.count("\n") for part in PARTS]
    starts = [1, 1 + lines[0], 1 + lines[0] + lines[1]]
    cells, shifts = [1, 2, 4], [1, 0, 1]  # each part's cell, and the magic line on top of it
    md_starts = [4, 9 + lines[0], 12 + lines[0] + lines[1]]
    from_py = _codes(capsys, "train.py")
    assert {code for code, *_ in from_py} == {"NN101", "NN301", "NN406", "NN601", "NN602", "NN204"}
    as_cells, as_markdown = set(), set()
    for code, _, line, column in from_py:
        part = max(i for i, start in enumerate(starts) if start <= line)
        as_cells.add((code, cells[part], line - starts[part] + 1 + shifts[part], column))
        as_markdown.add((code, None, line - starts[part] + md_starts[part], column))
    assert _codes(capsys, "train.ipynb") == as_cells
    assert _codes(capsys, "train.md") == as_markdown
    _three_forms(project, "# the imports are in another notebook\n\n\n")
    assert (_codes(capsys, "train.py"), _codes(capsys, "train.ipynb"), _codes(capsys, "train.md")) == (
        from_py, as_cells, as_markdown)
