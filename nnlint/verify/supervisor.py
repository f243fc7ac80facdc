"""The supervisor: the parent's side of verify's workers. It starts a worker per file
(`verify/worker.py`), reads its events, enforces the per-model timeout, and survives whatever
the user's code does: a segfault, an `os._exit` or a model that runs past its timeout kills
the worker, and the supervisor starts a new one for the models left.

On Linux the parent imports torch once and forks a child per file (the child starts with torch
imported and nothing else of the run in it); elsewhere, or with NNLINT_VERIFY_START=spawn, each
file gets a fresh `python -m nnlint.verify.worker` reading its request from stdin. Either way
torch is imported once per worker, never once per model, and CUDA is only touched in children.
"""

from __future__ import annotations

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
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Tuple

from nnlint.verify.isolate import cpu_waits, describe_exit, describe_status, session_members
from nnlint.verify.result import FAILED, SKIPPED, ClassSource, ModelRun

BUILD_PHASES = ("import", "build")  # a crash or timeout here is an instantiation failure (NN901)
WALL_FACTOR = 3  # a model kept waiting for CPUs by other processes gets at most this many timeouts of wall time
LOOK_AGAIN = 0.5  # seconds, at least, between two looks at how long a late model waited for CPUs


@dataclass
class Target:
    """One worker's job: a file's Module classes, or a factories file's functions."""

    kind: str  # "file" | "factories"
    path: str  # as displayed
    module: str  # dotted import name
    sys_path: List[str]
    label: str = ""  # what model names start with: the module, or the relative path where modules repeat
    classes: List[Tuple[str, int, int]] = field(default_factory=list)  # static: name, first, last
    specs: Dict[str, dict] = field(default_factory=dict)  # "module:Class" -> ModelSpec.to_dict()
    skip: List[str] = field(default_factory=list)  # job ids not to run (factories cover them)
    usage: Dict[str, List[dict]] = field(default_factory=dict)  # "module:Class" -> usage.Site dicts

    def __post_init__(self):
        self.label = self.label or self.module

    def request(self, device: str, seed: int, threads: int = 0, memory_limit: int = 0) -> dict:
        return {"kind": self.kind, "path": os.path.abspath(self.path), "display_path": self.path,
                "module": self.module, "label": self.label, "sys_path": self.sys_path, "classes": self.classes,
                "specs": self.specs, "skip": list(self.skip), "device": device, "seed": seed,
                "threads": threads, "memory_limit": memory_limit, "usage": self.usage}


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
                from nnlint.verify.worker import forked_main

                forked_main(request, read, write, log_path)
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
        """End the worker and every process of its session (each model's child, what the model
        started). Called before `wait`, while the worker's pid cannot have been reused."""
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
        for pid in session_members(self.pid):
            if pid != os.getpid():
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass

    def wait(self) -> str:
        """How the child ended, in words ("" for a clean exit)."""
        if self._status is not None:
            return self._status
        if self.method == "fork":
            _, status = os.waitpid(self.pid, 0)
            self._status = describe_status(status)
        else:
            self._status = describe_exit(self.proc.wait())
        self.reader.join(timeout=5)
        return self._status


def io_text(stream):
    import io

    return io.TextIOWrapper(stream, encoding="utf-8", errors="replace")


_FAULT_FRAME = re.compile(r'File "(.+)", line (\d+)')
_OUT_OF_MEMORY = re.compile(r"std::bad_alloc|memory allocation of \d+ bytes failed|MemoryError|Cannot allocate memory")


def _log_size(log_path: str) -> int:
    try:
        return os.path.getsize(log_path)
    except OSError:
        return 0


