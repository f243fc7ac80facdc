import re
from typing import Dict, List, Set, Tuple

import libcst as cst

from nnlint.dataflow import local_kinds
from nnlint.finding import Severity
from nnlint.rules._grad import Derivation, first_line_code, tensor_inputs
from nnlint.rules._meets import MEETING_FUNCTIONS, MEETING_METHODS
from nnlint.rules._torch_refs import ancestors
from nnlint.rules.base import Invalid, Rule, Runtime, Valid, dedent
from nnlint.torch_tables import FACTORIES
from nnlint.tree import children, first_param_name, iter_nodes, keyword, positional

_NOT_MEETING_OPS = (cst.Is, cst.IsNot, cst.In, cst.NotIn)
# Names of sizes and lengths.
_SIZES = re.compile(r"(?:^|_)(?:lengths?|lens|len|sizes?|shapes?|counts?|num_\w+)$", re.IGNORECASE)


class FactoryWithoutDevice(Rule):
    """
    ## What it does
    Flags a tensor factory (`torch.zeros/ones/arange/full/eye/rand/randn/empty/tensor([...])`)
    called in a Module's `forward` without `device=` (and not moved by a following `.to(...)`,
    `.cuda()` or `.type_as(...)`), whose result then meets a forward input, or a value
    computed from one, or a parameter: in arithmetic, a comparison, `torch.cat`/`stack`/
    `where`/`matmul`, or `x.masked_fill(...)` and similar. `torch.zeros_like(x)` and
    `x.new_zeros(...)` follow `x` and are fine; indexing with a CPU index tensor is fine too,
    and so is a tensor made beside the factory's own result (`device=perm.device`).
    Meeting only sizes and lengths (`torch.arange(n) < lengths[:, None]`, `lengths`,
    `seq_lens`, `sizes`) is not a finding by itself: such tensors are often kept on the CPU
    on purpose (`pack_padded_sequence` requires it); the result is flagged when it goes on to
    meet the input's data (`x.masked_fill(~mask, 0)`).

    ## Why is this bad?
    A factory without `device=` makes its tensor on the default device, the CPU. The model
    works in every CPU test, then fails as soon as it runs on a GPU:
    `RuntimeError: Expected all tensors to be on the same device, but found at least two
    devices, cuda:0 and cpu!`.

    ## Example
    ```python
    def forward(self, x):
        mask = torch.ones(x.size(0), x.size(1)).tril()
        return x * mask
    ```

    ## Use instead
    ```python
    def forward(self, x):
        mask = torch.ones(x.size(0), x.size(1), device=x.device).tril()
        return x * mask
    ```
    or build it once in `__init__` and `register_buffer` it.

    ## References
    - https://pytorch.org/docs/stable/tensor_attributes.html#torch.device
    - https://pytorch.org/docs/stable/notes/cuda.html#best-practices
    """

    code = "NN503"
    name = "factory-without-device"
    severity = Severity.WARNING
    summary = "a tensor factory in `forward` without `device=` whose result meets an input"
    suggestion = "pass device=x.device (or use torch.zeros_like / x.new_zeros)"
    runtime = Runtime(("device_mismatch",),
                      "on a GPU, forward raises `Expected all tensors to be on the same device`")

    VALID = [
        Valid(dedent("""
            import torch
            from torch import nn

            class Net(nn.Module):
                def forward(self, x):
                    n = x.size(1)
                    mask = torch.ones(n, n, device=x.device).tril()
                    pos = torch.arange(n).to(x.device)
                    noise = torch.randn(x.shape).type_as(x)
                    zeros = torch.zeros_like(x)
                    idx = torch.arange(x.size(0))
                    scale = torch.tensor(2.0)
                    return x[idx] * mask + pos + noise + zeros + x * scale
        """)),
        Valid(dedent("""
            import torch
            from torch import nn

            class Net(nn.Module):
                def forward(self, x, length: int):
                    steps = torch.arange(length)
                    bias = torch.zeros(4)
                    bias = bias.to(x.device)
                    return x + bias, steps * 2
        """)),
        Valid(dedent("""
            import torch
            from torch import nn

            class Vision(nn.Module):
                def forward(self, pixels, grid_thw):
                    sizes = grid_thw.cpu() * torch.tensor([1, 2, 2])  # on the CPU on purpose
                    index = torch.arange(pixels.shape[0]) + torch.repeat_interleave(sizes.prod(-1), 2)
                    return pixels[index.to(pixels.device)]
        """)),
        Valid(dedent("""
            import torch
            from torch import nn
            from torch.nn.utils.rnn import pack_padded_sequence

            class Encoder(nn.Module):
                def forward(self, x, lengths):  # lengths on the CPU, as packing wants
                    batch = torch.arange(lengths.size(0))
                    valid = torch.arange(x.size(1))[None, :] < lengths[:, None]
                    longest = torch.zeros((), dtype=torch.long) + lengths.max()
                    packed = pack_padded_sequence(x, lengths, batch_first=True)
                    return self.rnn(packed), valid.sum(1) == lengths, batch, longest
        """)),
        Valid(dedent("""
            import torch
            from torch import nn

            class PatchDrop(nn.Module):  # CPU indices, and a tensor made beside them
                def forward(self, x):
                    perm = 1 + torch.randperm(x.shape[1] - 1)[: x.shape[1] // 2]
                    idx = torch.cat([torch.zeros(1, dtype=perm.dtype, device=perm.device), perm])
                    return x[:, idx, :]
        """)),
        Valid(dedent("""
            import torch

            def make_inputs(x):
                return x + torch.ones(3)  # not the forward of a Module
        """)),
    ]
    INVALID = [
        Invalid(dedent("""
            import torch
            from torch import nn

            class Net(nn.Module):
                def forward(self, x):
                    mask = torch.ones(x.size(0), x.size(1)).tril()
                    return x * mask
        """), line=6),
        Invalid(dedent("""
            import torch
            import torch.nn as nn

            class Decoder(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.proj = nn.Linear(8, 8)

                def forward(self, tokens, lengths):
                    h = self.proj(tokens)
                    start = torch.zeros(h.size(0), 1, 8)
                    h = torch.cat([start, h], dim=1)
                    positions = torch.arange(h.size(1))
                    valid = positions[None, :] < lengths[:, None]
                    return h.masked_fill(~valid[..., None], 0.0)
        """), line=(11, 13)),
    ]

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        info = self.context.classes.get(node)
        if info is None or not info.is_module:
            return
        forward = info.methods.get("forward")
        if forward is None or first_param_name(forward) is None:
            return
        if not _has_factory(self.context, forward):
            return
        meetings = _meetings(self.context, forward)
        if not meetings:
            return
        flow = local_kinds(self.context, forward)
        self_name = first_param_name(forward)
        attrs = None

        def source(expr):
            nonlocal attrs
            if isinstance(expr, cst.Call):
                device = keyword(expr, "device")
                if device is not None and isinstance(device.value, cst.Attribute) \
                        and device.value.attr.value == "device":
                    owner = flow.kind(device.value.value)
                    if owner is not None and owner.is_tensor and owner.origin == "factory":
                        return None  # `device=perm.device`: beside a default-device tensor, not the input
                if device is not None and not isinstance(device.value, (cst.SimpleString, cst.Name)) \
                        or device is not None and isinstance(device.value, cst.Name) \
                        and device.value.value != "None" and flow.is_local(device.value.value):
                    return True  # made on the device of something the forward computed with
                return None
            if isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name) \
                    and expr.value.value == self_name:
                if attrs is None:
                    attrs = flow.dataflow.attr_kinds(info)
                kind = attrs.get(expr.attr.value)
                return getattr(kind, "origin", None) in ("parameter", "buffer")
            return None

        derived = Derivation(self.context, forward, tensor_inputs(self.context, forward),
                             detach_cleans=False, source=source)
        in_forward = {id(n) for n in _nodes(forward)}
        reported: Set[int] = set()
        held: Dict[str, cst.CSTNode] = {}  # `valid = positions < lengths`: valid holds positions' site
        found = []
        for node, operands in meetings:
            sites = []
            others = []
            sizes = False
            for operand in operands:
                kind = flow.kind(operand)
                if kind is not None and kind.is_tensor and kind.origin == "factory" and kind.site is not None:
                    sites.append((kind.site, operand))
                elif derived.carries(operand):
                    if _sizes_only(operand):
                        sizes = True
                    else:
                        others.append(operand)
            if sites and others:
                found.append((sites, others))
            elif sites and sizes:
                for name in _assigned_from(self.context, node):
                    held[name] = sites[0][0]
        for node, operands in meetings:
            names = [n.value for o in operands for n in iter_nodes(o, cst.Name)]
            site = next((held[n] for n in names if n in held), None)
            others = [o for o in operands if derived.carries(o) and not _sizes_only(o)
                      and not any(n.value in held for n in iter_nodes(o, cst.Name))]
            if site is not None and others:
                found.append(([(site, None)], others))
        for sites, others in found:
            for site, operand in sites:
                if id(site) in reported or id(site) not in in_forward:
                    continue
                reported.add(id(site))
                meets = others[0]
                line = self.context.position(meets).start.line
                self.report(site, f"`{first_line_code(self.context, site, 50)}` is made on the default device "
                                  f"(no `device=`) and meets `{first_line_code(self.context, meets, 30)}` "
                                  f"(line {line}): on a GPU this raises a device mismatch")


