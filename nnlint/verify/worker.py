"""The worker: a subprocess per file that imports the user's code, builds and runs its models,
and sends back plain data (one JSON object per line over a pipe). The parent survives whatever
the user's code does: exceptions and `sys.exit` are caught in the worker; a segfault, an
`os._exit` or a model that runs past its timeout kills the worker, and the parent starts a new
one for the models left.

On Linux the parent imports torch once and forks a child per file (the child starts with torch
imported and nothing else of the run in it); elsewhere, or with NNLINT_VERIFY_START=spawn, each
file gets a fresh `python -m nnlint.verify.worker` reading its request from stdin. Either way
torch is imported once per worker, never once per model, and CUDA is only touched in children.

Events (worker -> parent), one JSON object per line:
    {"event": "models", "ids": [...]}                        the models it will run, in order
    {"event": "start", "id": ..., "name": ...}               a model begins (its timeout starts)
    {"event": "phase", "phase": "build" | "forward" | ...}   where the model is
    {"event": "result", "id": ..., "run": {ModelRun}}        a model is done
    {"event": "import_error", "message": ..., "frames": [...]}
    {"event": "end"}
"""

from __future__ import annotations

import faulthandler
import gc
import importlib
import inspect
import json
import os
import queue
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Tuple

from nnlint.verify.result import CHECKED, FAILED, SKIPPED, CheckReport, ClassSource, ModelRun

BUILD_PHASES = ("import", "build")  # a crash or timeout here is an instantiation failure (NN901)
_STOPPING_KINDS = ("init_order_error", "container_error", "build_error", "missing_forward",
                   "inplace_leaf", "device_mismatch", "forward_error")


# ===== the worker side ==========================================================================
class _Emitter:
    def __init__(self, stream):
        self.stream = stream

    def __call__(self, event: str, **data) -> None:
        self.stream.write(json.dumps({"event": event, **data}, default=str) + "\n")
        self.stream.flush()


def serve(request: dict, stream) -> None:
    """Run one request (a file's models, or a factories file's functions), emitting events."""
    emit = _Emitter(stream)
    for entry in reversed(request.get("sys_path", [])):
        if entry and entry not in sys.path:
            sys.path.insert(0, entry)
    sys.argv = [request["path"]]
    from nnlint.verify import checks  # imports torch (already imported when forked)

    if request.get("threads"):  # forked from a process that may have used OpenMP: one thread
        import torch            # (a child of a process with a live OpenMP pool hangs in it)

        torch.set_num_threads(int(request["threads"]))

    emit("phase", phase="import")
    try:
        module = importlib.import_module(request["module"])
    except BaseException as exc:  # SyntaxError, ImportError, SystemExit...
        emit("import_error", message=checks.describe_error(exc), frames=checks.user_frames(exc))
        emit("end")
        return
    if request["kind"] == "factories":
        jobs = _factory_jobs(module, request)
    else:
        jobs = _class_jobs(module, request)
    skip = set(request.get("skip", ()))
    jobs = [job for job in jobs if job.id not in skip]
    emit("models", ids=[job.id for job in jobs])
    for job in jobs:
        emit("start", id=job.id, name=job.name)
        run = job.run(request, emit)
        emit("result", id=job.id, run=run.to_dict())
        if _cuda_broken(run):
            return  # a CUDA error poisons the process's context: the parent starts a fresh worker
    emit("end")


def _cuda_broken(run: ModelRun) -> bool:
    return bool(run.device and run.device.startswith("cuda")) and any(
        "CUDA error" in o.message or "device-side assert" in o.message for o in run.report.observations)


@dataclass
class _Job:
    id: str
    name: str
    run: Callable[[dict, Callable], ModelRun]


