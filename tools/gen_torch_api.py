"""Generate nnlint/torch_api.json from the installed torch.

The static path never imports torch; the rules read the facts they need about torch's API
from the JSON file this script writes. Run it again after a torch upgrade:

    python tools/gen_torch_api.py
"""

import importlib
import inspect
import json
import pkgutil
import sys
from pathlib import Path

# Namespaces whose attributes NN405 checks, plus the ones the other rules resolve through.
NAMESPACES = [
    "torch",
    "torch.nn",
    "torch.nn.functional",
    "torch.nn.init",
    "torch.nn.utils",
    "torch.optim",
    "torch.optim.lr_scheduler",
    "torch.autograd",
    "torch.cuda",
    "torch.linalg",
    "torch.fft",
    "torch.special",
]

OUTPUT = Path(__file__).resolve().parents[1] / "nnlint" / "torch_api.json"


def public_names(module):
    names = {n for n in dir(module) if not n.startswith("__")}
    names.update(getattr(module, "__all__", ()))
    if hasattr(module, "__path__"):  # submodules are reachable as attributes once imported
        names.update(info.name for info in pkgutil.iter_modules(module.__path__))
    # A module-level __getattr__ serves names dir() does not list: torch's lazy submodules and
    # deprecated attributes. Collect the ones torch declares; main() marks any other namespace
    # with a __getattr__ as open (its names cannot be enumerated).
    names.update(getattr(module, "_lazy_modules", ()))
    names.update(getattr(module, "_deprecated_attrs", {}))
    if module.__name__ == "torch":
        names.add("set_vital")  # served by torch.__getattr__ with a deprecation warning
    return sorted(names)


# Deprecated or removed-in-spirit APIs that still exist (NN408), old -> (new, is it a pure rename).
# A pure rename means the new callable takes the same arguments with the same meaning, so the
# autofix may swap the name. main() checks that both names exist in the installed torch.
CURATED_DEPRECATED = {
    "torch.nn.functional.upsample": ("torch.nn.functional.interpolate", True),
    "torch.nn.functional.upsample_nearest": ("torch.nn.functional.interpolate", False),
    "torch.nn.functional.upsample_bilinear": ("torch.nn.functional.interpolate", False),
    "torch.autograd.Variable": (None, False),
    "torch.autograd.variable.Variable": (None, False),
    "torch.range": ("torch.arange", False),
    "torch.set_default_tensor_type": ("torch.set_default_dtype", False),
    "torch.chain_matmul": ("torch.linalg.multi_dot", False),
    "torch.lu": ("torch.linalg.lu_factor", False),
    "torch.cholesky": ("torch.linalg.cholesky", False),
    "torch.qr": ("torch.linalg.qr", False),
    "torch.nn.utils.weight_norm": ("torch.nn.utils.parametrizations.weight_norm", False),
    "torch.testing.assert_allclose": ("torch.testing.assert_close", False),
}
# Aliases that once warned and no longer do (NN411, a style rule): old -> the name torch documents.
# F.sigmoid/F.tanh warned from 0.4.1; removing them was proposed (pytorch/pytorch#65910) but
# torch kept them, and torch 2.13 neither warns nor marks them in their docstrings: using them is
# not deprecated (NN408), only a second spelling.
LEGACY_ALIASES = {
    "torch.nn.functional.sigmoid": "torch.sigmoid",
    "torch.nn.functional.tanh": "torch.tanh",
}
DEPRECATED_NOTES = {
    "torch.autograd.Variable": "a no-op wrapper since PyTorch 0.4; use the tensor itself "
                               "(`requires_grad=True` on the tensor, `torch.no_grad()` for volatile)",
    "torch.autograd.variable.Variable": "a no-op wrapper since PyTorch 0.4; use the tensor itself",
    "torch.range": "it includes `end`, unlike Python's range; "
                   "torch.arange(start, end + step, step) gives the same values",
    "torch.nn.functional.upsample_nearest": "use F.interpolate(..., mode=\"nearest\")",
    "torch.nn.functional.upsample_bilinear": "use F.interpolate(..., mode=\"bilinear\", align_corners=True)",
    "torch.nn.utils.weight_norm": "use torch.nn.utils.parametrizations.weight_norm "
                                  "(its state_dict keys differ: weight.original0/1)",
}
# The first torch that has each replacement (release notes; later where unsure): a project that
# supports an older torch cannot switch yet, so NN408 leaves the old name alone there.
REPLACEMENT_SINCE = {
    "torch.amp.GradScaler": "2.3",
    "torch.amp.autocast": "2.0",
    "torch.amp.custom_fwd": "2.4",
    "torch.amp.custom_bwd": "2.4",
    "torch.nn.utils.parametrizations.weight_norm": "2.1",
    "torch.linalg.lu_factor": "1.13",
    "torch.linalg.multi_dot": "1.9",
    "torch.linalg.cholesky": "1.8",
    "torch.linalg.qr": "1.8",
    "torch.testing.assert_close": "1.9",
}
# Namespaces whose callables are scanned for typing_extensions.deprecated markers.
DEPRECATION_SCAN = NAMESPACES + ["torch.cuda.amp", "torch.cpu.amp", "torch.amp"]


def resolves(qualified):
    """The object a dotted torch name stands for, or None."""
    parts = qualified.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        try:
            for part in parts[cut:]:
                obj = getattr(obj, part)
        except AttributeError:
            return None
        return obj
    return None


