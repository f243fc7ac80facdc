"""The project's class hierarchy across files (nnlint.project): a base imported from a sibling
module counts, through relative imports, absolute imports of the same package and re-exports."""

import json
import os
import random
import subprocess
import sys
import textwrap

from nnlint import project
from nnlint.engine import check_file, check_source
from nnlint.project import ProjectIndex
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
    write_package(tmp_path)
    model = tmp_path / "pkg" / "model.py"
    found = check_file(str(model), rules("NN103", "NN107")).findings
    assert [(f.code, f.line) for f in found] == [("NN107", 4), ("NN103", 5), ("NN107", 12)]
    # the same file alone knows none of its bases: nothing to say
    alone = check_source(model.read_text(encoding="utf-8"), str(model), rules("NN103", "NN107"))
    assert alone.findings == []


def test_odd_imports_resolve_to_unknown(tmp_path):
    write_package(tmp_path)
    odd = tmp_path / "pkg" / "odd.py"
    assert check_file(str(odd), rules("NN103", "NN107")).findings == []
    index = ProjectIndex()
    assert index.class_facts(".cycle_a.A", str(odd)) == project.UNKNOWN
    assert index.class_facts(".broken.Thing", str(odd)) == project.UNKNOWN
    for name in ("", ".", "....x", "a..b", ".layers.", "pkg.base.Base.Inner"):
        assert index.class_facts(name, str(odd)).is_module is None
    assert index.class_facts("pkg.layers.Block", str(odd)) == project.ClassFacts(True, True)
    assert index.class_facts(".base.Base", str(odd)) == project.ClassFacts(True, False)


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
    write_package(tmp_path)
    model = tmp_path / "pkg" / "model.py"
    index = ProjectIndex()
    with index.record_dependencies() as outer:
        with index.record_dependencies() as inner:
            assert inner == outer == set()
        index.class_facts(".base.Base", str(model))
    assert str(tmp_path / "pkg" / "base.py") in outer
    assert index._recording == []
    # a whole file twice with one index: the second answers from its memory, same deps
    for _ in range(2):
        found = check_file(str(model), rules("NN103", "NN107"), project=index)
        # the files read, and the ones looked for in vain (a package there would be imported first)
        assert found.dependencies == [str(tmp_path / "pkg" / name) for name in
                                      ("base.py", "base/__init__.py", "layers/__init__.py",
                                       "layers/blocks.py", "layers/blocks/__init__.py")]
        assert [(f.code, f.line) for f in found.findings] == [("NN107", 4), ("NN103", 5), ("NN107", 12)]


# A project where the order of the questions mattered (issue 18): a chain of subclasses across
# seven modules, re-exported through the package's __init__ (also by a star import), deeper than
# the old resolver's depth limit; an import cycle through a package __init__ that makes a cycle
# of classes (B derives from A derives from B), reached from two sides; and a class named like
# the base it imports.
ORDERED = {"chain/__init__.py": "".join(f"from .m{i} import C{i}\n" for i in range(7))}
ORDERED["chain/m0.py"] = """
    import torch.nn as nn

    class C0(nn.Module):
        def forward(self, x):
            return x
"""
for _i in range(1, 7):
    _imports = [f"from chain import C{_i - 1} as Base",  # through the package's __init__
                f"from .m{_i - 1} import C{_i - 1} as Base",  # from the sibling
                f"from .m{_i - 1} import *\nBase = C{_i - 1}"][_i % 3]  # a star import and an alias
    ORDERED[f"chain/m{_i}.py"] = (f"import torch\n{_imports}\n\n\nclass C{_i}(Base):\n"
                                  f"    def __init__(self):\n        self.width = 1\n")
