"""The terminal output: full (source + caret + help) vs concise, colour rules, -q, -v."""

import os
import pty
import subprocess
import sys

import pytest

from nnlint.finding import Applicability, Edit, Finding, Fix, Severity
from nnlint.report import RunSummary, render
from nnlint.report.style import color_wanted
from samples import BUGGY, run

HEADER_8 = ("net.py:8:9: NN101 `self.layers` holds nn.Linear built in a list comprehension, "
            "in a plain list -> 40 parameters invisible to the optimizer")
HEADER_11 = "net.py:11:16: NN301 `dropout` without `training=`: it keeps dropping in eval() mode"
FULL = [
    HEADER_8,
    "  |",
    "7 |         super().__init__()",
    "8 |         self.layers = [nn.Linear(4, 4) for _ in range(2)]",
    "  |         ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^ NN101",
    "9 |",
    "  |",
    "  = help: hold them in nn.ModuleList / nn.ModuleDict",
    "  = fix: wrap in nn.ModuleList (unsafe: applied with --unsafe-fixes)",
    "",
    HEADER_11,
    "   |",
    "10 |     def forward(self, x):",
    "11 |         return F.dropout(x, 0.5)",
    "   |                ^^^^^^^^^^^^^^^^^ NN301",
    "   |",
    "   = help: pass training=self.training, or use nn.Dropout",
    "   = fix: pass training=self.training (unsafe: applied with --unsafe-fixes)",
    "",
    "Found 2 problems (2 with --unsafe-fixes).",
]
CONCISE = [HEADER_8, HEADER_11, "Found 2 problems (2 with --unsafe-fixes)."]
ANSI = "\x1b["


@pytest.fixture
def net(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "net.py").write_text(BUGGY, encoding="utf-8")
    return tmp_path


def test_full_output_shows_source_caret_and_help(net, capsys):
    code, out, _ = run(capsys, "--format", "full", "net.py")
    assert code == 1
    assert out.splitlines() == FULL


def test_concise_output_is_one_line_per_finding(net, capsys):
    assert run(capsys, "--output-format", "concise", "net.py")[1].splitlines() == CONCISE


def test_text_is_concise_when_not_a_terminal(net, capsys):
    assert run(capsys, "net.py")[1].splitlines() == CONCISE


def test_quiet_prints_findings_only(net, capsys):
    assert run(capsys, "-q", "net.py")[1].splitlines() == CONCISE[:-1]
    assert run(capsys, "-q", "--format", "full", "net.py")[1].splitlines() == FULL[:-1]
    (net / "net.py").write_text("x = 1\n", encoding="utf-8")
    assert run(capsys, "--quiet", "net.py") == (0, "", "")


def test_verbose_reports_config_files_and_timing_on_stderr(net, capsys):
    (net / "pyproject.toml").write_text('[tool.nnlint]\nignore = ["NN301"]\n', encoding="utf-8")
    code, out, err = run(capsys, "-v", "net.py")
    assert code == 1
    assert out.splitlines() == [HEADER_8, "Found 1 problem (1 with --unsafe-fixes)."]
    lines = err.splitlines()
    assert lines[0] == f"nnlint: config: {net / 'pyproject.toml'}"
    assert lines[1].startswith("nnlint: rules: NN101, NN102,") and "NN301" not in lines[1]  # NN0xx: not rules
    assert lines[2] == "nnlint: torch: no version declared (any torch assumed; see torch-version)"
    assert lines[3] == "nnlint: checking net.py"
    assert lines[4].startswith("nnlint: checked 1 file in ") and lines[4].endswith("s")
    assert len(lines) == 5


def test_quiet_and_verbose_exclude_each_other(net, capsys):
    assert run(capsys, "-q", "-v", "net.py")[0] == 2


@pytest.mark.parametrize("env, tty, expected", [
    ({}, True, True),
    ({}, False, False),
    ({"NO_COLOR": "1"}, True, False),
    ({"NO_COLOR": ""}, True, True),  # empty means unset (no-color.org)
    ({"FORCE_COLOR": "1"}, False, True),
    ({"FORCE_COLOR": "0"}, True, False),
    ({"NO_COLOR": "1", "FORCE_COLOR": "1"}, True, False),
    ({"TERM": "dumb"}, True, False),
])
def test_color_wanted(env, tty, expected):
    class Stream:
        def isatty(self):
            return tty

    assert color_wanted(Stream(), env) is expected