def _crash(log_path: str, since: int, status: str, memory_limit: int) -> Tuple[str, List[Tuple[str, int]]]:
    """What the log written since `since` says about a process that died: the problem in
    words, and the frames of a fatal error (innermost last)."""
    try:
        with open(log_path, "rb") as handle:
            handle.seek(since)
            text = handle.read()[-20000:].decode("utf-8", "replace")
    except OSError:
        text = ""
    fatal = ""
    frames: List[Tuple[str, int]] = []
    for line in text.splitlines():
        if line.startswith("Fatal Python error"):
            fatal, frames = line.strip(), []
        elif fatal:
            match = _FAULT_FRAME.search(line)
            if match:
                frames.append((os.path.abspath(match.group(1)), int(match.group(2))))
    frames.reverse()  # faulthandler lists the innermost frame first
    if memory_limit and _OUT_OF_MEMORY.search(text):
        return f"exceeded the memory limit ({format_gb(memory_limit)}) ({status or 'exited'})", frames
    return f"the worker crashed ({status or 'exited before finishing'}{': ' + fatal if fatal else ''})", frames


def format_gb(size: int) -> str:
    return f"{size / 2 ** 30:g} GB"


def run_target(target: Target, timeout: float, device: str = "auto", seed: int = 0,
               on_start: Optional[Callable[[str], None]] = None, torch_was_loaded: bool = False,
               memory_limit: int = 0) -> List[ModelRun]:
    """Run a target's models in workers, restarting after a crash or a timeout.

    `torch_was_loaded`: torch was imported before this run (an in-process caller may have run
    parallel ops): forked children then compute on one thread, which OpenMP survives.
    `memory_limit`: bytes of memory each worker may use (0: no limit)."""
    runs: List[ModelRun] = []
    skip = list(target.skip)
    method = start_method()
    threads = 1 if torch_was_loaded and method == "fork" else 0
    with tempfile.TemporaryDirectory(prefix="nnlint-verify-") as tmp:
        for attempt in range(10_000):
            log_path = os.path.join(tmp, f"worker{attempt}.log")
            request = target.request(device, seed, threads, memory_limit)
            request["skip"] = skip
            child = _Child(request, log_path, method)
            outcome = _drive(child, target, timeout, runs, skip, on_start, log_path, memory_limit)
            if outcome == "done":
                break
    return runs


def _drive(child: _Child, target: Target, timeout: float, runs: List[ModelRun], skip: List[str],
           on_start, log_path: str, memory_limit: int = 0) -> str:
    """Read one child's events; "done" when the target is finished, "again" to restart."""
    current: Optional[dict] = None
    phase = "import"
    listed: Optional[List[str]] = None
    clock = _Clock(timeout, child.pid)
    log_start = 0  # where the log stood when the current model started

    def lose(problem: str, frames, timed_out: bool = False) -> None:
        lost = _lost(target, current, phase, problem, frames, timed_out)
        lost.seconds = round(time.monotonic() - current["started"], 3)
        runs.append(lost)
        skip.append(current["id"])

    try:
        while True:
            left = clock.left()
            kind, event = child.next_event(max(left, 0.0))
            if kind == "timeout" and left > 0:
                continue  # the time it waited for a CPU is given back: look again
            if kind == "event":
                name = event.get("event")
                if name == "models":
                    listed = list(event["ids"])
                    clock.restart()
                elif name == "start":
                    current, phase = event, "build"
                    clock.restart()
                    current["started"] = time.monotonic()
                    log_start = _log_size(log_path)
                    if on_start is not None:
                        on_start(event["name"])
                elif name == "phase":
                    phase = event["phase"]
                elif name == "notes" and current is not None:
                    current["notes"] = list(event.get("notes", []))
                elif name in ("result", "crashed") and current is not None:
                    if name == "result":
                        runs.append(ModelRun.from_dict(event["run"]))
                        skip.append(event["id"])
                    else:  # the model's own process died; the worker goes on with the next
                        lose(*_crash(log_path, log_start, event.get("status", ""), memory_limit))
                    current = None
                    clock.restart()
                elif name == "import_error":
                    missing = event.get("missing")
                    message = (f"needs {missing}: importing {target.module}: "
                               f"{event['message']}" if missing else
                               f"importing {target.module} raised {event['message']}")
                    runs.extend(_import_failures(target, message, [tuple(f) for f in event.get("frames", [])],
                                                 skipped=bool(missing)))
                elif name == "end":
                    child.kill()  # what the models started ends with the worker
                    child.wait()
                    return "done"
                continue
            child.kill()
            if kind == "timeout":
                child.wait()
                problem = f"timed out after {timeout:g} s"
                frames: List[Tuple[str, int]] = []
            else:  # the worker died
                problem, frames = _crash(log_path, log_start, child.wait(), memory_limit)
            if current is None:
                if listed is None:
                    runs.extend(_import_failures(target, f"importing {target.module}: {problem}", frames,
                                                 skipped=kind == "timeout"))
                    return "done"
                if not [i for i in listed if i not in skip]:
                    return "done"
                return "again"  # between two models: try the rest
            lose(problem, frames, timed_out=kind == "timeout")
            return "again"
    except BaseException:
        child.kill()
        child.wait()
        raise


