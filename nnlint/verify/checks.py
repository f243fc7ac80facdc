"""The runtime checks on one live model: registration, gradients, buffers, eval determinism,
state_dict round trip, warnings.

`run_checks(model, args, kwargs, device=...)` works in-process on any live `nn.Module` and
returns a `CheckReport` of plain data (observations, warnings, notes); the worker calls it on
each model it builds, and a test helper can call it directly. Nothing here prints or formats.

Order matters and is fixed:
1. registration, on the model as built: Modules, Parameters and tensors reachable from the
   attributes of the model's own classes (into lists, tuples and dicts) that `named_modules`,
   `named_parameters` and `named_buffers` do not know;
2. the move to the device (plain tensors that stay behind are stranded);
3. a train-mode forward, then backward of the sum of every floating output: each parameter
   that requires grad must get a finite gradient; outputs must be finite;
4. buffers after that forward must not require grad nor hold a graph;
5. two eval-mode forwards (different seeds) must agree exactly, NaN-aware, and leave the
   buffers as they were;
6. `state_dict()` through `torch.save` / `torch.load(weights_only=True)` into a fresh instance
   (`rebuild()`, or a scrambled deep copy) must give the same eval output;
7. `.double()` on a copy shows that plain tensor attributes do not follow the model.
Warnings raised along the way are recorded; the deprecated backward-hook and the implicit
softmax-dim warnings become observations.

A CUDA out-of-memory error is raised to the caller (the worker retries on CPU); any other
exception of the user's code becomes an observation and ends the checks that depend on it.
"""

from __future__ import annotations

import copy
import io
import os
import random
import re
import sys
import time
import traceback
import warnings
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple

from nnlint.verify.result import CheckReport, Grad, Member

# error text -> observation kind
_INIT_ORDER = re.compile(r"before Module\.__init__\(\) call|has no attribute '_(?:parameters|buffers|modules|"
                         r"forward_hooks|forward_pre_hooks|backward_hooks|backward_pre_hooks|"
                         r"non_persistent_buffers_set|state_dict_hooks|is_full_backward_hook)'")
_CONTAINER = re.compile(r"is not a Module subclass|(?:ModuleList|ModuleDict|ParameterList|ParameterDict|"
                        r"Sequential)\.__init__\(\) takes")
_MISSING_FORWARD = re.compile(r'Module \[(\w+)\] is missing the required "forward" function')
_INPLACE = re.compile(r"leaf Variable that requires grad is being used in an in-place operation|"
                      r"modified by an inplace operation")
_DEVICE_MISMATCH = re.compile(r"Expected all tensors to be on the same device|"
                              r"Input type \(.*\) and weight type \(.*\) should be the same")
_HOOK_WARNING = "non-full backward hook"
_SOFTMAX_WARNING = re.compile(r"Implicit dimension choice for (?:log_)?softmax")

PhaseCallback = Optional[Callable[[str], None]]

MEMORY_LIMIT = 0  # bytes the worker may use (set by the worker; 0: none): errors past it say so


class _PhaseTimer:
    """Passes each phase on to the caller's callback and records the seconds each one took."""

    def __init__(self, timings: Dict[str, float], on_phase: PhaseCallback):
        self.timings, self.on_phase = timings, on_phase or (lambda _: None)
        self.phase, self.started = "", 0.0

    def __call__(self, phase: str) -> None:
        self.stop()
        self.phase, self.started = phase, time.perf_counter()
        self.on_phase(phase)

    def stop(self) -> None:
        if self.phase:
            elapsed = time.perf_counter() - self.started
            self.timings[self.phase] = round(self.timings.get(self.phase, 0.0) + elapsed, 4)
            self.phase = ""


def _torch():
    import torch

    return torch


def _loss(outputs):
    """What the gradient checks backpropagate: the sum of every differentiable output."""
    return sum(plain(t).float().sum() for t in outputs if not t.is_meta)


RANDOM_SKIP_PASSES = 3  # more train-mode passes for parameters without a gradient (stochastic depth)


def seed_everything(seed: int) -> None:
    """torch (every device), `random`, and numpy when the user's code imported it."""
    torch = _torch()
    torch.manual_seed(seed)
    random.seed(seed)
    numpy = sys.modules.get("numpy")
    if numpy is not None and not getattr(numpy, "nnlint_stand_in", False):  # not the loader's stand-in
        try:
            numpy.random.seed(seed % (2 ** 32))
        except Exception:  # pragma: no cover - a broken numpy is not ours to report
            pass


def select_device(requested: str = "auto") -> Tuple[str, str]:
    """(device, note): `cuda:0` when CUDA is available (and not `cpu` requested), else `cpu`."""
    if requested == "cpu":
        return "cpu", ""
    torch = _torch()
    if torch.cuda.is_available():
        return "cuda:0", ""
    if requested == "cuda":
        return "cpu", "CUDA was requested but is not available: checked on cpu"
    return "cpu", ""


def is_oom(exc: BaseException) -> bool:
    torch = _torch()
    oom = getattr(torch, "OutOfMemoryError", None) or getattr(torch.cuda, "OutOfMemoryError", None)
    if oom is not None and isinstance(exc, oom):
        return True
    return isinstance(exc, RuntimeError) and "CUDA out of memory" in str(exc)


