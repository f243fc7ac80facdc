from nnlint.finding import Severity
from nnlint.rules.base import Rule, Runtime


class ParameterWithoutGradient(Rule):
    """
    ## What it does
    Reported by `nnlint verify` when, after a train-mode forward and a backward of the sum of
    every floating output, a parameter with `requires_grad=True` still has `.grad is None`. When
    no output requires grad at all (forward detached it, or ran under `torch.no_grad()`), one
    finding covers every parameter.

    ## Why is this bad?
    The optimizer never moves that parameter: it stays at its random initialisation while the
    loss goes down through the others, and nothing errors. Usual causes: the layer is unused in
    `forward`, or `.data` / `.detach()` / `torch.no_grad()` cuts it from the graph (a `.data`
    read in forward is NN201, which this confirms). A parameter meant to stay fixed should have
    `requires_grad_(False)`, or be a buffer.

    ## Example
    ```python
    def forward(self, x):
        return F.linear(x, self.fc.weight.detach(), self.fc.bias)
    ```

    ## Use instead
    ```python
    def forward(self, x):
        return self.fc(x)
    ```

    ## References
    - https://pytorch.org/docs/stable/notes/autograd.html#locally-disabling-gradient-computation
    """

    code = "NN903"
    name = "parameter-without-gradient"
    severity = Severity.WARNING
    summary = "a parameter got no gradient from a backward of the output (nnlint verify)"
    suggestion = "use the parameter in forward without cutting the graph (.data, .detach(), no_grad), or freeze it"
    runtime = Runtime(("no_grad",),
                      "after backward of the output, the parameter's .grad is None",
                      reports=("no_grad",))