def _class_jobs(module, request: dict) -> List[_Job]:
    """The Module classes of the file: the engine's list, then any other Module subclass the
    module defines at top level (a base the static pass could not resolve)."""
    import torch

    from nnlint.verify.build import source_lines

    jobs: List[_Job] = []
    listed = set()
    specs = request.get("specs", {})
    for name, first, last in request.get("classes", []):
        full = f"{module.__name__}:{name}"
        job_id = full if name not in listed else f"{full}@{first}"  # a name defined twice
        listed.add(name)
        cls = module.__dict__.get(name)
        ok = (isinstance(cls, type) and issubclass(cls, torch.nn.Module)
              and getattr(cls, "__module__", None) == module.__name__)
        if ok and len([c for c in request.get("classes", []) if c[0] == name]) > 1:
            ok = _defined_in(cls, first, last)  # the last definition of a repeated name wins
        if not ok:
            jobs.append(_Job(job_id, full, _unbound(full, request, first, last)))
            continue
        jobs.append(_Job(job_id, full, _class_runner(cls, full, specs.get(full), request, first, last)))
    for name, cls in list(vars(module).items()):
        if (name in listed or not isinstance(cls, type) or not issubclass(cls, torch.nn.Module)
                or cls.__module__ != module.__name__ or cls.__qualname__ != name):
            continue
        full = f"{module.__name__}:{name}"
        _, first, last = source_lines(cls)
        jobs.append(_Job(full, full, _class_runner(cls, full, specs.get(full), request, first, last)))
    return jobs


def _defined_in(cls, first: int, last: int) -> bool:
    """Whether the class object comes from the `class` statement on those lines (its methods'
    code says where; inspect would find the first statement of that name)."""
    lines = [f.__code__.co_firstlineno for f in vars(cls).values() if inspect.isfunction(f)]
    return not lines or any(first <= line <= last for line in lines)


def _unbound(name: str, request: dict, first: int, last: int):
    def run(request_: dict, emit) -> ModelRun:
        model_run = ModelRun(name=name, path=request["display_path"], line=first, status=SKIPPED,
                             reason="not a module-level name at import time (defined in a function, "
                                    "under a condition, or rebound)")
        model_run.classes[""] = ClassSource(name, os.path.abspath(request["path"]), first, last)
        return model_run
    return run


def _class_runner(cls, name: str, spec_data: Optional[dict], request: dict, first: int, last: int):
    from nnlint.verify.build import ModelSpec, construct

    spec = ModelSpec.from_dict(spec_data) if spec_data else None

    def build():
        return construct(cls, name, spec)

    def run(request_: dict, emit) -> ModelRun:
        path = os.path.abspath(request["path"])
        model_run = ModelRun(name=name, path=request["display_path"], line=first)
        model_run.classes[""] = ClassSource(f"{cls.__module__}:{cls.__qualname__}", path, first, last)
        subclasses = sorted(c.__name__ for c in cls.__subclasses__() if c.__module__ == cls.__module__)
        if subclasses and _forward_missing(cls):
            model_run.status = SKIPPED
            model_run.reason = f"a base class without forward (subclassed by {', '.join(subclasses)})"
            return model_run
        model_run = check_model(model_run, build, lambda model: _inputs(model, name, spec), request, emit)
        if subclasses and model_run.status == FAILED and "NotImplementedError" in model_run.reason:
            model_run.status = SKIPPED
            model_run.reason = f"a base class ({model_run.reason}; subclassed by {', '.join(subclasses)})"
            model_run.report.observations = []
        return model_run
    return run


def _forward_missing(cls) -> bool:
    import torch

    return getattr(cls, "forward", None) is getattr(torch.nn.Module, "forward", None)


def _inputs(model, name, spec):
    from nnlint.verify.build import choose_inputs, example_inputs

    return choose_inputs(model, name, example_inputs(model, name, spec), spec)


def _factory_jobs(module, request: dict) -> List[_Job]:
    """Every public function the factories file defines that needs no argument."""
    from nnlint.verify.build import required_parameters

    jobs = []
    for name, func in list(vars(module).items()):
        if (name.startswith("_") or not inspect.isfunction(func) or func.__module__ != module.__name__
                or required_parameters(func)):
            continue
        label = f"{request['display_path']}:{name}"
        jobs.append(_Job(label, label, _factory_runner(func, label, request)))
    return jobs