# ----- errors -------------------------------------------------------------------------------
def is_allocation_failure(exc: BaseException) -> bool:
    """A MemoryError, or torch's CPU allocator refusing (under the worker's memory limit)."""
    return isinstance(exc, MemoryError) or (
        isinstance(exc, RuntimeError) and ("can't allocate memory" in str(exc) or "not enough memory" in str(exc)))


def describe_error(exc: BaseException) -> str:
    """`ValueError: bad width` (first line, at most 300 characters)."""
    if isinstance(exc, SystemExit):
        return f"called sys.exit({exc.code!r})"
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    text = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return text if len(text) <= 300 else text[:297] + "..."


def _library_dirs() -> Tuple[Tuple[str, ...], Tuple[str, ...]]:
    """(torch's and nnlint's folders, the standard library's folders)."""
    import sysconfig

    torch = _torch()
    ours = [os.path.dirname(torch.__file__), os.path.dirname(os.path.dirname(os.path.abspath(__file__)))]
    stdlib = [p for p in (sysconfig.get_paths().get(k) for k in ("stdlib", "platstdlib")) if p]
    return (tuple(os.path.abspath(d) + os.sep for d in ours),
            tuple(os.path.abspath(d) + os.sep for d in stdlib))


def _is_user_file(path: str, libraries) -> bool:
    ours, stdlib = libraries
    if path.startswith(ours):
        return False
    if path.startswith(stdlib):  # the standard library, but not what is installed under it
        return any(f"{os.sep}{name}{os.sep}" in path for name in ("site-packages", "dist-packages"))
    return True


def user_frames(exc: BaseException, limit: int = 12) -> List[Tuple[str, int]]:
    """(file, line) of the traceback frames outside torch, nnlint and the standard library."""
    libraries = _library_dirs()
    frames = []
    for frame in traceback.extract_tb(exc.__traceback__):
        path = os.path.abspath(frame.filename)
        if frame.filename.startswith("<") or not _is_user_file(path, libraries):
            continue
        frames.append((path, frame.lineno or 0))
    return frames[-limit:]


def error_kind(exc: BaseException, phase: str) -> str:
    """What an exception raised in `phase` ("build", "forward", "backward", "eval") tells."""
    text = str(exc)
    if _INIT_ORDER.search(text):
        return "init_order_error"
    if phase == "build":
        if isinstance(exc, TypeError) and _CONTAINER.search(text):
            return "container_error"
        return "build_error"
    if isinstance(exc, NotImplementedError) and _MISSING_FORWARD.search(text):
        return "missing_forward"
    if _INPLACE.search(text):
        return "inplace_leaf"
    if _DEVICE_MISMATCH.search(text):
        return "device_mismatch"
    return "forward_error"


def error_observation(report: CheckReport, exc: BaseException, phase: str, prefix: str = ""):
    kind = error_kind(exc, phase)
    names = []
    match = _MISSING_FORWARD.search(str(exc))
    if match:
        names.append(match.group(1))
    where = {"build": "construction", "forward": "forward", "backward": "backward",
             "eval": "forward in eval() mode", "device": "moving to the device"}.get(phase, phase)
    verb = "" if isinstance(exc, SystemExit) else "raised "
    if MEMORY_LIMIT and is_allocation_failure(exc):
        verb = f"exceeded the memory limit ({MEMORY_LIMIT / 2 ** 30:g} GB): "
    message = f"{prefix or where} {verb}{describe_error(exc)}"
    return report.add(kind, message, frames=user_frames(exc), names=names)


# ----- walking models and outputs ------------------------------------------------------------
_INTERNALS: Optional[frozenset] = None


def _module_internals() -> frozenset:
    global _INTERNALS
    if _INTERNALS is None:
        _INTERNALS = frozenset(vars(_torch().nn.Module()))
    return _INTERNALS


def is_torch_class(cls: type) -> bool:
    return (getattr(cls, "__module__", "") or "").split(".")[0] == "torch"


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def hidden_state(model) -> List[Tuple[str, str, Any]]:
    """(kind, path, value) for each Module / Parameter / tensor reachable from the attributes of
    the model's own (non-torch) classes, into lists, tuples and dicts, that the model's
    registries do not hold. kind: "module", "parameter" or "tensor"."""
    torch = _torch()
    modules = {id(m) for m in model.modules()}
    params = {id(p) for p in model.parameters()}
    buffers = {id(b) for b in model.buffers()}
    internals = _module_internals()
    found: List[Tuple[str, str, Any]] = []

    def scan(path: str, value: Any, depth: int) -> None:
        if isinstance(value, torch.nn.Module):
            if id(value) not in modules:
                found.append(("module", path, value))
            return
        if isinstance(value, torch.Tensor):
            if isinstance(value, torch.nn.Parameter):
                if id(value) not in params:
                    found.append(("parameter", path, value))
            elif id(value) not in buffers and id(value) not in params:
                found.append(("tensor", path, value))
            return
        if depth >= 4:
            return
        if isinstance(value, (list, tuple)) and len(value) <= 10_000:
            for index, item in enumerate(value):
                scan(f"{path}[{index}]", item, depth + 1)
        elif isinstance(value, dict) and len(value) <= 10_000:
            for key, item in list(value.items()):
                scan(f"{path}[{key!r}]", item, depth + 1)

    for prefix, module in model.named_modules():
        if is_torch_class(type(module)):
            continue
        for attr, value in list(vars(module).items()):
            if attr in internals or (attr == "_actual_script_module" and isinstance(module, torch.jit.ScriptModule)):
                continue  # a ScriptModule's compiled self: torch's, registered there
            scan(_join(prefix, attr), value, 0)
    return found


