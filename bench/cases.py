"""Recall and false alarms of nnlint on the real-world case sets in bench/cases/<set>/.

    python bench/cases.py                         # every set, per set and per rule
    python bench/cases.py training -v             # one set, and list each miss and false alarm
    python bench/cases.py --nnlint "env PYTHONPATH=/tmp/base python3 -P -m nnlint"   # another build
    python bench/cases.py --format markdown       # the tables for bench/RESULTS.md
    python bench/cases.py snippets --with-imports # the cases with their imports written out

A case is code we wrote, modelled on a public source cited in its first line
(`# source: <URL>`). Labels sit on the line a finding is reported at:
`# expect: NN601` (a bug nnlint must find; several codes: `# expect: NN601, NN204`) and
`# known-miss: NN601` (a real bug nnlint does not catch yet: a miss, not asserted). A file
without labels is a correct twin. An error or warning on a line without its label is a false
alarm, and so is a style finding of a rule the sets label somewhere (the style rules they
measure); other style findings are counted apart, unscored.

Scoring another build (before/after): `--nnlint CMD` replaces `python -m nnlint`; the command
gets `--select ALL --isolated --no-cache --format json PATH...` appended. To score an older
commit: `git archive <commit> nnlint | tar -x -C /tmp/base` and the PYTHONPATH line above.

Other file types: a reader per suffix in READERS returns a file's labels, each keyed like the
findings it must meet (`key()`: path, cell, line; `cell` is None for plain files).
Stdlib only; not a test (tests/test_cases.py asserts the labels).
"""
from __future__ import annotations

import argparse
import json
import re
import shlex
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple

CASES = Path(__file__).resolve().parent / "cases"
NNLINT = [sys.executable, "-m", "nnlint"]
LABEL = re.compile(r"#.*?\b(expect|known-miss):\s*(NN\d{3}(?:\s*,\s*NN\d{3})*)")
SOURCE = re.compile(r"#\s*source:\s*(https?://\S+)")
SCORED_SEVERITIES = ("error", "warning")

Key = Tuple[str, Optional[str], int]  # (absolute path, cell or None, line)


@dataclass(frozen=True)
class Label:
    key: Key
    code: str
    kind: str  # "expect" or "known-miss"


@dataclass
class CaseFile:
    path: Path
    set: str
    source: Optional[str]  # the URL of the first-line `# source:` comment
    labels: List[Label] = field(default_factory=list)

    @property
    def is_twin(self) -> bool:
        """A correct twin: no bug labelled in it."""
        return not self.labels


def python_labels(path: Path, text: str) -> List[Label]:
    labels = []
    for number, line in enumerate(text.splitlines(), start=1):
        for match in LABEL.finditer(line):
            for code in match.group(2).split(","):
                labels.append(Label((str(path), None, number), code.strip(), match.group(1)))
    return labels


def _code_cells(text: str) -> List[Tuple[int, str]]:
    """A notebook's code cells: (cell number, counting every cell from 1, as nnlint does; source)."""
    try:
        cells = json.loads(text).get("cells", [])
    except (ValueError, AttributeError):
        return []
    return [(number, "".join(cell.get("source", "")) if isinstance(cell.get("source"), list) else cell.get("source", ""))
            for number, cell in enumerate(cells, start=1) if isinstance(cell, dict) and cell.get("cell_type") == "code"]


def notebook_labels(path: Path, text: str) -> List[Label]:
    """A notebook's labels, by cell and line in the cell (as nnlint reports them)."""
    return [Label((str(path), number, label.key[2]), label.code, label.kind)
            for number, source in _code_cells(text) for label in python_labels(path, source)]


# suffix -> labels of one file; a Markdown file's labels are at its own lines, like a .py file's
READERS: Dict[str, Callable[[Path, str], List[Label]]] = {
    ".py": python_labels, ".ipynb": notebook_labels, ".md": python_labels}


def first_line(path: Path, text: str) -> str:
    """The line that cites the case's source: the file's first (a notebook's: its first code
    cell's first; a Markdown file's may be `<!-- # source: URL -->`)."""
    if path.suffix == ".ipynb":
        cells = _code_cells(text)
        text = cells[0][1] if cells else ""
    return text.splitlines()[0] if text else ""


# --with-imports: each case with PyTorch's conventional imports written out, on the line that
# cites the source (the first line of the file, of a notebook's first code cell, or of a
# Markdown file's first code block), so that every label stays on its line.
IMPORTS = ("import torch; import torch.nn as nn; import torch.nn.functional as F; import torch.optim as optim; "
           "import torch.nn.init as init; from torch.autograd import Variable; "
           "from torch.utils.data import DataLoader, Dataset; ")


