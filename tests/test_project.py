"""The project's class hierarchy across files (nnlint.project): a base imported from a sibling
module counts, through relative imports, absolute imports of the same package and re-exports."""

import json
import subprocess
import sys
import textwrap

from nnlint import project
from nnlint.engine import check_file, check_source
from nnlint.rules import all_rules

FILES = {
    "pkg/__init__.py": "",
    "pkg/base.py": """
        import torch.nn as nn

        class Base(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(2, 2)
    """,
    "pkg/layers/__init__.py": "from .blocks import Block\n",
    "pkg/layers/blocks.py": """
        from ..base import Base

        class Block(Base):
            def forward(self, x):
                return self.fc(x)
    """,
    "pkg/model.py": """
        from .base import Base
        from pkg.layers import Block

        class Child(Base):
            def __init__(self):
                self.width = 2

        class Net(Block):
            def __init__(self):
                super().__init__()

        class Head(Base):
            def __init__(self):
                super().__init__()

        def run(x):
            return Head()(x) + Child()(x) + Net()(x)
    """,
    # odd shapes the resolver must survive: an import cycle, a broken file, a missing module
    "pkg/cycle_a.py": "from .cycle_b import B\n\nclass A(B):\n    pass\n",
    "pkg/cycle_b.py": "from .cycle_a import A\n\nclass B(A):\n    pass\n",
    "pkg/broken.py": "class (:\n",
    "pkg/odd.py": """
        from .broken import Thing
        from .cycle_a import A
        from .missing import Gone
        from ...outside import Far
        from . import *

        class One(Thing):
            def __init__(self):
                pass

        class Two(A):
            def __init__(self):
                pass

        class Three(Gone, Far):
            def __init__(self):
                pass
    """,
}


def write_package(root):
    for name, text in FILES.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")


def rules(*codes):
    return [all_rules()[code] for code in codes]


def test_bases_from_sibling_modules_count(tmp_path):
    project.clear_cache()
    write_package(tmp_path)
    model = tmp_path / "pkg" / "model.py"
    found = check_file(str(model), rules("NN103", "NN107")).findings
    assert [(f.code, f.line) for f in found] == [("NN107", 4), ("NN103", 5), ("NN107", 12)]
    # the same file alone knows none of its bases: nothing to say
    alone = check_source(model.read_text(encoding="utf-8"), str(model), rules("NN103", "NN107"))
    assert alone.findings == []


def test_odd_imports_resolve_to_unknown(tmp_path):
    project.clear_cache()
    write_package(tmp_path)
    odd = tmp_path / "pkg" / "odd.py"
    assert check_file(str(odd), rules("NN103", "NN107")).findings == []
    assert project.class_facts(".cycle_a.A", str(odd)) == project.UNKNOWN
    assert project.class_facts(".broken.Thing", str(odd)) == project.UNKNOWN
    for name in ("", ".", "....x", "a..b", ".layers.", "pkg.base.Base.Inner"):
        assert project.class_facts(name, str(odd)).is_module is None
    assert project.class_facts("pkg.layers.Block", str(odd)) == project.ClassFacts(True, True)
    assert project.class_facts(".base.Base", str(odd)) == project.ClassFacts(True, False)


def test_cli_resolves_across_files_in_worker_processes(tmp_path):
    write_package(tmp_path)
    run = subprocess.run(
        [sys.executable, "-m", "nnlint", "--isolated", "--select", "NN103,NN107", "--format", "json",
         "-j", "2", str(tmp_path)],
        capture_output=True, text=True,
    )
    assert run.returncode == 1, run.stderr
    found = sorted((f["path"].rsplit("/", 1)[-1], f["line"], f["code"]) for f in json.loads(run.stdout))
    assert found == [("broken.py", 1, "NN000"), ("model.py", 4, "NN107"), ("model.py", 5, "NN103"),
                     ("model.py", 12, "NN107")]


def test_nested_dependency_records_with_equal_contents_unwind(tmp_path):
    """Records are removed by identity: an inner record equal to the outer one (both empty, or
    both naming the same file) must not take the outer one's place."""
    project.clear_cache()
    write_package(tmp_path)
    model = tmp_path / "pkg" / "model.py"
    with project.record_dependencies() as outer:
        with project.record_dependencies() as inner:
            assert inner == outer == set()
        project.class_facts(".base.Base", str(model))
    assert str(tmp_path / "pkg" / "base.py") in outer
    assert project._recording == []
    # a whole file twice in one process: the second answers from the per-process cache
    for _ in range(2):
        found = check_file(str(model), rules("NN103", "NN107"))
        assert [(f.code, f.line) for f in found.findings] == [("NN107", 4), ("NN103", 5), ("NN107", 12)]
