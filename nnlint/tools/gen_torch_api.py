"""Generate nnlint/torch_api.json from the installed torch.

The static path never imports torch; the rules read the facts they need about torch's API
from the JSON file this script writes. Run it again after a torch upgrade:

    python -m nnlint.tools.gen_torch_api
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

OUTPUT = Path(__file__).resolve().parent.parent / "torch_api.json"


def public_names(module):
    names = {n for n in dir(module) if not n.startswith("__")}
    names.update(getattr(module, "__all__", ()))
    if hasattr(module, "__path__"):  # submodules are reachable as attributes once imported
        names.update(info.name for info in pkgutil.iter_modules(module.__path__))
    return sorted(names)


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
    for name in NAMESPACES:
        modules[name] = public_names(importlib.import_module(name))

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
    }
    OUTPUT.write_text(json.dumps(data, indent=0, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {OUTPUT} (torch {data['torch_version']}, {len(module_classes)} module classes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
