import difflib
import re
from typing import FrozenSet, List

import libcst as cst

from nnlint import torch_api
from nnlint.finding import Severity
from nnlint.rules._torch_refs import ancestors, guarded, parent, probed_names, torch_name
from nnlint.rules.base import Invalid, Rule, Runtime, Valid, dedent
from nnlint.tree import dotted_name, iter_nodes


def _tokens(name: str) -> List[str]:
    """`adaptive_avg_pool2d` -> [adaptive, avg, pool]; `MaxPool2d` -> [max, pool]."""
    words = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower().split("_")
    return [re.sub(r"\d+d$", "", w) for w in words if re.sub(r"\d+d$", "", w)]


def _dimension_rank(name: str) -> int:
    """Prefer the 2d variant (the common one), then the undimensioned name, then 1d/3d."""
    match = re.search(r"(\d)d", name)
    return 0 if match and match.group(1) == "2" else 1 if not match else 2


def closest_names(attr: str, names: FrozenSet[str], limit: int = 2) -> List[str]:
    """The real names `attr` most likely meant: same name in another case, names made of its
    parts (`pool` -> `max_pool2d`, `avg_pool2d`), then difflib's close matches."""
    candidates = sorted(n for n in names if not n.startswith("_") or attr.startswith("_"))
    found: List[str] = [n for n in candidates if n.lower() == attr.lower()]
    wanted = _tokens(attr)
    if wanted:
        first_words: dict = {}
        for name in candidates:
            tokens = _tokens(name)
            if tokens:
                first_words[tokens[0]] = first_words.get(tokens[0], 0) + 1
        containing = []
        for name in candidates:
            tokens = _tokens(name)
            if all(w in tokens for w in wanted):
                containing.append(((len(tokens), _dimension_rank(name),
                                    -first_words.get(tokens[0], 0), name), name))
        found += [name for _, name in sorted(containing)]
    found += difflib.get_close_matches(attr, candidates, n=limit, cutoff=0.75)
    unique: List[str] = []
    for name in found:
        if name not in unique and name != attr:
            unique.append(name)
    return unique[:limit]


