"""Static findings x runtime observations -> each finding confirmed true / false / null, plus the
runtime-only findings (NN9xx, and NN101/NN102 the static pass missed). Pure data, no torch.

A static finding belongs to the model entry of the innermost class that contains it (for a
model a factory built, also the findings of its submodules' classes that no entry of the run
owns). Any run whose model contains the finding's class (as the model or a submodule) can
confirm it, through an observation of a kind that rule predicts, found at the right place:

- an exception's frames on the finding's lines (strong) or inside its class (weak);
- an attribute path under an instance of the class whose names appear in the finding's source
  (strong) or not (weak);
- a model-wide observation (eval nondeterminism, a warning) in a model that holds the class (weak).

Strong matches are taken first, then weak ones among the observations not yet explained. An
observation that confirms a shown finding is not repeated as a runtime-only finding.
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass, field
from typing import Callable, Dict, FrozenSet, Iterable, List, Optional, Sequence, Set, Tuple

from nnlint.files import display_path
from nnlint.finding import Finding
from nnlint.verify.result import (KINDS, NOT_RUNNABLE, SKIPPED, ClassSource, ModelResult, ModelRun, Observation,
                                  VerifiedFinding, VerifyResult)

# the consequences of hidden state: a state_dict round trip cannot restore what it does not hold
_REGISTRATION = ("unregistered_module", "unregistered_parameter", "plain_tensor")


@functools.lru_cache(maxsize=None)
def _tables() -> Tuple[Dict[str, Tuple[str, ...]], Dict[str, str], FrozenSet[str]]:
    """From the rule registry (`Rule.runtime`): code -> the kinds that confirm it; kind -> the
    code that reports it when no finding explains it; the codes only confirmed at their lines."""
    from nnlint.rules import all_rules

    confirmed_by, alone, at_line = {}, {}, set()
    for code, rule in all_rules().items():
        runtime = rule.runtime
        if runtime.kinds:
            confirmed_by[code] = tuple(runtime.kinds)
        for kind in runtime.reports:
            alone[kind] = code
        if runtime.at_line:
            at_line.add(code)
    return confirmed_by, alone, frozenset(at_line)


def confirming_kinds(code: str) -> Tuple[str, ...]:
    """The observation kinds that confirm a finding of `code` (none: it cannot be observed)."""
    return _tables()[0].get(code, ())


def runtime_code(kind: str) -> Optional[str]:
    """The code an observation is reported with when no static finding explains it."""
    return _tables()[1].get(kind)


_WORD = re.compile(r"[A-Za-z_]\w*")


@dataclass
class StaticFile:
    """A file's static findings and source, as the engine produced them."""

    path: str  # absolute
    findings: List[Finding]
    lines: List[str] = field(default_factory=list)

    def text(self, finding: Finding) -> str:
        return "\n".join(self.lines[finding.line - 1: max(finding.line, finding.end_line)])


@dataclass
class _Shown:
    finding: Finding
    file: StaticFile
    entry: int
    confirmed: Optional[bool] = None
    evidence: str = ""
    reason: str = ""  # why it cannot be observed, when confirmed is None


