"""`nnlint verify` as text: a block per model, its findings in the usual
`path:line:col: CODE message [confirmed]` form, then a summary line."""

from __future__ import annotations

from typing import List

from nnlint.report.summary import plural
from nnlint.verify.result import FAILED, NOT_RUNNABLE, SKIPPED, ModelResult, VerifiedFinding, VerifyResult

def tag(finding: VerifiedFinding) -> str:
    """confirmed / not reproduced / cannot be observed at runtime: why / runtime."""
    verdict = finding.verdict
    return f"{verdict}: {finding.reason}" if finding.confirmed is None and finding.reason else verdict


def format_finding(finding: VerifiedFinding) -> str:
    return (f"{finding.path}:{finding.line}:{finding.column}: {finding.code} {finding.message} "
            f"[{tag(finding)}]")


def model_block(model: ModelResult) -> List[str]:
    where = f" on {model.device}" if model.device and model.status not in (SKIPPED, NOT_RUNNABLE) else ""
    label = f"{model.name}  [{model.factory}]" if model.factory and model.factory != model.name else model.name
    lines = [f"{label}  {model.status}{where}  {plural(len(model.findings), 'finding')}  "
             f"({model.seconds:.2f} s)"]
    if model.status in (SKIPPED, FAILED, NOT_RUNNABLE) and model.reason:
        lines.append(f"  {model.status.replace('-', ' ')}: {model.reason}")
    if model.hint:
        lines.append("  add to pyproject.toml:")
        lines.extend(f"    {line}" for line in model.hint.splitlines())
    for finding in model.findings:
        lines.append(f"  {format_finding(finding)}")
        if finding.source == "static" and finding.confirmed and finding.evidence:
            lines.append(f"      seen: {finding.evidence}")
    lines.extend(f"  note: {note}" for note in model.notes)
    return lines


def skipped_together(models: List[ModelResult]) -> List[str]:
    """Models of one file skipped for one reason (a package that is not installed, an import
    that timed out): one block, not one per class."""
    first = models[0]
    names = ", ".join(m.name.rsplit(":", 1)[-1] for m in models)
    lines = [f"{first.path}: {len(models)} models skipped ({names})", f"  skipped: {first.reason}"]
    lines.extend(f"  note: {note}" for note in first.notes)
    return lines


def _groups(models: List[ModelResult]) -> List[List[ModelResult]]:
    groups: List[List[ModelResult]] = []
    for model in models:
        last = groups[-1][-1] if groups else None
        if (last is not None and model.status == SKIPPED and last.status == SKIPPED and model.path == last.path
                and model.reason == last.reason and not model.findings and not last.findings
                and not model.hint and not last.hint):
            groups[-1].append(model)
        else:
            groups.append([model])
    return groups


def summary_line(result: VerifyResult) -> str:
    c = result.counts()
    head = (f"Verified {plural(c['models'], 'model')} in {result.seconds:.1f} s: checked {c['checked']} of "
            f"{c['runnable']} model classes ({c['coverage']:g}%), {c['skipped']} skipped, {c['failed']} failed")
    head += f", {c['not_runnable']} not runnable (no forward to call)." if c["not_runnable"] else "."
    if c["unreadable"]:
        head += f" {plural(c['unreadable'], 'file')} not analysed (NN000)."
    if not c["findings"]:
        return head if c["unreadable"] else f"{head} No findings."
    parts = [f"{c['confirmed']} confirmed", f"{c['not_confirmed']} not reproduced",
             f"{c['unchecked']} cannot be observed at runtime", f"{c['runtime_only']} found only at runtime"]
    return f"{head} {plural(c['findings'], 'finding')}: {', '.join(parts)}."


def render(result: VerifyResult) -> str:
    lines: List[str] = []
    for group in _groups(result.models):
        lines.extend(model_block(group[0]) if len(group) == 1 else skipped_together(group))
    lines.extend(f"{p.path}:{p.line}:{p.column}: {p.code} {p.message}" for p in result.problems)
    lines.extend(f"note: {note}" for note in result.notes)
    lines.append(summary_line(result))
    return "\n".join(lines) + "\n"
