"""`nnlint verify`'s progress bar: on a terminal, one line with the bar, the count, the model
running and the time, redrawn while a slow model runs and erased at the end; on a pipe, nothing."""

import io
import os
import pty
import subprocess
import sys
import textwrap
import threading

import pytest

from nnlint.verify import _Progress


class Terminal(io.StringIO):
    def __init__(self, encoding="utf-8"):
        super().__init__()
        self._encoding = encoding

    @property
    def encoding(self):
        return self._encoding

    def isatty(self):
        return True


def test_the_line_shows_bar_count_model_and_times():
    progress = _Progress(Terminal(), total=4)
    for name in ("a:One", "a:Two", "zoo:Net"):
        progress.start(name)
    progress.started, progress.model_started = 100.0, 101.5
    assert progress.line(now=102.5) == "\u2588" * 10 + "\u2591" * 10 + " [3/4] zoo:Net  1.0 s  \u00b7 2.5 s elapsed"
    progress.done()


def test_without_utf8_or_a_known_total_it_stays_plain():
    progress = _Progress(Terminal(encoding="ascii"), total=2)
    progress.start("a:One")
    progress.started = progress.model_started = 7.0
    assert progress.line(now=7.0) == "-" * 20 + " [1/2] a:One  0.0 s  - 0.0 s elapsed"
    progress.done()
    progress = _Progress(Terminal())
    progress.start("a:One")
    progress.started = progress.model_started = 7.0
    assert progress.line(now=7.0) == "[1] a:One  0.0 s  \u00b7 0.0 s elapsed"
    progress.done()


def test_more_models_than_planned_grow_the_total_and_long_names_are_cut():
    progress = _Progress(Terminal(), total=1)
    progress.start("a:One")
    progress.start("pkg.deeply.nested.module.with.a.long.name:" + "VeryLongModelName" * 3)
    line = progress.line()
    assert "[2/2] ..." in line and line.endswith(" s elapsed") and len(line) == 79  # 80 columns
    assert "VeryLongModelName" in line
    progress.done()


def test_nothing_on_a_pipe():
    pipe = io.StringIO()
    progress = _Progress(pipe, total=3)
    progress.start("a:One")
    progress.done()
    assert pipe.getvalue() == "" and progress._ticker is None


MODELS = textwrap.dedent("""\
    import time

    import torch.nn as nn


    class Quick(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 4)

        def forward(self, x):
            return self.fc(x)


    class Slow(nn.Module):
        def __init__(self):
            super().__init__()
            time.sleep(1.0)
            self.fc = nn.Linear(4, 4)

        def forward(self, x):
            return self.fc(x)
""")


def test_on_a_terminal_the_bar_ticks_and_is_erased(tmp_path):
    pytest.importorskip("torch")
    (tmp_path / "models.py").write_text(MODELS, encoding="utf-8")
    primary, secondary = pty.openpty()
    try:
        proc = subprocess.Popen([sys.executable, "-m", "nnlint", "verify", "--isolated", "--device", "cpu",
                                 "models.py"], cwd=tmp_path, stdout=subprocess.PIPE, stderr=secondary,
                                env={**os.environ, "PYTHONIOENCODING": "utf-8"})
        os.close(secondary)
        chunks = []
        reader = threading.Thread(target=_drain, args=(primary, chunks))
        reader.start()
        out = proc.communicate(timeout=300)[0].decode()
        reader.join(timeout=10)
    finally:
        os.close(primary)
    err = b"".join(chunks).decode("utf-8", "replace")
    # Only the bar's frames: torch itself may warn on stderr (no NumPy in a fresh venv, say).
    frames = [f for f in err.split("\r\x1b[K") if f.startswith(("\u2591", "\u2588"))]
    assert proc.returncode == 0 and "Verified 2 models" in out  # the report itself is unchanged
    assert frames[0].startswith("\u2591" * 20 + " [1/2] models:Quick  0.0 s  \u00b7 ")
    slow = [f for f in frames if " [2/2] models:Slow  " in f]
    assert len(slow) >= 2 and slow[0].startswith("\u2588" * 10 + "\u2591" * 10)  # redrawn while it builds
    assert err.endswith("\r\x1b[K")  # erased: the terminal is left clean for the report


def _drain(fd, chunks):
    while True:
        try:
            data = os.read(fd, 4096)
        except OSError:  # the other end closed
            return
        if not data:
            return
        chunks.append(data)
