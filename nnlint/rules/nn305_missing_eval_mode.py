from typing import Optional, Set

import libcst as cst

from nnlint.finding import Severity
from nnlint.tree import children, dotted_name, iter_nodes
from nnlint.rules._grad import first_line_code
from nnlint.rules._modes import TRAIN, ModeAnalysis, eval_named, is_model, mode_sensitive, named_like_loss, \
    owned_by_caller
from nnlint.rules.base import Invalid, Rule, Runtime, Valid, dedent

LOADS = frozenset({"load_state_dict", "from_pretrained"})
# What a forward under no_grad() or after a training loop needs in the file's text (each
# qualified name of nnlint.rules._grad ends with one of these; a training loop calls backward()).
_PREDICTS = ("no_grad", "inference_mode", "set_grad_enabled", "backward")
# What gives a module weights worth evaluating, or hands it to code that may (`self.x` read as
# anything else than a call of it or of one of its methods is handed over).
WEIGHTED = frozenset({"load_state_dict", "parameters", "named_parameters", "state_dict", "train",
                      "requires_grad_", "load", "from_pretrained"})


class MissingEvalMode(Rule):
    """
    ## What it does
    Flags a model used to predict or to measure while it may still be in training mode: its
    call runs under `torch.no_grad()` / `inference_mode()`, in a function named like
    `evaluate` / `validate` / `test` / `predict` / `infer` (a `test_*` of a test suite is a
    test, not an evaluation: see NN206), or after a training loop of the
    same function, and no `model.eval()` (or `model.train(False)`) reaches it on every path.
    The model must have been trained or loaded here (a training loop, `load_state_dict`,
    pretrained weights), or come from the function's callers, and hold dropout or batch-norm
    layers, or be a model whose layers nnlint cannot see. A function whose callers in the file
    all call `model.eval()` first is fine.
    Not flagged: a Module's own method calling `self(...)` / `self.head(...)` (its caller owns
    the mode; so does a LightningModule's trainer, which runs its steps in eval mode), a
    `self.x` that a method of the class puts in eval mode or builds with a method calling
    `eval()` (`self.lm, tok = self._build_lm(...)`), a `self.x` the class builds with a plain
    constructor call and only ever calls (`self._transforms = ImageTransforms(size)`: never
    loaded, trained or handed elsewhere, it holds no trained weights), and a forward after an
    explicit `model.train()` of the same function (batch-norm recalibration such as
    `torch.optim.swa_utils.update_bn`).

    ## Why is this bad?
    `no_grad()` does not change how layers behave; `eval()` does. In training mode dropout
    keeps zeroing a random part of the activations, and batch norm normalises each batch with
    its own statistics (and updates the running ones with the validation data). Validation
    scores come out noisy and too low, depend on the batch size, and a model that would pass
    looks broken (or the reverse): "my accuracy is much worse at test time" threads almost
    always end here.

    ## Example
    ```python
    def evaluate(model, loader):
        with torch.no_grad():
            for x, y in loader:
                correct += (model(x).argmax(1) == y).sum()
    ```

    ## Use instead
    ```python
    def evaluate(model, loader):
        model.eval()
        with torch.no_grad():
            for x, y in loader:
                correct += (model(x).argmax(1) == y).sum()
    ```

    ## References
    - https://pytorch.org/docs/stable/generated/torch.nn.Module.html#torch.nn.Module.eval
    - https://pytorch.org/tutorials/beginner/saving_loading_models.html
    """

    code = "NN305"
    triggers = ("torch",)
    name = "missing-eval-mode"
    severity = Severity.WARNING
    summary = "a trained or loaded model used to predict or validate without `model.eval()`"
    suggestion = "call model.eval() before evaluating (and model.train() before training again)"
    runtime = Runtime(unobservable="evaluation code, outside the model")

    VALID = [
        Valid(dedent("""
            import torch
            from torch import nn

            class GPT(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.drop = nn.Dropout(0.1)
                    self.head = nn.Linear(8, 8)

                def forward(self, idx):
                    return self.head(self.drop(idx))

                @torch.no_grad()
                def generate(self, idx, steps):
                    for _ in range(steps):
                        idx = self(idx)  # the caller of generate() owns the mode
                    return idx
        """)),
        Valid(dedent("""
            import torch

            @torch.no_grad()
            def update_bn(loader, model):
                model.train()  # on purpose: recompute batch-norm statistics
                for x in loader:
                    model(x)
        """)),
        Valid(dedent("""
            import torch

            def run_in_both_modes(model, batch):
                for training in (True, False):
                    model.train(training)  # the mode is chosen here, by a flag
                    with torch.no_grad():
                        model(batch)
        """)),
        Valid(dedent("""
            import torch
            from torch import nn

            model = nn.Sequential(nn.Linear(8, 8), nn.Dropout(0.5), nn.Linear(8, 2))
            model.load_state_dict(torch.load("m.pt", weights_only=True))
            model.eval()
            with torch.no_grad():
                print(model(torch.randn(1, 8)))
        """)),
        Valid(dedent("""
            import torch
            from torch import nn

            def evaluate(model, loader):
                with torch.no_grad():
                    return [model(x) for x in loader]

            def main(loader):
                model = nn.Sequential(nn.Linear(8, 8), nn.BatchNorm1d(8))
                model.eval()
                evaluate(model, loader)
        """)),
        Valid(dedent("""
            import torch
            from torch import nn

            model = nn.Sequential(nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 2))  # no dropout, no norm
            model.load_state_dict(torch.load("m.pt", weights_only=True))
            with torch.no_grad():
                print(model(torch.randn(1, 8)))
        """)),
        Valid(dedent("""
            import torch
            from transformers import AutoModelForCausalLM

            class Scorer:
                def __init__(self, model_id, device):
                    self.device = device
                    self.lm, self.name = self._build_lm(model_id)

                def _build_lm(self, model_id):
                    model = AutoModelForCausalLM.from_pretrained(model_id).eval().to(self.device)
                    return model, model_id

                def perplexity(self, input_ids):
                    nlls = []
                    for i in range(0, input_ids.size(1), 4):
                        ids = input_ids[:, i:i + 4].to(self.device)
                        with torch.no_grad():
                            nlls.append(self.lm(ids, labels=ids).loss)
                    return torch.stack(nlls).mean().exp()
        """)),
    ]
    INVALID = [
        Invalid(dedent("""
            import torch
            from torch import nn

            model = nn.Sequential(nn.Linear(8, 8), nn.Dropout(0.5), nn.Linear(8, 2))
            model.load_state_dict(torch.load("m.pt", weights_only=True))
            with torch.no_grad():
                print(model(torch.randn(1, 8)))
        """), line=7),
        Invalid(dedent("""
            import torch
            from torch import nn

            def test(model, loader):
                with torch.no_grad():
                    return sum((model(x).argmax(1) == y).sum().item() for x, y in loader)

            def main(train_loader, test_loader):
                model = nn.Sequential(nn.Linear(8, 8), nn.BatchNorm1d(8), nn.Linear(8, 2))
                opt = torch.optim.SGD(model.parameters(), lr=0.1)
                for x, y in train_loader:
                    opt.zero_grad()
                    nn.functional.cross_entropy(model(x), y).backward()
                    opt.step()
                print(test(model, test_loader))
        """), line=6),
    ]

    def visit_Module(self, node: cst.Module) -> None:
        self._check(node)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._check(node)

    def _check(self, scope) -> None:
        function = scope if isinstance(scope, cst.FunctionDef) else None
        if not eval_named(function, self.context.path) and not any(word in self.context.source for word in _PREDICTS):
            return  # no forward here can be under no_grad() nor after a training loop (most model files)
        analysis = self.context.derived(ModeAnalysis)
        modes = analysis.scope(scope)
        named = eval_named(function, self.context.path) and not modes.backward
        done: Set[str] = set()
        for forward in modes.forwards:
            if forward.key in done or forward.training or forward.modes & {"eval", "flag"} \
                    or named_like_loss(forward.key):
                continue  # (eval() or train(flag) on some path: the mode was thought about, `if training: ...`)
            if not (forward.grad == "off" or named or forward.after_training and forward.loop is not None):
                continue
            if modes.backward and not forward.after_training:
                continue  # a metric on a training batch, in the middle of a training step
            if not self._trained_or_given(scope, forward, modes):
                continue
            if owned_by_caller(self.context, function, forward.key):
                continue
            if forward.modes == TRAIN and not forward.after_training and _switched_here(scope, forward.key):
                continue  # `model.train()` on purpose before a forward under no_grad: BN recalibration
            func = forward.call.func.value if _is_forward_method(forward.call) else forward.call.func
            if not is_model(self.context, scope, forward.key, func) or mode_sensitive(self.context, scope, func) is False:
                continue
            done.add(forward.key)
            why = "under no_grad()" if forward.grad == "off" else \
                f"in {function.name.value}()" if named else "after the training loop"
            self.report(forward.call, f"`{first_line_code(self.context, forward.call)}` predicts {why} while "
                                      f"`{forward.key}` may still be in training mode (no `{forward.key}.eval()` "
                                      "before it): dropout stays on and batch norm uses batch statistics")

    def _trained_or_given(self, scope, forward, modes) -> bool:
        """Trained here (a training loop ran before), loaded, pretrained, or given by a caller."""
        if forward.after_training:
            return True
        root = forward.key.split(".")[0]
        if "?" in forward.modes or "train" in forward.modes and _is_param(scope, root):
            if root == "self" and isinstance(scope, cst.FunctionDef):
                return not _class_calls_eval(self.context, scope, forward.key) \
                    and not _built_untrained(self.context, scope, forward.key)
            return _is_param(scope, root)
        return _loaded(self.context, scope, forward.key)