def _factory_runner(func, label: str, request: dict):
    from nnlint.verify.build import normalize_example

    made: Dict[str, Any] = {}

    def build():
        result = func()
        if not isinstance(result, (tuple, list)) or len(result) not in (2, 3):
            raise TypeError(f"{func.__name__}() returned {type(result).__name__}, not (model, example_args)")
        model, example = result[0], result[1]
        args, kwargs = normalize_example(example)
        if len(result) == 3:
            kwargs.update(result[2] or {})
        made["inputs"] = (args, kwargs)
        return model

    def run(request_: dict, emit) -> ModelRun:
        model_run = ModelRun(name=label, path=request["display_path"], factory=label)
        return check_model(model_run, build, lambda model: made["inputs"], request, emit, factory=True)
    return run


def check_model(model_run: ModelRun, build: Callable[[], Any], inputs: Callable[[Any], Tuple[tuple, dict]],
                request: dict, emit, factory: bool = False) -> ModelRun:
    """Build, feed and check one model; every exception of the user's code lands in the run."""
    import warnings

    import torch

    from nnlint.verify import checks
    from nnlint.verify.build import Skip

    started = time.perf_counter()
    seed = int(request.get("seed", 0))
    phase = ["build"]

    def on_phase(name: str) -> None:
        phase[0] = name
        emit("phase", phase=name)

    def finish(run: ModelRun) -> ModelRun:
        run.seconds = round(time.perf_counter() - started, 3)
        return run

    on_phase("build")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            checks.seed_everything(seed)
            model = build()
            if factory:
                _name_factory_run(model_run, model)
            if not isinstance(model, torch.nn.Module):
                raise TypeError(f"built a {type(model).__name__}, not an nn.Module")
            model_run.report.checks.append("build")
            on_phase("forward")
            checks.seed_everything(seed)
            args, kwargs = inputs(model)
        except Skip as skip:
            model_run.status, model_run.reason, model_run.hint = SKIPPED, skip.reason, skip.hint
            return finish(model_run)
        except BaseException as exc:
            if isinstance(exc, KeyboardInterrupt):
                raise
            model_run.status = FAILED
            obs = checks.error_observation(model_run.report, exc, "build" if phase[0] == "build" else "forward")
            model_run.reason = obs.message
            return finish(model_run)
        prior = [f"{w.category.__name__}: {str(w.message).strip()}" for w in caught]

    device, note = checks.select_device(request.get("device", "auto"))
    report = _run_checks(model, args, kwargs, device, build, seed, prior, on_phase)
    if note:
        report.notes.insert(0, note)
    try:
        model_run.classes.update(class_sources(model))
    except Exception:  # pragma: no cover - introspection of odd classes
        pass
    model_run.report = report
    model_run.report.checks.insert(0, "build")
    model_run.device = report.device
    stopped = [o for o in report.observations if o.kind in _STOPPING_KINDS]
    if stopped:
        model_run.status, model_run.reason = FAILED, stopped[0].message
    return finish(model_run)


def _run_checks(model, args, kwargs, device, rebuild, seed, prior, on_phase) -> CheckReport:
    """run_checks on `device`; on CUDA out-of-memory, once more on a model rebuilt on the CPU."""
    from nnlint.verify import checks

    try:
        return checks.run_checks(model, args, kwargs, device=device, rebuild=rebuild, seed=seed,
                                 prior_warnings=prior, on_phase=on_phase)
    except BaseException as exc:
        if isinstance(exc, KeyboardInterrupt):
            raise
        if device.startswith("cuda") and checks.is_oom(exc):
            return _retry_on_cpu(model, args, kwargs, device, rebuild, seed, prior, on_phase, exc)
        report = CheckReport(device=device)  # SystemExit and the like, outside run_checks' net
        checks.error_observation(report, exc, "forward")
        return report


