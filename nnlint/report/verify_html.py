"""`nnlint verify --html FILE`: one self-contained HTML page (inline CSS, SVG and a few lines of
JS; nothing fetched from the network), for people to read rather than grep:

- a summary of the run, and a list of the models with their status, findings and time;
- per model: the static-vs-runtime table (each finding confirmed, not reproduced, cannot be
  observed at runtime and why, or found only at runtime), the module tree with every submodule, parameter,
  buffer and plain tensor marked registered or hidden, a bar chart of each parameter's gradient
  norm (log scale; zero, missing and NaN/Inf gradients in red), and where the time went.

Results in, text out: everything shown was measured by the run (`VerifyResult`).
"""

from __future__ import annotations

import math
import re
from html import escape
from typing import Dict, List, Optional, Sequence, Tuple

from nnlint import __version__
from nnlint.report.summary import plural
from nnlint.verify.result import (CHECKED, FAILED, NOT_RUNNABLE, SKIPPED, Grad, Member, ModelResult, VerifiedFinding,
                                  VerifyResult)

VERDICTS = {  # (css class, label, what it means)
    "confirmed": ("confirmed", "confirmed", "the run showed the bug this finding predicts"),
    "not": ("not-reproduced", "not reproduced", "the check for it ran and did not show it"),
    "unchecked": ("unchecked", "cannot be observed", "no check of this run could show it (the reason is given)"),
    "runtime": ("runtime", "runtime only", "seen only by running the model: no static finding explains it"),
}
PHASES = ("build", "registration", "device", "forward", "backward", "eval", "state_dict", "move")
PHASE_LABELS = {"build": "build & inputs", "state_dict": "state_dict round trip", "move": ".double() probe"}

_ROW = 20  # px per bar of the gradient chart
_CHAR = 7.0  # px per character of its 12px monospace labels
_LABEL_MAX = 46  # characters of a parameter name before it is shortened from the left


def verdict(finding: VerifiedFinding) -> str:
    if finding.source == "runtime":
        return "runtime"
    return {True: "confirmed", False: "not", None: "unchecked"}[finding.confirmed]


def _e(value) -> str:
    return escape(str(value), quote=True)


def _anchor(index: int, model: ModelResult) -> str:
    return f"m{index}-" + re.sub(r"[^A-Za-z0-9]+", "-", model.name).strip("-")


def _seconds(value: float) -> str:
    if value < 0.001:
        return "<1 ms"
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


# ----- the page -----------------------------------------------------------------------------
def render(result: VerifyResult) -> str:
    counts = result.counts()
    parts = [_HEAD, '<body>\n<header class="page">', '<h1>nnlint verify</h1>',
             f'<p class="sub">{_e(plural(counts["models"], "model"))} built and run in '
             f'{result.seconds:.1f} s &middot; nnlint {_e(__version__)}</p>', "</header>",
             '<main>', _summary(result, counts), _overview(result)]
    notes = [f"{f.path}:{f.line}:{f.column}: {f.code} {f.message}" for f in result.problems] + result.notes
    if notes:
        parts.append('<ul class="notes">' + "".join(f"<li>{_e(n)}</li>" for n in notes) + "</ul>")
    parts.extend(_model(index, model) for index, model in enumerate(result.models))
    parts.append("</main>")
    parts.append(_SCRIPT)
    parts.append("</body>\n</html>\n")
    return "\n".join(parts)


def _summary(result: VerifyResult, counts: dict) -> str:
    hidden = sum(1 for m in result.models for x in m.members if not x.registered)
    devices = sorted({m.device for m in result.models if m.device})
    tiles = [
        ("models", counts["models"], f'{counts["checked"]} checked ({counts["coverage"]:g}%) &middot; '
                                     f'{counts["skipped"]} skipped &middot; {counts["failed"]} failed'
                                     + (f' &middot; {counts["not_runnable"]} not runnable' if counts["not_runnable"]
                                        else ''),
         "bad" if counts["failed"] or not counts["checked"] else ""),
        ("findings", counts["findings"], f'{counts["confirmed"]} confirmed &middot; '
                                         f'{counts["not_confirmed"]} not reproduced &middot; '
                                         f'{counts["unchecked"]} cannot be observed at runtime',
         "bad" if counts["findings"] else "good"),
        ("runtime only", counts["runtime_only"], "found by running the models, not by reading them",
         "bad" if counts["runtime_only"] else "good"),
        ("hidden members", hidden, "modules, parameters and tensors the registries do not hold",
         "bad" if hidden else "good"),
        ("device", _e(", ".join(devices) or "none"), f"{result.seconds:.2f} s in all", ""),
    ]
    cells = "".join(f'<div class="tile {cls}"><div class="num">{value}</div><div class="what">{_e(name)}</div>'
                    f'<div class="detail">{detail}</div></div>' for name, value, detail, cls in tiles)
    return f'<section class="tiles">{cells}</section>'