def _assigned_from(context, node: cst.CSTNode) -> List[str]:
    """The names of the statement `node` sits in assigns to (`valid = positions < lengths`)."""
    for above, _child in ancestors(context, node):
        if isinstance(above, cst.Assign):
            return [t.target.value for t in above.targets if isinstance(t.target, cst.Name)]
        if isinstance(above, (cst.BaseSmallStatement, cst.BaseCompoundStatement)):
            return []
    return []


def _sizes_only(expr: cst.BaseExpression) -> bool:
    """`lengths[:, None]`, `seq_lens.max()`: built only from names of sizes and lengths, which
    are often kept on the CPU on purpose (`pack_padded_sequence` wants them there)."""
    names = [n.value for n in iter_nodes(expr, cst.Name)
             if n.value not in ("None", "True", "False") and not _is_attribute_name(expr, n)]
    return bool(names) and all(_SIZES.search(name) for name in names)


def _is_attribute_name(root: cst.CSTNode, name: cst.Name) -> bool:
    return any(isinstance(a, cst.Attribute) and a.attr is name for a in iter_nodes(root, cst.Attribute))


def _has_factory(context, function) -> bool:
    for node in _nodes(function):
        if isinstance(node, cst.Call) and keyword(node, "device") is None:
            qualified = context.qualified_name(node.func)
            if qualified and qualified.startswith("torch.") and qualified.count(".") == 1 \
                    and qualified[6:] in FACTORIES:
                return True
    return False