def correlate(runs: Sequence[ModelRun], static: Dict[str, StaticFile],
              enabled: Callable[[str, str], bool] = lambda code, path: True,
              factory_runs: Iterable[int] = ()) -> List[ModelResult]:
    """One ModelResult per run. `static` maps absolute paths to their findings; `enabled(code,
    path)` says whether a runtime-only code is selected for a file."""
    factory_runs = set(factory_runs) | {i for i, r in enumerate(runs) if r.factory}
    shown = _assign(runs, static, factory_runs)
    explained: Set[Tuple[int, int]] = set()  # (run index, observation index)
    by_entry: Dict[int, List[_Shown]] = {}
    for item in shown:
        by_entry.setdefault(item.entry, []).append(item)
    _confirm(runs, shown, explained)

    results = []
    for index, run in enumerate(runs):
        result = ModelResult(
            name=run.name, path=run.path, line=run.line, status=run.status, device=run.device,
            reason=run.reason, hint=run.hint, seconds=run.seconds, cpu_seconds=run.cpu_seconds,
            factory=run.factory,
            warnings=list(run.report.warnings), notes=list(run.report.notes), checks=list(run.report.checks),
            members=list(run.report.members), grads=list(run.report.grads), timings=dict(run.report.timings),
        )
        for item in by_entry.get(index, []):
            f = item.finding
            result.findings.append(VerifiedFinding(
                code=f.code, name=f.name, severity=f.severity.label, path=f.path, line=f.line,
                column=f.column, message=f.message, confirmed=item.confirmed, source="static",
                evidence=item.evidence, suggestion=f.suggestion, reason=item.reason))
        result.findings.extend(_runtime_only(index, run, explained, enabled))
        missing = [p for p, o in enumerate(run.report.observations) if o.kind == "missing_forward"]
        if missing and run.status == "failed" and not any((index, p) in explained for p in missing):
            result.status = NOT_RUNNABLE
            result.reason = "defines no forward: nothing to call (a holder, a container or a base class)"
        result.findings.sort(key=lambda f: (f.line, f.column, f.code, f.source))
        results.append(result)
    return results


# ----- which findings each entry shows ------------------------------------------------------
def _assign(runs: Sequence[ModelRun], static: Dict[str, StaticFile], factory_runs: Set[int]) -> List[_Shown]:
    ranges: List[Tuple[str, int, int, int]] = []  # file, first, last, entry
    for index, run in enumerate(runs):
        own = run.classes.get("")
        if own is not None and own.path and own.line:
            ranges.append((own.path, own.line, own.end_line, index))
    shown: List[_Shown] = []
    for path, file in static.items():
        for finding in file.findings:
            entry = _innermost(ranges, path, finding.line)
            if entry is None:
                entry = _pulled(runs, factory_runs, path, finding.line)
            if entry is None:
                entry = _raised_at(runs, path, finding)
            if entry is not None:
                shown.append(_Shown(finding, file, entry))
    return shown


def _raised_at(runs: Sequence[ModelRun], path: str, finding: Finding) -> Optional[int]:
    """A finding outside every class (a helper function) goes to the first model whose run
    raised on its lines, when such an error would confirm it."""
    kinds = confirming_kinds(finding.code)
    for index, run in enumerate(runs):
        for obs in run.report.observations:
            if obs.kind in kinds and _on_lines(obs, path, finding):
                return index
    return None


def _on_lines(obs: Observation, path: str, finding: Finding) -> bool:
    return any(p == path and finding.line <= n <= max(finding.line, finding.end_line) for p, n in obs.frames)


def _innermost(ranges, path: str, line: int) -> Optional[int]:
    best = None
    for file, first, last, entry in ranges:
        if file == path and first <= line <= last:
            if best is None or last - first < best[0]:
                best = (last - first, entry)
    return None if best is None else best[1]


def _pulled(runs: Sequence[ModelRun], factory_runs: Set[int], path: str, line: int) -> Optional[int]:
    """A finding in a submodule's class that no entry owns goes to the first factory-built model
    holding that class."""
    for index in sorted(factory_runs):
        if any(c.path == path and c.line <= line <= c.end_line for c in runs[index].classes.values()):
            return index
    return None


# ----- confirmation --------------------------------------------------------------------------
def _owners(run: ModelRun, path: str, line: int) -> Tuple[List[str], Optional[ClassSource]]:
    """The model paths whose (innermost) class contains `path:line`, and that class."""
    best: Optional[ClassSource] = None
    for source in run.classes.values():
        if source.path == path and source.line <= line <= source.end_line:
            if best is None or source.end_line - source.line < best.end_line - best.line:
                best = source
    if best is None:
        return [], None
    return [p for p, s in run.classes.items() if s.key == best.key and s.line == best.line], best


