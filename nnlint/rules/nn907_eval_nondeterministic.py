from nnlint.finding import Severity
from nnlint.rules.base import Rule, Runtime


class EvalNondeterministic(Rule):
    """
    ## What it does
    Reported by `nnlint verify` when two forwards of the same input, both in `eval()` mode and
    under `torch.no_grad()` (with different random seeds), give outputs that are not exactly
    equal (NaN equal to NaN; on CUDA, differences within float rounding are tolerated). A model
    whose output is already NaN is not also called nondeterministic. Static findings that
    predict it (NN301, NN303, NN304, NN109) are marked confirmed instead.

    ## Why is this bad?
    Evaluation and inference are random: metrics wobble from run to run, predictions are worse
    than the model's, and a served model answers the same request differently. Usual causes:
    functional dropout without `training=self.training`, random noise added regardless of mode,
    a layer built in `forward` (fresh random weights per call).

    ## Example
    ```python
    def forward(self, x):
        return self.fc(x + 0.1 * torch.randn_like(x))
    ```

    ## Use instead
    ```python
    def forward(self, x):
        if self.training:
            x = x + 0.1 * torch.randn_like(x)
        return self.fc(x)
    ```

    ## References
    - https://pytorch.org/docs/stable/generated/torch.nn.Module.html#torch.nn.Module.eval
    """

    code = "NN907"
    name = "eval-nondeterministic"
    severity = Severity.ERROR
    summary = "two eval() forwards of the same input differ (nnlint verify)"
    suggestion = "make randomness depend on self.training (nn.Dropout, training=self.training)"
    runtime = Runtime(("eval_nondeterministic",),
                      "two eval-mode forwards of the same input give different outputs",
                      reports=("eval_nondeterministic",))
