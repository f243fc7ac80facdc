"""Engine behaviour that no single rule owns: long literal tables are not handed to LibCST."""

import ast
from pathlib import Path

from nnlint.config import Settings
from nnlint.engine import DATA_TABLE_CHARS, _blank_data_tables, check_source, parse
from nnlint.fix import apply_fixes
from tests.samples import BUGGY

TABLE_ROWS = DATA_TABLE_CHARS // 20 + 1  # each row below is 21-22 characters


def _with_table(single_line: bool) -> str:
    rows = [f"    ({i}, {i}.5, 'é{i}')," for i in range(TABLE_ROWS)]
    table = "{" + " ".join(r.strip() for r in rows) + "}" if single_line else "{\n" + "\n".join(
        f"    {i}: {r.strip()}" for i, r in enumerate(rows)) + "\n}"
    return f"TABLE = {table}  # noqa: NN999\n" + BUGGY


def _findings(text: str, fix: bool = False):
    rules = Settings(root=Path("."), select=["ALL"]).rules_for("model.py")
    return check_source(text, "model.py", rules, fix=fix, unsafe_fixes=True)


def test_a_long_table_is_blanked_to_the_same_lines_and_columns():
    for single_line in (True, False):
        text = _with_table(single_line)
        blanked = _blank_data_tables(text, ast.parse(text))
        assert "(None" in blanked and "é1" not in blanked
        table_lines = text.count("\n") - BUGGY.count("\n")
        assert blanked.count("\n") == text.count("\n")
        lengths = [len(line) for line in text.splitlines()]
        assert [len(line) for line in blanked.splitlines()][table_lines - 1:] == lengths[table_lines - 1:]
        assert blanked.splitlines()[table_lines - 1].endswith(")  # noqa: NN999")
        assert parse(text, "model.py", keep_data=False)[1] == blanked  # what the rules see
        assert parse(text, "model.py", keep_data=True)[1] == text  # --fix rewrites the file


def test_findings_after_a_table_keep_their_positions():
    plain = [(f.code, f.line, f.column) for f in _findings(BUGGY).findings]
    assert plain == [("NN101", 8, 9), ("NN301", 11, 16)]
    for single_line in (True, False):
        text = _with_table(single_line)
        table_lines = text.count("\n") - BUGGY.count("\n")
        found = [(f.code, f.line - table_lines, f.column) for f in _findings(text).findings]
        assert found == plain


def test_fix_keeps_the_table():
    text = _with_table(single_line=False)
    result = _findings(text, fix=True)
    assert result.fixed_text is not None
    assert result.fixed_text.startswith(text.split("class Net")[0])
    assert "nn.ModuleList(" in result.fixed_text


def test_fixes_found_in_blanked_text_edit_the_text_as_it_is():
    """Without --fix the rules see the table blanked; the edits still apply to the real text,
    and a fix whose statement holds the table is not offered (its text would be wrong)."""
    text = _with_table(single_line=False)
    found = _findings(text).findings
    assert [f.code for f in found if f.fix] == ["NN101", "NN301"]
    assert apply_fixes(text, [f.fix for f in found]) == _findings(text, fix=True).fixed_text
    wrapped = text.replace("TABLE = {", "import torch.nn as nn\n\nclass Tables(nn.Module):\n"
                                         "    def __init__(self):\n        self.table = {", 1)
    [nn103] = [f for f in _findings(wrapped).findings if f.code == "NN103"]
    assert nn103.fix is None  # its fix rewrites __init__, which holds the blanked table
    assert _findings(wrapped, fix=True).fixed_text.startswith(
        "import torch.nn as nn\n\nclass Tables(nn.Module):\n    def __init__(self):\n"
        "        super().__init__()\n")


def test_code_in_a_long_literal_is_still_linted():
    calls = ", ".join("F.dropout(x, 0.5)" for _ in range(DATA_TABLE_CHARS // 16))
    text = BUGGY + f"\n\nCALLS = [{calls}]\n"
    assert _blank_data_tables(text, ast.parse(text)) == text


def _broken_rule(where: str):
    from nnlint.rules import all_rules

    base = all_rules()["NN401"]

    def boom(self, node=None):
        raise KeyError("boom")

    return type("Broken", (base,), {where: boom})


def test_a_rule_that_raises_costs_its_own_findings_only():
    rules = Settings(root=Path("."), select=["NN101", "NN301"]).rules_for("model.py")
    for where, line, column in [("leave_ClassDef", 5, 1), ("visit_Call", 7, 9), ("__init__", 1, 1)]:
        result = check_source(BUGGY, "model.py", [*rules, _broken_rule(where)])
        assert [(f.line, f.column, f.code, f.message) for f in result.findings] == [
            (line, column, "NN009", "nnlint's NN401 check failed here (please report it): KeyError: 'boom'"),
            (8, 9, "NN101", result.findings[1].message),
            (11, 16, "NN301", "`dropout` without `training=`: it keeps dropping in eval() mode"),
        ], where
        assert len(result.errors) == 1 and result.errors[0].startswith(f"model.py:{line}:{column}: NN401 raised")
        assert "Traceback" in result.errors[0] and "KeyError: 'boom'" in result.errors[0]
