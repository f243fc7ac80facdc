"""Properties of the engine on inputs nobody wrote by hand: syntactically valid programs from
hypothesmith (set in an nn.Module, where the rules look), and real files from torch's installed
sources with their bytes mutated. No exception escapes the engine, and whenever `--fix`
changes a file, the result parses and a second `--fix` changes nothing.

The example budget is small by default (seconds in CI); a long hunt:
    NNLINT_HYPOTHESIS_EXAMPLES=1000 python -m pytest -q tests/test_properties.py
"""

import ast
import importlib.util
import os
import textwrap
from pathlib import Path

import hypothesmith
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from nnlint.config import Settings
from nnlint.engine import _allow_deep_trees, check_bytes, check_source, read_source

_allow_deep_trees()  # as the engine does on its first file: hypothesis wants it unchanged meanwhile

EXAMPLES = int(os.environ.get("NNLINT_HYPOTHESIS_EXAMPLES", "10"))  # hypothesmith: ~0.2 s a program


def budget(examples: int):
    return settings(max_examples=examples, deadline=None, database=None, derandomize=EXAMPLES <= 10,
                    suppress_health_check=list(HealthCheck))

RULES = Settings(root=Path("."), select=["ALL"]).rules_for("model.py")

MODULE = """\
import torch
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.blocks = [nn.Linear(2, 2)]

    def forward(self, x):
{forward}
        return x


{tail}
"""


def in_a_module(forward: str, tail: str) -> str:
    return MODULE.format(forward=textwrap.indent(forward or "pass\n", " " * 8), tail=tail)


def assert_engine_holds(text: str) -> None:
    """The two properties, on one text."""
    check_source(text, "model.py", RULES)  # raises nothing
    fixed = check_source(text, "model.py", RULES, fix=True).fixed_text
    if fixed is not None:
        ast.parse(fixed)  # what --fix would write parses
        again = check_source(fixed, "model.py", RULES, fix=True)
        assert again.fixed_text is None, "a second --fix changed the file again"


def parses(text: str) -> bool:
    try:
        compile(text, "model.py", "exec", dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


@budget(EXAMPLES)
@given(forward=hypothesmith.from_grammar(), tail=hypothesmith.from_grammar())
def test_generated_programs_in_a_module(forward, tail):
    text = in_a_module(forward, tail)
    assume(parses(text))  # e.g. `from __future__` or `import *` inside a function
    assert_engine_holds(text)


def _torch_sources():
    spec = importlib.util.find_spec("torch")  # its location only: torch is not imported
    if spec is None or not spec.submodule_search_locations:
        return []
    root = Path(next(iter(spec.submodule_search_locations)))
    return sorted(str(p) for folder in ("nn/modules", "nn/utils", "optim", "nn/parallel")
                  for p in (root / folder).glob("*.py") if p.stat().st_size < 60_000)


TORCH_SOURCES = _torch_sources()


@st.composite
def mutated_torch_source(draw) -> bytes:
    """A window of 20-200 lines of a torch source file, then a few byte-level mutations:
    deleting, duplicating or overwriting a span, inserting random or syntax-heavy bytes."""
    lines = Path(draw(st.sampled_from(TORCH_SOURCES))).read_bytes().splitlines(keepends=True)
    start = draw(st.integers(0, max(0, len(lines) - 20)))
    data = bytearray(b"".join(lines[start:start + draw(st.integers(20, 200))]))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data)))
        span = draw(st.integers(0, 40))
        kind = draw(st.sampled_from(["delete", "duplicate", "insert", "overwrite"]))
        noise = draw(st.one_of(
            st.binary(min_size=1, max_size=8),
            st.sampled_from([b"(", b")", b"[", b":", b"\n", b"    ", b"\t", b"\r", b"\\\n", b'"', b"'''",
                             b"#", b"\x00", b"\xff", b"\xef\xbb\xbf", b"lambda", b" = ", b".data",
                             b"nn.Module", b"super().__init__()", b"F.dropout(x)", b"\r\n"]),
        ))
        if kind == "delete":
            del data[at:at + span]
        elif kind == "duplicate":
            data[at:at] = data[at:at + span]
        elif kind == "insert":
            data[at:at] = noise
        else:
            data[at:at + len(noise)] = noise
    return bytes(data)


@pytest.mark.skipif(not TORCH_SOURCES, reason="torch's sources are not installed")
@budget(4 * EXAMPLES)  # cheaper to make than a hypothesmith program
@given(data=mutated_torch_source())
def test_mutated_torch_sources(data):
    result = check_bytes(data, "model.py", RULES)
    assert not [f for f in result.findings if f.code == "NN009"], result.findings  # no bug of ours
    try:
        text = read_source(data).text
    except Exception:
        return  # undecodable: an NN001, seen above
    assert_engine_holds(text)
