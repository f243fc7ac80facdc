"""Regenerate the rules table in README.md from the registry (from a checkout, not installed):

    python tools/gen_rules_table.py
"""

import re
import sys
from pathlib import Path

from nnlint.rules import all_rules

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCK = re.compile(r"(<!-- rules-table:start -->\n).*?(<!-- rules-table:end -->)", re.S)


def render_table() -> str:
    rows = ["| code | name | severity | default | autofix | flags |", "|---|---|---|---|---|---|"]
    for code, rule in all_rules().items():
        rows.append(f"| {code} | {rule.name} | {rule.severity.label} | "
                    f"{'always' if rule.always_reported else 'on' if rule.default_enabled() else 'off'} | {rule.fix_label()} | "
                    f"{rule.summary.replace('|', '¦')} |")
    return "\n".join(rows) + "\n"


def main() -> int:
    text = README.read_text(encoding="utf-8")
    README.write_text(BLOCK.sub(lambda m: m.group(1) + render_table() + m.group(2), text), encoding="utf-8")
    print(f"updated {README}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