_OWN_SCOPES = frozenset((cst.FunctionDef, cst.ClassDef, cst.Lambda))


def _nodes(function) -> List[cst.CSTNode]:
    found = []
    stack = [function.body]
    while stack:
        node = stack.pop()
        found.append(node)
        if type(node) not in _OWN_SCOPES:
            stack.extend(children(node))
    return found


def _meetings(context, function) -> List[Tuple[cst.CSTNode, List[cst.BaseExpression]]]:
    """The operations in `function` that put expressions together on one device, with them."""
    found = []
    for node in _nodes(function):
        if isinstance(node, cst.BinaryOperation):
            found.append((node, [node.left, node.right]))
        elif isinstance(node, cst.Comparison):
            if not any(isinstance(c.operator, _NOT_MEETING_OPS) for c in node.comparisons):
                found.append((node, [node.left, *(c.comparator for c in node.comparisons)]))
        elif isinstance(node, cst.AugAssign):
            found.append((node, [node.target, node.value]))
        elif isinstance(node, cst.Call):
            if any(arg.star for arg in node.args):
                continue
            qualified = context.qualified_name(node.func)
            if qualified in MEETING_FUNCTIONS:
                args = positional(node)
                if qualified in ("torch.cat", "torch.concat", "torch.concatenate", "torch.stack",
                                 "torch.hstack", "torch.vstack", "torch.dstack"):
                    if args and isinstance(args[0], (cst.List, cst.Tuple)):
                        found.append((node, [e.value for e in args[0].elements]))
                else:
                    found.append((node, [a for a in args if not isinstance(a, cst.SimpleString)]))
            elif qualified is None and isinstance(node.func, cst.Attribute) \
                    and node.func.attr.value in MEETING_METHODS:
                found.append((node, [node.func.value, *positional(node)]))
    return found