ORDERED.update({
    "cyc/__init__.py": "from .a import A\nfrom .b import B\n",
    "cyc/a.py": "import torch.nn as nn\nfrom cyc import B\n\n\nclass A(B, nn.Module):\n    pass\n",
    "cyc/b.py": "import torch\nfrom cyc import A\n\n\nclass B(A):\n    pass\n",
    "cyc/c.py": "import torch\nfrom .b import B\n\n\nclass C(B):\n    def __init__(self):\n        self.y = 2\n",
    "cyc/d.py": "import torch\nfrom .a import A\n\n\nclass D(A):\n    def __init__(self):\n        self.z = 3\n",
    "cyc/layers.py": "import torch.nn as nn\n\n\nclass Linear(nn.Module):\n    pass\n",
    "cyc/shadow.py": "import torch\nfrom .layers import Linear\n\n\nclass Linear(Linear):\n"
                     "    def __init__(self):\n        self.k = 1\n",
})
ORDERED_FINDINGS = {f"chain/m{i}.py": [("NN103", 7 if i % 3 == 2 else 6)] for i in range(1, 7)}
ORDERED_FINDINGS.update({"cyc/c.py": [("NN103", 6)], "cyc/d.py": [("NN103", 6)],
                         "cyc/shadow.py": [("NN103", 6)]})


def _write(root, files):
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")


def _findings(paths, index):
    return {path: [(f.code, f.line) for f in check_file(path, rules("NN103", "NN107"), project=index).findings]
            for path in paths}


def test_findings_do_not_depend_on_the_order_of_checking(tmp_path):
    _write(tmp_path, ORDERED)
    paths = sorted(str(tmp_path / name) for name in ORDERED)
    alone = {path: _findings([path], ProjectIndex())[path] for path in paths}
    expected = {str(tmp_path / name): ORDERED_FINDINGS.get(name, []) for name in ORDERED}
    assert alone == expected
    # every sibling checked first, then each file with findings; whole runs in a few orders
    for second in (p for p in paths if expected[p]):
        for first in paths:
            if first != second:
                assert _findings([first, second], ProjectIndex())[second] == expected[second], (first, second)
    for order in (paths, paths[::-1], random.Random(18).sample(paths, len(paths))):
        assert _findings(order, ProjectIndex()) == expected


def test_a_fresh_process_agrees(tmp_path):
    _write(tmp_path, ORDERED)
    run = subprocess.run([sys.executable, "-m", "nnlint", "--isolated", "--no-cache", "--select",
                          "NN103,NN107", "--format", "json", str(tmp_path / "chain" / "m6.py")],
                         capture_output=True, text=True)
    assert [(f["code"], f["line"]) for f in json.loads(run.stdout)] == ORDERED_FINDINGS["chain/m6.py"], run.stderr


# Folders without __init__.py (a script folder, namespace packages, a src/ layout), and classes
# of other files that rules see built (issue 14): `self.dropouts.append(ProjectDropout(p))`.
NAMESPACE = {
    "pyproject.toml": "",  # the project root: absolute imports also start here
    "models/blocks.py": """
        import torch.nn as nn

        class ProjectDropout(nn.Module):
            def __init__(self, p):
                super().__init__()
                self.p = p

            def forward(self, x):
                return x

        class Block(nn.Module):
            def forward(self, x):
                return x

        class Helper:
            pass
    """,
    "models/net.py": """
        import torch.nn as nn
        from models.blocks import ProjectDropout, Helper
        from . import blocks

        class Net(nn.Module):
            def __init__(self, ps):
                super().__init__()
                self.dropouts = []
                for p in ps:
                    self.dropouts.append(ProjectDropout(p))
                self.extra = [blocks.Block(), blocks.Block()]
                self.helpers = [Helper(), Helper()]

            def forward(self, x):
                for drop in self.dropouts:
                    x = drop(x)
                return x
    """,
    "examples/train.py": """
        import torch
        from models.net import Net
        from models.blocks import Block, Helper
        from mypkg.layers import Layer

        class Wrapper(Block):
            def __init__(self):
                self.x = 1

        class Other(Layer):
            def __init__(self):
                self.y = 2

        model = Net([0.1])
        out = model.forward(torch.zeros(1))
        helper = Helper()
        helper.forward(out)
    """,
    "src/mypkg/__init__.py": "",
    "src/mypkg/layers.py": "import torch\n\nclass Layer(torch.nn.Module):\n    pass\n",
}


