"""`nnlint verify`: build every nn.Module of the given files, run it, and confirm (or not) what
the static rules predicted. This package is the only part of nnlint that imports torch, and it
does so only when the command runs.

Flow: cli -> config -> files -> engine (static findings, Module classes) -> discover (targets)
-> supervisor (a worker subprocess per file, timeouts, crashes) -> worker (build, feed, checks)
-> correlate -> report.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import os
import re
import signal
import sys
import threading
import time
from typing import List, Optional, Tuple

from nnlint.config import ConfigError, Settings
from nnlint.exit_codes import EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE
from nnlint.files import display_path
from nnlint.report import emit

TORCH_MISSING = ("nnlint: error: `nnlint verify` needs torch, which is not installed here "
                 "(pip install 'nnlint[verify]'); `nnlint check` does not")


def torch_available() -> bool:
    try:
        return importlib.util.find_spec("torch") is not None
    except (ImportError, ValueError):  # a broken install, or sys.modules["torch"] = None
        return False


def run_verify(args, settings: Settings, shard: Optional[Tuple[int, int]] = None) -> int:
    from nnlint.files import discover
    from nnlint.verify_config import TIMEOUT_RULE, parse_config, valid_timeout
    from nnlint.verify.correlate import correlate
    from nnlint.verify.discover import plan
    from nnlint.verify.result import VerifyResult

    started = time.perf_counter()
    torch_was_loaded = "torch" in sys.modules
    if not torch_available():
        print(TORCH_MISSING, file=sys.stderr)
        return EXIT_USAGE
    config = parse_config(settings.verify, str(settings.config_path or "the configuration"), settings.root)
    timeout = getattr(args, "timeout", None)
    timeout = float(timeout if timeout is not None else (config.timeout or 60.0))
    if not valid_timeout(timeout):
        raise ConfigError(f"--timeout {TIMEOUT_RULE}")
    device = getattr(args, "device", None) or config.device
    memory_limit = _memory_limit(getattr(args, "memory_limit", None), config.memory_limit)

    fail_under = getattr(args, "fail_under", None)
    fail_under = config.fail_under if fail_under is None else fail_under
    if fail_under is not None and not 0 <= fail_under <= 100:
        raise ConfigError("--fail-under must be a percentage between 0 and 100")
    found = discover(args.paths or ["."], settings, shard)
    found.warn()
    for missing in found.missing:
        print(f"nnlint: error: {missing}: no such file or directory", file=sys.stderr)
    if found.missing:
        return EXIT_USAGE
    the_plan = plan(found.files, settings, config, shard_index=shard[0] if shard else 1)
    if the_plan.targets:
        try:
            import torch  # noqa: F401  (once, here: forked workers start with it imported)
        except Exception as exc:  # a broken install
            print(f"nnlint: error: `nnlint verify` cannot import torch: {exc}", file=sys.stderr)
            return EXIT_USAGE

    progress = _Progress(sys.stderr, sum(len(target.classes) for target in the_plan.targets))
    try:
        with _stopped_by_signals():
            runs, factory_runs = _run_all(the_plan, found.files, timeout, device, progress, torch_was_loaded,
                                          memory_limit)
    finally:
        progress.done()
    _add_factory_sources(runs, factory_runs, the_plan.static, settings)
    _probe_torch_names(runs, the_plan.static)
    results = correlate(runs, the_plan.static, _enabled(settings), factory_runs)
    result = VerifyResult(models=results, seconds=time.perf_counter() - started)
    result.notes.extend(_unmatched_specs(the_plan, runs))
    result.problems = [_problem(f) for f in the_plan.problems]
    if the_plan.unverified:
        result.notes.append(f"not verified: {', '.join(the_plan.unverified)} (notebooks and Markdown files are "
                            "not verified yet; `nnlint check` lints them)")
    if not the_plan.targets and not the_plan.problems:
        result.notes.append("no nn.Module class found in the given paths")
    result.fail_under = fail_under

    from importlib import import_module

    reporter = import_module(f"nnlint.report.verify_{args.format}")
    emit(reporter.render(result), getattr(args, "output_file", None))
    if getattr(args, "html", None):
        from nnlint.report import verify_html

        emit(verify_html.render(result), args.html, "--html")
    counts = result.counts()
    if result.runnable and not counts["checked"]:
        print(f"nnlint: warning: no model was checked ({counts['skipped']} skipped, {counts['failed']} failed): "
              f"nothing was verified; see the reasons above", file=sys.stderr)
    if fail_under is not None and result.coverage < fail_under:
        print(f"nnlint: error: {result.coverage:g}% of the models were checked, under --fail-under {fail_under:g}%",
              file=sys.stderr)
        return EXIT_FINDINGS
    return EXIT_FINDINGS if result.findings else EXIT_CLEAN


def _memory_limit(given: Optional[float], configured: Optional[float]) -> int:
    """Bytes each worker may use: the command line's GB, else the configuration's, else half
    the machine's memory (0: no limit)."""
    from nnlint.verify.build import parse_memory_limit

    if given is not None:
        return int(parse_memory_limit(given, "--memory-limit") * 2 ** 30)
    if configured is not None:
        return int(configured * 2 ** 30)
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // 2
    except (AttributeError, ValueError, OSError):  # pragma: no cover - not POSIX
        return 0


