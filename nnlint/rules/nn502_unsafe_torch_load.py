import libcst as cst

from nnlint.finding import Severity
from nnlint.rules._torch_refs import UNKNOWN, argument, guarded, is_literal, is_torch_version_test, torch_name
from nnlint.rules.base import Invalid, Rule, Runtime, Valid, dedent
from nnlint.tree import children

LOADS = frozenset({"torch.load", "torch.serialization.load"})
SAVES = frozenset({"torch.save", "torch.serialization.save"})
WEIGHTS_ONLY_POSITION = None  # keyword-only in every torch that has it
WEIGHTS_ONLY_DEFAULT = (2, 6)  # the first torch whose torch.load defaults to weights_only=True
# An `except TypeError:` around torch.load is the fallback for torch < 1.13, which rejects the
# `weights_only` keyword; a version test guards the same.
OLD_TORCH_FALLBACK = frozenset({"TypeError"})


class UnsafeTorchLoad(Rule):
    """
    ## What it does
    Flags `torch.load(...)` without `weights_only=True`: the argument missing, or the literal
    `weights_only=False`. A `weights_only` given by a variable, or possibly through `**kwargs`,
    is left alone, as is a call in an `except TypeError:` fallback or under a test of the torch
    version (code for torch < 1.13, which has no `weights_only`): `torch.__version__`, a name
    like `TORCH_VERSION` or `is_torch_greater_or_equal`, `hasattr(torch.serialization, ...)`.
    A test of anything else (`if hasattr(cfg, "resume")`, `if force_conversion:`) is not one.
    A file the same function saved just before with `torch.save(obj, path)` (a round trip,
    with `path` not bound anew in between: `buffer = io.BytesIO(received)` is another file)
    is trusted, as is what a test function (`def test_*` in a `test_*.py`/`*_test.py` file or
    a `tests/` folder) loads: a test reads the files its own fixtures and code wrote. In a
    project that requires torch 2.6 or later (`torch>=2.6` in its metadata, or `[tool.nnlint]
    torch-version`), where `weights_only=True` is the default, only an explicit
    `weights_only=False` is flagged.

    ## Why is this bad?
    `torch.load` unpickles the file: with `weights_only=False` (the default before PyTorch 2.6)
    a crafted checkpoint runs arbitrary code on load. Since 2.6 the default is `True`, so the
    same call now fails on checkpoints that hold more than tensors
    (`_pickle.UnpicklingError: Weights only load failed`) — the behaviour of an unqualified
    call depends on the installed version. Saying `weights_only=True` makes it safe and
    explicit everywhere.

    ## Example
    ```python
    state = torch.load("model.pt")
    ```

    ## Use instead
    ```python
    state = torch.load("model.pt", weights_only=True)
    ```
    For a trusted file that holds arbitrary objects, allow-list their classes with
    `torch.serialization.add_safe_globals([...])`.

    ## References
    - https://pytorch.org/docs/stable/generated/torch.load.html
    - https://pytorch.org/docs/stable/notes/serialization.html#weights-only
    """

    code = "NN502"
    name = "unsafe-torch-load"
    severity = Severity.WARNING
    summary = "`torch.load(...)` without `weights_only=True`"
    suggestion = "pass weights_only=True"
    runtime = Runtime(unobservable="a safety issue of loading files, not a behaviour of the model")

    VALID = [
        Valid(dedent("""
            import torch

            state = torch.load("model.pt", weights_only=True, map_location="cpu")
            other = torch.load(path, weights_only=safe)
            extra = torch.load(path, **load_kwargs)
        """)),
        Valid(dedent("""
            import torch

            try:
                state = torch.load(path, map_location="cpu", weights_only=True)
            except TypeError:  # torch < 1.13 has no weights_only
                state = torch.load(path, map_location="cpu")
            if torch.__version__ < "1.13":
                state = torch.load(path)
            if TORCH_VERSION >= (1, 13) and hasattr(torch.serialization, "add_safe_globals"):
                state = torch.load(path, weights_only=False)
        """)),
        Valid(dedent("""
            import torch

            def check_round_trip(tmp_path, model):
                torch.save(model, tmp_path / "model.pt")
                assert torch.load(tmp_path / "model.pt", weights_only=False) is not None
        """)),
        Valid(dedent("""
            import pickle
            import numpy as np

            data = np.load("x.npy")
            obj = pickle.load(handle)
        """)),
    ]
    INVALID = [
        Invalid(dedent("""
            import torch
            from torch import load

            state = torch.load("model.pt")
            model.load_state_dict(load("model.pt", map_location="cpu"))
            everything = torch.load(path, weights_only=False)
        """), line=(4, 5, 6)),
        Invalid(dedent("""
            import torch

            def resume(cfg, model, force_conversion=False):
                if getattr(cfg, "resume_from", None):
                    model.load_state_dict(torch.load(cfg.resume_from))
                if force_conversion or hasattr(cfg, "legacy_checkpoint"):
                    return torch.load(cfg.legacy_checkpoint, map_location="cpu")
        """), line=(5, 7)),
        Invalid(dedent("""
            import torch

            def register_ema(checkpointer, ema):
                checkpointer.add_recoverable(  # hooks: the load reads a checkpoint of another run
                    "ema", ema,
                    save_hook=lambda obj, path: torch.save(obj.state_dict(), path),
                    load_hook=lambda obj, path: obj.load_state_dict(torch.load(path)),
                )
        """), line=7),
        Invalid(dedent("""
            import io
            import torch

            def broadcast_object(obj, src, rank):
                if rank == src:
                    buffer = io.BytesIO()
                    torch.save(obj, buffer)
                    send(buffer.getbuffer())
                else:
                    buffer = io.BytesIO(receive())  # what another process pickled
                    obj = torch.load(buffer)
                return obj
        """), line=11),
    ]

    def visit_Call(self, node: cst.Call) -> None:
        if torch_name(self.context, node.func) not in LOADS:
            return
        arg = argument(node, "weights_only", WEIGHTS_ONLY_POSITION)
        if arg is UNKNOWN or (arg is not None and not is_literal(arg.value, False)):
            return
        if guarded(self.context, node, catches=OLD_TORCH_FALLBACK,
                   test=lambda expr: is_torch_version_test(self.context, expr)) \
                or self._saved_here(node) or self._in_a_test():
            return
        if arg is None and _loads_weights_only_by_default(self.context):
            return
        if arg is None:
            self.report(node, "`torch.load` without `weights_only=True` unpickles arbitrary objects "
                              "on torch < 2.6 (a crafted file runs code) and fails on other "
                              "objects on torch >= 2.6: pass `weights_only=True`")
        else:
            self.report(node, "`torch.load(..., weights_only=False)` unpickles arbitrary objects: "
                              "loading an untrusted file runs its code; use `weights_only=True` "
                              "(with `torch.serialization.add_safe_globals` for extra classes)")

    def _in_a_test(self) -> bool:
        path = self.context.path.replace("\\", "/")
        name = path.rsplit("/", 1)[-1]
        if not (name.startswith("test_") or name.endswith("_test.py") or "/tests/" in f"/{path}"
                or "/test/" in f"/{path}"):
            return False
        return any(isinstance(s, cst.FunctionDef) and s.name.value.startswith("test")
                   for s in self.context.scope)

    def _saved_here(self, load: cst.Call) -> bool:
        """`torch.save(obj, path)` earlier in the same function, `torch.load(path)` now."""
        function = self.context.current_function
        if function is None or not load.args or load.args[0].keyword is not None:
            return False
        code = self.context.module.code_for_node
        path = code(load.args[0].value)
        stack = [function.body]
        saved = False
        while stack:  # the function's own calls in source order, not those of lambdas or nested defs
            node = stack.pop()
            if node is load:
                return saved
            if isinstance(node, cst.Call) and torch_name(self.context, node.func) in SAVES:
                target = argument(node, "f", 1)
                if target is not None and target is not UNKNOWN and code(target.value) == path:
                    saved = True
            elif saved and _rebinds(node, path, code):
                saved = False  # `buffer = io.BytesIO(received)`: another file under the same name
            if not isinstance(node, (cst.Lambda, cst.FunctionDef, cst.ClassDef)):
                stack.extend(reversed(children(node)))
        return False


def _rebinds(node: cst.CSTNode, path: str, code) -> bool:
    """`path = ...` (the name or expression the load reads, bound anew)."""
    if isinstance(node, cst.Assign):
        return any(code(t.target) == path for t in node.targets)
    return isinstance(node, cst.AnnAssign) and code(node.target) == path


def _loads_weights_only_by_default(context) -> bool:
    """Every torch the project allows defaults to `weights_only=True` (2.6 and later)."""
    declared = context.declared_torch()
    return declared is not None and declared.at_least(WEIGHTS_ONLY_DEFAULT)
