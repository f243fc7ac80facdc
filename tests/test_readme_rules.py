"""The README's rule table is generated from the registry and must be current."""

from tools.gen_rules_table import BLOCK, README, render_table


def test_readme_rules_table_is_current():
    match = BLOCK.search(README.read_text(encoding="utf-8"))
    assert match, "README.md lacks the rules-table markers"
    current = match.group(0)[len(match.group(1)):-len(match.group(2))]
    assert current == render_table(), "run: python tools/gen_rules_table.py"