def deprecation_marker(obj):
    try:
        marker = getattr(obj, "__deprecated__", None)
        if marker is None and inspect.isclass(obj):
            marker = getattr(obj.__init__, "__deprecated__", None) or getattr(obj.__new__, "__deprecated__", None)
    except Exception:  # torch.classes and friends raise on any attribute
        return None
    return marker if isinstance(marker, str) else None


def deprecated_names():
    """old qualified name -> {"new": qualified or None, "rename": bool, "note": str}."""
    import re

    found = {}
    for namespace in DEPRECATION_SCAN:
        module = importlib.import_module(namespace)
        for name in dir(module):
            if name.startswith("_"):
                continue
            try:
                obj = getattr(module, name)
            except Exception:
                continue
            marker = deprecation_marker(obj)
            doc = obj.__doc__ or "" if callable(obj) else ""
            if marker is None and namespace == "torch.nn.init" and "now deprecated in favor of" in doc:
                marker = doc  # nn.init's _make_deprecate wrappers (normal -> normal_)
            if marker is None:
                continue
            old = f"{namespace}.{name}"
            match = re.search(r"(?:in favor of|renamed to|[Uu]se) :?(?:func:)?`~?((?:torch|nn)\.[\w.]+)", marker)
            new = match.group(1) if match else None
            if new is not None and new.startswith("nn."):
                new = "torch." + new
            if new is not None and resolves(new) is None:
                new = None
            rename = new is not None and "(" not in marker.split(new)[0][-3:] and (
                new == old + "_" or "renamed to" in marker or "drop-in replacement" in marker)
            note = " ".join(marker.split()) if marker is not doc else f"deprecated in favor of {new}"
            found[old] = {"new": new, "rename": bool(rename), "note": note[:200]}
    for old, (new, rename) in CURATED_DEPRECATED.items():
        if resolves(old) is None or (new is not None and resolves(new) is None):
            continue  # gone from this torch (NN405's business) or the replacement is missing
        note = DEPRECATED_NOTES.get(old, f"use {new}" if new else "")
        found[old] = {"new": new, "rename": rename, "note": note}
    if "torch.nn.NLLLoss2d" in found:  # "a drop-in replacement" per its own message
        found["torch.nn.NLLLoss2d"].update(new="torch.nn.NLLLoss", rename=True)
    for info in found.values():
        if info["new"] in REPLACEMENT_SINCE:
            info["new_since"] = REPLACEMENT_SINCE[info["new"]]
    return found


# Out-of-tree device backends that register themselves as `torch.<name>` through PrivateUse1
# (torch_npu, torch_mlu, torch_musa, ...): absent from a stock install, present on theirs.
PRIVATEUSE1_BACKENDS = ["npu", "mlu", "musa", "dipu", "gcu", "sdaa", "aiu", "supa", "ixpu"]


def device_modules():
    """Names `torch.<device>` may gain at runtime (`torch._register_device_module`): every
    device type torch.device() accepts, read from its own error message, plus known backends."""
    import re
    import torch

    try:
        torch.device("notadevice")
        listed = []
    except RuntimeError as exc:
        match = re.search(r"Expected one of (.*?) device type", str(exc))
        listed = [name.strip() for name in match.group(1).split(",")] if match else []
    return sorted(set(listed) | set(PRIVATEUSE1_BACKENDS))


def legacy_reduction_callables(module_classes):
    """Losses (classes of torch.nn and functions of F) that still take `size_average`/`reduce`."""
    import torch.nn.functional as functional
    import torch.nn as nn

    found = set()
    for namespace, module, names in (("torch.nn", nn, module_classes),
                                     ("torch.nn.functional", functional, dir(functional))):
        for name in names:
            obj = getattr(module, name, None)
            if obj is None or name.startswith("_"):
                continue
            try:
                params = inspect.signature(obj).parameters
            except (TypeError, ValueError):
                continue
            if "size_average" in params:
                found.add(f"{namespace}.{name}")
    return sorted(found)


def classes_in(namespace, base):
    found = set()
    for name in dir(namespace):
        obj = getattr(namespace, name, None)
        if inspect.isclass(obj) and issubclass(obj, base):
            found.add(name)
    return found


def main():
    import torch
    import torch.nn.modules.loss

    modules = {}
    open_namespaces = []
    for name in NAMESPACES:
        module = importlib.import_module(name)
        modules[name] = public_names(module)
        if "__getattr__" in vars(module) and name != "torch":
            open_namespaces.append(name)

    module_classes = set()
    for sub in ["torch.nn", "torch.nn.modules", "torch.nn.parallel", "torch.nn.utils.parametrize",
                "torch.nn.quantized", "torch.nn.qat", "torch.nn.intrinsic"]:
        try:
            module_classes |= classes_in(importlib.import_module(sub), torch.nn.Module)
        except ImportError:
            pass
    data = {
        "torch_version": torch.__version__.split("+")[0],
        "modules": modules,
        "module_classes": sorted(module_classes),
        "loss_classes": sorted(classes_in(torch.nn, torch.nn.modules.loss._Loss)),
        "optimizer_classes": sorted(classes_in(torch.optim, torch.optim.Optimizer)),
        "tensor_methods": sorted(n for n in dir(torch.Tensor) if not n.startswith("__")),
        "open_namespaces": open_namespaces,  # a module __getattr__ serves names dir() misses
        "deprecated": deprecated_names(),
        "legacy_reduction": legacy_reduction_callables(module_classes),
        "device_modules": device_modules(),
        "legacy_aliases": {old: new for old, new in LEGACY_ALIASES.items()
                           if resolves(old) is not None and resolves(new) is not None},
    }
    OUTPUT.write_text(json.dumps(data, indent=0, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {OUTPUT} (torch {data['torch_version']}, {len(module_classes)} module classes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