def _overview(result: VerifyResult) -> str:
    if not result.models:
        return '<p class="empty">No model was run.</p>'
    slowest = max((m.seconds for m in result.models), default=0.0) or 1.0
    rows = []
    for index, model in enumerate(result.models):
        tally: Dict[str, int] = {}
        for finding in model.findings:
            key = verdict(finding)
            tally[key] = tally.get(key, 0) + 1
        chips = " ".join(f'<span class="chip {VERDICTS[k][0]}">{n} {VERDICTS[k][1]}</span>'
                         for k, n in tally.items()) or '<span class="none">none</span>'
        width = max(2.0, 100.0 * model.seconds / slowest)
        rows.append(
            f'<tr class="{_e(model.status)}" data-findings="{len(model.findings)}">'
            f'<td><a href="#{_anchor(index, model)}">{_e(model.name)}</a></td>'
            f'<td>{_status(model.status)}</td><td>{chips}</td><td>{_e(model.device or "")}</td>'
            f'<td class="time"><span class="timebar" style="width:{width:.0f}%"></span>'
            f'<span>{_seconds(model.seconds)}</span></td></tr>')
    return ('<section class="overview"><div class="bar-row"><h2>Models</h2>'
            '<label class="filter"><input type="checkbox" id="only-findings"> only models with findings'
            '</label></div><table class="models"><thead><tr><th>model</th><th>status</th><th>findings</th>'
            '<th>device</th><th>time</th></tr></thead><tbody>' + "".join(rows) + "</tbody></table></section>")


def _status(status: str) -> str:
    return f'<span class="status {_e(status)}">{_e(status)}</span>'


def _model(index: int, model: ModelResult) -> str:
    where = f"{model.path}:{model.line}" if model.line else model.path
    facts = [f"<code>{_e(where)}</code>"]
    if model.factory and model.factory != model.name:
        facts.append(f"built by <code>{_e(model.factory)}</code>")
    if model.device:
        facts.append(f"on <b>{_e(model.device)}</b>")
    facts.append(_seconds(model.seconds))
    parts = [f'<section class="model {_e(model.status)}" id="{_anchor(index, model)}" '
             f'data-findings="{len(model.findings)}">',
             f'<h2>{_e(model.name)} {_status(model.status)}</h2>',
             f'<p class="facts">{" &middot; ".join(facts)}</p>']
    if model.status in (SKIPPED, FAILED, NOT_RUNNABLE) and model.reason:
        parts.append(f'<p class="reason {model.status}">{_e(model.reason)}</p>')
    if model.hint:
        parts.append(f'<p class="hint">Add to <code>pyproject.toml</code>:</p><pre>{_e(model.hint)}</pre>')
    parts.append(_findings(model.findings, model.path))
    if model.members or model.grads:
        parts.append('<div class="panels">')
        parts.append(_panel("Module tree", _tree(model.members), _TREE_LEGEND))
        parts.append(_panel("Gradient norm per parameter", _grad_chart(model.grads, model.checks),
                            _GRAD_LEGEND))
        parts.append("</div>")
    if model.status == CHECKED or model.timings:
        parts.append(_timing(model))
    extra = [f'<li class="warning">{_e(w)}</li>' for w in model.warnings]
    extra += [f"<li>{_e(n)}</li>" for n in model.notes]
    if extra:
        parts.append('<ul class="notes">' + "".join(extra) + "</ul>")
    parts.append("</section>")
    return "\n".join(parts)


def _panel(title: str, body: str, legend: str) -> str:
    return f'<div class="panel"><h3>{_e(title)}</h3>{legend}<div class="scroll">{body}</div></div>'


