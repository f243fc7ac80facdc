"""Findings per rule and per 1,000 lines on real code nobody here wrote (issue 3's precision run).

    python bench/findings.py [--corpora timm,transformers,torch] [--output FILE] [-j N]
                             [--nnlint CMD] [--list NN601,NN305]

Downloads the pinned wheels (see run.py), lints each corpus with `--select ALL`, and prints one
markdown table: findings per rule and corpus, and the rate per kLOC. Every finding still has to
be triaged by a person: this counts, it does not judge (`--list` prints each finding of the
given codes, for that triage). `--nnlint` runs another build (see bench/cases.py). Not a test;
not run in CI.
"""

import argparse
import json
import shlex
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import NNLINT, count_lines, prepare_corpora, python_files  # noqa: E402


def findings_of(root: Path, command: list, jobs: int = 0) -> list:
    run = subprocess.run([*command, "--select", "ALL", "--isolated", "--no-cache", "--format", "json",
                          *(["-j", str(jobs)] if jobs else []), str(root)], capture_output=True, text=True,
                         cwd=tempfile.gettempdir())  # not the checkout: see bench/cases.py
    if run.returncode not in (0, 1):
        raise SystemExit(f"nnlint failed on {root}: {run.stderr.strip()}")
    return json.loads(run.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpora", default="timm,transformers,torch")
    parser.add_argument("--output", type=Path, help="also write the markdown here")
    parser.add_argument("-j", "--jobs", type=int, default=0, help="nnlint's -j (default: all cores)")
    parser.add_argument("--nnlint", help="the command that runs nnlint (default: python -m nnlint)")
    parser.add_argument("--list", default="", help="codes whose findings to print one by one")
    args = parser.parse_args()
    command = shlex.split(args.nnlint) if args.nnlint else NNLINT
    listed = {code for code in args.list.split(",") if code}
    roots = prepare_corpora(args.corpora.split(","))
    counts, lines = {}, {}
    for name, root in roots.items():
        lines[name] = count_lines(python_files(root))
        found = findings_of(root, command, args.jobs)
        counts[name] = Counter((f["code"], f["severity"]) for f in found)
        for f in sorted(found, key=lambda f: (f["code"], f["path"], f["line"])):
            if f["code"] in listed:
                print(f"{f['path']}:{f['line']}:{f['column']}: {f['code']} {f['message']}")
    codes = sorted({key for c in counts.values() for key in c})
    header = "| rule | severity | " + " | ".join(f"{n} ({lines[n]:,} lines)" for n in roots) + " |"
    rows = [header, "|---|---|" + "---|" * len(roots)]
    for code, severity in codes:
        rows.append(f"| {code} | {severity} | " + " | ".join(str(counts[n][(code, severity)]) for n in roots) + " |")
    for label, keep in (("E+W per kLOC", ("error", "warning")), ("all per kLOC", ("error", "warning", "style"))):
        rates = [sum(v for (c, s), v in counts[n].items() if s in keep) / lines[n] * 1000 for n in roots]
        rows.append(f"| {label} | | " + " | ".join(f"{r:.3f}" for r in rates) + " |")
    table = "\n".join(rows) + "\n"
    print(table)
    if args.output:
        args.output.write_text(table, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
