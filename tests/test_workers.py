"""The worker processes of `nnlint check`: a worker that dies (an abort in LibCST's native code,
the out-of-memory killer, a segfault) costs its file an NN009 that names the cause, and every
other file is still reported; Ctrl-C leaves no worker and no partial cache behind."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from samples import BUGGY

# Runs nnlint with engine.check_file patched to die on files named die_<how>.py; the forked
# workers inherit the patch. Before nnlint.workers, multiprocessing.Pool waited forever.
DRIVER = textwrap.dedent("""\
    import ctypes, os, signal, sys, time
    from nnlint import engine
    from nnlint.cli import main

    real = engine.check_file

    def check_file(path, *args, **kwargs):
        name = os.path.basename(path)
        with open(os.environ["PIDS"], "a") as log:
            log.write(f"{os.getpid()}\\n")
        if name == "die_kill.py":
            os.kill(os.getpid(), signal.SIGKILL)
        if name == "die_abort.py":
            os.abort()
        if name == "die_segv.py":
            ctypes.string_at(0)
        if name == "die_exit.py":
            os._exit(3)
        if name.startswith("slow"):
            time.sleep(60)
        return real(path, *args, **kwargs)

    engine.check_file = check_file
    sys.exit(main(sys.argv[1:]))
""")


def start(tmp_path, *args):
    (tmp_path / "driver.py").write_text(DRIVER)
    env = {**os.environ, "PIDS": str(tmp_path / "pids")}
    return subprocess.Popen([sys.executable, str(tmp_path / "driver.py"), *args], cwd=tmp_path,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def finish(process, timeout=120):
    """(stdout, stderr) of a run; one that hangs is ended with all its processes, and fails."""
    try:
        return process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise


def test_a_dead_worker_costs_one_file_and_names_the_cause(tmp_path):
    for index in range(6):
        (tmp_path / f"net{index}.py").write_text(BUGGY)
    for how in ("kill", "abort", "segv", "exit"):
        (tmp_path / f"die_{how}.py").write_text(BUGGY)
    process = start(tmp_path, "--format", "json", "--no-cache", "-j", "2", ".")
    out, err = finish(process)
    assert process.returncode == 2, err  # files nnlint could not check (NN009)
    found = json.loads(out)
    assert [(d["path"], d["code"]) for d in found if d["path"].startswith("net")] == [
        (f"net{i}.py", code) for i in range(6) for code in ("NN101", "NN301")]
    prefix = "nnlint could not check this file: the worker checking it "
    assert [(d["path"], d["line"], d["code"], d["message"]) for d in found if d["path"].startswith("die")] == [
        ("die_abort.py", 1, "NN009",
         prefix + "was killed by SIGABRT (e.g. a failed memory allocation in LibCST's native parser)"),
        ("die_exit.py", 1, "NN009", prefix + "exited with status 3"),
        ("die_kill.py", 1, "NN009",
         prefix + "was killed by SIGKILL (usually the system's out-of-memory killer)"),
        ("die_segv.py", 1, "NN009", prefix + "was killed by SIGSEGV (a crash in native code)"),
    ]


def test_a_dead_worker_result_is_not_cached(tmp_path):
    (tmp_path / "die_kill.py").write_text(BUGGY)
    (tmp_path / "net.py").write_text(BUGGY)
    finish(start(tmp_path, "-j", "2", "."))
    process = subprocess.run([sys.executable, "-m", "nnlint", "--format", "json", "-j", "2", "."],
                             cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert [(d["path"], d["code"]) for d in json.loads(process.stdout)] == [
        ("die_kill.py", "NN101"), ("die_kill.py", "NN301"), ("net.py", "NN101"), ("net.py", "NN301")]


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupted_run_leaves_no_worker_and_no_partial_cache(tmp_path, stop):
    for index in range(4):
        (tmp_path / f"net{index}.py").write_text(BUGGY)
        (tmp_path / f"slow{index}.py").write_text(BUGGY)
    process = start(tmp_path, "-j", "2", ".")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # both workers are inside a slow file
        pids = (tmp_path / "pids").read_text().split() if (tmp_path / "pids").exists() else []
        if len(set(pids)) >= 2 and all(alive(int(p)) for p in set(pids)):
            break
        time.sleep(0.1)
    time.sleep(0.5)
    process.send_signal(stop)
    out, err = finish(process, timeout=30)
    assert process.returncode == (130 if stop == signal.SIGINT else 128 + signal.SIGTERM)
    assert "Traceback" not in err, err
    time.sleep(0.5)
    workers = {int(p) for p in (tmp_path / "pids").read_text().split()}
    assert len(workers) == 2 and not [pid for pid in workers if alive(pid)]
    cache = tmp_path / ".nnlint_cache"
    assert not cache.exists() or sorted(os.listdir(cache)) in ([], [".gitignore"])