def _class_calls_eval(context, method: cst.FunctionDef, key: str) -> bool:
    """Does a method of the class put `self.x` in eval mode (say an overridden `train()`), or
    build it with a method that calls eval() (`self.x, tok = self._build_model(...)`)? Then the
    class manages that mode and its other methods are not judged."""
    attribute = key.split(".", 1)[-1]
    for info in context.classes.values():
        if method in info.methods.values():
            for call in iter_nodes(info.node, cst.Call):
                if isinstance(call.func, cst.Attribute) and call.func.attr.value in ("eval", "train") \
                        and (dotted_name(call.func.value) or "").split(".", 1)[-1] == attribute \
                        and (call.func.attr.value == "eval" or call.args):
                    return True
            for assign in iter_nodes(info.node, cst.Assign):
                builder = _self_method_called(assign.value, info)
                if builder is not None and _calls_eval(builder) and any(
                        (dotted_name(name) or "").split(".", 1)[-1] == attribute
                        for target in assign.targets for name in _assigned(target.target)):
                    return True
    return False


def _built_untrained(context, method: cst.FunctionDef, key: str) -> bool:
    """Is `self.x` built by its class with a plain constructor call (`self._transforms =
    ImageTransforms(size)`), and only ever called (itself or its methods) afterwards: never
    loaded, trained, pretrained or handed to other code? Then it holds no trained weights to
    evaluate (a preprocessing module, as sam2's predictor builds): its mode is not the point."""
    if key.count(".") != 1:
        return False
    for info in context.classes.values():
        if method not in info.methods.values():
            continue
        called = 0
        for node in iter_nodes(info.node, (cst.Assign, cst.AnnAssign, cst.AugAssign)):
            targets = [t.target for t in node.targets] if isinstance(node, cst.Assign) else [node.target]
            for target in targets:
                if any(dotted_name(name) == key for name in _assigned(target)):
                    value = node.value
                    if not isinstance(node, cst.Assign) or len(targets) > 1 or not _constructs(context, value):
                        return False
                    called += 1  # the assignment's own target
        if not called:
            return False
        for call in iter_nodes(info.node, cst.Call):
            func = call.func
            if dotted_name(func) == key or isinstance(func, cst.Attribute) and dotted_name(func.value) == key \
                    and func.attr.value not in WEIGHTED:
                called += 1
        seen = sum(1 for node in iter_nodes(info.node, cst.Attribute) if dotted_name(node) == key)
        return seen == called
    return False