def model_tree(model, hidden: Sequence[Tuple[str, str, Any]]) -> List[Member]:
    """The model's submodules, parameters and buffers, depth first, then the hidden state
    (`hidden_state`'s list) with what each hidden module holds, marked unregistered."""
    members: List[Member] = []

    def add_module(path: str, module, registered: bool) -> None:
        size = sum(p.numel() for p in module.parameters())
        members.append(Member(path, "module", type(module).__name__, registered, size))
        for name, param in module.named_parameters(recurse=False):
            members.append(Member(_join(path, name), "parameter", _shape(param), registered, param.numel()))
        for name, buffer in module.named_buffers(recurse=False):
            members.append(Member(_join(path, name), "buffer", _shape(buffer), registered, buffer.numel()))
        for name, child in module.named_children():
            add_module(_join(path, name), child, registered)

    add_module("", model, True)
    for kind, path, value in hidden:
        if kind == "module":
            add_module(path, value, False)
        else:
            members.append(Member(path, kind, _shape(value), False, value.numel()))
    return members


def _hidden_parameters(hidden: Sequence[Tuple[str, str, Any]]) -> List[Tuple[str, Any]]:
    """(path, parameter) for each hidden parameter that requires grad, and those of hidden modules."""
    found = []
    for kind, path, value in hidden:
        if kind == "parameter":
            found.append((path, value))
        elif kind == "module":
            found.extend((_join(path, name), param) for name, param in value.named_parameters())
    return [(path, param) for path, param in found if param.requires_grad]


def _gradient(name: str, param, registered: bool = True) -> Grad:
    if param.grad is None:
        return Grad(name, None, registered=registered)
    if not bool(_torch().isfinite(param.grad).all()):
        return Grad(name, None, finite=False, registered=registered)
    return Grad(name, float(param.grad.detach().norm()), registered=registered)


def container_path(path: str) -> str:
    """`encoder.blocks[0]['a']` -> `encoder.blocks`."""
    return re.sub(r"\[.*$", "", path)


def tensors_in(value: Any, depth: int = 0) -> List[Any]:
    """The tensors of a forward's output: a tensor, or nested in tuples, lists, dicts (a
    transformers ModelOutput is an OrderedDict) and dataclasses."""
    torch = _torch()
    if isinstance(value, torch.Tensor):
        return [value]
    if depth > 6 or value is None or isinstance(value, (str, bytes, int, float, bool)):
        return []
    items: Sequence[Any] = ()
    if isinstance(value, (list, tuple)):
        items = value
    elif isinstance(value, dict):
        items = list(value.values())
    else:
        import dataclasses

        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            items = [getattr(value, f.name, None) for f in dataclasses.fields(value)]
    out: List[Any] = []
    for item in items:
        out.extend(tensors_in(item, depth + 1))
    return out


def plain(t):
    """A tensor the checks can compare, sum and test for NaN: sparse -> dense, nested -> its
    pieces flattened and joined, quantized -> dequantized, complex -> real pairs; None for a
    meta tensor (no values). nnlint's own comparisons must never fail on a layout the model
    legitimately uses, and be blamed on it."""
    torch = _torch()
    if t.is_meta:
        return None
    if getattr(t, "is_nested", False):
        pieces = [plain(piece) for piece in t.unbind()]
        pieces = [p.flatten() for p in pieces if p is not None]
        return torch.cat(pieces) if pieces else t.new_zeros(0)
    if t.layout != torch.strided:
        t = t.to_dense()
    if t.is_quantized:
        t = t.dequantize()
    if t.is_complex():
        t = torch.view_as_real(t.resolve_conj())
    return t


def _floating(tensors) -> list:
    return [t for t in tensors if t.is_floating_point() or t.is_complex()]


def non_finite(tensors) -> bool:
    torch = _torch()
    values = [plain(t.detach()) for t in tensors]
    return any(not bool(torch.isfinite(t).all()) for t in values if t is not None and t.is_floating_point()
               and t.numel())


def compare(first: List[Any], second: List[Any], exact: bool = True) -> Tuple[bool, str]:
    """Whether two lists of tensors agree (NaN equal to NaN), and how they differ if not."""
    torch = _torch()
    if len(first) != len(second):
        return False, f"{len(first)} tensors, then {len(second)}"
    for index, (a, b) in enumerate(zip(first, second)):
        if getattr(a, "is_nested", False) or getattr(b, "is_nested", False):
            same_shape = a.is_nested == b.is_nested and a.size(0) == b.size(0)  # nested: per-piece shapes
        else:
            same_shape = a.shape == b.shape
        if not same_shape or a.dtype != b.dtype:
            return False, f"output {index}: {_shape(a)}, then {_shape(b)}"
        a, b = plain(a.detach()), plain(b.detach())
        if a is None or b is None:
            continue  # meta tensors hold no values
        if a.shape != b.shape:
            return False, f"output {index}: {_shape(a)}, then {_shape(b)}"
        if a.device != b.device:
            b = b.to(a.device)
        if not (a.is_floating_point() or a.is_complex()):
            if not torch.equal(a, b):
                return False, f"output {index}: {int((a != b).sum())} of {a.numel()} values differ"
            continue
        same = (a == b) | (torch.isnan(a) & torch.isnan(b))
        if bool(same.all()):
            continue
        if not exact and torch.allclose(a, b, rtol=1e-5, atol=1e-6, equal_nan=True):
            continue
        diff = (a - b).abs()
        diff = diff[~same]
        largest = float(diff[torch.isfinite(diff)].max()) if bool(torch.isfinite(diff).any()) else float("inf")
        return False, (f"output {index}: {int((~same).sum())} of {a.numel()} values differ "
                       f"(largest difference {largest:.3g})")
    return True, ""


