import libcst as cst

from nnlint import torch_api
from nnlint.finding import Applicability, Severity
from nnlint.fix import TreeFix
from nnlint.requirements import parse_version
from nnlint.rules._torch_refs import guarded, imports_torch, probed_names, torch_name
from nnlint.rules.base import Invalid, Rule, Runtime, Valid, dedent
from nnlint.tree import dotted_name


def _short(qualified: str) -> str:
    for long, short in (("torch.nn.functional.", "F."), ("torch.nn.", "nn.")):
        if qualified.startswith(long):
            return short + qualified[len(long):]
    return qualified


class DeprecatedApi(Rule):
    """
    ## What it does
    Flags removed or deprecated PyTorch APIs (the list lives in nnlint's `torch_api.json`,
    generated from the installed torch's own deprecation markers plus a curated table):

    - `torch.autograd.Variable(...)` (and its `volatile=` flag);
    - `loss.data[0]` (the pre-0.4 way to read a scalar loss);
    - `F.upsample`, `F.upsample_nearest`, `F.upsample_bilinear`;
    - `nn.utils.clip_grad_norm` and the `nn.init` functions without a trailing underscore
      (`nn.init.normal`, `xavier_uniform`, ...);
    - `torch.range`, `torch.set_default_tensor_type`, `torch.chain_matmul`, `torch.lu`,
      `torch.cholesky`, `torch.qr`, `nn.utils.weight_norm`, `torch.cuda.amp.autocast` /
      `GradScaler` / `custom_fwd`, `torch.cuda.memory_cached`, `nn.NLLLoss2d`, `nn.Container`;
    - the `size_average=` / `reduce=` arguments of the losses, given as `True`/`False` (a
      wrapper forwarding its own `size_average` parameter is not flagged).

    Calls, decorators and base classes are flagged; bare references (a table of functions,
    `if fn in (F.upsample, ...)`) identify the API rather than use it. Uses under a version or
    `hasattr` check, in a `try`/`except` fallback, or in a file that probes for the
    replacement (`hasattr(nn.utils.parametrizations, "weight_norm")`) are compatibility code
    for old torch versions and are not flagged, and so are uses in a project whose oldest
    supported torch (its `torch>=` requirement, or `[tool.nnlint] torch-version`) predates the
    replacement (`torch.amp.GradScaler` appeared in 2.3: a `torch>=2.0` project keeps
    `torch.cuda.amp.GradScaler`). The autofix swaps pure renames
    (`nn.init.normal` -> `nn.init.normal_`,
    `clip_grad_norm` -> `clip_grad_norm_`, `F.upsample` -> `F.interpolate`), spelled with the
    file's own imports, or imported when the file has no name for the new one.

    `F.sigmoid` and `F.tanh` are not flagged here: they warned from PyTorch 0.4.1, but torch
    kept them (their removal, pytorch/pytorch#65910, did not happen) and torch 2.13 neither
    warns nor marks them deprecated. Using them is a second spelling of `torch.sigmoid`/
    `torch.tanh`, not a deprecation: the style rule NN411 (off by default) offers the rename.

    ## Why is this bad?
    Deprecated APIs warn on every run (`UserWarning: torch.range is deprecated`,
    `FutureWarning: torch.cuda.amp.autocast(args...) is deprecated`) and are removed in later
    releases, breaking the code on upgrade. Some already misbehave: `loss.data[0]` raises
    `IndexError: invalid index of a 0-dim tensor`, `Variable(x, volatile=True)` no longer
    disables autograd (memory grows), `torch.range` includes its end point unlike `range`, and
    `size_average=False` is silently translated to a `reduction=` that is easy to misread.

    ## Example
    ```python
    x = Variable(x, volatile=True)
    nn.init.xavier_uniform(self.fc.weight)
    total += loss.data[0]
    ```

    ## Use instead
    ```python
    with torch.no_grad():
        ...
    nn.init.xavier_uniform_(self.fc.weight)
    total += loss.item()
    ```

    ## Fix safety
    This fix is safe: every rename it makes is the same function under its current name
    (`nn.init.normal` calls `nn.init.normal_`, `F.upsample` calls `F.interpolate`). When the
    file has no name for the new one (it imported `upsample` alone from
    `torch.nn.functional`), the fix adds `from torch.nn.functional import interpolate`.

    ## References
    - https://pytorch.org/docs/stable/nn.init.html
    - https://pytorch.org/docs/stable/generated/torch.nn.utils.clip_grad_norm_.html
    - https://pytorch.org/docs/stable/amp.html
    - https://pytorch.org/blog/pytorch-0_4_0-migration-guide/
    """

    code = "NN408"
    name = "deprecated-api"
    severity = Severity.WARNING
    summary = "a removed or deprecated PyTorch API"
    suggestion = "use the current API named in the message"
    fix_safety = (Applicability.SAFE,)
    runtime = Runtime(("build_error", "forward_error"), "a removed API raises on its line", at_line=True,
                      absent="a deprecated API that still works in the installed torch raises only "
                             "once it is removed")

    VALID = [
        Valid(dedent("""
            import torch
            import torch.nn.functional as F
            from torch import nn

            y = torch.sigmoid(x) + torch.tanh(x)
            z = F.interpolate(y, scale_factor=2)
            nn.init.normal_(w)
            nn.utils.clip_grad_norm_(params, 1.0)
            r = torch.arange(0, 10)
            crit = nn.CrossEntropyLoss(reduction="sum")
            first = batch.data[0]
            value = loss.item()
            LEGACY = {F.upsample: "upsample", torch.range: "range"}
            is_legacy = fn in (F.upsample, nn.init.normal)
        """)),
        Valid(dedent("""
            from torch import nn

            def apply_weight_norm(conv):
                weight_norm = nn.utils.weight_norm
                if hasattr(nn.utils.parametrizations, "weight_norm"):
                    weight_norm = nn.utils.parametrizations.weight_norm
                weight_norm(conv)
        """)),
        Valid(dedent("""
            import torch

            if hasattr(torch.amp, "GradScaler"):
                scaler = torch.amp.GradScaler("cuda")
            else:
                scaler = torch.cuda.amp.GradScaler()
            try:
                from torch.amp import autocast
            except ImportError:
                from torch.cuda.amp import autocast
        """)),
    ]
    INVALID = [
        Invalid(dedent("""
            import torch
            import torch.nn.functional as F
            from torch import nn

            def step(model, x):
                y = F.upsample(model(x), scale_factor=2) * F.tanh(x)
                nn.init.normal(model.weight, 0, 0.02)
                nn.utils.clip_grad_norm(model.parameters(), 1.0)
                return y
        """), line=(6, 7, 8), fixed=dedent("""
            import torch
            import torch.nn.functional as F
            from torch import nn

            def step(model, x):
                y = F.interpolate(model(x), scale_factor=2) * F.tanh(x)
                nn.init.normal_(model.weight, 0, 0.02)
                nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                return y
        """)),
        Invalid(dedent("""
            import torch.nn.functional as F
            from torch.autograd import Variable

            x = Variable(inputs, volatile=True)
            y = F.upsample_nearest(x, scale_factor=2)
        """), line=(4, 5)),
        Invalid(dedent("""
            import torch
            from torch import nn

            criterion = nn.MSELoss(size_average=False)
            for x, y in data:
                loss = criterion(x, y)
                print(loss.data[0])
                steps = torch.range(0, 10)
        """), line=(4, 7, 8)),
        Invalid(dedent("""
            \"\"\"Upsampling helpers.\"\"\"
            from torch.nn.functional import upsample

            def double(x):
                return upsample(x, scale_factor=2)
        """), line=5, fixed=dedent("""
            \"\"\"Upsampling helpers.\"\"\"
            from torch.nn.functional import upsample, interpolate

            def double(x):
                return interpolate(x, scale_factor=2)
        """)),
    ]

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not isinstance(func, (cst.Name, cst.Attribute)):
            return
        qualified = torch_name(self.context, func)
        if qualified is None:
            return
        info = torch_api.deprecated(qualified)
        if info is not None:
            if not self._compat(node, info):
                extra = ""
                if any(a.keyword is not None and a.keyword.value == "volatile" for a in node.args):
                    extra = "; `volatile=True` has no effect any more: use `with torch.no_grad():`"
                self._report_name(node, func, qualified, info, extra)
            return
        if qualified in torch_api.legacy_reduction_callables():
            legacy = [a.keyword.value for a in node.args  # literal True/False; a variable is forwarded
                      if a.keyword is not None and a.keyword.value in ("size_average", "reduce")
                      and isinstance(a.value, cst.Name) and a.value.value in ("True", "False")]
            if legacy and not guarded(self.context, node):
                self.report(node, f"`{_short(qualified)}({'=..., '.join(legacy)}=...)`: "
                                  f"`size_average`/`reduce` are deprecated; pass "
                                  f"`reduction='mean'|'sum'|'none'` instead")

    def visit_Decorator(self, node: cst.Decorator) -> None:
        """`@torch.cuda.amp.custom_fwd` (a call `@custom_fwd(...)` is a Call)."""
        self._check_reference(node.decorator)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        """`class Block(nn.Container)`."""
        for base in node.bases:
            if base.keyword is None:
                self._check_reference(base.value)

    def _check_reference(self, node) -> None:
        """A deprecated callable used without a call: as a decorator or a base class. Bare
        references elsewhere (tables of functions, `fn in (F.upsample, ...)` checks, docstring
        registration) identify the API rather than use it and are left alone."""
        if not isinstance(node, (cst.Name, cst.Attribute)):
            return
        qualified = torch_name(self.context, node)
        info = torch_api.deprecated(qualified)
        if info is None or self._compat(node, info):
            return
        self._report_name(node, node, qualified, info, "")

    def _compat(self, node: cst.CSTNode, info: dict) -> bool:
        """Compatibility code for old torch: guarded by a version/hasattr test or try/except,
        in a file that probes for the replacement (`weight_norm = nn.utils.weight_norm`
        then `if hasattr(nn.utils.parametrizations, "weight_norm"): weight_norm = ...`), or in
        a project whose oldest supported torch lacks the replacement."""
        new = info.get("new")
        return guarded(self.context, node) or (new is not None and new in probed_names(self.context)) \
            or _replacement_too_new(self.context, info)

    def visit_Subscript(self, node: cst.Subscript) -> None:
        """`loss.data[0]`."""
        value = node.value
        if not (isinstance(value, cst.Attribute) and value.attr.value == "data"
                and len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index)):
            return
        index = node.slice[0].slice.value
        if not (isinstance(index, cst.Integer) and index.value == "0"):
            return
        owner = value.value
        last = owner.value if isinstance(owner, cst.Name) else \
            owner.attr.value if isinstance(owner, cst.Attribute) else ""
        if "loss" not in last.lower() or not imports_torch(self.context):
            return
        shown = dotted_name(owner) or "loss"
        self.report(node, f"`{shown}.data[0]` reads a scalar the pre-0.4 way: a loss is a 0-dim "
                          f"tensor and this raises `IndexError`; use `{shown}.item()`")

    def _report_name(self, node, func, qualified: str, info: dict, extra: str) -> None:
        new = info.get("new")
        shown = dotted_name(func) or _short(qualified)
        fix = None
        if info.get("rename") and new:
            reference = self.context.spell_or_import(new)
            if reference is not None:
                target, imports = reference
                description = f"use {target}" + "".join(f", imported from {module}" for module, _ in imports)
                # Every rename in the table is the same function under its current name.
                fix = TreeFix.replace(func, cst.parse_expression(target), description, Applicability.SAFE, imports)
            else:
                target = _short(new)
            message = f"`{shown}` is deprecated: use `{target}` (same arguments)"
        else:
            note = info.get("note") or (f"use {_short(new)}" if new else "")
            message = f"`{shown}` is deprecated" + (f": {note}" if note else "")
        self.report(node, message + extra, fix)


def _replacement_too_new(context, info: dict) -> bool:
    """The project declares a torch floor older than the first torch with the replacement."""
    since = parse_version(info.get("new_since") or "")
    declared = context.declared_torch()
    return since is not None and declared is not None and declared.floor is not None \
        and declared.floor < since
