"""Health checks for model tests: `assert_healthy(model, *example_args)`.

    from nnlint.testing import assert_healthy

    def test_mlp_is_healthy():
        assert_healthy(MLP(), torch.randn(2, 16))

It runs `nnlint verify`'s checks on the live model, in the test's own process (registration,
gradients, buffers, eval determinism, the state_dict round trip, warnings) and fails the test
with what it saw, each observation under the code `nnlint verify` reports it with. torch is
imported only when it is called.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple

from nnlint.report.summary import plural

__all__ = ["assert_healthy", "NotHealthy"]


class NotHealthy(AssertionError):
    """`assert_healthy` failed; `.report` holds the checks' CheckReport."""

    def __init__(self, message: str, report):
        super().__init__(message)
        self.report = report


def assert_healthy(model, *example_args: Any, kwargs: Optional[Dict[str, Any]] = None,
                   ignore: Iterable[str] = (), device: Optional[str] = None,
                   rebuild: Optional[Callable[[], Any]] = None, seed: int = 0):
    """Fail (AssertionError) unless `model(*example_args, **kwargs)` passes every check.

    ignore:  codes or prefixes to tolerate (`ignore=["NN903"]` for a frozen, unused head)
    device:  where to run; default: where the model's parameters already are (else cpu)
    rebuild: a zero-argument function building a fresh instance, for the state_dict round
             trip (default: a deep copy of the model with its weights scrambled)

    The model ends on `device`, in its original train/eval mode, with its gradients cleared;
    the global random state (torch, `random`, numpy) is as it was. Returns the CheckReport.
    """
    __tracebackhide__ = True  # pytest: show the test's line, not this one
    import random
    import sys

    import torch

    from nnlint.verify.checks import run_checks
    from nnlint.verify.correlate import _REGISTRATION as HIDDEN_STATE

    device = device or _device_of(model)
    cuda = [torch.device(device).index or 0] if torch.device(device).type == "cuda" else []
    numpy = sys.modules.get("numpy")  # the checks seed it too when the user's code imported it
    states = random.getstate(), numpy.random.get_state() if numpy is not None else None
    with torch.random.fork_rng(devices=cuda):
        try:
            report = run_checks(model, example_args, kwargs or {}, device=device, rebuild=rebuild, seed=seed)
        finally:
            random.setstate(states[0])
            if numpy is not None:
                numpy.random.set_state(states[1])
    ignored = tuple(code.strip().upper() for code in ignore)
    hidden = any(o.kind in HIDDEN_STATE for o in report.observations)
    problems = [(code_of(o.kind), o) for o in report.observations
                if not (o.kind == "state_dict" and hidden)]  # the round trip fails *because* of it
    problems = [(code, obs) for code, obs in problems if not code.startswith(ignored)]
    if problems:
        raise NotHealthy(describe(type(model).__name__, report, problems), report)
    return report


def _device_of(model) -> str:
    from itertools import chain

    first = next(chain(model.parameters(), model.buffers()), None)
    return str(first.device) if first is not None else "cpu"


def code_of(kind: str) -> str:
    """The code `nnlint verify` reports an observation kind with: its runtime code, else the
    static rule it confirms."""
    from nnlint.rules import all_rules
    from nnlint.verify.correlate import runtime_code

    return runtime_code(kind) or next((c for c, rule in all_rules().items() if kind in rule.runtime.kinds), "NN900")


def _rule(code: str) -> Tuple[str, str]:
    """(name, suggestion) of a code."""
    from nnlint.rules import all_rules

    rule = all_rules().get(code)
    return (rule.name, rule.suggestion) if rule is not None else (code, "")


def describe(name: str, report, problems: List[Tuple[str, Any]]) -> str:
    """The assertion message: the observations grouped by code, each code's fix advice once."""
    count = len(problems)
    lines = [f"{name} is not healthy: {plural(count, 'problem')} (checked on {report.device})"]
    by_code: Dict[str, List[Any]] = {}
    for code, obs in problems:
        by_code.setdefault(code, []).append(obs)
    for code, observations in by_code.items():
        rule_name, suggestion = _rule(code)
        for obs in observations:
            where = f" at `{obs.path}`" if obs.path else ""
            lines.append(f"  {code} {rule_name}{where}: {obs.message}")
            if obs.frames:
                path, line = obs.frames[-1]
                lines.append(f"      raised at {path}:{line}")
        if suggestion:
            lines.append(f"      help: {suggestion}")
    lines.extend(f"  note: {note}" for note in report.notes)
    return "\n".join(lines)
