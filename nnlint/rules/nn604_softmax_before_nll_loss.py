import libcst as cst

from nnlint.finding import Severity
from nnlint.rules._losses import LossInputRule, describe
from nnlint.rules.base import Invalid, Runtime, Valid, dedent

FUNCTIONS = {"nll_loss": "F.nll_loss"}
CLASSES = {"NLLLoss": "nn.NLLLoss", "NLLLoss2d": "nn.NLLLoss2d"}


class SoftmaxBeforeNllLoss(LossInputRule):
    """
    ## What it does
    Flags a softmax output (`F.softmax(...)`, `x.softmax(dim)`, an `nn.Softmax` layer, or a
    model whose last layer or `forward` ends in one, also through tuples, factories, and the
    parameters of a function whose callers pass it) fed to `nn.NLLLoss` or `F.nll_loss`.

    ## Why is this bad?
    `NLLLoss` expects log-probabilities: it returns `-input[target]`. Given probabilities it
    returns `-p[target]`, a value in [-1, 0] instead of `-log p[target]` in [0, inf): the
    loss is negative, it barely penalises confident mistakes, and its gradient does not
    grow as the prediction gets worse. Training is slow and poorly calibrated, and nothing
    raises. (A classic of ported ACGAN and DANN code.)

    ## Example
    ```python
    probs = F.softmax(model(x), dim=1)
    loss = F.nll_loss(probs, y)
    ```

    ## Use instead
    ```python
    log_probs = F.log_softmax(model(x), dim=1)
    loss = F.nll_loss(log_probs, y)  # or F.cross_entropy(model(x), y) on the logits
    ```

    ## References
    - https://pytorch.org/docs/stable/generated/torch.nn.NLLLoss.html
    - https://github.com/clvrai/ACGAN-PyTorch/issues/8
    """

    code = "NN604"
    gate = ("nll_loss", "NLLLoss")
    functions = FUNCTIONS
    classes = CLASSES
    name = "softmax-before-nll-loss"
    severity = Severity.ERROR
    summary = "a softmax output fed to `nn.NLLLoss` / `F.nll_loss`, which expect log-probabilities"
    suggestion = "use log_softmax before NLLLoss (or CrossEntropyLoss on the logits)"
    runtime = Runtime(unobservable="training-loop code, outside the model")

    VALID = [
        Valid(dedent("""
            import torch
            import torch.nn.functional as F

            def losses(logits, y):
                probs = F.softmax(logits, dim=1)
                return F.nll_loss(F.log_softmax(logits, dim=1), y) + F.nll_loss(torch.log(probs + 1e-8), y)
        """)),
    ]
    INVALID = [
        Invalid(dedent("""
            import torch
            from torch import nn

            classifier = nn.Sequential(nn.Linear(100, 2), nn.Softmax(dim=1))
            loss_domain = nn.NLLLoss()

            def domain_loss(features, label):
                return loss_domain(classifier(features), label)
        """), line=8),
        Invalid(dedent("""
            import torch.nn.functional as F

            def train_step(model, x, y):
                output = F.softmax(model(x), dim=1)
                return F.nll_loss(output, y)
        """), line=5),
    ]

    def check_input(self, node: cst.Call, loss_name: str, value: cst.BaseExpression, activation) -> None:
        if activation == "softmax":
            self.report(node, f"{describe(self.context, value, 'softmax')} is fed to {loss_name}, which expects "
                              "log-probabilities: it computes -p instead of -log p, so the loss hardly "
                              "punishes confident mistakes")
