"""Each model from a clean state, inside the worker (`verify/worker.py`).

A model may change what every later model sees: turn autograd off, set the default dtype,
replace `nn.Module.__call__`, register a global forward hook, start processes, eat memory. The
worker imports the user's file once, then (on Linux) forks a child per model: the child builds
and checks the model and sends its result; whatever it changed dies with it. Where a fork is
not possible (not Linux, or the file's import already initialised CUDA, which a forked child
cannot use), the model runs in the worker and the torch state below is put back afterwards.
Either way a model that changed global state is told so, in a note.

OpenMP (torch's CPU thread pool) does not survive a fork: a child of a process whose pool ever
ran hangs in it. So a forking worker computes on one thread until it forks (nothing but the
import runs there), and each child gets the normal thread count back.
"""

from __future__ import annotations

import os
import signal
import sys
import types
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Tuple

# Signals a model may send its parent: the worker ignores them (the supervisor ends workers
# with SIGKILL); each model's child gets the defaults back.
PARENT_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGINT", "SIGHUP", "SIGUSR1", "SIGUSR2")
                       if hasattr(signal, name))


def can_fork() -> bool:
    import torch

    return sys.platform.startswith("linux") and hasattr(os, "fork") and not torch.cuda.is_initialized()


def ignore_parent_signals() -> None:
    for signum in PARENT_SIGNALS:
        signal.signal(signum, signal.SIG_IGN)


def set_memory_limit(limit: int) -> None:
    """Cap the worker's private writable memory (RLIMIT_DATA: heap and anonymous mappings, what
    tensors are made of; not the address space CUDA reserves). An allocation past it fails in
    the model (MemoryError, or torch's "can't allocate memory"), which the checks report."""
    if limit <= 0:
        return
    try:
        import resource

        _, hard = resource.getrlimit(resource.RLIMIT_DATA)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_DATA, (limit, hard))
    except (ImportError, ValueError, OSError):  # not POSIX, or a limit we may not raise
        pass


# ----- global state ------------------------------------------------------------------------------
def _namespaces() -> Dict[str, Any]:
    import torch

    return {"torch": torch, "torch.nn": torch.nn, "torch.nn.functional": torch.nn.functional,
            "torch.nn.init": torch.nn.init, "torch.nn.Module": torch.nn.Module, "torch.Tensor": torch.Tensor}


def _flags() -> List[Tuple[str, Callable[[], Any], Callable[[Any], None], Callable[[Any], str]]]:
    """(name, read, write, what a change means) for torch's process-wide settings."""
    import torch

    def deterministic():
        return (torch.are_deterministic_algorithms_enabled(), torch.is_deterministic_algorithms_warn_only_enabled())

    def anomaly():
        return (torch.is_anomaly_enabled(), torch.is_anomaly_check_nan_enabled())

    flags = [
        ("grad", torch.is_grad_enabled, torch.set_grad_enabled,
         lambda on: f"left autograd {'on' if on else 'off'} (torch.set_grad_enabled({on}))"),
        ("inference", torch.is_inference_mode_enabled, None,
         lambda on: f"left inference mode {'on' if on else 'off'}"),
        ("dtype", torch.get_default_dtype, torch.set_default_dtype,
         lambda dtype: f"set the default dtype to {dtype} (torch.set_default_dtype)"),
        ("deterministic", deterministic, lambda v: torch.use_deterministic_algorithms(v[0], warn_only=v[1]),
         lambda v: f"{'enabled' if v[0] else 'disabled'} deterministic algorithms (torch.use_deterministic_algorithms)"),
        ("anomaly", anomaly, lambda v: torch.autograd.set_detect_anomaly(v[0], check_nan=v[1]),
         lambda v: f"{'enabled' if v[0] else 'disabled'} anomaly detection (torch.autograd.set_detect_anomaly)"),
        ("threads", torch.get_num_threads, torch.set_num_threads,
         lambda n: f"set the number of threads to {n} (torch.set_num_threads)"),
        ("matmul", torch.get_float32_matmul_precision, torch.set_float32_matmul_precision,
         lambda p: f"set the float32 matmul precision to {p!r}"),
    ]
    if hasattr(torch, "get_default_device"):
        flags.append(("device", torch.get_default_device, torch.set_default_device,
                      lambda d: f"set the default device to {d} (torch.set_default_device)"))
    cudnn = torch.backends.cudnn
    for name in ("enabled", "benchmark", "deterministic"):
        flags.append((f"cudnn.{name}", lambda name=name: getattr(cudnn, name),
                      lambda value, name=name: setattr(cudnn, name, value),
                      lambda value, name=name: f"set torch.backends.cudnn.{name} = {value}"))
    return flags