# ----- static vs runtime ----------------------------------------------------------------------
def _findings(findings: Sequence[VerifiedFinding], model_path: str) -> str:
    if not findings:
        return '<p class="clean">No findings: nothing predicted, nothing seen.</p>'
    rows = []
    for f in findings:
        cls, label, meaning = VERDICTS[verdict(f)]
        seen = ('<span class="dim">(the message is what the run saw)</span>' if f.source == "runtime"
                else _e(f.evidence) if f.confirmed is not None else f'<span class="dim">{_e(f.reason)}</span>')
        where = f"line {f.line}" if f.path == model_path else f"{f.path}:{f.line}"
        fix = f'<div class="help">fix: {_e(f.suggestion)}</div>' if f.suggestion else ""
        rows.append(
            f'<tr class="{cls}"><td><span class="chip {cls}" title="{_e(meaning)}">{_e(label)}</span></td>'
            f'<td class="code {_e(f.severity)}"><b>{_e(f.code)}</b><br><span class="dim">{_e(f.name)}</span></td>'
            f'<td class="where"><code>{_e(where)}</code></td><td>{_e(f.message)}{fix}</td><td>{seen}</td></tr>')
    return ('<table class="findings"><thead><tr><th>verdict</th><th>rule</th><th>where</th><th>finding</th>'
            '<th>seen at runtime</th></tr></thead><tbody>' + "".join(rows) + "</tbody></table>")


# ----- the module tree ----------------------------------------------------------------------
_TREE_LEGEND = ('<p class="legend"><span class="dot reg"></span>registered '
                '<span class="dot hid"></span>hidden (a plain attribute or container: not in '
                '<code>parameters()</code>, <code>state_dict()</code>, <code>.to()</code>)</p>')
_KIND_ICON = {"module": "M", "parameter": "P", "buffer": "B", "tensor": "T"}


def _tree(members: Sequence[Member]) -> str:
    if not members:
        return '<p class="empty">The model was not built.</p>'
    parent: Dict[int, Optional[int]] = {}
    children: Dict[Optional[int], List[int]] = {}
    modules: Dict[str, int] = {}
    for index, member in enumerate(members):
        parent[index] = _owner(member.path, modules) if member.path else None
        children.setdefault(parent[index], []).append(index)
        if member.kind == "module":
            modules.setdefault(member.path, index)
    holds_hidden = set()  # the modules on the way to something hidden stay open
    for index in reversed(range(len(members))):
        if not members[index].registered or any(c in holds_hidden for c in children.get(index, ())):
            holds_hidden.add(index)

    def node(index: int, depth: int) -> str:
        member = members[index]
        up = parent[index]
        label = member.path[len(members[up].path):].lstrip(".") if up is not None and members[up].path \
            else member.path
        row = _tree_row(member, label)
        own = children.get(index, [])
        if not own:
            return f"<li>{row}</li>"
        is_open = depth < 2 or index in holds_hidden
        inner = "".join(node(c, depth + 1) for c in own)
        return f'<li><details{" open" if is_open else ""}><summary>{row}</summary><ul>{inner}</ul></details></li>'

    return '<ul class="tree">' + "".join(node(i, 0) for i in children.get(None, [])) + "</ul>"


def _owner(path: str, modules: Dict[str, int]) -> Optional[int]:
    """The innermost module listed so far whose path is a prefix of `path` ("" owns all)."""
    probe = path
    while probe:
        cut = max(probe.rfind("."), probe.rfind("["))
        probe = probe[:cut] if cut > 0 else ""
        if probe in modules:
            return modules[probe]
    return None


def _tree_row(member: Member, label: str) -> str:
    """icon, name, type (a module's class, a tensor's shape and dtype), size, badge."""
    state = "reg" if member.registered else "hid"
    name = label or member.type  # the model itself: its class
    kind = f'<span class="type">{_e(member.type)}</span>' if label else ""
    size = f'<span class="size">{member.size:,}</span>' if member.size else ""
    badge = "registered" if member.registered else "hidden"
    return (f'<span class="row {state} {member.kind}">'
            f'<span class="icon {member.kind}" title="{member.kind}">{_KIND_ICON.get(member.kind, "?")}</span>'
            f'<span class="name">{_e(name)}</span>{kind}{size}<span class="badge {state}">{badge}</span></span>')