def with_imports(path: Path, text: str) -> str:
    """The case's text with the conventional imports prepended to its first line of code, which
    must be a comment (SystemExit otherwise: the case would not parse)."""
    if path.suffix == ".ipynb":
        data = json.loads(text)
        cell = next(c for c in data["cells"] if c.get("cell_type") == "code")
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        _check_comment(path, source)
        cell["source"] = IMPORTS + source
        return json.dumps(data, indent=1)
    lines = text.split("\n")
    index = 0
    if path.suffix == ".md":  # the first line inside the first python fence
        index = next(i for i, line in enumerate(lines) if line.strip().startswith("```") and "py" in line) + 1
    indent, line = re.match(r"(\s*(?:>>> )?)(.*)", lines[index]).groups()  # after a console prompt
    _check_comment(path, line)
    lines[index] = indent + IMPORTS + line
    return "\n".join(lines)


def _check_comment(path: Path, line: str) -> None:
    if not line.lstrip().startswith("#"):
        raise SystemExit(f"{path}: --with-imports needs a comment on the first line of code, not {line!r}")


def copy_with_imports(root: Path, sets: Optional[List[str]], into: Path) -> Path:
    """A copy of the case sets under `into`, every case with its imports written out."""
    for case in collect(root, sets):
        target = into / case.path.relative_to(root.resolve())
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(with_imports(case.path, case.path.read_text(encoding="utf-8")), encoding="utf-8")
    return into


def key(finding: dict) -> Key:
    return (str(Path(finding["path"]).resolve()), finding.get("cell"), finding["line"])


def collect(root: Path, sets: Optional[List[str]] = None) -> List[CaseFile]:
    """Every case file under root/<set>/, in path order."""
    cases = []
    for set_dir in sorted(p for p in root.iterdir() if p.is_dir()):
        if sets and set_dir.name not in sets:
            continue
        for path in sorted(p for p in set_dir.rglob("*") if p.suffix in READERS and p.is_file()):
            path = path.resolve()
            text = path.read_text(encoding="utf-8", errors="replace")
            source = SOURCE.search(first_line(path, text))
            cases.append(CaseFile(path, set_dir.name, source.group(1) if source else None,
                                  READERS[path.suffix](path, text)))
    return cases


def run_nnlint(command: List[str], paths: List[Path]) -> List[dict]:
    # From a neutral folder: `python -m nnlint` would import the checkout's nnlint ahead of the
    # PYTHONPATH of a `--nnlint` command (the paths are absolute, the settings --isolated).
    run = subprocess.run([*command, "--select", "ALL", "--isolated", "--no-cache", "--format", "json",
                          *map(str, paths)], capture_output=True, text=True, cwd=tempfile.gettempdir())
    if run.returncode not in (0, 1):
        raise SystemExit(f"{shlex.join(command)} failed (exit {run.returncode}): {run.stderr.strip()}")
    return json.loads(run.stdout)


@dataclass
class Score:
    """One set's (or all sets') counts."""
    bugs: Counter = field(default_factory=Counter)  # code -> labels
    caught: Counter = field(default_factory=Counter)  # code -> labels found
    false_alarms: Counter = field(default_factory=Counter)  # code -> unlabelled scored findings
    twins: int = 0
    twins_alarmed: int = 0  # correct twins with at least one false alarm
    unscored: int = 0  # style findings of rules no set measures
    missed: List[Tuple[Label, CaseFile]] = field(default_factory=list)
    alarms: List[dict] = field(default_factory=list)
    newly_caught: List[Label] = field(default_factory=list)  # known-miss labels that are found


def score(cases: List[CaseFile], findings: List[dict]) -> Dict[str, Score]:
    """Per set, plus "all"."""
    measured = {label.code for case in cases for label in case.labels}
    by_path: Dict[str, List[dict]] = defaultdict(list)
    for finding in findings:
        by_path[key(finding)[0]].append(finding)
    unknown = set(by_path) - {str(case.path) for case in cases}
    if unknown:
        raise SystemExit(f"findings outside the case files: {', '.join(sorted(unknown))}")
    scores: Dict[str, Score] = defaultdict(Score)
    for case in cases:
        found = Counter((key(f), f["code"]) for f in by_path[str(case.path)])
        labelled = Counter((label.key, label.code) for label in case.labels)
        touched = [scores[case.set], scores["all"]]
        alarms = []
        surplus = found - labelled  # Counter subtraction keeps the positive counts only
        for finding in by_path[str(case.path)]:
            at = (key(finding), finding["code"])
            if surplus[at] <= 0:
                continue
            surplus[at] -= 1  # the same code twice on a line with one label: one false alarm
            if finding["severity"] in SCORED_SEVERITIES or finding["code"] in measured:
                alarms.append(finding)
            else:
                for s in touched:
                    s.unscored += 1
        claims = Counter(found)  # labels each take one finding of their code at their line
        caught = []
        for label in case.labels:
            caught.append(claims[(label.key, label.code)] > 0)
            claims[(label.key, label.code)] -= 1
        for s in touched:
            s.twins += case.is_twin
            s.twins_alarmed += case.is_twin and bool(alarms)
            s.alarms.extend(alarms)
            s.false_alarms.update(f["code"] for f in alarms)
            for label, is_caught in zip(case.labels, caught):
                s.bugs[label.code] += 1
                if is_caught:
                    s.caught[label.code] += 1
                    if label.kind == "known-miss":
                        s.newly_caught.append(label)
                else:
                    s.missed.append((label, case))
    return dict(scores)


