"""`nnlint --select ALL fixtures/` reports exactly the `# expect: NNxxx` labels: none missing,
none extra (the same code twice on a line is labelled twice)."""

import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LABEL = re.compile(r"#\s*expect:\s*(NN\d{3}(?:\s*,\s*NN\d{3})*)")


def labelled_findings():
    expected = Counter()
    for path in sorted((ROOT / "fixtures").rglob("*.py")):
        text = path.read_text(encoding="utf-8", errors="replace")
        for number, line in enumerate(text.splitlines(), start=1):
            match = LABEL.search(line)
            if match:
                for code in match.group(1).split(","):
                    expected[(path.relative_to(ROOT).as_posix(), number, code.strip())] += 1
    return expected


def test_fixtures_report_exactly_their_labels():
    run = subprocess.run(
        [sys.executable, "-m", "nnlint", "--select", "ALL", "--isolated", "--format", "json", "fixtures"],
        cwd=ROOT, capture_output=True, text=True,
    )
    assert run.returncode in (0, 1), run.stderr
    found = Counter((f["path"], f["line"], f["code"]) for f in json.loads(run.stdout))
    expected = labelled_findings()
    assert expected, "no labelled fixtures found"
    missing = sorted((expected - found).elements())
    extra = sorted((found - expected).elements())
    assert (missing, extra) == ([], [])
