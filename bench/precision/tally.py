"""Per-rule precision and false alarms per 10,000 lines from the judged findings in this folder.

    python bench/precision/tally.py                 # issue 14's five repositories
    python bench/precision/tally.py round3          # round 3's, in bench/precision/round3/

Each `<repo>.txt` here lists every error/warning finding nnlint reported on one public
repository, one line each: `path:line CODE T|F reason`, T for a true finding, F for a false
alarm, with `[gone]` when the later run no longer reports it and `[new]` when only the later
run does; its header gives the repository, commit and Python line count. The judgements are a
person's (written by hand, one reason each); this script only counts them.
"""

import re
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
FINDING = re.compile(r"^(\S+):(\d+) (NN\d{3}) ([TF]) (.*?)(?: \[(gone|new)\])?$")
LINES = re.compile(r"^- Python lines: ([\d,]+)", re.M)
SIX = frozenset({"NN105", "NN201", "NN203", "NN301", "NN303", "NN503"})  # issue 14's dataflow rules


def tally(run: str, folder: Path = HERE):
    """run: "before" or "after" -> (rows per repository, per-rule counts)."""
    rows, rules = [], Counter()
    for page in sorted(folder.glob("*.txt")):
        text = page.read_text(encoding="utf-8")
        lines = int(LINES.search(text).group(1).replace(",", ""))
        counts = Counter()
        for line in text.splitlines():
            match = FINDING.match(line)
            if not match or match.group(6) == ("new" if run == "before" else "gone"):
                continue
            code, verdict = match.group(3), match.group(4)
            rules[(code, verdict)] += 1
            counts[verdict] += 1
            if code in SIX:
                counts["six " + verdict] += 1
        rows.append((page.stem, lines, counts))
    return rows, rules


def main() -> int:
    folder = HERE / sys.argv[1] if len(sys.argv) > 1 else HERE
    for run in ("before", "after"):
        rows, rules = tally(run, folder)
        total = sum((r[2] for r in rows), Counter())
        rows.append(("all", sum(r[1] for r in rows), total))
        print(f"### {run}\n")
        print("| repository | Python lines | E/W findings | true | false alarms | per 10k lines "
              "| six rules: findings | false alarms | per 10k lines |")
        print("|---|---|---|---|---|---|---|---|---|")
        for name, lines, c in rows:
            print(f"| {name} | {lines:,} | {c['T'] + c['F']} | {c['T']} | {c['F']} | {c['F'] / lines * 1e4:.2f} "
                  f"| {c['six T'] + c['six F']} | {c['six F']} | {c['six F'] / lines * 1e4:.2f} |")
        print("\n| rule | findings | true | false alarms | precision |")
        print("|---|---|---|---|---|")
        for code in sorted({c for c, _ in rules}):
            true, false = rules[(code, "T")], rules[(code, "F")]
            print(f"| {code}{' (six)' if code in SIX else ''} | {true + false} | {true} | {false} "
                  f"| {true / (true + false):.0%} |")
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