# ----- gradient norms ------------------------------------------------------------------------
_GRAD_LEGEND = ('<p class="legend" title="after one train-mode forward and a backward of the summed '
                'outputs; an output that always sums to the same value (a softmax) gives zero gradients '
                'here by construction">L2 norm after one backward, log scale; <span class="red">red</span>: '
                'zero, missing or NaN/Inf; <span class="amber">amber</span>: a hidden parameter (no '
                'optimizer applies its gradient)</p>')


def _grad_chart(grads: Sequence[Grad], checks: Sequence[str]) -> str:
    if not grads:
        why = ("no registered parameter requires grad" if "gradients" in checks
               else "the gradient check did not run")
        return f'<p class="empty">No gradients to show: {why}.</p>'
    positive = [g.norm for g in grads if g.norm is not None and g.norm > 0]
    lo = math.floor(math.log10(min(positive))) if positive else 0
    hi = math.ceil(math.log10(max(positive))) if positive else 1
    if hi <= lo:
        hi = lo + 1
    label_chars = min(_LABEL_MAX, max(len(g.path) for g in grads))
    left = int(label_chars * _CHAR) + 16
    plot = 300
    value_w = 92
    top = 22
    width = left + plot + value_w
    height = top + _ROW * len(grads) + 6

    def x_of(norm: float) -> float:
        return max(3.0, plot * (math.log10(norm) - lo) / (hi - lo))

    out = [f'<svg class="grad-chart" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" role="img" aria-label="gradient norm per parameter">']
    step = max(1, math.ceil((hi - lo) / 6))
    for exponent in range(lo, hi + 1, step):
        x = left + plot * (exponent - lo) / (hi - lo)
        out.append(f'<line class="grid" x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{height - 4}"/>'
                   f'<text class="tick" x="{x:.1f}" y="{top - 8}">1e{exponent}</text>')
    for row, grad in enumerate(grads):
        y = top + row * _ROW
        shown = grad.path if len(grad.path) <= _LABEL_MAX else "\u2026" + grad.path[-(_LABEL_MAX - 1):]
        hidden = "" if grad.registered else " hidden"
        if grad.norm is not None and grad.norm > 0:
            bar_w = x_of(grad.norm)
            bar = f'<rect class="bar{hidden}" x="{left}" y="{y + 3}" width="{bar_w:.1f}" height="{_ROW - 6}" rx="2"/>'
            value = f"{grad.norm:.3g}"
            text = f'<text class="value" x="{left + bar_w + 6:.1f}" y="{y + 14}">{value}</text>'
        else:  # a band across the plot, so a missing gradient does not read as a large one
            state = "zero" if grad.norm == 0 else ("missing" if grad.finite else "nonfinite")
            value = {"missing": "no gradient", "nonfinite": "NaN/Inf", "zero": "0"}[state]
            bar = (f'<rect class="bar bad {state}{hidden}" x="{left}" y="{y + 3}" width="{plot}" '
                   f'height="{_ROW - 6}" rx="2"/>')
            text = f'<text class="value bad" x="{left + 8}" y="{y + 14}">{value}</text>'
        note = "" if grad.registered else " (hidden: no optimizer sees this gradient)"
        out.append(f'<g class="grad{hidden}" data-path="{_e(grad.path)}"><title>{_e(grad.path)}: {value}{note}</title>'
                   f'<text class="label{hidden}" x="{left - 8}" y="{y + 14}">{_e(shown)}</text>{bar}{text}</g>')
    out.append("</svg>")
    return "".join(out)


# ----- timing --------------------------------------------------------------------------------
def _timing(model: ModelResult) -> str:
    spans: List[Tuple[str, float]] = []
    measured = sum(model.timings.values())
    rest = max(0.0, model.seconds - measured)
    if rest > 0:
        spans.append(("build", rest))
    spans += [(p, model.timings[p]) for p in PHASES if p in model.timings]
    spans += [(p, s) for p, s in model.timings.items() if p not in PHASES]
    total = sum(s for _, s in spans) or 1.0
    width, height = 640, 18
    x = 0.0
    rects, legend = [], []
    for number, (phase, seconds) in enumerate(spans):
        w = width * seconds / total
        label = PHASE_LABELS.get(phase, phase)
        rects.append(f'<rect class="phase p{number % 8}" x="{x:.1f}" y="0" width="{max(w, 0.5):.1f}" '
                     f'height="{height}"><title>{_e(label)}: {_seconds(seconds)}</title></rect>')
        legend.append(f'<span class="key"><span class="swatch p{number % 8}"></span>{_e(label)} '
                      f'{_seconds(seconds)}</span>')
        x += w
    return (f'<div class="timing"><h3>Time: {_seconds(model.seconds)}</h3>'
            f'<svg class="timing-bar" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}">{"".join(rects)}</svg>'
            f'<div class="keys">{"".join(legend)}</div></div>')