def _global_hooks() -> Dict[str, Any]:
    """nn.Module's process-wide hook tables (`register_module_forward_hook` and friends)."""
    from torch.nn.modules import module

    return {name: table for name, table in vars(module).items()
            if name.startswith("_global_") and isinstance(table, dict)}


@dataclass
class GlobalState:
    """torch's process-wide settings, the attributes of its main namespaces and classes, and
    nn.Module's global hooks, as they were when captured."""

    flags: Dict[str, Any] = field(default_factory=dict)
    attributes: Dict[str, Dict[str, Any]] = field(default_factory=dict)
    hooks: Dict[str, Dict[Any, Any]] = field(default_factory=dict)

    @classmethod
    def capture(cls) -> "GlobalState":
        state = cls()
        for name, read, _, _ in _flags():
            try:
                state.flags[name] = read()
            except Exception:  # pragma: no cover - a setting this torch does not have
                pass
        state.attributes = {name: dict(vars(space)) for name, space in _namespaces().items()}
        state.hooks = {name: dict(table) for name, table in _global_hooks().items()}
        return state

    def changes(self) -> List[str]:
        """What differs now, in words ("left autograd off (torch.set_grad_enabled(False))")."""
        now = GlobalState.capture()
        out = []
        for name, _, _, say in _flags():
            if name in self.flags and name in now.flags and now.flags[name] != self.flags[name]:
                out.append(say(now.flags[name]))
        for space, before in self.attributes.items():
            after = now.attributes.get(space, {})
            changed = [k for k, v in before.items() if (k not in after or after[k] is not v)
                       and (space, k) not in _REBOUND]
            if isinstance(_namespaces()[space], type):  # a class: new attributes count too
                changed += [k for k, v in after.items() if k not in before and k not in _CACHES]
            else:  # a module: a submodule imported on first use is not a change
                changed += [k for k, v in after.items() if k not in before and not isinstance(v, types.ModuleType)]
            out.extend(f"replaced {space}.{k}" if k in before and k in after else
                       f"{'removed' if k in before else 'added'} {space}.{k}" for k in sorted(changed))
        for table, before in self.hooks.items():
            if table.endswith("_hooks") and set(now.hooks.get(table, {})) - set(before):
                what = table[len("_global_"):-len("_hooks")].replace("_", " ")
                out.append(f"registered global {what} hooks (they run for every nn.Module)")
        return out

    def restore(self) -> None:
        for name, _, write, _ in _flags():
            if write is None or name not in self.flags:
                continue
            try:
                if read_flag(name) != self.flags[name]:
                    write(self.flags[name])
            except Exception:  # pragma: no cover - best effort
                pass
        for space, before in self.attributes.items():
            target = _namespaces()[space]
            for key in [k for k in vars(target) if k not in before]:
                if isinstance(target, type) or not isinstance(vars(target)[key], types.ModuleType):
                    try:
                        delattr(target, key)
                    except (AttributeError, TypeError):
                        pass
            for key, value in before.items():
                if vars(target).get(key, _MISSING) is not value:
                    try:
                        setattr(target, key, value)
                    except (AttributeError, TypeError):
                        pass
        tables = _global_hooks()
        for name, before in self.hooks.items():
            table = tables.get(name)
            if table is not None:
                table.clear()
                table.update(before)