def _tokens(path: str) -> Set[str]:
    """The names that point at `path` in source: the owners of a parameter (`fc` for
    `fc.weight`, whose leaf name says little), or the attribute itself when it is alone."""
    parts = [t for t in re.split(r"[.\[\]'\"]+", path) if t and not t.isdigit()]
    return set(parts[:-1] if len(parts) > 1 else parts)


def _match(obs: Observation, finding: Finding, file: StaticFile, owners: List[str],
           cls: ClassSource) -> Optional[str]:
    """"strong", "weak" or None: whether `obs` is the runtime face of `finding`."""
    if obs.frames:
        if _on_lines(obs, file.path, finding):
            return "strong"
        if cls is not None and any(p == file.path and cls.line <= n <= cls.end_line for p, n in obs.frames):
            return "weak"
        return None
    if cls is None:
        return None
    if obs.kind == "missing_forward":
        return "weak" if cls.key.rsplit(".", 1)[-1].rsplit(":", 1)[-1] in obs.names else None
    paths = [obs.path] if obs.path else (obs.names if obs.kind == "no_grad" else [])
    if not paths:
        return "weak"  # model-wide: eval nondeterminism, a warning, ...
    relative = []
    for path in paths:
        for owner in owners:
            if owner == "":
                relative.append(path)
            elif path.startswith(owner + "."):
                relative.append(path[len(owner) + 1:])
    if not relative:
        return None
    words = set(_WORD.findall(file.text(finding)))
    return "strong" if any(_tokens(r) & words for r in relative) else "weak"


def _confirm(runs: Sequence[ModelRun], shown: List[_Shown], explained: Set[Tuple[int, int]]) -> None:
    """Each shown finding: confirmed (True), checked and not seen (False), or not observable
    (None, with the reason)."""
    from nnlint.rules import all_rules

    at_line = _tables()[2]
    weak: Dict[int, List[Tuple[int, int, Observation]]] = {}
    for number, item in enumerate(shown):
        code = item.finding.code
        kinds = confirming_kinds(code)
        if not kinds:
            rule = all_rules().get(code)
            item.reason = rule.runtime.reason(rule.severity) if rule is not None else "not a rule of this nnlint"
            continue
        checked = False
        strong = []
        for index, run in enumerate(runs):
            owners, cls = _owners(run, item.file.path, item.finding.line)
            if cls is None and index != item.entry:
                continue
            checked = checked or _checked(run, kinds)
            for position, obs in enumerate(run.report.observations):
                if obs.kind not in kinds:
                    continue
                how = _match(obs, item.finding, item.file, owners, cls)
                if how == "strong":
                    strong.append((index, position, obs))
                elif how == "weak" and code not in at_line:
                    weak.setdefault(number, []).append((index, position, obs))
        if strong:
            item.confirmed, item.evidence = True, strong[0][2].message
            explained.update((i, p) for i, p, _ in strong)
        elif checked and all_rules()[code].runtime.absent:
            item.reason = all_rules()[code].runtime.absent
        elif checked:
            item.confirmed = False
        else:
            item.reason = _not_run(runs[item.entry], kinds)
    strongly = set(explained)
    for number, candidates in weak.items():
        item = shown[number]
        if item.confirmed:
            continue
        free = [(i, p, o) for i, p, o in candidates if (i, p) not in strongly]
        if free:
            item.confirmed, item.evidence, item.reason = True, free[0][2].message, ""
            explained.update((i, p) for i, p, _ in free)


def _checked(run: ModelRun, kinds: Sequence[str]) -> bool:
    """Whether the absence of these kinds on a run means "not there": a check that looks for one
    ran (registration, gradients, eval, the names probe, ...), or, for errors, the phases that
    raise them all ran to the end (a forward that failed first proves nothing about a later line)."""
    errors = [kind for kind in kinds if KINDS.get(kind) in ("build", "forward")]
    others = [kind for kind in kinds if kind not in errors]
    return any(_check_ran(run, kind) for kind in others) or bool(errors) and all(
        _check_ran(run, kind) for kind in errors)


