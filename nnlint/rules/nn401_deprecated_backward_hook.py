import libcst as cst

from nnlint.finding import Applicability, Severity
from nnlint.fix import TreeFix
from nnlint.rules.base import Invalid, Rule, Runtime, Valid, dedent

RENAMES = {
    "register_backward_hook": "register_full_backward_hook",
    "register_module_backward_hook": "register_module_full_backward_hook",
}


class DeprecatedBackwardHook(Rule):
    """
    ## What it does
    Flags calls to `Module.register_backward_hook(...)` and
    `torch.nn.modules.module.register_module_backward_hook(...)`.

    ## Why is this bad?
    These hooks are deprecated. For a module whose forward runs several autograd operations,
    the non-full hook fires on the gradient of the *last* operation only, so `grad_input` is
    not the gradient with respect to the module's inputs: hooks that log, clip or modify
    gradients silently see the wrong tensors. PyTorch warns at registration:
    `Using a non-full backward hook when the forward contains multiple autograd Nodes is
    deprecated and will be removed in future versions.`

    ## Example
    ```python
    handle = model.fc.register_backward_hook(log_grads)
    ```

    ## Use instead
    ```python
    handle = model.fc.register_full_backward_hook(log_grads)
    ```
    The full hook has the same signature `hook(module, grad_input, grad_output)`.

    ## Fix safety
    This fix is unsafe: the full hook sees different tensors, which is the point, but a hook
    written against what the old one received (the last operation's `grad_input`, its
    number and shapes) may break or compute something else, and a full hook raises when
    `forward` modifies its inputs or outputs in place. Review the hook, then apply it with
    `--unsafe-fixes`.

    ## References
    - https://pytorch.org/docs/stable/generated/torch.nn.Module.html#torch.nn.Module.register_full_backward_hook
    """

    code = "NN401"
    triggers = ("torch", "backward_hook")  # hooks are registered on models passed in from anywhere
    name = "deprecated-backward-hook"
    severity = Severity.ERROR
    summary = "`register_backward_hook` (deprecated, sees the wrong gradients)"
    suggestion = "use register_full_backward_hook / register_module_full_backward_hook"
    fix_safety = (Applicability.UNSAFE,)
    runtime = Runtime(("backward_hook_warning",),
                      "the non-full backward hook warning fires when the hook is registered and run")

    VALID = [
        Valid(dedent("""
            def attach(model, hook):
                return model.register_full_backward_hook(hook)
        """)),
        Valid(dedent("""
            import torch
            torch.nn.modules.module.register_module_full_backward_hook(print)
        """)),
    ]
    INVALID = [
        Invalid(dedent("""
            def attach(model, hook):
                return model.register_backward_hook(hook)
        """), line=2, fixed=dedent("""
            def attach(model, hook):
                return model.register_full_backward_hook(hook)
        """)),
        Invalid(dedent("""
            import torch
            torch.nn.modules.module.register_module_backward_hook(print)
        """), line=2, fixed=dedent("""
            import torch
            torch.nn.modules.module.register_module_full_backward_hook(print)
        """)),
    ]

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value in RENAMES:
            old = func.attr.value
            fix = TreeFix.replace(func.attr, cst.Name(RENAMES[old]), f"use {RENAMES[old]}", Applicability.UNSAFE)
            self.report(node, f"`{old}` is deprecated and sees only the last op's gradients: "
                              f"use `{RENAMES[old]}`", fix)
        elif isinstance(func, cst.Name):
            qualified = self.context.qualified_name(func) or ""
            if qualified.startswith("torch.") and qualified.rsplit(".", 1)[1] in RENAMES:
                old = qualified.rsplit(".", 1)[1]
                self.report(node, f"`{old}` is deprecated and sees only the last op's gradients: "
                                  f"use `{RENAMES[old]}`")