_MISSING = object()
_CACHES = {"__slotnames__"}  # what Python itself adds to a class (copy caches its slot names)
# what torch rebinds itself: Storage (set_default_dtype: a flag above); manual_seed (torch._dynamo,
# imported on the first dispatch mode: the eval-randomness record of checks.py)
_REBOUND = {("torch", "Storage"), ("torch", "manual_seed")}


def read_flag(name: str) -> Any:
    return next(read for flag, read, _, _ in _flags() if flag == name)()


def state_note(changes: List[str]) -> str:
    return f"changed global state: {'; '.join(changes)} (the other models started from a clean state)"


# ----- a model in a child process -----------------------------------------------------------------
def run_in_child(work: Callable[[], None], threads: int) -> Tuple[bool, str]:
    """Fork, run `work` in the child (it emits its own result), and end every process the
    child left. (finished, how the child ended in words if it did not finish)."""
    done_read, done_write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the fork
        try:
            os.close(done_read)
            os.setpgid(0, 0)  # the model's group: ended with it
            for signum in PARENT_SIGNALS:
                signal.signal(signum, signal.SIG_DFL)
            if threads:
                import torch

                torch.set_num_threads(threads)
            work()
            os.write(done_write, b"1")
        except BaseException:
            pass
        finally:
            os._exit(0)
    os.close(done_write)
    _, status = os.waitpid(pid, 0)
    finished = os.read(done_read, 1) == b"1"
    os.close(done_read)
    end_leftovers(pid)
    return finished, describe_status(status)


def describe_status(status: int) -> str:
    code = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
    return describe_exit(code)


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


def end_leftovers(group: Optional[int]) -> None:
    """Kill what a model started: its child's process group (`group`), and every child of this
    worker (a subreaper: a daemon that left the group lands here), then reap them."""
    if group is not None:
        try:
            os.killpg(group, signal.SIGKILL)
        except OSError:
            pass
    for pid in children_of(os.getpid()):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if pid == 0:
            break


def become_subreaper() -> None:
    """Orphans of a model's processes are reparented to this worker, not to init (Linux)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        pass


def _proc_stat(pid: str) -> Optional[Tuple[int, int]]:
    """(parent pid, session id) of a process, from /proc; None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            text = handle.read().decode("ascii", "replace")
    except OSError:
        return None
    fields = text[text.rfind(")") + 2:].split()  # after "pid (comm) "
    try:
        return int(fields[1]), int(fields[3])
    except (IndexError, ValueError):
        return None


def _processes() -> List[Tuple[int, int, int]]:
    """(pid, parent pid, session id) of every process we can see; [] without /proc."""
    try:
        names = os.listdir("/proc")
    except OSError:
        return []
    out = []
    for name in names:
        if name.isdigit():
            stat = _proc_stat(name)
            if stat is not None:
                out.append((int(name), stat[0], stat[1]))
    return out


def cpu_waits(pids) -> Optional[Dict[Tuple[int, int], float]]:
    """Seconds each thread of these processes has spent waiting for a CPU that others held (its
    run-queue delay, /proc/<pid>/task/<tid>/schedstat), by (pid, tid); None where the system does
    not say (no /proc or no schedstat: not Linux)."""
    if not os.path.exists("/proc/self/schedstat"):
        return None
    out: Dict[Tuple[int, int], float] = {}
    for pid in pids:
        try:
            tids = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue  # gone
        for tid in tids:
            try:
                with open(f"/proc/{pid}/task/{tid}/schedstat", "rb") as handle:
                    out[(pid, int(tid))] = int(handle.read().split()[1]) / 1e9
            except (OSError, IndexError, ValueError):
                continue
    return out


def children_of(parent: int) -> List[int]:
    return [pid for pid, ppid, _ in _processes() if ppid == parent]


def session_members(session: int) -> List[int]:
    """Every process of a session and their descendants."""
    table = _processes()
    members = {pid for pid, _, sid in table if sid == session}
    grew = True
    while grew:
        more = {pid for pid, ppid, _ in table if ppid in members and pid not in members}
        members |= more
        grew = bool(more)
    return sorted(members)