def _check_ran(run: ModelRun, kind: str) -> bool:
    if kind == "device_mismatch":  # only a real device move can show it
        return bool(run.device) and run.device != "cpu" and "forward" in run.report.checks
    return KINDS.get(kind, "") in run.report.checks


def _not_run(run: ModelRun, kinds: Sequence[str]) -> str:
    """Why the checks that could show a finding did not run on its model."""
    if run.status in (SKIPPED, NOT_RUNNABLE):
        return f"the model was not run ({run.status.replace('-', ' ')})"
    checks = run.report.checks
    if "build" not in checks:
        return "the model could not be built"
    if "device_mismatch" in kinds and "forward" in checks:
        return f"needs a GPU: the model ran on {run.device or 'cpu'}"
    needed = [KINDS.get(kind, "") for kind in kinds]
    if "forward" not in checks and any(n != "build" for n in needed):
        return "forward failed before this could be checked"
    missing = next((n for n in needed if n and n not in checks), "")
    return f"the {missing} check did not run" if missing else "no run held this class"


# ----- runtime-only findings -------------------------------------------------------------------
def _runtime_only(index: int, run: ModelRun, explained: Set[Tuple[int, int]],
                  enabled: Callable[[str, str], bool]) -> List[VerifiedFinding]:
    own = run.classes.get("")
    own_path = own.path if own is not None else os.path.abspath(run.path)
    hidden_state = any(o.kind in _REGISTRATION for o in run.report.observations)
    left = [(p, o) for p, o in enumerate(run.report.observations)
            if (index, p) not in explained and runtime_code(o.kind)
            and not (o.kind == "state_dict" and hidden_state)
            and "guessed-arguments" not in o.names]  # the worker noted it: maybe our guess's doing
    out: List[VerifiedFinding] = []
    no_grad = [o for _, o in left if o.kind == "no_grad"]
    for _, obs in left:
        if obs.kind == "no_grad" and obs is not no_grad[0]:
            continue
        message = _no_grad_message(no_grad) if obs.kind == "no_grad" else obs.message
        code = runtime_code(obs.kind)
        if not enabled(code, run.path):
            continue
        line = next((n for p, n in reversed(obs.frames) if p == own_path), run.line)
        if obs.frames and obs.frames[-1][0] != own_path:  # raised elsewhere: say where
            message += f" (at {_frame_path(obs.frames[-1][0])}:{obs.frames[-1][1]})"
        name, severity = _rule_facts(code)
        out.append(VerifiedFinding(code=code, name=name, severity=severity, path=run.path, line=line,
                                   column=1, message=message, confirmed=True, source="runtime",
                                   evidence=message, suggestion=_suggestion(code)))
    return out


def _frame_path(path: str) -> str:
    """A traceback frame's file as display_path shows it; outside the current folder, from its
    package inside site-packages (`torch/nn/modules/module.py`)."""
    if os.path.relpath(path).startswith(".."):
        for marker in ("site-packages", "dist-packages"):
            if marker + os.sep in path:
                return path.split(marker + os.sep, 1)[1]
    return display_path(path)


def _no_grad_message(observations: List[Observation]) -> str:
    if len(observations) == 1:
        return observations[0].message
    names = [o.path for o in observations]
    shown = ", ".join(f"`{n}`" for n in names[:6]) + (f" and {len(names) - 6} more" if len(names) > 6 else "")
    return (f"{len(names)} parameters got no gradient from the backward of the output: {shown} "
            f"(unused in forward, or cut from the graph)")


def _rule_facts(code: str) -> Tuple[str, str]:
    from nnlint.rules import all_rules

    rule = all_rules()[code]
    return rule.name, rule.severity.label


def _suggestion(code: str) -> str:
    from nnlint.rules import all_rules

    rule = all_rules().get(code)
    return getattr(rule, "suggestion", "") if rule is not None else ""


def verify_result(results: List[ModelResult], seconds: float = 0.0) -> VerifyResult:
    return VerifyResult(models=results, seconds=seconds)