class _Clock:
    """A model's time against its timeout: the wall-clock seconds since it started, less the
    longest that a thread of the worker's processes waited for a CPU held by other processes
    (the run-queue delay Linux keeps per thread), so that a busy machine does not time a model
    out; never more than WALL_FACTOR timeouts of wall time. A model that sleeps or hangs waits
    for no CPU: it is stopped after the timeout. Where the system keeps no run-queue delay
    (not Linux), wall-clock time."""

    def __init__(self, timeout: float, session: int):
        self.timeout, self.session = timeout, session
        self.restart()

    def restart(self) -> None:
        self.started = time.monotonic()
        self.base = cpu_waits([self.session]) or {}  # the worker's threads; a model's process starts at 0
        self.seen: Dict[Tuple[int, int], float] = {}

    def left(self) -> float:
        """Wall seconds to wait before looking again; 0 or less: the model is over its time."""
        wall = time.monotonic() - self.started
        if wall < self.timeout:
            return self.timeout - wall
        cap = WALL_FACTOR * self.timeout - wall
        waited = self.waited() if cap > 0 else None
        if waited is None:
            return min(cap, self.timeout - wall)
        left = self.timeout + waited - wall
        return min(max(left, LOOK_AGAIN), cap) if left > 0 else left

    def waited(self) -> Optional[float]:
        waits = cpu_waits(session_members(self.session))
        if waits is None:
            return None
        for key, value in waits.items():  # a thread that ended keeps what it waited
            self.seen[key] = max(value, self.seen.get(key, 0.0))
        return max((value - self.base.get(key, 0.0) for key, value in self.seen.items()), default=0.0)


def _lost(target: Target, current: dict, phase: str, problem: str, frames, timed_out: bool = False) -> ModelRun:
    """The run of a model whose worker died (failed) or timed out (skipped: too slow to check
    here, which says nothing against the model)."""
    name = current["name"]
    first, last = next(((a, b) for cls, a, b in target.classes if f"{target.label}:{cls}" == name), (0, 0))
    where = "building it" if phase in BUILD_PHASES else f"checking it ({phase})"
    message = f"{problem} while {where}"
    run = ModelRun(name=name, path=target.path, line=first, status=SKIPPED if timed_out else FAILED,
                   reason=message, factory=name if target.kind == "factories" else "")
    if first:
        run.classes[""] = ClassSource(name, os.path.abspath(target.path), first, last)
    run.report.notes.extend(current.get("notes", []))  # `built as in tests/test_models.py:12`
    if timed_out:
        return run
    kind = "build_error" if phase in BUILD_PHASES else "forward_error"
    run.report.add(kind, message, frames=list(frames))
    return run


def _import_failures(target: Target, message: str, frames, skipped: bool = False) -> List[ModelRun]:
    """Every model of a file that cannot be imported fails with the import's error (is
    skipped, when a package it needs is not installed or the import timed out)."""
    if target.kind == "factories":
        run = ModelRun(name=target.path, path=target.path, status=FAILED, reason=message, factory=target.path)
        run.report.add("build_error", message, frames=list(frames))
        return [run]
    runs = []
    for cls, first, last in target.classes:
        name = f"{target.label}:{cls}"
        if name in target.skip:
            continue
        run = ModelRun(name=name, path=target.path, line=first, status=SKIPPED if skipped else FAILED,
                       reason=message)
        run.classes[""] = ClassSource(name, os.path.abspath(target.path), first, last)
        if not skipped:
            run.report.add("build_error", message, frames=list(frames))
        runs.append(run)
    return runs
