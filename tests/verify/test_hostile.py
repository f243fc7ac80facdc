"""`nnlint verify` against models that attack it (fixtures/runtime/hostile.py), run as a user
runs it: a command whose process is the models' grandparent. Each model starts from a clean
state, gets its own verdict, and the run ends with no process and no temporary folder left."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from nnlint.verify import isolate  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = ROOT / "fixtures" / "runtime" / "hostile.py"
CLEAN_NOTE = "(the other models started from a clean state)"


def _nnlint(*args, tmp: Path, **kwargs):
    env = dict(os.environ, TMPDIR=str(tmp))
    return subprocess.Popen([sys.executable, "-m", "nnlint", "verify", *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)


def _running(mark: str):
    found = []
    for pid in os.listdir("/proc"):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as handle:
                if mark.encode() in handle.read():
                    found.append(int(pid))
        except OSError:
            pass
    return found


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hostile")
    proc = _nnlint("--config", "fixtures/runtime/pyproject.toml", "--format", "json", "--memory-limit", "1",
                   "fixtures/runtime/hostile.py", tmp=tmp)
    out, err = proc.communicate(timeout=600)
    time.sleep(0.2)
    models = {m["name"]: m for m in json.loads(out)["models"]}
    return proc.returncode, models, sorted(p.name for p in tmp.iterdir()), err


def test_every_model_gets_its_own_verdict(hostile):
    code, models, _, err = hostile
    assert code == 1, err
    assert {name: m["status"] for name, m in models.items()} == {
        "hostile:GradOff": "checked", "hostile:PatchesCall": "checked", "hostile:DoubleDefault": "checked",
        "hostile:GlobalHook": "checked", "hostile:KillsParent": "checked", "hostile:StartsProcesses": "checked",
        "hostile:Hog": "failed", "hostile:Scripted": "checked", "hostile:Victim": "checked"}


def test_global_state_does_not_leak(hostile):
    _, models, _, _ = hostile
    victim = models["hostile:Victim"]
    assert (victim["findings"], victim["notes"]) == ([], [])
    assert "float64" not in json.dumps(victim["members"])
    assert [f["code"] for f in models["hostile:PatchesCall"]["findings"]] == ["NN903"]  # its own doing


def test_a_model_that_changed_global_state_is_told(hostile):
    _, models, _, _ = hostile
    notes = {name: [n for n in m["notes"] if n.startswith("changed global state")] for name, m in models.items()}
    assert notes["hostile:GradOff"] == [
        f"changed global state: left autograd off (torch.set_grad_enabled(False)) {CLEAN_NOTE}"]
    assert notes["hostile:PatchesCall"] == [f"changed global state: replaced torch.nn.Module.__call__ {CLEAN_NOTE}"]
    assert notes["hostile:DoubleDefault"] == [
        f"changed global state: set the default dtype to torch.float64 (torch.set_default_dtype) {CLEAN_NOTE}"]
    assert notes["hostile:GlobalHook"] == [
        f"changed global state: registered global forward hooks (they run for every nn.Module) {CLEAN_NOTE}"]
    assert notes["hostile:Victim"] == notes["hostile:KillsParent"] == []


def test_script_module_is_checked(hostile):
    _, models, _, _ = hostile
    assert models["hostile:Scripted"]["findings"] == []
    assert "state_dict" in models["hostile:Scripted"]["checks"]


def test_memory_limit(hostile):
    _, models, _, _ = hostile
    hog = models["hostile:Hog"]
    assert hog["reason"].startswith("construction exceeded the memory limit (1 GB): RuntimeError: ")
    line = next(n for n, text in enumerate(HOSTILE.read_text().splitlines(), 1) if "2 ** 29" in text)
    assert [(f["code"], f["line"]) for f in hog["findings"]] == [("NN901", line)]


def test_nothing_left_behind(hostile):
    _, _, left, _ = hostile
    assert left == []  # no nnlint-verify-* folder
    assert _running("987651") == _running("987652") == []


def test_sigterm_ends_the_run_cleanly(tmp_path):
    """An outside SIGTERM (a cancelled CI job) kills the workers and removes the folders."""
    model = tmp_path / "slow.py"
    mark = str(900000 + os.getpid() % 99999)  # a sleep nothing else runs
    model.write_text("import subprocess\nimport torch.nn as nn\n\n\nclass Slow(nn.Module):\n"
                     "    def __init__(self):\n        super().__init__()\n        self.fc = nn.Linear(4, 2)\n"
                     f"        subprocess.run(['sleep', '{mark}'])\n\n"
                     "    def forward(self, x):\n        return self.fc(x)\n")
    proc = _nnlint("--isolated", str(model), tmp=tmp_path)
    deadline = time.monotonic() + 120
    while not _running(mark) and time.monotonic() < deadline:  # the model is being built
        time.sleep(0.1)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("nnlint-verify-")]
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=60)
    assert proc.returncode == 128 + signal.SIGTERM
    assert [p.name for p in tmp_path.iterdir()] == ["slow.py"]
    assert _running(mark) == []


def test_global_state_restored_where_models_share_a_process():
    """Where a model cannot have a process of its own (no fork), the state is put back."""
    state = isolate.GlobalState.capture()
    call = torch.nn.Module.__call__
    try:
        torch.set_grad_enabled(False)
        torch.set_default_dtype(torch.float64)
        torch.nn.Module.__call__ = lambda *a, **k: None
        torch.Tensor.made_up = 1
        handle = torch.nn.modules.module.register_module_forward_pre_hook(lambda *a: None)
        assert state.changes() == [
            "left autograd off (torch.set_grad_enabled(False))",
            "set the default dtype to torch.float64 (torch.set_default_dtype)",
            "replaced torch.nn.Module.__call__", "added torch.Tensor.made_up",
            "registered global forward pre hooks (they run for every nn.Module)"]
        state.restore()
        assert state.changes() == []
        assert torch.is_grad_enabled() and torch.get_default_dtype() == torch.float32
        assert torch.nn.Module.__call__ is call and not hasattr(torch.Tensor, "made_up")
        handle.remove()
    finally:
        torch.set_grad_enabled(True)
        torch.set_default_dtype(torch.float32)
        torch.nn.Module.__call__ = call