# ----- style and behaviour ----------------------------------------------------------------------
_HEAD = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>nnlint verify report</title>
<style>
:root { --ink:#1d2330; --dim:#667085; --line:#e4e7ec; --bg:#f6f7f9; --card:#fff; --red:#d92d20;
  --red-bg:#fef3f2; --green:#079455; --green-bg:#ecfdf3; --amber:#b54708; --amber-bg:#fffaeb;
  --blue:#2e5bff; --purple:#6941c6; --purple-bg:#f4f3ff; --gray-bg:#f2f4f7; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  color:var(--ink); background:var(--bg); }
code, pre, .tree, .grad-chart text { font-family: ui-monospace, "SFMono-Regular", "DejaVu Sans Mono", Menlo, monospace; }
header.page { background:#101828; color:#fff; padding:18px 32px; }
header.page h1 { margin:0; font-size:22px; letter-spacing:.2px; }
header.page .sub { margin:2px 0 0; color:#cfd4dc; }
main { padding:20px 32px 40px; max-width:1400px; }
h2 { font-size:18px; margin:0 0 6px; } h3 { font-size:14px; margin:0 0 6px; }
.tiles { display:grid; grid-template-columns:repeat(5, minmax(0, 1fr)); gap:12px; margin-bottom:18px; }
.tile { background:var(--card); border:1px solid var(--line); border-radius:10px; padding:12px 14px; }
.tile .num { font-size:26px; font-weight:700; } .tile .what { font-weight:600; }
.tile .detail { color:var(--dim); font-size:12px; }
.tile.bad .num { color:var(--red); } .tile.good .num { color:var(--green); }
section.overview, section.model { background:var(--card); border:1px solid var(--line); border-radius:10px;
  padding:16px 18px; margin-bottom:16px; }
section.model.failed { border-left:4px solid var(--red); } section.model.skipped { border-left:4px solid #98a2b3; }
.bar-row { display:flex; justify-content:space-between; align-items:center; }
.filter { color:var(--dim); font-size:13px; }
table { border-collapse:collapse; width:100%; }
th { text-align:left; font-size:12px; color:var(--dim); font-weight:600; border-bottom:1px solid var(--line); padding:6px 8px; }
td { border-bottom:1px solid var(--line); padding:6px 8px; vertical-align:top; }
table.models td.time { width:180px; position:relative; }
.timebar { display:inline-block; height:8px; background:#b2ccff; border-radius:4px; margin-right:6px; max-width:110px; }
table.models a { color:var(--ink); font-weight:600; text-decoration:none; } table.models a:hover { text-decoration:underline; }
.status { display:inline-block; padding:1px 8px; border-radius:10px; font-size:12px; font-weight:600; vertical-align:middle; }
.status.checked { background:var(--green-bg); color:var(--green); }
.status.failed { background:var(--red-bg); color:var(--red); }
.status.skipped, .status.not-runnable { background:var(--gray-bg); color:var(--dim); }
.chip { display:inline-block; padding:1px 8px; border-radius:10px; font-size:12px; font-weight:600; white-space:nowrap; }
.chip.confirmed { background:var(--red-bg); color:var(--red); }
.chip.runtime { background:var(--purple-bg); color:var(--purple); }
.chip.not-reproduced { background:var(--gray-bg); color:var(--dim); }
.chip.unchecked { background:#fff; color:var(--dim); border:1px dashed #98a2b3; }
.none, .dim { color:var(--dim); }
.facts { color:var(--dim); margin:0 0 10px; }
.reason { padding:8px 10px; border-radius:6px; }
.reason.failed { background:var(--red-bg); color:#912018; } .reason.skipped { background:var(--gray-bg); }
pre { background:var(--gray-bg); padding:8px 10px; border-radius:6px; }
table.findings { margin:6px 0 14px; }
table.findings td.where { white-space:nowrap; }
table.findings td.code b { font-family: ui-monospace, Menlo, monospace; }
td.code.error b { color:var(--red); } td.code.warning b { color:var(--amber); }
.help { color:var(--dim); font-size:12px; margin-top:2px; }
.clean { color:var(--green); font-weight:600; }
.panels { display:grid; grid-template-columns:minmax(0, 1fr) minmax(0, 1fr); gap:16px; }
.panel { border:1px solid var(--line); border-radius:8px; padding:10px 12px; min-width:0; }
.panel .scroll { max-height:460px; overflow:auto; }
.legend { color:var(--dim); font-size:12px; margin:0 0 8px; }
.legend .red { color:var(--red); font-weight:600; } .legend .amber { color:#dc6803; font-weight:600; }
.dot { display:inline-block; width:9px; height:9px; border-radius:50%; margin:0 4px 0 6px; }
.dot.reg { background:var(--green); } .dot.hid { background:var(--red); }
ul.tree, ul.tree ul { list-style:none; margin:0; padding-left:16px; } ul.tree { padding-left:0; font-size:12.5px; }
ul.tree summary { cursor:pointer; } ul.tree li > .row { margin-left:14px; }
.row { display:inline-flex; gap:8px; align-items:center; padding:1px 4px; border-radius:4px; }
.row.hid { background:var(--red-bg); }
.icon { display:inline-block; width:16px; height:16px; line-height:16px; text-align:center; border-radius:3px;
  font-size:10px; font-weight:700; color:#fff; background:#98a2b3; }
.icon.module { background:#475467; } .icon.parameter { background:var(--blue); } .icon.buffer { background:#0e9384; }
.icon.tensor { background:var(--amber); }
.row .type { color:var(--dim); } .row .size { color:var(--dim); font-size:11px; }
.badge { font-size:10.5px; font-weight:700; padding:0 6px; border-radius:8px; }
.badge.reg { color:var(--green); background:var(--green-bg); } .badge.hid { color:#fff; background:var(--red); }
svg.grad-chart text { font-size:12px; fill:var(--ink); }
svg.grad-chart text.label { text-anchor:end; }
svg.grad-chart text.tick { font-size:10px; fill:var(--dim); text-anchor:middle; }
svg.grad-chart line.grid { stroke:var(--line); }
svg.grad-chart rect.bar { fill:#528bff; }
svg.grad-chart rect.bar.hidden { fill:#f79009; }
svg.grad-chart text.label.hidden { fill:var(--amber); font-style:italic; }
svg.grad-chart rect.bar.bad { fill:var(--red-bg); stroke:var(--red); stroke-width:1.5; stroke-dasharray:5 3; }
svg.grad-chart text.value.bad { fill:var(--red); font-weight:700; }
.timing { margin-top:14px; }
svg.timing-bar { max-width:100%; border-radius:4px; display:block; }
.keys { display:flex; flex-wrap:wrap; gap:4px 14px; margin-top:6px; font-size:12px; color:var(--dim); }
.swatch { display:inline-block; width:10px; height:10px; border-radius:2px; margin-right:4px; vertical-align:-1px; }
.p0 { fill:#101828; background:#101828; } .p1 { fill:#2e5bff; background:#2e5bff; } .p2 { fill:#84adff; background:#84adff; }
.p3 { fill:#0e9384; background:#0e9384; } .p4 { fill:#7cd4fd; background:#7cd4fd; } .p5 { fill:#ee46bc; background:#ee46bc; }
.p6 { fill:#9e77ed; background:#9e77ed; } .p7 { fill:#d0d5dd; background:#d0d5dd; }
ul.notes { color:var(--dim); font-size:12.5px; margin:10px 0 0; padding-left:18px; }
ul.notes li.warning { color:var(--amber); }
.empty { color:var(--dim); }
body.only-findings [data-findings="0"] { display:none; }
@media (max-width: 1000px) { .tiles { grid-template-columns:repeat(2, 1fr); } .panels { grid-template-columns:1fr; } }
</style>
</head>"""

_SCRIPT = """<script>
(function () {
  var box = document.getElementById("only-findings");
  if (box) box.addEventListener("change", function () {
    document.body.classList.toggle("only-findings", box.checked);
  });
})();
</script>"""