def _in_terminal(args, env_extra, cwd):
    """Run nnlint with stdout on a pseudo-terminal; return what the terminal showed."""
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "TERM")}
    env.update(env_extra)
    main_fd, child_fd = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "nnlint", *args], cwd=cwd, env=env,
                            stdout=child_fd, stderr=subprocess.PIPE)
    os.close(child_fd)
    chunks = []
    while True:
        try:
            data = os.read(main_fd, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(main_fd)
    assert proc.wait(timeout=60) == 1, proc.stderr.read()
    return b"".join(chunks).decode().replace("\r\n", "\n")


def test_terminal_gets_full_colour_output_and_no_color_turns_colour_off(net):
    coloured = _in_terminal(["net.py"], {"TERM": "xterm"}, net)
    assert ANSI in coloured
    assert "\x1b[1;31mNN101\x1b[0m" in coloured  # the code, red: an error
    plain = _in_terminal(["net.py"], {"TERM": "xterm", "NO_COLOR": "1"}, net)
    assert plain.splitlines() == FULL


def test_force_color_colours_a_pipe_but_keeps_it_concise(net):
    run = subprocess.run([sys.executable, "-m", "nnlint", "net.py"], cwd=net, capture_output=True,
                         text=True, env={**os.environ, "FORCE_COLOR": "1", "NO_COLOR": ""})
    assert ANSI in run.stdout
    assert len(run.stdout.splitlines()) == 3  # two findings and the summary
    import re
    assert re.sub(r"\x1b\[[0-9;]*m", "", run.stdout).splitlines() == CONCISE


def test_output_file_is_never_coloured(net, monkeypatch, capsys):
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert run(capsys, "--output-file", "out.txt", "net.py")[:2] == (1, "")
    assert (net / "out.txt").read_text().splitlines() == CONCISE


def _finding(line, column, end_line, end_column, severity=Severity.WARNING, fix=None):
    return Finding("f.py", line, column, end_line, end_column, "NN999", "test", severity, "msg",
                   suggestion="do better", fix=fix)


def test_caret_follows_tabs_and_wide_characters():
    source = "x = 1\n\ty = '中文' + z\n"
    # `z` is the 13th character of line 2: a tab (4 columns) and two wide characters (2 each)
    out = render("full", [_finding(2, 13, 2, 14)], RunSummary(), sources={("f.py", None): source}, quiet=True)
    assert out.splitlines() == [
        "f.py:2:13: NN999 msg",
        "  |",
        "1 | x = 1",
        "2 |     y = '中文' + z",
        "  |" + " " * 18 + "^ NN999",  # 1 + 4 (tab) + 5 + 4 (wide) + 4 columns before `z`
        "  |",
        "  = help: do better",
        "",
    ]


def test_a_span_over_several_lines_is_marked_to_the_end_of_its_first_line():
    source = "def f(\n    a,\n):\n    pass\n"
    out = render("full", [_finding(1, 1, 4, 9)], RunSummary(), sources={("f.py", None): source}, quiet=True)
    assert out.splitlines()[1:5] == ["  |", "1 | def f(", "  | ^^^^^^ NN999", "2 |     a,"]


def test_full_output_without_the_source_shows_header_and_help():
    fix = Fix("do it", Applicability.SAFE, (Edit(3, 1, 3, 2, "y"),))
    out = render("full", [_finding(3, 1, 3, 2, fix=fix)], RunSummary(), sources={})
    assert out.splitlines() == ["f.py:3:1: NN999 msg", "  = help: do better", "  = fix: [*] do it", "",
                                "Found 1 problem ([*] 1 fixable with --fix)."]


@pytest.mark.parametrize("applicability, unsafe_fixes, fix_line, summary", [
    (Applicability.SAFE, False, "= fix: [*] do it", "Found 2 problems ([*] 1 fixable with --fix)."),
    (Applicability.UNSAFE, False, "= fix: do it (unsafe: applied with --unsafe-fixes)",
     "Found 2 problems (1 with --unsafe-fixes)."),
    (Applicability.UNSAFE, True, "= fix: [*] do it (unsafe)", "Found 2 problems ([*] 1 fixable with --fix)."),
    (Applicability.DISPLAY_ONLY, True, "= fix: do it (shown only: apply it by hand)", "Found 2 problems."),
])
def test_the_fix_line_and_the_summary_say_how_safe_the_fix_is(applicability, unsafe_fixes, fix_line, summary):
    fix = Fix("do it", applicability, (Edit(3, 1, 3, 2, "y"),))
    out = render("full", [_finding(3, 1, 3, 2, fix=fix), _finding(4, 1, 4, 2)],
                 RunSummary(unsafe_fixes=unsafe_fixes), sources={})
    assert out.splitlines()[2] == "  " + fix_line
    assert out.splitlines()[-1] == summary


def test_the_summary_counts_safe_and_unsafe_fixes_apart():
    safe, unsafe = (Fix("do it", a, (Edit(3, 1, 3, 2, "y"),)) for a in (Applicability.SAFE, Applicability.UNSAFE))
    findings = [_finding(3, 1, 3, 2, fix=safe), _finding(4, 1, 4, 2, fix=unsafe), _finding(5, 1, 5, 2, fix=unsafe)]
    out = render("concise", findings, RunSummary(), sources={})
    assert out.splitlines()[-1] == "Found 3 problems (1 fixable with --fix, 2 more with --unsafe-fixes)."