def _retry_on_cpu(model, args, kwargs, device, rebuild, seed, prior, on_phase, exc) -> CheckReport:
    import torch

    from nnlint.verify import checks

    del model
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
    note = f"CUDA out of memory on {device} ({checks.describe_error(exc)}): checked on cpu instead"
    try:
        checks.seed_everything(seed)
        model = rebuild()
    except Exception as error:
        report = CheckReport(device="cpu")
        report.notes.append(note)
        checks.error_observation(report, error, "build", "rebuilding on cpu")
        return report
    report = checks.run_checks(model, checks.to_device(args, "cpu"), checks.to_device(kwargs, "cpu"),
                               device="cpu", rebuild=rebuild, seed=seed, prior_warnings=prior,
                               on_phase=on_phase)
    report.notes.insert(0, note)
    return report


def _name_factory_run(model_run: ModelRun, model) -> None:
    from nnlint.verify.build import source_lines

    cls = type(model)
    model_run.name = f"{cls.__module__}:{cls.__qualname__}"
    path, first, last = source_lines(cls)
    model_run.path, model_run.line = path or model_run.path, first
    model_run.classes[""] = ClassSource(model_run.name, path, first, last)


def class_sources(model) -> Dict[str, ClassSource]:
    """Model path -> where its class is defined, for every submodule of a non-torch class."""
    from nnlint.verify.build import source_lines
    from nnlint.verify.checks import is_torch_class

    cache: Dict[type, ClassSource] = {}
    out: Dict[str, ClassSource] = {}
    for path, module in model.named_modules():
        cls = type(module)
        if is_torch_class(cls):
            continue
        if cls not in cache:
            file, first, last = source_lines(cls)
            cache[cls] = ClassSource(f"{cls.__module__}:{cls.__qualname__}", file, first, last)
        out[path] = cache[cls]
    return out


def main() -> None:
    """`python -m nnlint.verify.worker`: a request on stdin, events on the original stdout;
    the user's prints go to stderr (the parent's log)."""
    request = json.loads(sys.stdin.read())
    events = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    faulthandler.enable(file=sys.stderr)
    serve(request, events)


# ===== the parent side ==========================================================================
@dataclass
class Target:
    """One worker's job: a file's Module classes, or a factories file's functions."""

    kind: str  # "file" | "factories"
    path: str  # as displayed
    module: str  # dotted import name
    sys_path: List[str]
    classes: List[Tuple[str, int, int]] = field(default_factory=list)  # static: name, first, last
    specs: Dict[str, dict] = field(default_factory=dict)  # "module:Class" -> ModelSpec.to_dict()
    skip: List[str] = field(default_factory=list)  # job ids not to run (factories cover them)

    def request(self, device: str, seed: int, threads: int = 0) -> dict:
        return {"kind": self.kind, "path": os.path.abspath(self.path), "display_path": self.path,
                "module": self.module, "sys_path": self.sys_path, "classes": self.classes,
                "specs": self.specs, "skip": list(self.skip), "device": device, "seed": seed,
                "threads": threads}


def start_method() -> str:
    method = os.environ.get("NNLINT_VERIFY_START", "")
    if method in ("fork", "spawn"):
        return method if method != "fork" or hasattr(os, "fork") else "spawn"
    return "fork" if sys.platform.startswith("linux") else "spawn"


