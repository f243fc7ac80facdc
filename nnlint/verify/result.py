"""The data model of `nnlint verify`: plain dataclasses with `to_dict()`, no torch.

Three layers, one way:

- `Observation` / `CheckReport`: what the checks saw on one live model (`checks.run_checks`,
  also usable in-process on any model, e.g. by a pytest helper);
- `ModelRun`: what a worker sends back for one model (status, device, the check report, and
  which of the model's classes come from which source lines, for correlation);
- `ModelResult` / `VerifyResult`: what the reporters print: each model with its findings, static
  ones marked confirmed true/false/null, runtime-only ones added (`correlate.py` builds these).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Dict, List, Optional, Tuple

CHECKED, SKIPPED, FAILED = "checked", "skipped", "failed"
# A class with nothing to call: no forward anywhere in its MRO (a holder of layers, a base class)
# or one that only raises NotImplementedError (an abstract base). Listed, but not counted in
# the coverage: no configuration could ever check it; its subclasses are the models.
NOT_RUNNABLE = "not-runnable"

# What the checks can observe: kind -> the check that must have run for the kind's absence to
# mean "not there" (rules say which kinds show their bug: `rules.base.Runtime`).
KINDS = {
    "init_order_error": "build", "container_error": "build", "build_error": "build",
    "unregistered_module": "registration", "unregistered_parameter": "registration",
    "plain_tensor": "move", "missing_forward": "forward", "device_mismatch": "forward",
    "forward_error": "forward", "softmax_dim_warning": "forward", "nonfinite": "gradients",
    "inplace_leaf": "gradients", "no_grad": "gradients", "backward_hook_warning": "gradients",
    "buffer_grad": "buffers", "eval_nondeterministic": "eval", "eval_buffer_update": "eval",
    "state_dict": "state_dict", "missing_attribute": "names",
}

# A static finding's verdict: seen at runtime, checked and not seen, or not observable (why).
CONFIRMED, NOT_REPRODUCED, UNOBSERVABLE = "confirmed", "not reproduced", "cannot be observed at runtime"

# The checks `run_checks` runs, in order; a finding whose confirming check did not run stays null.
CHECK_NAMES = ("build", "registration", "device", "forward", "gradients", "buffers", "eval",
               "state_dict", "move")


@dataclass
class Observation:
    """One fact seen on a live model.

    kind:    what was seen (one of `KINDS`), e.g. "unregistered_module", "no_grad"
    message: a sentence naming the offending thing
    path:    where in the model, as a dotted attribute path ("encoder.blocks", "fc.weight");
             "" for the whole model
    frames:  (file, line) of the user-code frames of an exception, innermost last
    names:   extra names involved (a class name from an error message, the attributes of a group)
    """

    kind: str
    message: str
    path: str = ""
    frames: List[Tuple[str, int]] = field(default_factory=list)
    names: List[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["frames"] = [list(f) for f in self.frames]
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "Observation":
        return cls(kind=data["kind"], message=data["message"], path=data.get("path", ""),
                   frames=[(str(f), int(n)) for f, n in data.get("frames", [])],
                   names=list(data.get("names", [])))


@dataclass
class Member:
    """One entry of a model's tree: a submodule, parameter, buffer or plain tensor attribute,
    registered (known to named_modules / named_parameters / named_buffers) or hidden (found
    only in an attribute or a plain list, tuple or dict)."""

    path: str  # "encoder.0", "fc.weight", "blocks[0]", "blocks[0].weight"; "" for the model
    kind: str  # "module" | "parameter" | "buffer" | "tensor"
    type: str  # the class name of a module, "(8, 8) float32" for a tensor
    registered: bool = True
    size: int = 0  # number of values (a module: its parameters')

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "Member":
        return cls(**{f.name: data[f.name] for f in fields(cls) if f.name in data})


@dataclass
class Grad:
    """A parameter's gradient after the train-mode forward and backward."""

    path: str
    norm: Optional[float]  # L2 norm; None when there is no gradient or it is not finite
    finite: bool = True  # False: the gradient holds NaN or Inf
    registered: bool = True  # False: a hidden parameter (it gets gradients; no optimizer sees them)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "Grad":
        return cls(**{f.name: data[f.name] for f in fields(cls) if f.name in data})