def map_tensors(value: Any, function: Callable[[Any], Any]) -> Any:
    """`value` with `function` applied to each tensor in it (through tuples, lists and dicts)."""
    if isinstance(value, _torch().Tensor):
        return function(value)
    if isinstance(value, tuple) and not hasattr(value, "_fields"):
        return tuple(map_tensors(v, function) for v in value)
    if isinstance(value, list):
        return [map_tensors(v, function) for v in value]
    if isinstance(value, dict):
        return {k: map_tensors(v, function) for k, v in value.items()}
    return value


def to_device(value: Any, device: str) -> Any:
    return map_tensors(value, lambda t: t.to(device))


def _fresh(t):
    try:
        return t.detach().clone().requires_grad_(t.requires_grad)
    except Exception:  # a tensor clone() cannot copy (some subclasses): the same one
        return t


def _shape(t) -> str:
    dtype = str(t.dtype).replace("torch.", "")
    if getattr(t, "is_nested", False):
        return f"nested ({t.size(0)} pieces) {dtype}"
    return f"{tuple(t.shape)} {dtype}"


# ----- the checks ---------------------------------------------------------------------------
class _Stop(Exception):
    """An earlier step failed: the checks that depend on it cannot run."""


def run_checks(model, args: Sequence[Any] = (), kwargs: Optional[Dict[str, Any]] = None,
               device: Optional[str] = None, rebuild: Optional[Callable[[], Any]] = None,
               seed: int = 0, prior_warnings: Sequence[str] = (),
               on_phase: PhaseCallback = None) -> CheckReport:
    """Run every check on `model` called as `model(*args, **kwargs)`; see the module docstring.

    `rebuild()` returns a fresh instance for the state_dict round trip (without it, a deep
    copy with scrambled weights stands in). The model is left on `device`, in its original
    train/eval mode, with its gradients cleared. Raises on CUDA out-of-memory only.
    """
    report = CheckReport(device=device or select_device()[0])
    timer = _PhaseTimer(report.timings, on_phase)
    run = _Run(model, tuple(args), dict(kwargs or {}), report, rebuild, seed, timer)
    was_training = getattr(model, "training", True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            run.all()
        except _Stop:
            pass
        finally:
            timer.stop()
            _restore(model, was_training)
    report.warnings = _distinct(list(prior_warnings) + [_warning_text(w) for w in caught])
    for text in report.warnings:
        if _HOOK_WARNING in text:
            report.add("backward_hook_warning", f"the deprecated backward hook warned: {_short(text)}")
        elif _SOFTMAX_WARNING.search(text):
            report.add("softmax_dim_warning", f"softmax warned: {_short(text)}")
    return report


def _restore(model, was_training: bool) -> None:
    try:
        model.train(was_training)
        model.zero_grad(set_to_none=True)
    except Exception:
        pass


def _warning_text(w) -> str:
    text = str(w.message).strip()
    return f"{w.category.__name__}: {text}"


def _short(text: str, limit: int = 160) -> str:
    text = text.split(": ", 1)[-1]
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _distinct(items: List[str]) -> List[str]:
    seen, out = set(), []
    for item in items:
        if item not in seen:
            seen.add(item)
            out.append(item)
    return out


class _Run:
    def __init__(self, model, args, kwargs, report: CheckReport, rebuild, seed: int, on_phase):
        self.torch = _torch()
        self.model, self.args, self.kwargs = model, args, kwargs
        self.report, self.rebuild, self.seed, self.on_phase = report, rebuild, seed, on_phase
        self.device = report.device
        self.hidden: List[Tuple[str, str, Any]] = []
        self.eval_output: Optional[list] = None
        self.grad_mode = self.torch.no_grad  # eval forwards run without autograd, unless they need it

    def all(self) -> None:
        self.registration()
        self.move()
        self.forward_backward()
        self.buffers()
        self.eval()
        self.state_dict()
        self.double()

    def _fail(self, exc: BaseException, phase: str, prefix: str = "") -> None:
        if self.device.startswith("cuda") and is_oom(exc):
            raise exc
        error_observation(self.report, exc, phase, prefix)
        raise _Stop

    def call(self, model=None):
        # a copy of the inputs for each forward: a block that adds in place to its input
        # (`x += self.pos_emb`, CCT's classifier) would otherwise see another input each time
        return (model or self.model)(*map_tensors(self.args, _fresh), **map_tensors(self.kwargs, _fresh))

    # 1. registration
    def registration(self) -> None:
        self.on_phase("registration")
        try:
            self.hidden = hidden_state(self.model)
        except Exception as exc:  # a half-built Module (no super().__init__()) fails here
            self._fail(exc, "registration", "inspecting the model")
        self.report.members = model_tree(self.model, self.hidden)
        groups: Dict[Tuple[str, str], list] = {}
        for kind, path, value in self.hidden:
            if kind != "tensor":
                groups.setdefault((kind, container_path(path)), []).append(value)
        for (kind, path), values in groups.items():
            if kind == "module":
                count = sum(p.numel() for v in values for p in v.parameters())
                classes = sorted({type(v).__name__ for v in values})
                what = f"{len(values)} module{'s' if len(values) != 1 else ''} ({', '.join(classes)})"
                self.report.add("unregistered_module",
                                f"`{path}` holds {what} that named_modules() does not list: their "
                                f"{count} parameter values are missing from parameters() and state_dict()",
                                path=path)
            else:
                count = sum(v.numel() for v in values)
                self.report.add("unregistered_parameter",
                                f"`{path}` holds {len(values)} nn.Parameter{'s' if len(values) != 1 else ''} "
                                f"({count} values) that named_parameters() does not list: the optimizer "
                                f"never sees them and state_dict() does not save them", path=path)
        self.report.checks.append("registration")

    # 2. device
    def move(self) -> None:
        self.on_phase("device")
        try:
            self.model.to(self.device)
            self.args = to_device(self.args, self.device)
            self.kwargs = to_device(self.kwargs, self.device)
        except Exception as exc:
            self._fail(exc, "device")
        self.report.checks.append("device")

    # 3. train-mode forward and backward
    def forward_backward(self) -> None:
        torch = self.torch
        self.on_phase("forward")
        self.model.train()
        seed_everything(self.seed)
        try:
            with torch.enable_grad():
                output = self.call()
        except Exception as exc:
            self._fail(exc, "forward")
        outputs = tensors_in(output)
        floats = _floating(outputs)
        if non_finite(outputs):
            self.report.add("nonfinite", f"the train-mode output has NaN or Inf values")
        self.report.checks.append("forward")

        self.on_phase("backward")
        params = [(n, p) for n, p in self.model.named_parameters() if p.requires_grad]
        if not params:
            self.report.checks.append("gradients")
            return
        differentiable = [t for t in floats if t.requires_grad]
        if not floats:  # code indices, token ids, class predictions: nothing to backpropagate, by design
            kinds = ", ".join(sorted({str(t.dtype).replace("torch.", "") for t in outputs})) or "no tensor"
            self.report.notes.append(f"forward returns no floating-point tensor ({kinds}): the gradients "
                                     f"are not judged (feed it as it is trained to check them)")
            return
        if not differentiable:
            names = [n for n, _ in params]
            self.report.add("no_grad", f"forward returns no tensor that requires grad: none of the {len(params)} parameters "
                                       f"gets a gradient", names=names)
            self.report.grads = [Grad(n, None) for n in names]
            self.report.checks.append("gradients")
            return
        self.model.zero_grad(set_to_none=True)
        try:
            with torch.enable_grad():  # whatever grad mode the model left behind
                _loss(differentiable).backward()
        except Exception as exc:
            self._fail(exc, "backward")
        bad = []
        for name, param in params:
            grad = _gradient(name, param)
            self.report.grads.append(grad)
            if param.grad is not None and not grad.finite:
                bad.append(name)
        for name, param in self._without_gradient(params):
            self.report.add("no_grad", f"`{name}` ({_shape(param)}) got no gradient from the "
                                       f"backward of the output", path=name)
        for name, param in _hidden_parameters(self.hidden):  # for the record: registration reports them
            self.report.grads.append(_gradient(name, param, registered=False))
            param.grad = None
        if bad and not self.report.of_kind("nonfinite"):
            shown = ", ".join(f"`{n}`" for n in bad[:5]) + (f" and {len(bad) - 5} more" if len(bad) > 5 else "")
            self.report.add("nonfinite", f"the gradients of {shown} have NaN or Inf values", names=bad)
        self.report.checks.append("gradients")

    def _without_gradient(self, params) -> list:
        """The parameters without a gradient, in this backward and in RANDOM_SKIP_PASSES more
        train-mode forwards and backwards with other seeds: a block that stochastic depth or
        LayerDrop skipped at random in one pass is not a parameter that never trains."""
        torch = self.torch
        missing = [(name, param) for name, param in params if param.grad is None]
        if not missing or len(missing) == len(params):
            return missing
        grads = {name: param.grad for name, param in params}
        for seed in range(self.seed + 1, self.seed + 1 + RANDOM_SKIP_PASSES):
            self.model.zero_grad(set_to_none=True)
            seed_everything(seed)
            try:
                with torch.enable_grad():
                    outputs = [t for t in _floating(tensors_in(self.call())) if t.requires_grad and not t.is_meta]
                    if not outputs:
                        break
                    _loss(outputs).backward()
            except Exception:  # noqa: BLE001 - the first pass is what the checks report
                break
            missing = [(name, param) for name, param in missing if param.grad is None]
            if not missing:
                break
        for name, param in params:
            param.grad = grads[name]
        return missing

    # 4. buffers after forward
    def buffers(self) -> None:
        for name, buffer in self.model.named_buffers():
            if buffer.grad_fn is not None:
                self.report.add("buffer_grad", f"buffer `{name}` holds an autograd graph after forward "
                                               f"(grad_fn={type(buffer.grad_fn).__name__})", path=name)
            elif buffer.requires_grad:
                self.report.add("buffer_grad", f"buffer `{name}` requires grad", path=name)
        self.report.checks.append("buffers")

    # 5. eval determinism
    def eval(self) -> None:
        torch = self.torch
        self.on_phase("eval")
        self.model.eval()
        before = {n: b.detach().clone() for n, b in self.model.named_buffers()}
        try:
            first, second = self._two_eval_forwards(torch.no_grad)
        except Exception as exc:
            if self.device.startswith("cuda") and is_oom(exc):
                raise
            try:  # some models need autograd even in eval (tensor hooks, torch.func): not a bug
                first, second = self._two_eval_forwards(torch.enable_grad)
            except Exception:
                self._fail(exc, "eval")
            self.report.notes.append(f"forward in eval() mode fails under torch.no_grad() "
                                     f"({describe_error(exc)}): checked with autograd on")
            self.grad_mode = torch.enable_grad
        changed = [n for n, b in self.model.named_buffers()
                   if n in before and not compare([before[n]], [b.detach()])[0]]
        if changed:
            shown = ", ".join(f"`{n}`" for n in changed[:5]) + (" ..." if len(changed) > 5 else "")
            self.report.add("eval_buffer_update", f"forward in eval() mode changed the buffers {shown}",
                            names=changed)
        if non_finite(first):
            self.report.notes.append("eval output has NaN/Inf: determinism and the state_dict "
                                     "round trip are not judged")
            self.report.checks.append("eval")
            return
        same, how = compare(first, second, exact=not self.device.startswith("cuda"))
        if not same:
            self._nondeterministic(how, first)
        else:
            self.eval_output = first
        self.report.checks.append("eval")

    def _nondeterministic(self, how: str, first: list) -> None:
        """Two eval forwards differ: the model's fault when a dropout is still active in eval,
        when forward draws fresh weights (a layer built in forward), or when no random op ran
        at all (state kept between calls, uninitialised memory). A model that only samples
        (`torch.multinomial`, Gumbel noise, `randn` noise: adaptive token sampling, a decoder
        that samples, StyleGAN's noise inputs) does so by design: a note, not a finding."""
        ran = self._random_ops()
        if ran and all(op.kind == "sampling" for op in ran):
            shown = ", ".join(_distinct([op.describe() for op in ran])[:3])
            self.report.notes.append(f"two eval() forwards differ because the model samples in eval mode "
                                     f"({shown}): taken as by design, not reported as NN907 (if inference "
                                     f"should not sample, guard it with `if self.training:`)")
            self.eval_output = first  # the state_dict round trip reruns it with the same seed
            return
        self.report.notes.append("the state_dict round trip is not judged: eval outputs differ "
                                 "from call to call")
        if ran is None:  # by design or a bug: we cannot tell, so the model is not blamed
            self.report.notes.append(f"two eval() forwards differ ({how}), and the random operations "
                                     "they ran could not be recorded: not judged (NN907 needs a dropout "
                                     "still active, weights drawn in forward, or no randomness at all)")
            return
        if not ran:
            self.report.add("eval_nondeterministic", f"two forwards in eval() mode on the same input "
                                                     f"differ: {how} (no random operation ran: state "
                                                     "kept between calls?)")
            return
        op = next(op for op in ran if op.kind != "sampling")
        what = ("a dropout is still active" if op.kind == "dropout" else
                "forward draws fresh random weights (a layer built in forward?)")
        self.report.add("eval_nondeterministic", f"two forwards in eval() mode on the same input "
                                                 f"differ: {how}: {what} ({op.describe()})", frames=op.frames[-1:])

    def _random_ops(self) -> Optional[List["RandomOp"]]:
        """The random operations one eval forward runs (None if they cannot be recorded)."""
        try:
            with self.grad_mode():
                seed_everything(self.seed + 1)
                return record_random_ops(self.call)
        except Exception:
            return None

    def _two_eval_forwards(self, grad_mode):
        with grad_mode():
            seed_everything(self.seed + 1)
            first = [t.detach() for t in tensors_in(self.call())]
            seed_everything(self.seed + 2)
            second = [t.detach() for t in tensors_in(self.call())]
        return first, second

    # 6. state_dict round trip
    def state_dict(self) -> None:
        torch = self.torch
        if self.eval_output is None:
            return
        self.on_phase("state_dict")
        try:
            buffer = io.BytesIO()
            torch.save(self.model.state_dict(), buffer)
            buffer.seek(0)
            loaded = torch.load(buffer, map_location=self.device, weights_only=True)
        except Exception as exc:
            if self.device.startswith("cuda") and is_oom(exc):
                raise
            self.report.add("state_dict", f"state_dict() does not survive torch.save / "
                                          f"torch.load(weights_only=True): {describe_error(exc)}")
            self.report.checks.append("state_dict")
            return
        fresh = self._fresh()
        if fresh is None:
            return
        try:
            fresh.to(self.device)
            fresh.load_state_dict(loaded, strict=True)
        except Exception as exc:
            if self.device.startswith("cuda") and is_oom(exc):
                raise
            self.report.add("state_dict", f"a fresh instance cannot load this state_dict() "
                                          f"(strict=True): {describe_error(exc)}", frames=user_frames(exc))
            self.report.checks.append("state_dict")
            return
        fresh.eval()
        try:
            with self.grad_mode():
                seed_everything(self.seed + 1)
                again = [t.detach() for t in tensors_in(self.call(fresh))]
        except Exception as exc:
            self._fail(exc, "eval", "forward of the reloaded instance")
        same, how = compare(self.eval_output, again, exact=not self.device.startswith("cuda"))
        if not same:
            self.report.add("state_dict", f"a fresh instance loaded with state_dict() gives different "
                                          f"eval outputs: {how}")
        self.report.checks.append("state_dict")

    def _fresh(self):
        torch = self.torch
        if self.rebuild is not None:
            try:
                seed_everything(self.seed + 1000)
                return self.rebuild()
            except Exception as exc:
                self.report.notes.append(f"state_dict round trip skipped: rebuilding raised {describe_error(exc)}")
                return None
        try:
            fresh = copy.deepcopy(self.model)
        except Exception as exc:
            self.report.notes.append(f"state_dict round trip skipped: the model cannot be deep-copied "
                                     f"({describe_error(exc)})")
            return None
        seed_everything(self.seed + 1000)
        with torch.no_grad():  # a copy must not pass for loaded: scramble every floating tensor it holds
            tensors = list(fresh.parameters()) + list(fresh.buffers())
            for kind, _, value in hidden_state(fresh):
                tensors.extend(value.parameters() if kind == "module" else [value])
            for tensor in tensors:
                if tensor.is_floating_point():
                    try:
                        tensor.normal_()
                    except Exception:
                        pass
        return fresh

    # 7. plain tensors do not follow the model
    def double(self) -> None:
        plain = [(path, value) for kind, path, value in self.hidden if kind == "tensor"]
        if not plain:
            self.report.checks.append("move")
            return
        self.on_phase("move")
        use = plain_tensor_use(self.model, self.args, self.kwargs, plain, self.grad_mode)
        if use is not None:
            fine = [path for path, _ in plain if use.get(path) != MET]
            plain = [(path, value) for path, value in plain if use.get(path) == MET]
            if fine:
                shown = ", ".join(f"`{p}`" for p in fine[:5]) + (" ..." if len(fine) > 5 else "")
                self.report.notes.append(f"plain tensor attributes {shown}: forward does not use them with "
                                         f"the model's tensors unmoved (it moves them to the input's device "
                                         f"itself, or leaves them alone): not reported")
            if not plain:
                self.report.checks.append("move")
                return
        followed: Dict[str, str] = {}
        try:
            probe = copy.deepcopy(self.model).double()
            for kind, path, value in hidden_state(probe):
                if kind == "tensor":
                    followed[path] = str(value.dtype).replace("torch.", "")
        except Exception as exc:
            self.report.notes.append(f".double() probe skipped: {describe_error(exc)}")
        groups: Dict[str, List[Tuple[str, Any]]] = {}
        for path, value in plain:
            groups.setdefault(container_path(path), []).append((path, value))
        for path, items in groups.items():
            first_path, first = items[0]
            what = (f"a plain tensor attribute ({_shape(first)})" if len(items) == 1 and first_path == path
                    else f"{len(items)} plain tensors")
            facts = ["not in state_dict()"]
            if self.device != "cpu":
                left = [v for _, v in items if str(v.device) != self.device and
                        not (self.device == "cuda:0" and str(v.device) == "cuda")]
                if left:
                    facts.append(f".to({self.device}) left {'it' if len(items) == 1 else 'them'} on "
                                 f"{left[0].device}")
            stayed = [p for p, v in items if v.is_floating_point() and followed.get(p) not in (None, "float64")]
            if stayed:
                facts.append(f".double() left {'it' if len(items) == 1 else 'them'} {followed[stayed[0]]}")
            elif not any(v.is_floating_point() for _, v in items) and self.device == "cpu":
                facts.append(".to(device) would not move it")
            if use is not None:
                facts.append("forward combines it with the model's tensors without moving it")
            self.report.add("plain_tensor", f"`{path}` is {what}: {', and '.join(facts)}", path=path)
        self.report.checks.append("move")


# ----- how forward uses plain tensor attributes ---------------------------------------------
MET, MOVED, UNUSED = "met", "moved", "unused"
_MOVES = frozenset({"to", "cuda", "type_as", "new_tensor"})


# aten operations that draw random numbers, by their base name (`aten::bernoulli_` -> bernoulli)
_RANDOM_OPS = frozenset({
    "bernoulli", "native_dropout", "feature_dropout", "alpha_dropout", "feature_alpha_dropout", "fused_dropout",
    "_fused_dropout", "rrelu_with_noise", "multinomial", "normal", "uniform", "rand", "randn", "randint",
    "randperm", "rand_like", "randn_like", "randint_like", "exponential", "geometric", "cauchy", "log_normal",
    "random", "poisson", "binomial", "_standard_gamma", "_sample_dirichlet"})
_DROPOUT_OPS = frozenset({"native_dropout", "feature_dropout", "alpha_dropout", "feature_alpha_dropout",
                          "fused_dropout", "_fused_dropout", "rrelu_with_noise"})
_TORCH_DROPOUT = (os.path.join("torch", "nn", "functional.py"), os.path.join("torch", "nn", "modules", "dropout.py"))
_TORCH_INIT = os.path.join("torch", "nn", "init.py")


class RandomOp:
    """A random aten operation that ran: its name, what it is for, and the user's frames."""

    def __init__(self, name: str, kind: str, frames: List[Tuple[str, int]]):
        self.name, self.kind, self.frames = name, kind, frames

    def describe(self) -> str:
        where = f" at {os.path.basename(self.frames[-1][0])}:{self.frames[-1][1]}" if self.frames else ""
        return f"`{self.name}`{where}"


def _random_kind(name: str, stack: List[Tuple[str, int, str]], libraries) -> str:
    """dropout (torch's dropouts, or a user function or class named like one: DropPath),
    init (torch.nn.init: weights drawn during forward) or sampling."""
    if name in _DROPOUT_OPS:
        return "dropout"
    if any(path.endswith(_TORCH_INIT) for path, _, _ in stack):
        return "init"
    if any(path.endswith(_TORCH_DROPOUT) and "drop" in function.lower() for path, _, function in stack):
        return "dropout"
    user = [function for path, _, function in stack if _is_user_file(path, libraries)]
    if name == "bernoulli" and user and "drop" in user[0].lower():  # innermost: DropPath.forward, drop_path
        return "dropout"
    return "sampling"


def record_random_ops(call: Callable[[], Any]) -> List[RandomOp]:
    """Run `call` under a dispatch mode that records each random aten operation it runs."""
    from torch.utils._python_dispatch import TorchDispatchMode

    libraries = _library_dirs()
    ran: List[RandomOp] = []

    class Record(TorchDispatchMode):
        @classmethod
        def _should_skip_dynamo(cls) -> bool:
            # torch wraps a mode's __torch_dispatch__ in dynamo.disable, which imports
            # torch._dynamo on the first op: seconds of CPU in every model's process, for a
            # recording that never compiles anything
            return False

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            name = func._schema.name.split("::")[-1].rstrip("_")
            if name in _RANDOM_OPS:
                stack, frame = [], sys._getframe(1)
                while frame is not None:  # innermost first
                    code = frame.f_code
                    stack.append((os.path.abspath(code.co_filename), frame.f_lineno,
                                  getattr(code, "co_qualname", code.co_name)))
                    frame = frame.f_back
                frames = [(path, line) for path, line, _ in reversed(stack)
                          if not path.startswith("<") and _is_user_file(path, libraries)]
                ran.append(RandomOp(name, _random_kind(name, stack, libraries), frames))
            return func(*args, **(kwargs or {}))

    with Record():
        call()
    return ran


def plain_tensor_use(model, args, kwargs, plain: Sequence[Tuple[str, Any]], grad_mode=None) -> Optional[Dict[str, str]]:
    """How one forward uses each plain tensor attribute (path -> MET, MOVED or UNUSED), or None
    when that forward fails under the probe. MET: an operation combines it (or what was
    computed from it alone) with the model's tensors, so after `.to(device)` that operation
    sees two devices. MOVED: forward moves it first (`.to(x.device)`, `.to(x)`, `.type_as(x)`,
    `device=`), as code that re-homes a cached tensor at each use does. A 0-dim tensor mixes
    with any device and is never MET. Follows tensor identity through every torch operation
    (a TorchFunctionMode), so a tensor kept in a list or sliced first is followed too."""
    torch = _torch()
    from torch.overrides import TorchFunctionMode

    origin: Dict[int, Tuple[Any, frozenset]] = {}  # id -> (tensor kept alive, attribute paths)
    for path, value in plain:
        origin[id(value)] = (value, frozenset([path]))
    use = {path: UNUSED for path, _ in plain}

    def flat(value, out, depth=0):
        if isinstance(value, torch.Tensor):
            out.append(value)
        elif depth < 4 and isinstance(value, (list, tuple)):
            for item in value:
                flat(item, out, depth + 1)
        elif depth < 4 and isinstance(value, dict):
            for item in value.values():
                flat(item, out, depth + 1)
        return out

    def mark(tensors, paths) -> None:
        for tensor in tensors:
            origin[id(tensor)] = (tensor, paths)

    class Probe(TorchFunctionMode):
        def __torch_function__(self, func, types, f_args=(), f_kwargs=None):
            f_kwargs = f_kwargs or {}
            result = func(*f_args, **f_kwargs)
            inputs = flat(list(f_args) + list(f_kwargs.values()), [])
            tracked = [t for t in inputs if id(t) in origin and origin[id(t)][0] is t]
            outputs = [t for t in flat(result, []) if not any(t is i for i in inputs)]
            name = getattr(func, "__name__", "")
            moved = f_kwargs.get("device") is not None or (name in _MOVES and any(
                isinstance(a, (torch.Tensor, torch.device, str)) or (isinstance(a, int) and name == "cuda")
                for a in list(f_args[1:]) + [f_kwargs.get("other")]) or name == "cuda")
            paths = frozenset().union(*(origin[id(t)][1] for t in tracked)) if tracked else frozenset()
            if tracked and moved:
                for path in paths:
                    use[path] = MOVED if use[path] == UNUSED else use[path]
                if isinstance(result, torch.Tensor) and any(result is t for t in tracked):
                    result = result.view_as(result)  # already there (on the CPU): a new object, not followed
            elif tracked:
                others = [t for t in inputs if not any(t is k for k in tracked) and t.dim() > 0]
                strays = [t for t in tracked if t.dim() > 0 and origin[id(t)][1]]
                if others:  # the two meet (a 0-dim one mixes with any device)
                    for path in frozenset().union(frozenset(), *(origin[id(t)][1] for t in strays)):
                        use[path] = MET
                else:
                    mark(outputs, paths)  # computed from it alone: still where it was
            elif not inputs and not moved and name not in ("__get__",):
                mark(outputs, frozenset())  # a factory without device=: made where plain ones are
            return result

    was_training = model.training
    try:
        model.eval()
        with (grad_mode or torch.no_grad)(), Probe():
            seed_everything(0)
            model(*args, **kwargs)
    except Exception:
        return None
    finally:
        model.train(was_training)
    return use