class _Child:
    """A running worker: its events arrive on a queue fed by a reader thread."""

    def __init__(self, request: dict, log_path: str, method: str):
        self.method = method
        self.events: "queue.Queue[Optional[str]]" = queue.Queue()
        self.proc: Optional[subprocess.Popen] = None
        self.pid = 0
        self._status: Optional[str] = None
        if method == "fork":
            read, write = os.pipe()
            pid = os.fork()
            if pid == 0:  # the child: never returns
                _child_main(request, read, write, log_path)
            os.close(write)
            self.pid = pid
            stream = os.fdopen(read, "r", encoding="utf-8", errors="replace")
        else:
            log = open(log_path, "ab")
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "nnlint.verify.worker"], stdin=subprocess.PIPE,
                stdout=subprocess.PIPE, stderr=log, start_new_session=os.name == "posix")
            log.close()
            self.pid = self.proc.pid
            self.proc.stdin.write(json.dumps(request).encode("utf-8"))
            self.proc.stdin.close()
            stream = io_text(self.proc.stdout)
        self.reader = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self.reader.start()

    def _read(self, stream) -> None:
        try:
            for line in stream:
                self.events.put(line)
        finally:
            self.events.put(None)
            stream.close()

    def next_event(self, timeout: Optional[float]) -> Tuple[str, Optional[dict]]:
        """("event", data), ("eof", None) or ("timeout", None)."""
        try:
            line = self.events.get(timeout=None if timeout is None else max(timeout, 0.0))
        except queue.Empty:
            return "timeout", None
        if line is None:
            return "eof", None
        try:
            return "event", json.loads(line)
        except json.JSONDecodeError:
            return "event", {"event": "noise"}

    def kill(self) -> None:
        try:
            if os.name == "posix":
                os.killpg(self.pid, signal.SIGKILL)
            elif self.proc is not None:
                self.proc.kill()
        except (ProcessLookupError, PermissionError, OSError):
            try:
                os.kill(self.pid, signal.SIGKILL)
            except OSError:
                pass

    def wait(self) -> str:
        """How the child ended, in words ("" for a clean exit)."""
        if self._status is not None:
            return self._status
        if self.method == "fork":
            _, status = os.waitpid(self.pid, 0)
            code = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
        else:
            code = self.proc.wait()
        self.reader.join(timeout=5)
        self._status = describe_exit(code)
        return self._status


def io_text(stream):
    import io

    return io.TextIOWrapper(stream, encoding="utf-8", errors="replace")


def describe_exit(code: int) -> str:
    if code == 0:
        return ""
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"killed by signal {-code} ({name})"
    return f"exited with status {code}"


def _child_main(request: dict, read: int, write: int, log_path: str) -> None:  # pragma: no cover - runs in the fork
    try:
        os.close(read)
        os.setsid()
        log = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(log, 1)
        os.dup2(log, 2)
        sys.stdin = open(0, "r", closefd=False)
        sys.stdout = open(1, "w", buffering=1, closefd=False)
        sys.stderr = open(2, "w", buffering=1, closefd=False)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        faulthandler.enable(file=sys.stderr)
        serve(request, os.fdopen(write, "w", encoding="utf-8"))
    except BaseException:
        try:
            traceback.print_exc()
            sys.stderr.flush()
        except BaseException:
            pass
    finally:
        os._exit(0)


_FAULT_FRAME = re.compile(r'File "(.+)", line (\d+)')


def _log_tail(log_path: str) -> Tuple[str, List[Tuple[str, int]]]:
    """The first line of a fatal error in the worker's log, and the frames it lists."""
    try:
        with open(log_path, "r", encoding="utf-8", errors="replace") as handle:
            text = handle.read()[-20000:]
    except OSError:
        return "", []
    fatal = ""
    frames: List[Tuple[str, int]] = []
    for line in text.splitlines():
        if line.startswith("Fatal Python error"):
            fatal, frames = line.strip(), []
        elif fatal:
            match = _FAULT_FRAME.search(line)
            if match:
                frames.append((os.path.abspath(match.group(1)), int(match.group(2))))
    return fatal, list(reversed(frames))  # faulthandler lists the innermost frame first


def run_target(target: Target, timeout: float, device: str = "auto", seed: int = 0,
               on_start: Optional[Callable[[str], None]] = None, torch_was_loaded: bool = False) -> List[ModelRun]:
    """Run a target's models in workers, restarting after a crash or a timeout.

    `torch_was_loaded`: torch was imported before this run (an in-process caller may have run
    parallel ops): forked children then compute on one thread, which OpenMP survives."""
    runs: List[ModelRun] = []
    skip = list(target.skip)
    method = start_method()
    threads = 1 if torch_was_loaded and method == "fork" else 0
    with tempfile.TemporaryDirectory(prefix="nnlint-verify-") as tmp:
        for attempt in range(10_000):
            log_path = os.path.join(tmp, f"worker{attempt}.log")
            request = target.request(device, seed, threads)
            request["skip"] = skip
            child = _Child(request, log_path, method)
            outcome = _drive(child, target, timeout, runs, skip, on_start, log_path)
            if outcome == "done":
                break
    return runs