def _ratio(part: int, whole: int) -> str:
    return f"{part / whole:.0%}" if whole else "-"


def table(scores: Dict[str, Score], markdown: bool) -> str:
    sets = [name for name in scores if name != "all"] + (["all"] if len(scores) > 2 else [])
    rows = [("set", "bugs", "caught", "recall", "correct twins", "twins with a false alarm", "false alarms")]
    for name in sets:
        s = scores[name]
        bugs, caught = sum(s.bugs.values()), sum(s.caught.values())
        rows.append((name, bugs, caught, _ratio(caught, bugs), s.twins, s.twins_alarmed, sum(s.false_alarms.values())))
    total = scores["all"]
    rule_rows = [("rule", "bugs", "caught", "recall", "false alarms")]
    for code in sorted(set(total.bugs) | set(total.false_alarms)):
        rule_rows.append((code, total.bugs[code], total.caught[code], _ratio(total.caught[code], total.bugs[code]),
                          total.false_alarms[code]))
    return _format(rows, markdown) + "\n" + _format(rule_rows, markdown)


def _format(rows, markdown: bool) -> str:
    cells = [[str(c) for c in row] for row in rows]
    if markdown:
        lines = ["| " + " | ".join(row) + " |" for row in cells]
        lines.insert(1, "|" + "---|" * len(cells[0]))
        return "\n".join(lines) + "\n"
    widths = [max(len(row[i]) for row in cells) for i in range(len(cells[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in cells) + "\n"


def details(s: Score) -> str:
    lines = []
    for label, case in s.missed:
        kind = "known miss" if label.kind == "known-miss" else "MISSED"
        lines.append(f"{_where(label.key)}: {label.code} {kind}  (source: {case.source})")
    for finding in s.alarms:
        lines.append(f"{_where(key(finding))}: {finding['code']} FALSE ALARM {finding['message']}")
    for label in s.newly_caught:
        lines.append(f"{_where(label.key)}: {label.code} caught but labelled known-miss: make it `expect`")
    return "\n".join(lines) + ("\n" if lines else "")


def _where(k: Key) -> str:
    path = Path(k[0])
    try:
        path = path.relative_to(Path.cwd())
    except ValueError:
        pass
    return f"{path}:{'cell ' + str(k[1]) + ':' if k[1] is not None else ''}{k[2]}"


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sets", nargs="*", help="set names (folders of bench/cases/); default: all")
    parser.add_argument("--nnlint", default=None, help="the command that runs nnlint (default: python -m nnlint)")
    parser.add_argument("--root", type=Path, default=CASES, help="where the sets are (default: bench/cases)")
    parser.add_argument("--format", choices=("text", "markdown", "json"), default="text")
    parser.add_argument("-v", "--verbose", action="store_true", help="list every miss and false alarm")
    parser.add_argument("--with-imports", action="store_true",
                        help="score a copy of the cases with PyTorch's conventional imports written out")
    args = parser.parse_args(argv)
    if args.with_imports:
        with tempfile.TemporaryDirectory() as folder:
            return _main(args, copy_with_imports(args.root, args.sets, Path(folder).resolve()))
    return _main(args, args.root)


def _main(args, root: Path) -> int:
    cases = collect(root, args.sets)
    if not cases:
        raise SystemExit(f"no cases under {root}" + (f" in {', '.join(args.sets)}" if args.sets else ""))
    command = shlex.split(args.nnlint) if args.nnlint else NNLINT
    scores = score(cases, run_nnlint(command, [case.path for case in cases]))
    if args.format == "json":
        print(json.dumps({name: {"bugs": dict(s.bugs), "caught": dict(s.caught),
                                 "false_alarms": dict(s.false_alarms), "twins": s.twins,
                                 "twins_alarmed": s.twins_alarmed, "unscored": s.unscored}
                          for name, s in scores.items()}, indent=2, sort_keys=True))
        return 0
    print(table(scores, args.format == "markdown"), end="")
    if args.verbose:
        print()
        print(details(scores["all"]), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