@contextlib.contextmanager
def _stopped_by_signals():
    """SIGTERM or SIGHUP (a CI job cancelled, a closed terminal) ends the run like Ctrl-C: the
    workers are killed and their temporary folders removed on the way out (exit 128 + signal)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum, frame):
        raise SystemExit(128 + signum)

    names = [name for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)]
    previous = {name: signal.signal(getattr(signal, name), stop) for name in names}
    try:
        yield
    finally:
        for name, handler in previous.items():
            signal.signal(getattr(signal, name), handler)


def _run_all(the_plan, files: List[str], timeout: float, device: str, progress, torch_was_loaded: bool,
             memory_limit: int = 0):
    """Factories first (they may cover classes of the files), then one worker per file.

    A factory-built model whose class lives in a checked file takes that file's name for it
    (`nets:Tower`, however the factory imported it) and is not built again from the file."""
    from nnlint.verify.discover import module_name
    from nnlint.verify.result import FAILED
    from nnlint.verify.supervisor import run_target

    checked = {os.path.abspath(f) for f in files}
    runs, factory_runs, covered = [], [], set()  # covered: (file, class name)
    for target in the_plan.targets:
        if target.kind != "factories":
            continue
        for run in run_target(target, timeout, device, on_start=progress.start,
                              torch_was_loaded=torch_was_loaded, memory_limit=memory_limit):
            own = run.classes.get("")
            if own is not None and own.path in checked:
                qualname = own.key.split(":", 1)[1]
                covered.add((own.path, qualname))
                run.name = f"{module_name(own.path, the_plan.root)[0]}:{qualname}"
                run.path = display_path(own.path)
            wanted = (own is not None and own.path in checked) or os.path.abspath(target.path) in checked
            if wanted or (run.status == FAILED and the_plan.factory_failures):
                factory_runs.append(len(runs))
                runs.append(run)
    for target in the_plan.targets:
        if target.kind == "factories":
            continue
        path = os.path.abspath(target.path)
        target.skip = sorted(f"{target.label}:{name}" for file, name in covered if file == path)
        runs.extend(run_target(target, timeout, device, on_start=progress.start,
                               torch_was_loaded=torch_was_loaded, memory_limit=memory_limit))
    return runs, factory_runs


_NO_ATTRIBUTE = re.compile(r"`(torch[\w.]*)` has no attribute `(\w+)`|`(torch[\w.]*)` cannot be imported")


def _probe_torch_names(runs, static) -> None:
    """NN405 says a torch name does not exist: ask the installed torch, for each model whose
    classes hold the line (a line no forward reaches is confirmed all the same)."""
    import importlib.util

    from nnlint.verify.result import Observation

    for path, file in static.items():
        for finding in file.findings:
            match = _NO_ATTRIBUTE.search(finding.message) if finding.code == "NN405" else None
            holders = [run for run in runs if any(
                c.path == path and c.line <= finding.line <= c.end_line for c in run.classes.values())]
            if match is None or not holders:
                continue
            namespace, attr, module = match.groups()
            try:
                if module:
                    missing = importlib.util.find_spec(module) is None
                else:
                    missing = not hasattr(importlib.import_module(namespace), attr)
            except Exception:  # a namespace that does not import: no answer
                continue
            import torch

            what = f"`{module}` cannot be imported" if module else f"`{namespace}` has no attribute `{attr}`"
            for run in holders:
                if missing:
                    run.report.observations.append(Observation(
                        "missing_attribute", f"{what} in the installed torch {torch.__version__}",
                        frames=[(path, finding.line)]))
                if "names" not in run.report.checks:
                    run.report.checks.append("names")


def _add_factory_sources(runs, factory_runs, static, settings) -> None:
    """Lint the files of the classes a factory-built model is made of, for correlation."""
    from nnlint.engine import check_file
    from nnlint.project import ProjectIndex
    from nnlint.verify.discover import static_file

    project = ProjectIndex(settings)
    for index in factory_runs:
        for source in runs[index].classes.values():
            if source.path and source.path not in static and os.path.isfile(source.path):
                shown = display_path(source.path)
                result = check_file(shown, settings.rules_for(shown), project=project,
                                    max_bytes=settings.max_file_size)
                static[source.path] = static_file(shown, result)


def _enabled(settings: Settings):
    from nnlint.rules import all_rules

    def enabled(code: str, path: str) -> bool:
        rule = all_rules().get(code)
        if rule is None:
            return True
        return rule in settings.rules_for(path)
    return enabled


def _problem(finding):
    from nnlint.verify.result import VerifiedFinding

    return VerifiedFinding(code=finding.code, name=finding.name, severity=finding.severity.label,
                           path=finding.path, line=finding.line, column=finding.column,
                           message=finding.message, confirmed=None)


def _unmatched_specs(the_plan, runs) -> List[str]:
    names = {run.name for run in runs}
    notes = []
    for target in the_plan.targets:
        for name in target.specs:
            if name not in names:
                notes.append(f"[tool.nnlint.verify.models.\"{name}\"]: {target.path} has no Module class "
                             f"{name.split(':', 1)[1]}")
    return notes


class _Progress:
    """A progress bar on a terminal (stderr), one line redrawn in place and erased at the end:

        ██████░░░░░░░░░░░░░░ [3/12] zoo:Net  1.2 s  · 4.5 s elapsed

    the model running, how long it has run and the whole run so far, ticking while a slow model
    runs. `total` is what the plan expects (0: unknown, no bar). Nothing when not a TTY."""

    WIDTH = 20
    TICK = 0.25  # seconds between redraws

    def __init__(self, stream, total: int = 0):
        self.stream, self.total = stream, total
        self.enabled = hasattr(stream, "isatty") and stream.isatty()
        self.count, self.name = 0, ""
        self.started = self.model_started = time.monotonic()
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._ticker: Optional[threading.Thread] = None

    def start(self, name: str) -> None:
        with self._lock:
            self.count += 1
            self.name, self.model_started = name, time.monotonic()
            if self.total:
                self.total = max(self.total, self.count)
        if not self.enabled:
            return
        self._draw()
        if self._ticker is None:
            self._ticker = threading.Thread(target=self._tick, name="nnlint-progress", daemon=True)
            self._ticker.start()

    def line(self, now: Optional[float] = None) -> str:
        now = time.monotonic() if now is None else now
        with self._lock:
            count, total, name = self.count, self.total, self.name
            model, run = now - self.model_started, now - self.started
        full, empty, dot = ("\u2588", "\u2591", "\u00b7") if _utf8(self.stream) else ("#", "-", "-")
        head = f"[{count}]"
        if total:
            filled = self.WIDTH * (count - 1) // total  # the models finished
            head = f"{full * filled}{empty * (self.WIDTH - filled)} [{count}/{total}]"
        tail = f"  {model:.1f} s  {dot} {run:.1f} s elapsed"
        room = _columns(self.stream) - 1 - len(head) - len(tail) - 1
        if len(name) > room:
            name = "..." + name[-max(room - 3, 8):]
        return f"{head} {name}{tail}"

    def _draw(self) -> None:
        text = self.line()
        with self._lock:
            if not self._stopped.is_set():
                self.stream.write(f"\r\033[K{text}")
                self.stream.flush()

    def _tick(self) -> None:
        while not self._stopped.wait(self.TICK):
            self._draw()

    def done(self) -> None:
        with self._lock:
            self._stopped.set()
        if self._ticker is not None:
            self._ticker.join()
        if self.enabled and self.count:
            self.stream.write("\r\033[K")
            self.stream.flush()


def _utf8(stream) -> bool:
    return (getattr(stream, "encoding", None) or "").lower().replace("-", "") == "utf8"


def _columns(stream) -> int:
    try:
        return os.get_terminal_size(stream.fileno()).columns or 80
    except (AttributeError, OSError, ValueError):
        return 80