def _drive(child: _Child, target: Target, timeout: float, runs: List[ModelRun], skip: List[str],
           on_start, log_path: str) -> str:
    """Read one child's events; "done" when the target is finished, "again" to restart."""
    current: Optional[dict] = None
    phase = "import"
    listed: Optional[List[str]] = None
    deadline = time.monotonic() + timeout
    try:
        while True:
            kind, event = child.next_event(deadline - time.monotonic())
            if kind == "event":
                name = event.get("event")
                if name == "models":
                    listed = list(event["ids"])
                    deadline = time.monotonic() + timeout
                elif name == "start":
                    current, phase = event, "build"
                    deadline = time.monotonic() + timeout
                    current["started"] = time.monotonic()
                    if on_start is not None:
                        on_start(event["name"])
                elif name == "phase":
                    phase = event["phase"]
                elif name == "result":
                    runs.append(ModelRun.from_dict(event["run"]))
                    skip.append(event["id"])
                    current = None
                    deadline = time.monotonic() + timeout
                elif name == "import_error":
                    runs.extend(_import_failures(target, f"importing {target.module} raised {event['message']}",
                                                 [tuple(f) for f in event.get("frames", [])]))
                elif name == "end":
                    child.wait()
                    return "done"
                continue
            if kind == "timeout":
                child.kill()
                child.wait()
                problem = f"timed out after {timeout:g} s"
                frames: List[Tuple[str, int]] = []
            else:  # the child died
                status = child.wait() or "exited before finishing"
                fatal, frames = _log_tail(log_path)
                problem = f"the worker crashed ({status}{': ' + fatal if fatal else ''})"
            if current is None:
                if listed is None:
                    runs.extend(_import_failures(target, f"importing {target.module}: {problem}", frames))
                    return "done"
                if not [i for i in listed if i not in skip]:
                    return "done"
                return "again"  # between two models: try the rest
            lost = _lost(target, current, phase, problem, frames)
            lost.seconds = round(time.monotonic() - current["started"], 3)
            runs.append(lost)
            skip.append(current["id"])
            return "again"
    except BaseException:
        child.kill()
        child.wait()
        raise


def _lost(target: Target, current: dict, phase: str, problem: str, frames) -> ModelRun:
    """The run of a model whose worker died or timed out."""
    name = current["name"]
    first, last = next(((a, b) for cls, a, b in target.classes if f"{target.module}:{cls}" == name), (0, 0))
    where = "building it" if phase in BUILD_PHASES else f"checking it ({phase})"
    message = f"{problem} while {where}"
    run = ModelRun(name=name, path=target.path, line=first, status=FAILED, reason=message,
                   factory=name if target.kind == "factories" else "")
    if first:
        run.classes[""] = ClassSource(name, os.path.abspath(target.path), first, last)
    kind = "build_error" if phase in BUILD_PHASES else "forward_error"
    run.report.add(kind, message, frames=list(frames))
    return run


def _import_failures(target: Target, message: str, frames) -> List[ModelRun]:
    """Every model of a file that cannot be imported fails with the import's error."""
    if target.kind == "factories":
        run = ModelRun(name=target.path, path=target.path, status=FAILED, reason=message, factory=target.path)
        run.report.add("build_error", message, frames=list(frames))
        return [run]
    runs = []
    for cls, first, last in target.classes:
        name = f"{target.module}:{cls}"
        if name in target.skip:
            continue
        run = ModelRun(name=name, path=target.path, line=first, status=FAILED, reason=message)
        run.classes[""] = ClassSource(name, os.path.abspath(target.path), first, last)
        run.report.add("build_error", message, frames=list(frames))
        runs.append(run)
    return runs


if __name__ == "__main__":  # pragma: no cover
    main()