def test_folders_without_init_and_classes_built_from_other_files(tmp_path):
    _write(tmp_path, NAMESPACE)
    index = ProjectIndex()
    found = {name: [(f.code, f.line) for f in check_file(str(tmp_path / name), list(all_rules().values()),
                                                         project=index).findings]
             for name in ("models/net.py", "examples/train.py")}
    assert found == {
        "models/net.py": [("NN101", 8), ("NN101", 11)],
        "examples/train.py": [("NN103", 7), ("NN103", 11), ("NN403", 15)],
    }
    # alone, the files know none of it
    for name in ("models/net.py", "examples/train.py"):
        text = (tmp_path / name).read_text(encoding="utf-8")
        assert check_source(text, str(tmp_path / name), list(all_rules().values())).findings == []


def test_a_script_folder_without_a_project_root_sees_its_own_siblings_only(tmp_path):
    _write(tmp_path, {**{k: v for k, v in NAMESPACE.items() if k != "pyproject.toml"},
                      "examples/local.py": "import torch\n\nclass Local(torch.nn.Module):\n    pass\n",
                      "examples/use.py": "import torch\nfrom local import Local\nfrom models.blocks import Block\n\n"
                                         "class A(Local):\n    def __init__(self):\n        pass\n\n"
                                         "class B(Block):\n    def __init__(self):\n        pass\n"})
    found = check_file(str(tmp_path / "examples" / "use.py"), rules("NN103")).findings
    assert [(f.code, f.line) for f in found] == [("NN103", 6)]  # B's base: no root to find models/ from


def test_the_index_follows_edits_buffers_and_new_files(tmp_path):
    """What the language server relies on: refresh() re-reads an edited sibling, set_source()
    reads an open buffer instead of the disk, invalidate() notices a file created since."""
    write_package(tmp_path)
    model = str(tmp_path / "pkg" / "model.py")
    base = tmp_path / "pkg" / "base.py"
    index = ProjectIndex()
    assert index.is_module(".base.Base", model) is True
    base.write_text("class Base:\n    pass\n", encoding="utf-8")
    stat = os.stat(base)
    os.utime(base, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert index.is_module(".base.Base", model) is True  # not looked at again until asked to
    index.refresh()
    assert index.is_module(".base.Base", model) is False
    index.set_source(str(base), "import torch\n\nclass Base(torch.nn.Module):\n    pass\n")
    assert index.is_module(".base.Base", model) is True
    assert index.class_facts("pkg.layers.Block", model) == project.ClassFacts(True, True)
    index.set_source(str(base), None)
    assert index.is_module(".base.Base", model) is False
    assert index.is_module(".extra.Extra", model) is None
    (tmp_path / "pkg" / "extra.py").write_text("from torch import nn\n\nclass Extra(nn.Linear):\n    pass\n")
    index.invalidate(str(tmp_path / "pkg" / "extra.py"))
    assert index.class_facts(".extra.Extra", model) == project.ClassFacts(True, True)


def test_a_factory_of_another_file_leads_to_the_class_it_returns(project):
    """`def build(): m = Net(); m = m.to(d); return m` is looked up as Net; torch's classes
    (a loss, an optimizer) keep their torch name; anything else returned is unknown."""
    project("pyproject.toml", "")
    project("build.py", '''
import torch
import torch.nn as nn
from torch import optim

class Net(nn.Module):
    def forward(self, x):
        return x.softmax(dim=1)

def build_model(device):
    model = Net()
    model = model.to(device)
    return model

def build_loss():
    return nn.CrossEntropyLoss()

def build_opt(model):
    return optim.AdamW(model.parameters())

def either(flag):
    if flag:
        return Net()
    return nn.Linear(2, 2)

def rebound():
    model = Net()
    model = make_other()
    return model

@register
def decorated():
    return Net()
''')
    path = str(project("train.py", ""))
    index = ProjectIndex()
    facts = {name: index.class_facts(f"build.{name}", path)
             for name in ("build_model", "build_loss", "build_opt", "either", "rebound", "decorated")}
    assert (facts["build_model"].is_module, facts["build_model"].output, facts["build_model"].torch_name) \
        == (True, "softmax", None)
    assert facts["build_loss"].torch_name == "torch.nn.CrossEntropyLoss" and facts["build_loss"].is_module
    assert facts["build_opt"].torch_name == "torch.optim.AdamW" and facts["build_opt"].is_module is False
    assert [facts[n].is_module for n in ("either", "rebound", "decorated")] == [None, None, None]


def test_a_file_that_names_no_torch_is_checked_when_its_base_is_imported(tmp_path):
    """No torch word in c.py, and its base comes by an absolute import: the cheap test before
    the parse must not pass it over, or a base that is a Module goes unseen (cached or not)."""
    (tmp_path / "pyproject.toml").write_text("[tool.nnlint]\n", encoding="utf-8")
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / "pkg" / "base.py").write_text(
        "import torch.nn as nn\n\n\nclass Base(nn.Module):\n    pass\n", encoding="utf-8")
    child = tmp_path / "pkg" / "c.py"
    child.write_text("from pkg.base import Base\n\n\nclass C(Base):\n    def __init__(self):\n"
                     "        self.x = 1\n", encoding="utf-8")
    found = check_file(str(child), rules("NN103")).findings
    assert [(f.code, f.line) for f in found] == [("NN103", 5)]


