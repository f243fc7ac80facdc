"""Fixes as text edits (what --fix, JSON, SARIF, editors and notebooks all read): exact ranges,
1-based and end-exclusive; imports a fix needs; line breaks, tabs, wide characters; how many
fixes one round applies."""

import pytest

from nnlint.engine import check_source
from nnlint.finding import Applicability, Edit, Fix
from nnlint.fix import apply_edits, apply_fixes
from nnlint.rules import all_rules


def _rules(*codes):
    return [all_rules()[code] for code in codes]


def _fixes(code, *codes):
    return [(f.code, f.line, f.fix.edits if f.fix else None)
            for f in check_source(code, "m.py", _rules(*codes)).findings]


def test_a_rename_replaces_the_whole_name_and_columns_count_characters():
    code = "import torch\nx = 'é中'; torch.nn.init.normal(w)\n"
    assert _fixes(code, "NN408") == [("NN408", 2, (Edit(2, 25, 2, 31, "normal_"),))]
    assert apply_edits(code, [Edit(2, 25, 2, 31, "normal_")]) == "import torch\nx = 'é中'; torch.nn.init.normal_(w)\n"


def test_an_inserted_statement_is_a_whole_line_in_the_files_line_breaks():
    code = "import torch.nn as nn\r\n\r\nclass A(nn.Module):\r\n    def __init__(self):\r\n        self.fc = nn.Linear(2, 2)"
    assert _fixes(code, "NN103") == [("NN103", 4, (Edit(5, 1, 5, 1, "        super().__init__()\r\n"),))]
    fixed = check_source(code, "m.py", _rules("NN103"), fix=True).fixed_text
    assert fixed == code.replace("self.fc", "super().__init__()\r\n        self.fc")  # no final break added


def test_tab_indented_code():
    code = ("import torch.nn as nn\nimport torch.nn.functional as F\nclass A(nn.Module):\n"
            "\tdef __init__(self):\n\t\tself.p = 0.5\n\tdef forward(self, x):\n\t\treturn F.dropout(x)\n")
    assert _fixes(code, "NN103", "NN301") == [
        ("NN103", 4, (Edit(5, 1, 5, 1, "\t\tsuper().__init__()\n"),)),
        ("NN301", 7, (Edit(7, 21, 7, 21, ", training=self.training"),)),
    ]


def test_a_fix_in_a_decorated_class_header():
    code = "import torch.nn as nn\n# c\n@register\n# between\nclass L(\n    nn.NLLLoss2d):  # x\n    pass\n"
    assert _fixes(code, "NN408") == [("NN408", 6, (Edit(6, 8, 6, 17, "NLLLoss"),))]


def test_a_missing_name_is_added_to_the_files_from_import():
    code = ("from torch.nn import (\n    Linear,\n    Module,\n)\n\n\nclass A(Module):\n"
            "    def __init__(self):\n        super().__init__()\n        self.b = {'x': Linear(2, 2)}\n")
    [(_, _, edits)] = _fixes(code, "NN101")
    assert edits == (Edit(4, 1, 4, 1, "    ModuleDict,\n"),
                     Edit(10, 18, 10, 37, "ModuleDict({'x': Linear(2, 2)})"))


def test_a_missing_name_gets_an_import_line_after_the_files_imports():
    code = ('"""Doc."""\nimport os\nfrom torch.nn.modules.module import Module\n'
            "from torch.nn.modules.linear import Linear\n\nclass A(Module):\n    def __init__(self):\n"
            "        super().__init__()\n        self.a = [Linear(2, 2)]\n        self.b = {'x': Linear(2, 2)}\n")
    found = check_source(code, "m.py", _rules("NN101")).findings
    assert [f.fix.edits[0] for f in found] == [Edit(5, 1, 5, 1, "from torch.nn import ModuleList\n"),
                                              Edit(5, 1, 5, 1, "from torch.nn import ModuleDict\n")]
    assert [f.fix.description for f in found] == ["wrap in ModuleList, imported from torch.nn",
                                                  "wrap in ModuleDict, imported from torch.nn"]
    assert found[0].fix.applicability is Applicability.UNSAFE
    fixed = apply_fixes(code, [f.fix for f in found])  # two insertions at one point: both, in order
    assert fixed.splitlines()[3:6] == ["from torch.nn.modules.linear import Linear",
                                       "from torch.nn import ModuleList", "from torch.nn import ModuleDict"]


def test_fixes_needing_the_same_import_apply_in_one_round_and_import_it_once():
    code = ("from torch.nn import Linear, Module, Parameter\nfrom torch import ones\n\nclass A(Module):\n"
            "    def __init__(self):\n        super().__init__()\n        self.a = [Linear(2, 2)]\n"
            "        self.b = [Linear(2, 2)]\n        self.p = [Parameter(ones(2))]\n")
    found = check_source(code, "m.py", _rules("NN101", "NN102")).findings
    assert [f.fix.edits[0] for f in found] == [Edit(1, 47, 1, 47, ", ModuleList")] * 2 + [
        Edit(1, 47, 1, 47, ", ParameterList")]
    fixed = apply_fixes(code, [f.fix for f in found])
    assert fixed.splitlines()[0] == "from torch.nn import Linear, Module, Parameter, ModuleList, ParameterList"
    assert fixed == check_source(code, "m.py", _rules("NN101", "NN102"), fix=True, unsafe_fixes=True).fixed_text


def test_no_fix_when_the_name_to_import_is_already_used():
    code = ("from torch.nn import Linear, Module\nModuleList = list  # shadowed\n\nclass A(Module):\n"
            "    def __init__(self):\n        super().__init__()\n        self.a = [Linear(2, 2)]\n")
    assert _fixes(code, "NN101") == [("NN101", 7, None)]


def test_overlapping_fixes_wait_for_the_next_round():
    text = "abcdef\n"
    first = Fix("one", Applicability.SAFE, (Edit(1, 2, 1, 4, "X"),))
    second = Fix("two", Applicability.SAFE, (Edit(1, 3, 1, 5, "Y"),))
    third = Fix("three", Applicability.SAFE, (Edit(1, 5, 1, 5, "Z"),))  # touches `first`: fine
    assert apply_fixes(text, [first, second, third]) == "aXdZef\n"


def test_a_fix_whose_result_does_not_parse_is_not_applied():
    text = "x = 1\n"
    assert apply_fixes(text, [Fix("bad", Applicability.SAFE, (Edit(1, 1, 1, 2, "("),))]) is None


@pytest.mark.parametrize("edit", [Edit(3, 1, 3, 1, "x"), Edit(1, 9, 1, 9, "x"), Edit(1, 3, 1, 2, "x")])
def test_an_edit_outside_the_text_is_refused(edit):
    with pytest.raises(ValueError):
        apply_edits("x = 1\n", [edit])
    assert apply_fixes("x = 1\n", [Fix("out", Applicability.SAFE, (edit,))]) == "x = 1\n"


def test_an_insertion_at_the_very_end():
    assert apply_edits("x = 1\n", [Edit(2, 1, 2, 1, "y = 2\n")]) == "x = 1\ny = 2\n"
    assert apply_edits("x = 1", [Edit(1, 6, 1, 6, "\n")]) == "x = 1\n"
