"""Run a function over many items in worker processes, surviving workers that die.

`multiprocessing.Pool` loses the tasks of a worker that dies (an abort in a native library, the
out-of-memory killer, a segfault) and then waits for them forever. Here each worker holds at
most two items at a time and answers them in order, so the parent always knows which item a
dead worker was on: that item's result is `on_failure(item, cause)`, the item queued behind it
goes to a fresh worker, and the run goes on.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
from collections import deque
from multiprocessing.connection import wait
from typing import Callable, Deque, List, Optional, Sequence, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

QUEUED_PER_WORKER = 2  # one running, one waiting: the worker never idles on a round trip


def default_jobs() -> int:
    """The cores this process may run on (a container's CPU set, not the host's count)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def run_all(task: Callable[[Item], Result], items: Sequence[Item], jobs: int,
            on_failure: Callable[[Item, str], Result],
            order: Optional[Sequence[int]] = None) -> List[Result]:
    """[task(item) for item in items], computed by `jobs` worker processes, started in `order`
    (indexes; default: as given); an item whose worker died, or whose task raised, gets
    on_failure(item, what happened) instead."""
    results: List[Optional[Result]] = [None] * len(items)
    todo: Deque[int] = deque(range(len(items)) if order is None else order)
    context = multiprocessing.get_context("fork" if sys.platform.startswith("linux") else "spawn")
    workers: List[_Worker] = []
    terminate = _exit_on_sigterm()
    try:
        workers = [_Worker(context, task, items) for _ in range(min(jobs, len(items)))]
        while workers:
            for worker in workers:
                while todo and len(worker.held) < QUEUED_PER_WORKER:
                    worker.give(todo.popleft())
            idle = [w for w in workers if not w.held]
            for worker in idle:
                worker.stop()
                workers.remove(worker)
            if not workers:
                break
            for connection in wait([w.connection for w in workers]):
                worker = next(w for w in workers if w.connection is connection)
                try:
                    index, result = connection.recv()
                except (EOFError, OSError):  # the worker died
                    cause = worker.death()
                    workers.remove(worker)
                    lost = worker.held.popleft()
                    results[lost] = on_failure(items[lost], f"the worker checking it {cause}")
                    todo.extendleft(reversed(worker.held))
                    if todo:
                        workers.append(_Worker(context, task, items))
                    continue
                worker.held.popleft()
                if isinstance(result, _Failure):
                    result = on_failure(items[index], f"the worker raised {result.error}")
                results[index] = result
    finally:
        for worker in workers:  # Ctrl-C, SIGTERM or an error of ours: leave no worker behind
            worker.kill()
        if terminate is not None:
            previous = terminate[0]
            signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)
    return results  # type: ignore[return-value]


def _exit_on_sigterm():
    """Make SIGTERM (a CI job cancelled, `kill`) exit through the `finally` that ends the
    workers, as Ctrl-C does; returns (the handler to put back,), or None off the main thread."""
    if threading.current_thread() is not threading.main_thread():
        return None

    def exit_now(signum, frame):
        raise SystemExit(128 + signum)

    return (signal.signal(signal.SIGTERM, exit_now),)


_PARENT_ENDS = set()  # our ends of the workers' pipes: a forked worker closes its copies


class _Worker:
    def __init__(self, context, task, items):
        self.connection, child_end = context.Pipe()
        _PARENT_ENDS.add(self.connection)
        self.process = context.Process(target=_serve, args=(child_end, task, items), daemon=True)
        self.process.start()
        child_end.close()
        self.held: Deque[int] = deque()  # indexes sent, not yet answered, in order

    def give(self, index: int) -> None:
        self.held.append(index)
        try:
            self.connection.send(index)
        except OSError:  # already dead: the next recv says so
            pass

    def stop(self) -> None:
        try:
            self.connection.send(None)
        except OSError:
            pass
        self.process.join()
        self.close()

    def close(self) -> None:
        _PARENT_ENDS.discard(self.connection)
        self.connection.close()

    def death(self) -> str:
        self.process.join()
        self.close()
        return describe_exit(self.process.exitcode)

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join()
        self.close()


def describe_exit(code: Optional[int]) -> str:
    """Why a worker stopped, from its exit status."""
    if code is None or code >= 0:
        return f"exited with status {code}"
    try:
        name = signal.Signals(-code).name
    except ValueError:
        name = f"signal {-code}"
    why = {
        "SIGKILL": " (usually the system's out-of-memory killer)",
        "SIGABRT": " (e.g. a failed memory allocation in LibCST's native parser)",
        "SIGSEGV": " (a crash in native code)",
    }.get(name, "")
    return f"was killed by {name}{why}"


class _Failure:
    def __init__(self, error: str):
        self.error = error


def _serve(connection, task, items) -> None:
    """A worker: answer indexes until told to stop (None) or the parent goes away (EOF: the
    other workers' pipes are closed here, so only the parent holds the other end)."""
    for inherited in _PARENT_ENDS:
        inherited.close()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    while True:
        try:
            index = connection.recv()
        except (EOFError, OSError):
            return
        if index is None:
            return
        try:
            connection.send((index, task(items[index])))
        except Exception as exc:  # nothing is sent until the answer is pickled whole
            connection.send((index, _Failure(f"{type(exc).__name__}: {exc}")))