OWNER = {
    "pyproject.toml": "[project]\nname = 'det'\n",
    "det/__init__.py": "",
    "det/tasks.py": """
        import torch.nn as nn
        from .modules.head import Detect

        class DetectionModel(nn.Module):
            def __init__(self):
                super().__init__()
                self.model = nn.ModuleList([Detect(3)])

            def _apply(self, fn, recurse=True):
                self = super()._apply(fn, recurse)
                head = self.model[-1]
                head.stride = fn(head.stride)
                return self
    """,
    "det/modules/__init__.py": "",
    "det/modules/head.py": """
        import torch
        import torch.nn as nn

        class Detect(nn.Module):
            def __init__(self, nl):
                super().__init__()
                self.conv = nn.Conv2d(3, 3, 1)
                self.stride = torch.zeros(nl)
                self.grid = torch.zeros(nl)

            def forward(self, x):
                return self.conv(x) * self.stride[None, :, None, None] + self.grid[None, :, None, None]
    """,
}


def test_a_tensor_moved_by_an_owners_apply_in_the_folder_above_is_no_nn105(tmp_path):
    """ultralytics' shape: the model's `_apply` in nn/tasks.py moves `m.stride` of its head,
    defined in nn/modules/head.py; the head's other tensor is still flagged."""
    _write(tmp_path, OWNER)
    head = tmp_path / "det" / "modules" / "head.py"
    index = ProjectIndex()
    with index.record_dependencies() as deps:
        found = check_file(str(head), rules("NN105"), project=index).findings
    assert [(f.code, f.line) for f in found] == [("NN105", 9)]  # self.grid; self.stride (8) is moved
    assert str(tmp_path / "det" / "tasks.py") in deps and str(tmp_path / "det") in deps
    alone = check_source(head.read_text(encoding="utf-8"), str(head), rules("NN105")).findings
    assert [(f.code, f.line) for f in alone] == [("NN105", 8), ("NN105", 9)]


PREDICTOR = {
    "pyproject.toml": "[project]\nname = 'pred'\n",
    "pred/__init__.py": "",
    "pred/transforms.py": """
        import torch.nn as nn
        from torchvision.transforms import Normalize

        class ImageTransforms(nn.Module):
            def __init__(self, size):
                super().__init__()
                self.normalize = Normalize((0.5,), (0.5,))

            def forward(self, x):
                return self.normalize(x)
    """,
    "pred/predictor.py": """
        import torch
        from .transforms import ImageTransforms

        class ImagePredictor:
            def __init__(self, size=1024):
                self._transforms = ImageTransforms(size)
                self._head = ImageTransforms(size)
                self._head.load_state_dict(torch.load("head.pt", weights_only=True))

            @torch.no_grad()
            def predict(self, image):
                x = self._transforms(image)[None]
                return self._head(x)
    """,
}


def test_a_module_its_class_builds_and_only_calls_is_no_nn305(tmp_path):
    """sam2's predictor: `self._transforms = SAM2Transforms(...)` (a Module of another file)
    built fresh and only called holds no trained weights; one loaded with weights is flagged."""
    _write(tmp_path, PREDICTOR)
    found = check_file(str(tmp_path / "pred" / "predictor.py"), rules("NN305"), project=ProjectIndex()).findings
    assert [(f.code, f.line) for f in found] == [("NN305", 13)]
