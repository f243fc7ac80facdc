from nnlint.finding import Severity
from nnlint.rules.base import Rule, Runtime


class EvalNondeterministic(Rule):
    """
    ## What it does
    Reported by `nnlint verify` when two forwards of the same input, both in `eval()` mode and
    under `torch.no_grad()` (with different random seeds), give outputs that are not exactly
    equal (NaN equal to NaN; on CUDA, differences within float rounding are tolerated), and
    the difference is not by design: the random operations of an eval forward are recorded,
    and the finding is reported when a dropout is still active (torch's dropouts, or a function
    or class named like one drawing `bernoulli`: a hand-written drop path), when forward draws
    fresh weights (`torch.nn.init`: a layer built in forward), or when no random operation ran
    at all (state kept between calls). A model that only *samples* in eval (`torch.multinomial`,
    Gumbel noise, `randn` noise, `bernoulli` bits: adaptive token sampling, a sampling decoder,
    StyleGAN's noise inputs) gets a note instead. A model whose output is already NaN is not
    also called nondeterministic. Static findings that predict it (NN301, NN303, NN304, NN109)
    are marked confirmed instead.

    ## Why is this bad?
    Evaluation and inference are random: metrics wobble from run to run, predictions are worse
    than the model's, and a served model answers the same request differently. Usual causes:
    functional dropout without `training=self.training`, a drop path that ignores the mode,
    a layer built in `forward` (fresh random weights per call).

    ## Example
    ```python
    def drop_path(x, p):
        keep = x.new_empty(x.shape[0], 1).bernoulli_(1 - p)
        return x * keep / (1 - p)

    def forward(self, x):
        return self.fc(drop_path(x, 0.1))
    ```

    ## Use instead
    ```python
    def forward(self, x):
        if self.training:
            x = drop_path(x, 0.1)
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
