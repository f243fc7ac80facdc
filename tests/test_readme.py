"""Every snippet in the README still works: YAML and TOML parse, the pre-commit config names
hooks this repository publishes, the CI job uploads the SARIF file it writes, the
`[tool.nnlint]` example is accepted, every `nnlint ...` command and every `--flag` shown exists,
and the example output is what nnlint prints today."""

import re
import shlex
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest
import yaml

from nnlint import __version__
from nnlint.cli import COMMANDS, _UsageError, build_parser
from nnlint.config import settings_from_table

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
FENCE = re.compile(r"^(?P<indent>[ \t]*)```(?P<lang>[\w-]*)[^\n]*\n(?P<body>.*?)^(?P=indent)```[ \t]*$",
                   re.M | re.S)
BLOCKS = [(m.group("lang"), textwrap.dedent(m.group("body"))) for m in FENCE.finditer(README)]
PROSE = FENCE.sub("", README)
EXPRESSION = re.compile(r"\$\{\{[^}]*\}\}")  # a GitHub Actions expression: stands for a value
SEPARATORS = {"&&", "||", ";", "|", "&"}


def blocks(*langs):
    return [body for lang, body in BLOCKS if lang in langs]


def _run_scripts(node):
    """The `run:` scripts of a workflow (at any depth)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "run" and isinstance(value, str):
                yield value
            else:
                yield from _run_scripts(value)
    elif isinstance(node, list):
        for value in node:
            yield from _run_scripts(value)


def shell_commands():
    """Every command line in bash blocks and in the YAML blocks' `run:` steps, split at && ; |."""
    lines = [line for body in blocks("bash", "sh", "shell") for line in body.splitlines()]
    lines += [line[2:] for body in blocks("console") for line in body.splitlines() if line.startswith("$ ")]
    lines += [line for body in blocks("yaml", "yml") for script in _run_scripts(yaml.safe_load(body))
              for line in script.splitlines()]
    commands = []
    for line in lines:
        lexer = shlex.shlex(EXPRESSION.sub("1", line), posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        current = []
        for token in lexer:
            if token in SEPARATORS:
                commands.append(current)
                current = []
            else:
                current.append(token)
        commands.append(current)
    return [c for c in commands if c]


def nnlint_commands():
    found = [c[1:] for c in shell_commands() if c[0] == "nnlint"]
    found += [shlex.split(span)[1:] for span in re.findall(r"`(nnlint [^`]+)`", PROSE)]
    return found


def test_every_yaml_and_toml_block_parses():
    yamls, tomls = blocks("yaml", "yml"), blocks("toml")
    assert len(yamls) >= 3 and tomls  # the CI job, the shard matrix, the pre-commit config
    for body in yamls:
        yaml.safe_load(body)
    for body in tomls:
        tomllib.loads(body)


def test_every_nnlint_command_shown_parses():
    commands = nnlint_commands()
    assert len(commands) >= 5
    for argv in commands:
        if not argv or argv[0] not in COMMANDS:
            argv = ["check", *argv]
        try:
            build_parser().parse_args(argv)
        except _UsageError as exc:
            pytest.fail(f"README shows `nnlint {' '.join(argv)}`: {exc}")


def _options():
    """option string -> its argparse actions, over nnlint and every subcommand."""
    parser = build_parser()
    parsers = [parser] + [p for a in parser._subparsers._group_actions for p in a.choices.values()]
    options = {}
    for p in parsers:
        for action in p._actions:
            for option in action.option_strings:
                options.setdefault(option, []).append(action)
    return options


def _sections(*titles):
    """The prose of the README's `## title` sections (other sections may name other tools'
    flags, such as pytest's `--nnlint`)."""
    parts = re.split(r"^## (.+)$", PROSE, flags=re.M)
    found = {title.strip(): body for title, body in zip(parts[1::2], parts[2::2])}
    assert set(titles) <= set(found), f"README lacks sections {set(titles) - set(found)}"
    return "".join(found[t] for t in titles)


def test_every_flag_named_in_the_usage_sections_exists():
    options = _options()
    spans = re.findall(r"`(-[^`]+)`", _sections("Use in CI", "pre-commit", "Configuration", "Output formats"))
    assert len(spans) >= 10
    for span in spans:
        words = span.split()
        for flag in words[0].split("/"):
            assert flag in options, f"README names `{span}`, but nnlint has no {flag}"
            choices = [a.choices for a in options[flag] if a.choices]
            if len(words) > 1 and choices:
                assert any(words[1] in c for c in choices), f"README shows `{span}`: not a valid value"


def test_pre_commit_snippet_names_published_hooks_at_the_current_version(tmp_path):
    from pre_commit.clientlib import load_config

    published = {hook["id"] for hook in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    configs = [body for body in blocks("yaml") if "repos" in (yaml.safe_load(body) or {})]
    assert configs
    for body in configs:
        path = tmp_path / ".pre-commit-config.yaml"
        path.write_text(body, encoding="utf-8")
        load_config(str(path))  # pre-commit's own schema check
        for repo in yaml.safe_load(body)["repos"]:
            assert repo["rev"] == f"v{__version__}"
            assert {hook["id"] for hook in repo["hooks"]} <= published
    described = set(re.findall(r"^- `(nnlint[-a-z]*)`", PROSE, re.M))  # the list of hooks
    assert described == published


def test_ci_job_uploads_the_sarif_file_it_writes():
    workflows = [yaml.safe_load(body) for body in blocks("yaml")]
    jobs = [job for w in workflows if isinstance(w, dict) and "jobs" in w for job in w["jobs"].values()]
    assert jobs
    for job in jobs:
        steps = job["steps"]
        assert any(step.get("uses", "").startswith("actions/checkout@") for step in steps)
        install = [s["run"] for s in steps if "pip install" in s.get("run", "")]
        assert install and all(f"@v{__version__}" in line for line in install)
        written = {c[c.index("--output-file") + 1] for c in shell_commands()
                   if c[0] == "nnlint" and "sarif" in c and "--output-file" in c}
        uploads = [s for s in steps if s.get("uses", "").startswith("github/codeql-action/upload-sarif@")]
        assert uploads and {s["with"]["sarif_file"] for s in uploads} <= written


def test_pyproject_example_is_accepted_by_the_config_loader(tmp_path):
    for body in blocks("toml"):
        table = tomllib.loads(body).get("tool", {}).get("nnlint")
        if table is None:
            continue  # an editor's configuration (Helix)
        for factory in table.get("verify", {}).get("factories", []):  # the loader checks they exist
            (tmp_path / factory).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / factory).write_text("")
        settings = settings_from_table(table, tmp_path / "pyproject.toml")  # raises on an unknown key or code
        assert settings.extend_select or settings.ignore or settings.select


MODEL = textwrap.dedent("""\
    import torch.nn as nn
    import torch.nn.functional as F


    class MLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.blocks = [nn.Linear(11, 11) for _ in range(3)]

        def forward(self, x):
            for block in self.blocks:
                x = F.dropout(block(x), 0.1)
            return x
""")


def test_example_output_is_what_nnlint_prints(tmp_path):
    (tmp_path / "model.py").write_text(MODEL, encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "nnlint", "check", "--isolated", "--format", "full",
                          "model.py"], cwd=tmp_path, capture_output=True, text=True)
    assert run.returncode == 1, run.stderr
    (example,) = blocks("text")
    assert example.strip() and example in run.stdout