def _constructs(context, value: Optional[cst.BaseExpression]) -> bool:
    """`ImageTransforms(size)`: a class called, nothing pretrained."""
    if not isinstance(value, cst.Call) or _pretrained(context, value):
        return False
    name = dotted_name(value.func)
    return name is not None and name.rsplit(".", 1)[-1][:1].isupper()


def _self_method_called(value: cst.BaseExpression, info) -> Optional[cst.FunctionDef]:
    if isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute) \
            and isinstance(value.func.value, cst.Name) and value.func.value.value == "self":
        return info.methods.get(value.func.attr.value)
    return None


def _calls_eval(function: cst.FunctionDef) -> bool:
    return any(isinstance(call.func, cst.Attribute) and call.func.attr.value == "eval" and not call.args
               for call in iter_nodes(function, cst.Call))


def _assigned(target: cst.BaseExpression):
    if isinstance(target, (cst.Tuple, cst.List)):
        for element in target.elements:
            yield from _assigned(element.value)
    else:
        yield target


def _is_forward_method(call: cst.Call) -> bool:
    return isinstance(call.func, cst.Attribute) and call.func.attr.value == "forward"


def _is_param(scope, name: str) -> bool:
    if not isinstance(scope, cst.FunctionDef):
        return False
    params = scope.params
    return any(p.name.value == name for p in (*params.posonly_params, *params.params, *params.kwonly_params))


def _loaded(context, scope, key: str) -> bool:
    """`key.load_state_dict(...)`, or `key = <...>(pretrained=True / weights=...)` /
    `X.from_pretrained(...)` / `torch.load(...)` in the scope."""
    stack = [scope]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) \
                and node.func.attr.value == "load_state_dict" and context.module.code_for_node(node.func.value) == key:
            return True
        if isinstance(node, cst.Assign) and any(context.module.code_for_node(t.target) == key for t in node.targets) \
                and isinstance(node.value, cst.Call) and _pretrained(context, node.value):
            return True
        if isinstance(node, (cst.FunctionDef, cst.ClassDef)) and node is not scope:
            continue
        stack.extend(children(node))
    return False


def _pretrained(context, call: cst.Call) -> bool:
    while isinstance(call.func, cst.Attribute) and isinstance(call.func.value, cst.Call) \
            and call.func.attr.value in ("to", "cuda", "cpu", "float", "half"):
        call = call.func.value
    qualified = context.qualified_name(call.func) or ""
    if qualified in ("torch.load", "torch.hub.load") or qualified.endswith(".from_pretrained"):
        return True
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value in ("weights", "pretrained"):
            value = arg.value
            return not (isinstance(value, cst.Name) and value.value in ("None", "False"))
    return False


def _switched_here(scope, key: str) -> bool:
    """Does the scope itself call `key.train()` (not a caller's training loop leaving it so)?"""
    return any(isinstance(call.func, cst.Attribute) and call.func.attr.value == "train"
               and dotted_name(call.func.value) == key for call in iter_nodes(scope, cst.Call))
