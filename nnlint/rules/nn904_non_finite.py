from nnlint.finding import Severity
from nnlint.rules.base import Rule, Runtime


class NonFinite(Rule):
    """
    ## What it does
    Reported by `nnlint verify` when the train-mode output of the model on its example input
    holds NaN or Inf values, or when a parameter's gradient does.

    ## Why is this bad?
    A NaN spreads: one step of the optimizer turns every weight it touches into NaN, and the
    loss curve ends in `nan`. On a random, well-scaled input it usually means an unguarded
    `log`, `sqrt`, division or `exp`, or an uninitialised (`torch.empty`) parameter.

    ## Example
    ```python
    def forward(self, x):
        return torch.log(self.fc(x))  # negative values -> NaN
    ```

    ## Use instead
    ```python
    def forward(self, x):
        return F.logsigmoid(self.fc(x))
    ```

    ## References
    - https://pytorch.org/docs/stable/generated/torch.autograd.detect_anomaly.html
    """

    code = "NN904"
    name = "non-finite"
    severity = Severity.ERROR
    summary = "NaN or Inf in the outputs or the gradients (nnlint verify)"
    suggestion = "guard the operation (clamp before log/sqrt, eps in divisions), or check the initialisation"
    runtime = Runtime(("nonfinite",),
                      "the output or a gradient holds NaN/Inf on a random input",
                      reports=("nonfinite",))
