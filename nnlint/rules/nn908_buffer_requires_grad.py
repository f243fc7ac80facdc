from nnlint.finding import Severity
from nnlint.rules.base import Rule, Runtime


class BufferRequiresGrad(Rule):
    """
    ## What it does
    Reported by `nnlint verify` when, after a train-mode forward, a registered buffer requires
    grad or has a `grad_fn`. A static NN203 finding (a buffer reassigned in forward from an
    expression that tracks gradients) is marked confirmed instead.

    ## Why is this bad?
    The buffer keeps the whole graph of the step that produced it alive: memory grows every
    step, and the next backward fails with `Trying to backward through the graph a second time`
    or silently sends gradients through stale activations.

    ## Example
    ```python
    def forward(self, x):
        h = self.fc(x)
        self.running = 0.9 * self.running + 0.1 * h.mean(0)
        return h
    ```

    ## Use instead
    ```python
    def forward(self, x):
        h = self.fc(x)
        with torch.no_grad():
            self.running.mul_(0.9).add_(0.1 * h.mean(0))
        return h
    ```

    ## References
    - https://pytorch.org/docs/stable/generated/torch.nn.Module.html#torch.nn.Module.register_buffer
    """

    code = "NN908"
    name = "buffer-requires-grad"
    severity = Severity.WARNING
    summary = "a buffer requires grad or holds a graph after forward (nnlint verify)"
    suggestion = "update buffers under torch.no_grad() or from .detach()ed values"
    runtime = Runtime(("buffer_grad",),
                      "after forward, a buffer has requires_grad or a grad_fn",
                      reports=("buffer_grad",))
