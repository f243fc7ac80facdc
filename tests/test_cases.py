"""The real-world case sets in bench/cases/ keep their labels honest: every `# expect:` is
reported, no `# known-miss:` is (relabel it `expect` when it starts being caught), and no error
or warning appears on a line without its label. Plus the scorer's own arithmetic."""

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("bench_cases", ROOT / "bench" / "cases.py")
cases = importlib.util.module_from_spec(_spec)
sys.modules["bench_cases"] = cases  # dataclasses look their module up there
_spec.loader.exec_module(cases)

NNLINT = [sys.executable, "-m", "nnlint"]


@pytest.fixture(scope="module")
def scored():
    found = cases.collect(cases.CASES)
    return found, cases.score(found, cases.run_nnlint(NNLINT, [case.path for case in found]))["all"]


def _where(key):
    return cases._where(key)


def test_every_expect_label_is_reported(scored):
    _, total = scored
    missed = [f"{_where(label.key)}: {label.code}" for label, _ in total.missed if label.kind == "expect"]
    assert missed == []


def test_no_known_miss_is_caught(scored):
    _, total = scored
    assert [f"{_where(label.key)}: {label.code}" for label in total.newly_caught] == []


def test_no_unlabelled_error_or_warning(scored):
    _, total = scored
    alarms = [f"{_where(cases.key(f))}: {f['code']} {f['message']}" for f in total.alarms
              if f["severity"] in cases.SCORED_SEVERITIES]
    assert alarms == []


def test_every_case_cites_its_source(scored):
    found, _ = scored
    assert found, "no cases found"
    assert [str(case.path) for case in found if case.source is None] == []


def test_scorer_counts(tmp_path):
    """Two sets: labels caught, missed and known-missed, a false alarm in a correct twin,
    an unscored style finding, and a known-miss that is caught."""
    demo = tmp_path / "demo"
    other = tmp_path / "other"
    demo.mkdir()
    other.mkdir()
    (demo / "a_bug.py").write_text(
        "# source: https://example.org/a\n"
        "import torch.nn.functional as F\n"
        "def step(x, y):\n"
        "    return F.cross_entropy(F.softmax(x, dim=1), y)  # expect: NN602\n"
        "def other(x, y):\n"
        "    return F.cross_entropy(x, y)  # expect: NN602\n"
        "def third(x, y):\n"
        "    return F.cross_entropy(F.softmax(x, dim=1), y)  # known-miss: NN602\n", encoding="utf-8")
    (demo / "a_ok.py").write_text(
        "# source: https://example.org/a\n"
        "import torch.nn.functional as F\n"
        "def step(x, y):\n"
        "    return F.cross_entropy(F.softmax(x, dim=1), y)\n", encoding="utf-8")
    (other / "b_ok.py").write_text(
        "import torch\n"
        "class Net(torch.nn.Module):\n"
        "    def __init__(self):\n"
        "        super(Net, self).__init__()\n", encoding="utf-8")
    found = cases.collect(tmp_path)
    assert [(c.path.name, c.set, c.source, c.is_twin) for c in found] == [
        ("a_bug.py", "demo", "https://example.org/a", False),
        ("a_ok.py", "demo", "https://example.org/a", True),
        ("b_ok.py", "other", None, True),
    ]
    scores = cases.score(found, cases.run_nnlint(NNLINT, [c.path for c in found]))
    demo_score = scores["demo"]
    assert (dict(demo_score.bugs), dict(demo_score.caught), dict(demo_score.false_alarms)) == (
        {"NN602": 3}, {"NN602": 2}, {"NN602": 1})
    assert (demo_score.twins, demo_score.twins_alarmed, demo_score.unscored) == (1, 1, 0)
    assert [label.key[2] for label, _ in demo_score.missed] == [6]
    assert [label.key[2] for label in demo_score.newly_caught] == [8]
    assert (scores["other"].twins, scores["other"].unscored, sum(scores["other"].false_alarms.values())) == (1, 1, 0)
    assert scores["all"].twins == 2 and sum(scores["all"].bugs.values()) == 3
    text = cases.table(scores, markdown=True)
    assert "| demo | 3 | 2 | 67% | 1 | 1 | 1 |" in text
    assert "| all | 3 | 2 | 67% | 2 | 1 | 1 |" in text
    assert "| NN602 | 3 | 2 | 67% | 1 |" in text


def test_notebook_and_markdown_cases_and_their_imports_written_out(tmp_path):
    """A notebook's labels are keyed by cell and line in the cell, a Markdown file's by its own
    lines, each cites its source on its first line of code; --with-imports writes PyTorch's
    imports on that line, so that every label stays where it was."""
    sys.path.insert(0, str(ROOT / "tests"))
    from samples import notebook

    snippets = tmp_path / "snippets"
    snippets.mkdir()
    cell = "class Net(nn.Module):\n    def forward(self, x):\n        return F.dropout(x)  # expect: NN301\n"
    (snippets / "a_bug.ipynb").write_text(notebook(["# source: https://example.org/nb\n", cell], markdown=[1]),
                                          encoding="utf-8")
    (snippets / "b_bug.md").write_text("<!-- # source: https://example.org/md -->\n\n```python\n# model\n" + cell
                                       + "```\n", encoding="utf-8")
    found = cases.collect(tmp_path)
    assert [(c.path.name, c.source, [(lb.key[1:], lb.code) for lb in c.labels]) for c in found] == [
        ("a_bug.ipynb", "https://example.org/nb", [((3, 3), "NN301")]),
        ("b_bug.md", "https://example.org/md", [((None, 7), "NN301")])]
    assert cases.score(found, cases.run_nnlint(NNLINT, [c.path for c in found]))["all"].caught == {"NN301": 2}
    copied = cases.copy_with_imports(tmp_path, None, tmp_path / "with")
    again = cases.collect(copied)
    assert [[lb.key[1:] for lb in c.labels] for c in again] == [[(3, 3)], [(None, 7)]]
    assert (copied / "snippets" / "b_bug.md").read_text(encoding="utf-8").splitlines()[3] == (
        cases.IMPORTS + "# model")
    assert cases.score(again, cases.run_nnlint(NNLINT, [c.path for c in again]))["all"].caught == {"NN301": 2}
