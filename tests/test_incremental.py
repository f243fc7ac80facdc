"""nnlint.incremental: after an edit, checking only the edited statements gives the findings
(and fixes) a whole check gives, at the same places."""

import textwrap

import pytest

from nnlint.config import Settings
from nnlint.engine import check_text
from nnlint.incremental import Pieces, recheck

RULES = Settings(root=".").rules_for("model.py")
BASE = textwrap.dedent('''\
    """A model file."""
    import torch.nn as nn
    import torch.nn.functional as F


    class Base(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = [nn.Linear(2, 2)]

        def forward(self, x):
            return F.dropout(x, 0.1)


    class Head(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(2, 2)

        def forward(self, x):
            return self.fc(x)


    class Sub(Base):
        def __init__(self):
            self.extra = [nn.ReLU()]


    def build():
        return Sub()
''')


def _check(text):
    return check_text(text, "model.py", RULES)


def _seen(result):
    return [(f.code, f.line, f.column, f.end_line, f.end_column, f.fix) for f in result.findings]


@pytest.mark.parametrize("old, new", [
    ("        return self.fc(x)\n", "        return F.dropout(self.fc(x), 0.5)\n"),  # inside a class
    ("        self.fc = nn.Linear(2, 2)\n", "        self.fc = nn.Linear(2, 2)\n        self.more = [nn.ReLU()]\n"),
    ("class Head(nn.Module):\n", 'class Head(nn.Module):\n    """Two\n    lines."""\n'),  # lines added
    ("        self.layers = [nn.Linear(2, 2)]\n", ""),  # in the base class of a later class
    ("    return Sub()\n", "    return Head()\n"),  # the last statement
    ('"""A model file."""\n', ""),  # the first statement
    ("class Sub(Base):\n    def __init__(self):\n        self.extra = [nn.ReLU()]\n\n\n", ""),  # a class removed
    ("\n\ndef build():", "\n\nclass Tail(Sub):\n    pass\n\n\ndef build():"),  # a class added
])
def test_recheck_matches_a_whole_check(old, new):
    after = BASE.replace(old, new, 1)
    assert after != BASE
    quick = recheck(BASE, None, _check(BASE), after, _check)
    assert quick is not None
    assert _seen(quick[0]) == _seen(_check(after))
    assert "".join(quick[1].texts) == after


def test_recheck_checks_the_edited_statements_only():
    checked = []

    def check(text):
        checked.append(text)
        return _check(text)

    after = BASE.replace("return self.fc(x)", "return F.dropout(self.fc(x), 0.5)")
    recheck(BASE, Pieces.of(BASE), _check(BASE), after, check)
    (text,) = checked
    assert "class Head" in text and "class Sub" not in text and "class Base" not in text
    assert "import torch.nn as nn" in text


def test_recheck_gives_up_on_a_syntax_error():
    assert recheck(BASE, None, _check(BASE), BASE.replace("def build():", "def build(:"), _check) is None


def test_a_model_file_that_never_switches_modes_skips_the_mode_analysis(monkeypatch):
    """The whole check on open and save: NN206/NN305 ask the mode analysis (a walk of every
    function) only where a forward could be in eval mode, under no_grad() or after a training
    loop; a file without `eval`/`train`/`no_grad`/`backward`... has no such forward. Nor is a
    file without `noqa`/`nnlint` in it tokenized for suppressions."""
    import tokenize

    from nnlint.engine import Suppressions
    from nnlint.rules import _modes

    def refused(*args, **kwargs):
        raise AssertionError("not needed here")

    monkeypatch.setattr(_modes.ModeAnalysis, "__init__", refused)
    result = check_text(BASE, "model.py", RULES)
    assert [(f.code, f.line) for f in result.findings] == [
        ("NN101", 9), ("NN301", 12), ("NN103", 25), ("NN101", 26)]
    aware = BASE.replace("F.dropout(x, 0.1)", "F.dropout(x, 0.1, self.training)")  # not a mode switch
    assert [(f.code, f.line) for f in check_text(aware, "model.py", RULES).findings] == [
        ("NN101", 9), ("NN103", 25), ("NN101", 26)]
    evaluated = BASE + "\n\ndef evaluate(model, batches):\n    return [model(b) for b in batches]\n"
    assert "NN009" in [f.code for f in check_text(evaluated, "model.py", RULES).findings]  # asked there
    monkeypatch.setattr(tokenize, "generate_tokens", refused)
    assert Suppressions(BASE).by_line == {} and Suppressions(BASE).file_codes == set()