@dataclass
class CheckReport:
    """The outcome of `checks.run_checks` on one model."""

    device: str = "cpu"
    checks: List[str] = field(default_factory=list)  # the checks that ran to the end
    observations: List[Observation] = field(default_factory=list)
    warnings: List[str] = field(default_factory=list)  # "Category: message", each once
    notes: List[str] = field(default_factory=list)  # how the run went (fallbacks, skipped checks)
    members: List[Member] = field(default_factory=list)  # the model's tree, as built
    grads: List[Grad] = field(default_factory=list)  # each parameter that requires grad
    timings: Dict[str, float] = field(default_factory=dict)  # seconds per phase of the checks

    def add(self, kind: str, message: str, path: str = "", frames=(), names=()) -> Observation:
        obs = Observation(kind, message, path, list(frames), list(names))
        self.observations.append(obs)
        return obs

    def of_kind(self, *kinds: str) -> List[Observation]:
        return [o for o in self.observations if o.kind in kinds]

    @property
    def healthy(self) -> bool:
        return not self.observations

    def to_dict(self) -> dict:
        return {"device": self.device, "checks": list(self.checks),
                "observations": [o.to_dict() for o in self.observations],
                "warnings": list(self.warnings), "notes": list(self.notes),
                "members": [m.to_dict() for m in self.members], "grads": [g.to_dict() for g in self.grads],
                "timings": dict(self.timings)}

    @classmethod
    def from_dict(cls, data: dict) -> "CheckReport":
        return cls(device=data.get("device", "cpu"), checks=list(data.get("checks", [])),
                   observations=[Observation.from_dict(o) for o in data.get("observations", [])],
                   warnings=list(data.get("warnings", [])), notes=list(data.get("notes", [])),
                   members=[Member.from_dict(m) for m in data.get("members", [])],
                   grads=[Grad.from_dict(g) for g in data.get("grads", [])],
                   timings={k: float(v) for k, v in data.get("timings", {}).items()})


@dataclass
class ClassSource:
    """Where a class of the model (the model's own, or a submodule's) is defined."""

    key: str  # "module:QualName"
    path: str  # absolute path of its source file, "" if unknown
    line: int = 0  # first and last line of the class body, 0 if unknown
    end_line: int = 0

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "ClassSource":
        return cls(**{f.name: data[f.name] for f in fields(cls) if f.name in data})


@dataclass
class ModelRun:
    """What the worker sends back for one model."""

    name: str  # "module:Class"
    path: str  # the source file of the model's class, as the parent named it
    line: int = 0
    status: str = CHECKED  # checked | skipped | failed
    device: Optional[str] = None
    reason: str = ""  # why skipped or failed, one line
    hint: str = ""  # for a skipped model: the TOML to add
    seconds: float = 0.0
    cpu_seconds: float = 0.0  # CPU time of the process that built and checked it (threads included)
    factory: str = ""  # "path.py:function" when a factory built it
    report: CheckReport = field(default_factory=CheckReport)
    classes: Dict[str, ClassSource] = field(default_factory=dict)  # model path ("", "encoder") -> class

    def to_dict(self) -> dict:
        return {"name": self.name, "path": self.path, "line": self.line, "status": self.status,
                "device": self.device, "reason": self.reason, "hint": self.hint,
                "seconds": self.seconds, "cpu_seconds": self.cpu_seconds, "factory": self.factory,
                "report": self.report.to_dict(),
                "classes": {k: v.to_dict() for k, v in self.classes.items()}}

    @classmethod
    def from_dict(cls, data: dict) -> "ModelRun":
        return cls(name=data["name"], path=data["path"], line=data.get("line", 0),
                   status=data.get("status", CHECKED), device=data.get("device"),
                   reason=data.get("reason", ""), hint=data.get("hint", ""),
                   seconds=float(data.get("seconds", 0.0)), cpu_seconds=float(data.get("cpu_seconds", 0.0)),
                   factory=data.get("factory", ""),
                   report=CheckReport.from_dict(data.get("report", {})),
                   classes={k: ClassSource.from_dict(v) for k, v in data.get("classes", {}).items()})


