from nnlint.finding import Severity
from nnlint.rules.base import Rule, Runtime


class ForwardFailed(Rule):
    """
    ## What it does
    Reported by `nnlint verify` when calling the model on its example input raises, in train or
    eval mode, or when the backward of its output raises; also when the worker dies (a segfault)
    or runs past `--timeout` while checking it. When the input was *inferred* (from the first
    layer) and the error looks like a shape mismatch, the model is skipped with a hint instead:
    the guess may be wrong, the model not.

    ## Why is this bad?
    The model does not run on an input of the configured shape. The message quotes the error
    and the report's line is the innermost frame of your code. Errors that a static rule
    predicts confirm that finding instead: `Module [Net] is missing the required "forward"
    function` (NN107), `a leaf Variable that requires grad is being used in an in-place
    operation` (NN205), `Expected all tensors to be on the same device` on a GPU (NN503).

    ## Example
    ```python
    def forward(self, x):
        return self.fc(x.view(-1, 100))  # the input has 32 features
    ```

    ## Use instead
    ```python
    def forward(self, x):
        return self.fc(x.flatten(1))
    ```

    ## References
    - https://pytorch.org/docs/stable/notes/autograd.html
    """

    code = "NN902"
    name = "forward-failed"
    severity = Severity.ERROR
    summary = "forward or backward raised on the example input (nnlint verify)"
    suggestion = "fix the error, or configure the example inputs in [tool.nnlint.verify.models]"
    runtime = Runtime(("inplace_leaf", "device_mismatch", "forward_error"),
                      "forward or backward raised",
                      reports=("inplace_leaf", "device_mismatch", "forward_error"))
