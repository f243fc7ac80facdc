import libcst as cst

from nnlint.finding import Severity
from nnlint.rules._torch_refs import imports_torch, root_name
from nnlint.rules.base import Invalid, Rule, Runtime, Valid, dedent
from nnlint.tree import dotted_name

# Registration methods of nn.Module, optimizers and the global module hooks that return a
# RemovableHandle. Tensor/Node `register_hook` is left out: a hook on a tensor lives and dies
# with that tensor, so its handle is rarely needed.
HANDLE_METHODS = frozenset({
    "register_forward_hook", "register_forward_pre_hook", "register_full_backward_hook",
    "register_full_backward_pre_hook", "register_backward_hook",
    "register_state_dict_pre_hook", "register_state_dict_post_hook",
    "register_load_state_dict_pre_hook", "register_load_state_dict_post_hook",
    "register_step_pre_hook", "register_step_post_hook",
    "register_module_forward_hook", "register_module_forward_pre_hook",
    "register_module_full_backward_hook", "register_module_full_backward_pre_hook",
    "register_module_backward_hook", "register_module_buffer_registration_hook",
    "register_module_module_registration_hook", "register_module_parameter_registration_hook",
})


class HookHandleDiscarded(Rule):
    """
    ## What it does
    Flags a statement that registers a module, optimizer or global module hook
    (`model.register_forward_hook(fn)`, `nn.modules.module.register_module_forward_hook(fn)`,
    ...) and throws away the `RemovableHandle` it returns. A module registering a hook on
    itself or on its own submodules (`self.register_...`, `self.fc.register_...`) is left
    alone: the hook lives exactly as long as the module, by design.

    ## Why is this bad?
    Without the handle the hook can never be removed. Feature-extraction or debugging hooks
    keep running (and keep their captured tensors alive) after they are no longer wanted;
    registering again in a loop or per batch stacks up duplicate hooks, so outputs are
    collected twice and memory grows.

    ## Example
    ```python
    model.layer4.register_forward_hook(save_output)
    model(images)
    ```

    ## Use instead
    ```python
    handle = model.layer4.register_forward_hook(save_output)
    model(images)
    handle.remove()
    ```

    ## References
    - https://pytorch.org/docs/stable/generated/torch.nn.Module.html#torch.nn.Module.register_forward_hook
    - https://pytorch.org/docs/stable/generated/torch.nn.modules.module.register_module_forward_hook.html
    """

    code = "NN402"
    name = "hook-handle-discarded"
    severity = Severity.STYLE
    summary = "the handle returned by `register_*_hook` is thrown away"
    suggestion = "keep the handle and call handle.remove() when done"
    runtime = Runtime(unobservable="a lost handle only matters when the hook must be removed")

    VALID = [
        Valid(dedent("""
            import torch

            def features(model, images):
                outputs = []
                handle = model.layer4.register_forward_hook(lambda m, i, o: outputs.append(o))
                model(images)
                handle.remove()
                return outputs

            class Net(torch.nn.Module):
                def __init__(self):
                    super().__init__()
                    self.fc = torch.nn.Linear(2, 2)
                    self.register_load_state_dict_post_hook(self._fix_keys)
                    self.fc.register_forward_hook(self._log)

            def clip(x):
                x.register_hook(lambda g: g.clamp(-1, 1))
        """)),
    ]
    INVALID = [
        Invalid(dedent("""
            import torch

            def features(model, images, outputs):
                model.layer4.register_forward_hook(lambda m, i, o: outputs.append(o))
                torch.nn.modules.module.register_module_forward_hook(print)
                return model(images)
        """), line=(4, 5)),
    ]

    def visit_Expr(self, node: cst.Expr) -> None:
        call = node.value
        if not isinstance(call, cst.Call) or not isinstance(call.func, (cst.Attribute, cst.Name)):
            return
        func = call.func
        method = func.attr.value if isinstance(func, cst.Attribute) else func.value
        if method not in HANDLE_METHODS or not imports_torch(self.context):
            return
        if isinstance(func, cst.Name):
            if not (self.context.qualified_name(func) or "").startswith("torch."):
                return
            owner = None
        else:
            root = root_name(func.value)
            if root is not None and self.context.is_self(root):
                return  # the module hooks itself: the hook's lifetime is the module's
            owner = dotted_name(func.value)
            qualified = self.context.qualified_name(func.value)
            if qualified is not None and not qualified.startswith("torch"):
                return  # a method of some other library's object
        shown = f"{owner}.{method}(...)" if owner else f"{method}(...)"
        self.report(node, f"the handle returned by `{shown}` is discarded: the hook can never be removed")