@dataclass
class VerifiedFinding:
    """A finding in a verify report: a static one with its runtime verdict, or a runtime one."""

    code: str
    name: str
    severity: str  # "error" | "warning" | "style"
    path: str
    line: int
    column: int
    message: str
    confirmed: Optional[bool]  # True seen, False checked and not seen, None cannot be observed
    source: str = "static"  # "static" | "runtime"
    evidence: str = ""  # what the run saw (for confirmed static findings)
    suggestion: str = ""
    reason: str = ""  # why it cannot be observed (confirmed None)

    @property
    def sort_key(self):
        return (self.path, self.line, self.column, self.code)

    @property
    def verdict(self) -> str:
        """confirmed / not reproduced / cannot be observed at runtime ("runtime" for a runtime-only one)."""
        if self.source == "runtime":
            return "runtime"
        return {True: CONFIRMED, False: NOT_REPRODUCED, None: UNOBSERVABLE}[self.confirmed]

    def to_dict(self) -> dict:
        data = asdict(self)
        data["verdict"] = self.verdict
        return data


@dataclass
class ModelResult:
    name: str
    path: str
    line: int
    status: str
    device: Optional[str] = None
    reason: str = ""
    hint: str = ""
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    factory: str = ""
    findings: List[VerifiedFinding] = field(default_factory=list)
    warnings: List[str] = field(default_factory=list)
    notes: List[str] = field(default_factory=list)
    checks: List[str] = field(default_factory=list)
    members: List[Member] = field(default_factory=list)  # from the run's CheckReport
    grads: List[Grad] = field(default_factory=list)
    timings: Dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["findings"] = [f.to_dict() for f in self.findings]
        return data


@dataclass
class VerifyResult:
    models: List[ModelResult] = field(default_factory=list)
    seconds: float = 0.0  # wall time of the whole run
    notes: List[str] = field(default_factory=list)  # about the run as a whole (unmatched config...)
    problems: List[VerifiedFinding] = field(default_factory=list)  # files that cannot be parsed (NN000)
    fail_under: Optional[float] = None  # --fail-under, to say in the summary

    @property
    def runnable(self) -> int:
        """The models that could be checked: all but the not-runnable ones."""
        return sum(model.status != NOT_RUNNABLE for model in self.models)

    @property
    def coverage(self) -> float:
        """The percentage of runnable models checked (0 when there is none), rounded down to 0.1."""
        if not self.runnable:
            return 0.0
        checked = sum(model.status == CHECKED for model in self.models)
        return int(1000 * checked / self.runnable) / 10

    @property
    def findings(self) -> List[VerifiedFinding]:
        return [f for m in self.models for f in m.findings] + list(self.problems)

    def counts(self) -> dict:
        by_status = {CHECKED: 0, SKIPPED: 0, FAILED: 0, NOT_RUNNABLE: 0}
        for model in self.models:
            by_status[model.status] = by_status.get(model.status, 0) + 1
        by_status["not_runnable"] = by_status.pop(NOT_RUNNABLE)
        findings = [f for m in self.models for f in m.findings]
        return {
            "models": len(self.models), "runnable": self.runnable, **by_status, "coverage": self.coverage,
            "findings": len(findings),
            "confirmed": sum(f.confirmed is True and f.source == "static" for f in findings),
            "not_confirmed": sum(f.confirmed is False for f in findings),
            "unchecked": sum(f.confirmed is None for f in findings),
            "runtime_only": sum(f.source == "runtime" for f in findings),
            "unreadable": len(self.problems),
        }

    def to_dict(self) -> dict:
        return {"models": [m.to_dict() for m in self.models], "summary": self.counts(),
                "seconds": round(self.seconds, 3), "notes": list(self.notes),
                "problems": [f.to_dict() for f in self.problems]}
