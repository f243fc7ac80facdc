"""`nnlint verify` from the command line: exit codes, output formats, selection, isolation
(import errors and hangs), the spawn start method, and the message without torch."""

import io
import json
import os
import textwrap

import pytest

import nnlint.verify
from nnlint.cli import main

CLEAN = """
    import torch.nn as nn


    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 2)

        def forward(self, x):
            return self.fc(x)
"""

UNUSED = """
    import torch.nn as nn


    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 2)
            self.aux = nn.Linear(4, 2)

        def forward(self, x):
            return self.fc(x)
"""


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    def write(name, text):
        path = tmp_path / name
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
        return name
    return write


def verify(capsys, *args):
    code = main(["verify", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_without_torch_it_says_so_and_exits_2(project, capsys, monkeypatch):
    monkeypatch.setattr(nnlint.verify, "torch_available", lambda: False)
    code, out, err = verify(capsys, project("net.py", CLEAN))
    assert (code, out) == (2, "")
    assert "needs torch" in err and "pip install 'nnlint[verify]'" in err


def test_an_interpreter_that_cannot_import_torch_gets_the_message(project):
    import subprocess
    import sys

    project("net.py", CLEAN)
    script = "import sys; sys.modules['torch'] = None; from nnlint.cli import main; sys.exit(main(['verify', 'net.py']))"
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert (run.returncode, run.stdout) == (2, "")
    assert "needs torch" in run.stderr


def test_configuration_and_usage_errors_exit_2(project, capsys):
    project("pyproject.toml", '[tool.nnlint.verify]\ndevice = "tpu"\n')
    code, out, err = verify(capsys, project("net.py", CLEAN))
    assert code == 2 and "device must be one of auto, cpu, cuda" in err
    os.remove("pyproject.toml")
    assert verify(capsys, "missing.py")[0] == 2
    for timeout in ("0", "inf", "1e308", "nan"):
        assert verify(capsys, "--timeout", timeout, "net.py") == (
            2, "", "nnlint: error: --timeout must be a number of seconds above 0 and at most 86400\n")
    project("pyproject.toml", "[tool.nnlint.verify]\ntimeout = 1e308\n")
    code, out, err = verify(capsys, "net.py")
    assert (code, out, err.count("\n")) == (2, "", 1) and "timeout must be a number of seconds" in err


def test_memory_limit_must_be_a_number_of_gb(project, capsys):
    project("net.py", CLEAN)
    for bad in ("-1", "nan", "inf"):
        code, _, err = verify(capsys, "--memory-limit", bad, "net.py")
        assert (code, err.splitlines()[-1]) == (2, f"nnlint: error: --memory-limit must be a number of GB "
                                                   f"(0: no limit), not {float(bad)!r}")
    project("pyproject.toml", '[tool.nnlint.verify]\nmemory-limit = "8GB"\n')
    code, _, err = verify(capsys, "net.py")
    assert code == 2 and err.endswith("[tool.nnlint.verify]: memory-limit must be a number of GB (0: no limit), "
                                      "not '8GB'\n")


pytest.importorskip("torch")


def test_a_file_that_cannot_be_parsed_is_nn000_as_in_check(project, capsys):
    project("broken.py", "import torch\n\nclass Net(torch.nn.Module)\n    pass\n")
    code, out, err = verify(capsys, "broken.py", project("net.py", CLEAN))
    assert code == 1, out + err
    lines = out.splitlines()
    assert "broken.py:3:27: NN000 syntax error: expected ':'" in lines
    assert lines[-1] == ("Verified 1 model in {:.1f} s: checked 1 of 1 model classes (100%), 0 skipped, 0 failed. 1 file not analysed "
                         "(NN000).".format(float(lines[-1].split(" in ")[1].split(" s")[0])))
    code, out, _ = verify(capsys, "--format", "json", "broken.py")
    assert code == 1
    data = json.loads(out)
    assert (data["models"], [(p["code"], p["line"]) for p in data["problems"]]) == ([], [("NN000", 3)])


def test_clean_model_exits_0(project, capsys):
    code, out, err = verify(capsys, project("net.py", CLEAN))
    assert code == 0, out + err
    assert out.splitlines()[0].startswith("net:Net  checked on cpu  0 findings")
    assert out.splitlines()[-1].endswith("checked 1 of 1 model classes (100%), 0 skipped, 0 failed. No findings.")
    assert err == ""  # not a terminal: no progress lines


def test_json_contract_selection_and_output_file(project, capsys):
    project("net.py", UNUSED)
    code, out, _ = verify(capsys, "--format", "json", "net.py")
    assert code == 1
    (model,) = json.loads(out)["models"]
    assert {k: model[k] for k in ("name", "path", "status", "device", "reason")} == {
        "name": "net:Net", "path": "net.py", "status": "checked", "device": "cpu", "reason": ""}
    (found,) = model["findings"]
    assert {k: found[k] for k in ("code", "line", "confirmed", "source")} == {
        "code": "NN903", "line": 4, "confirmed": True, "source": "runtime"}
    assert "`aux.weight`, `aux.bias`" in found["message"]
    assert verify(capsys, "--ignore", "NN903", "--output-file", "report.txt", "net.py")[:2] == (0, "")
    assert "No findings." in open("report.txt", encoding="utf-8").read()


def test_import_errors_fail_and_hangs_skip_each_model_of_the_file(project, capsys):
    project("broken.py", textwrap.dedent(CLEAN) + "\nraise RuntimeError('no GPU here')\n")
    project("slow.py", "import time\n" + textwrap.dedent(CLEAN) + "\nWAITED = time.sleep(60)\n")
    code, out, _ = verify(capsys, "--format", "json", "--timeout", "1", "broken.py", "slow.py")
    models = {m["name"]: m for m in json.loads(out)["models"]}
    assert code == 1
    broken, slow = models["broken:Net"], models["slow:Net"]
    assert (broken["status"], broken["reason"]) == (
        "failed", "importing broken raised RuntimeError: no GPU here")
    assert [(f["code"], f["line"]) for f in broken["findings"]] == [("NN901", 12)]  # the raise
    assert (slow["status"], slow["reason"]) == ("skipped", "importing slow: timed out after 1 s")
    assert slow["findings"] == []  # too slow to check here says nothing against the model


SLOW_ONCE = """
    import time

    import torch.nn as nn

    WAITED = []


    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 2)

        def forward(self, x):
            if not WAITED:  # once, as a model that takes 3 s on a machine others keep busy
                WAITED.append(time.sleep(3))
            return self.fc(x)
"""


def waiting_all_along(pids):
    """cpu_waits as on a machine so busy that every thread waited all the time for a CPU."""
    import time

    return {(0, 0): time.monotonic()}


def test_time_spent_waiting_for_a_cpu_does_not_count_against_the_timeout(project, capsys, monkeypatch):
    # on a busy 2-core CI machine a model was timed out for the others' load: the time the
    # worker's threads waited for a CPU (Linux's run-queue delay) is given back
    from nnlint.verify import supervisor

    monkeypatch.setattr(supervisor, "cpu_waits", waiting_all_along)
    code, out, _ = verify(capsys, "--format", "json", "--timeout", "2", project("net.py", SLOW_ONCE))
    (model,) = json.loads(out)["models"]
    assert (code, model["status"], model["reason"]) == (0, "checked", "")


@pytest.mark.skipif(not os.path.exists("/proc/self/schedstat"), reason="Linux's run-queue delay")
def test_cpu_waits_reads_each_thread_of_a_process():
    from nnlint.verify.isolate import cpu_waits

    waits = cpu_waits([os.getpid(), 0])  # pid 0: no such process, left out
    assert (os.getpid(), os.getpid()) in waits and all(v >= 0 for v in waits.values())
    assert {pid for pid, _ in waits} == {os.getpid()}


def test_a_model_kept_waiting_for_a_cpu_still_stops_after_three_timeouts(project, capsys, monkeypatch):
    from nnlint.verify import supervisor

    monkeypatch.setattr(supervisor, "cpu_waits", waiting_all_along)
    project("hangs.py", "import time\n" + textwrap.dedent(CLEAN).replace("return self.fc(x)", "time.sleep(60)"))
    code, out, _ = verify(capsys, "--format", "json", "--timeout", "1", "hangs.py")
    (model,) = json.loads(out)["models"]
    assert (model["status"], model["reason"]) == ("skipped", "timed out after 1 s while checking it (forward)")
    assert model["seconds"] >= supervisor.WALL_FACTOR * 1


def test_spawned_workers_give_the_same_report(project, capsys, monkeypatch):
    """`python -m nnlint.verify.worker` per file: the start method where fork is not available."""
    project("net.py", UNUSED)
    monkeypatch.setenv("NNLINT_VERIFY_START", "spawn")
    code, out, _ = verify(capsys, "--format", "json", "net.py")
    (model,) = json.loads(out)["models"]
    assert (code, model["status"], [f["code"] for f in model["findings"]]) == (1, "checked", ["NN903"])


def test_progress_only_on_a_terminal():
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    terminal, pipe = Terminal(), io.StringIO()
    for stream in (terminal, pipe):
        progress = nnlint.verify._Progress(stream)
        progress.start("zoo:Net")
        progress.done()
    assert "[1] zoo:Net" in terminal.getvalue() and pipe.getvalue() == ""


NOT_MODELS = """
    import torch
    import torch.nn as nn


    class Base(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 4)


    class Concrete(Base):
        def forward(self, x):
            return self.fc(x)


    class Heads(nn.ModuleDict):
        def __init__(self):
            super().__init__({"cls": nn.Linear(4, 2)})


    class Conv(nn.Conv2d):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)


    class AnyConv(nn.Module):
        def __init__(self, *args, **kwargs):
            super().__init__()
            layer = nn.Conv1d if kwargs.pop("dims", 2) == 1 else nn.Conv2d
            self.conv = layer(*args, **kwargs)

        def forward(self, x):
            return self.conv(x)


    class TapsGradients(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 4)

        def forward(self, x):
            h = self.fc(x)
            h.register_hook(lambda grad: grad)
            return h
"""


def test_what_is_not_a_model_to_run_is_skipped_not_failed(project, capsys):
    code, out, _ = verify(capsys, "--format", "json", project("parts.py", NOT_MODELS))
    models = {m["name"].split(":")[1]: m for m in json.loads(out)["models"]}
    assert code == 0
    assert {name: m["status"] for name, m in models.items()} == {
        "Base": "not-runnable", "Concrete": "checked", "Heads": "not-runnable", "Conv": "checked",
        "AnyConv": "skipped",
        "TapsGradients": "checked"}
    assert models["Base"]["reason"] == "a base class without forward (subclassed by Concrete)"
    assert models["Heads"]["reason"].startswith("defines no forward")
    assert models["Conv"]["notes"][0].startswith("built as Conv(in_channels=3, out_channels=8, kernel_size=3)")
    # `*args, **kwargs` passed to a layer chosen at run time: what it needs is unknown, and said
    assert "in_channels = 16, out_channels = 16, kernel_size = 16" in models["AnyConv"]["hint"]
    assert models["TapsGradients"]["notes"] == [
        "forward in eval() mode fails under torch.no_grad() (RuntimeError: cannot register a hook on a "
        "tensor that doesn't require gradient): checked with autograd on"]


FACTORIES = """
    import torch

    from models.nets import Tower


    def tower():
        return Tower(3), torch.randn(2, 3)


    def broken():
        raise RuntimeError("no weights here")


    def not_a_pair():
        return Tower(3)


    def _helper():
        return None
"""

TOWER = """
    import torch.nn as nn


    class Tower(nn.Module):
        def __init__(self, width):
            super().__init__()
            self.fc = nn.Linear(width, width)

        def forward(self, x):
            return self.fc(x)


    class Head(nn.Module):
        def __init__(self, width, classes):
            super().__init__()
            self.fc = nn.Linear(width, classes)

        def forward(self, x):
            return self.fc(x)
"""

CONFIG = """
    [tool.nnlint.verify]
    factories = ["tests/factories.py"]

    [tool.nnlint.verify.models."models.nets:Head"]   # the dotted path from this folder
    args = [4, 2]

    [tool.nnlint.verify.models."nets:Missing"]
    args = [1]
"""


def test_factories_and_configured_models(project, capsys):
    os.makedirs("models")
    os.makedirs("tests")
    project("pyproject.toml", CONFIG)
    project("models/nets.py", TOWER)
    project("tests/factories.py", FACTORIES)
    code, out, _ = verify(capsys, "--format", "json", "models", "tests/factories.py")
    data = json.loads(out)
    models = {(m["name"], m["factory"]): m for m in data["models"]}
    assert code == 1
    assert {key: m["status"] for key, m in models.items()} == {
        ("nets:Tower", "tests/factories.py:tower"): "checked",  # built by the factory, named by its file
        ("tests/factories.py:broken", "tests/factories.py:broken"): "failed",
        ("tests/factories.py:not_a_pair", "tests/factories.py:not_a_pair"): "failed",
        ("nets:Head", ""): "checked",
    }
    broken = models[("tests/factories.py:broken", "tests/factories.py:broken")]
    assert broken["reason"] == "construction raised RuntimeError: no weights here"
    assert broken["findings"][0]["code"] == "NN901"
    assert data["notes"] == ['[tool.nnlint.verify.models."nets:Missing"]: models/nets.py has no Module class Missing']


def test_runs_repeat(project, capsys):
    project("noisy.py", """
        import torch
        import torch.nn as nn


        def drop_path(x):
            return x * torch.empty_like(x).bernoulli_(0.5) * 2


        class Noisy(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(4, 4)

            def forward(self, x):
                return self.fc(drop_path(x))
    """)
    first = verify(capsys, "--format", "json", "noisy.py")[1]
    second = verify(capsys, "--format", "json", "noisy.py")[1]
    messages = [[f["message"] for m in json.loads(out)["models"] for f in m["findings"]] for out in (first, second)]
    assert messages[0] == messages[1] and "largest difference" in messages[0][0]


def test_a_class_defined_twice_is_checked_where_the_name_ends_up(project, capsys):
    twice = textwrap.dedent(CLEAN) + "\n\n" + textwrap.dedent(CLEAN).split("\n\n\n", 1)[1]
    code, out, _ = verify(capsys, "--format", "json", project("twice.py", twice))
    statuses = [(m["line"], m["status"]) for m in json.loads(out)["models"]]
    assert (code, statuses) == (0, [(4, "skipped"), (13, "checked")])