class UnknownTorchApi(Rule):
    """
    ## What it does
    Flags an attribute of `torch`, `torch.nn`, `torch.nn.functional`, `torch.optim` (and the
    other namespaces listed in nnlint's `torch_api.json`: `torch.nn.init`, `torch.nn.utils`,
    `torch.optim.lr_scheduler`, `torch.autograd`, `torch.cuda`, `torch.linalg`, `torch.fft`,
    `torch.special`) that does not exist in the installed PyTorch, in an expression or in
    `from torch.nn.functional import ...`, and suggests the closest real name.

    Names used under a `hasattr`/`getattr` check, a version test
    (`if torch.__version__ >= ...`, `is_torch_greater_or_equal(...)`), or a
    `try: ... except (AttributeError, ImportError)` are written for another torch version and
    are not flagged. Names a file assigns itself (`torch.foo = ...`) are not flagged either.

    ## Why is this bad?
    The line raises `AttributeError: module 'torch.nn.functional' has no attribute 'pool'`
    (or an `ImportError`) the first time it runs — often only in a code path a quick test
    does not reach, such as evaluation or checkpointing.

    ## Example
    ```python
    x = F.pool(F.relu(self.conv1(x)), 2)
    ```

    ## Use instead
    ```python
    x = F.max_pool2d(F.relu(self.conv1(x)), 2)
    ```

    ## References
    - https://pytorch.org/docs/stable/nn.functional.html
    - https://pytorch.org/docs/stable/torch.html
    """

    code = "NN405"
    name = "unknown-torch-api"
    severity = Severity.ERROR
    summary = "an attribute of torch / nn / F / optim that does not exist"
    suggestion = "use the real name (the message suggests the closest one)"
    runtime = Runtime(("missing_attribute", "build_error", "forward_error"),
                      "the installed torch has no such attribute, and the line raises AttributeError", at_line=True)

    VALID = [
        Valid(dedent("""
            import torch
            import torch.nn.functional as F
            from torch import nn, optim

            x = F.max_pool2d(F.relu(torch.zeros(1, 1, 4, 4)), 2)
            layer = nn.Conv2d(1, 1, 3)
            opt = optim.AdamW(layer.parameters())
            version = torch.__version__
            c = torch._C
            dist = torch.distributed.is_available()
        """)),
        Valid(dedent("""
            import torch
            import torch.nn.functional as F

            if hasattr(torch, "compile_everything"):
                model = torch.compile_everything(model)
            if hasattr(F, "flash_attention"):
                use_flash = True
            fast = F.flash_attention if hasattr(F, "flash_attention") else None
            if torch.__version__ >= "3.0":
                torch.new_api()
        """)),
        Valid(dedent("""
            import torch
            try:
                from torch import vmap_v2
            except ImportError:
                from functorch import vmap_v2
            try:
                fn = torch.old_removed_fn
            except AttributeError:
                fn = None
        """)),
        Valid(dedent("""
            import torch

            def run(torch, x):
                return torch.anything(x)

            torch.my_patch = lambda: None
            torch.my_patch()
        """)),
        Valid(dedent("""
            from __future__ import annotations

            import torch

            def fill(arg: str, return_type: torch.JitType) -> None:
                device: torch.Device = torch.device("cpu")
        """)),
        Valid(dedent("""
            import tensorflow as tf
            from flax import linen as nn

            y = tf.nn.pool(x)
            z = nn.Dense(4)
        """)),
    ]
    INVALID = [
        Invalid(dedent("""
            import torch.nn.functional as F
            from torch import nn

            class Net(nn.Module):
                def forward(self, x):
                    return F.pool(F.relu(x), 2)
        """), line=6),
        Invalid(dedent("""
            import torch
            from torch.nn.functional import max_pool
            from torch import nn

            layer = nn.Conv2D(3, 8, 3)
            opt = torch.optim.Adamw(layer.parameters())
        """), line=(2, 5, 6)),
    ]

    def __init__(self, context):
        super().__init__(context)
        self._in_imports: set = set()  # ids of the dotted module names of import statements

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if id(node) in self._in_imports:
            return
        attr = node.attr.value
        if attr.startswith("__") and attr.endswith("__"):
            return
        namespace = torch_name(self.context, node.value)
        if namespace is None or namespace not in torch_api.checked_namespaces():
            return
        names = torch_api.names_in(namespace)
        if names is None or attr in names:
            return
        if self._excused(node, namespace, attr):
            return
        prefix = dotted_name(node.value) or namespace
        self.report(node, self._message(f"{prefix}.{attr}", namespace, attr, prefix))

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        self._in_imports.update(id(n) for n in iter_nodes(node, cst.Attribute))
        if node.relative or node.module is None or isinstance(node.names, cst.ImportStar):
            return
        module = dotted_name(node.module) or ""
        if not module.startswith("torch"):
            return
        if self._bad_module_path(node, module):
            return
        names = torch_api.names_in(module)
        if names is None or module not in torch_api.checked_namespaces():
            return
        for alias in node.names:
            attr = dotted_name(alias.name) or ""
            if attr in names or (attr.startswith("__") and attr.endswith("__")):
                continue
            if self._excused(node, module, attr):
                continue
            self.report(node, self._message(f"`from {module} import {attr}`", module, attr, "",
                                            quoted=True))

    def visit_Import(self, node: cst.Import) -> None:
        self._in_imports.update(id(n) for n in iter_nodes(node, cst.Attribute))
        for alias in node.names:
            module = dotted_name(alias.name) or ""
            if module.startswith("torch.") and self._bad_module_path(node, module):
                return

    def _bad_module_path(self, node: cst.CSTNode, module: str) -> bool:
        """`import torch.nn.functionals`: report the first missing step of the path."""
        parts = module.split(".")
        for i in range(1, len(parts)):
            namespace = ".".join(parts[:i])
            names = torch_api.names_in(namespace)
            if names is None or namespace not in torch_api.checked_namespaces():
                return False
            if parts[i] not in names:
                if self._excused(node, namespace, parts[i]):
                    return True
                self.report(node, f"`{namespace}.{parts[i]}` does not exist: `{module}` cannot be imported"
                                  + self._hint(namespace, parts[i], namespace))
                return True
        return False

    def _excused(self, node: cst.CSTNode, namespace: str, attr: str) -> bool:
        if namespace == "torch" and attr in torch_api.device_modules():
            return True  # `torch.npu`: registered at runtime by an out-of-tree backend
        return f"{namespace}.{attr}" in probed_names(self.context) or guarded(self.context, node) \
            or self._never_evaluated(node)

    def _never_evaluated(self, node: cst.CSTNode) -> bool:
        """An annotation Python does not evaluate: any annotation under
        `from __future__ import annotations`, and a local variable's annotation (PEP 526)."""
        for above, child in ancestors(self.context, node):
            if isinstance(above, cst.Annotation):
                if self._postponed_annotations():
                    return True
                owner = parent(self.context, above)
                return isinstance(owner, cst.AnnAssign) and any(
                    isinstance(scope, cst.FunctionDef) for scope in self.context.scope)
            if isinstance(above, (cst.BaseStatement, cst.BaseSmallStatement)):
                return False
        return False

    def _postponed_annotations(self) -> bool:
        for stmt in self.context.module.body:
            if isinstance(stmt, cst.SimpleStatementLine):
                for small in stmt.body:
                    if isinstance(small, cst.ImportFrom) and dotted_name(small.module or cst.Name("x")) == "__future__" \
                            and not isinstance(small.names, cst.ImportStar) \
                            and any(dotted_name(a.name) == "annotations" for a in small.names):
                        return True
        return False

    def _message(self, shown: str, namespace: str, attr: str, prefix: str, quoted: bool = False) -> str:
        what = shown if quoted else f"`{shown}`"
        version = torch_api.data().get("torch_version", "")
        return (f"{what}: `{namespace}` has no attribute `{attr}` (torch {version})"
                + self._hint(namespace, attr, prefix))

    @staticmethod
    def _hint(namespace: str, attr: str, prefix: str) -> str:
        names = torch_api.names_in(namespace) or frozenset()
        close = closest_names(attr, names)
        if not close:
            return ""
        spelled = [f"`{prefix}.{name}`" if prefix else f"`{name}`" for name in close]
        return "; did you mean " + " or ".join(spelled) + "?"
