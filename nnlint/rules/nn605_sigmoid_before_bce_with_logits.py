import libcst as cst

from nnlint.finding import Severity
from nnlint.rules._losses import LossInputRule, describe
from nnlint.rules.base import Invalid, Runtime, Valid, dedent

FUNCTIONS = {"binary_cross_entropy_with_logits": "F.binary_cross_entropy_with_logits"}
CLASSES = {"BCEWithLogitsLoss": "nn.BCEWithLogitsLoss"}


class SigmoidBeforeBceWithLogits(LossInputRule):
    """
    ## What it does
    Flags a sigmoid output (`torch.sigmoid(...)`, `x.sigmoid()`, an `nn.Sigmoid` layer, or a
    model whose last layer or `forward` ends in one, also through tuples, factories, and the
    parameters of a function whose callers pass it) fed to `nn.BCEWithLogitsLoss` or
    `F.binary_cross_entropy_with_logits`.

    ## Why is this bad?
    The *WithLogits* losses apply the sigmoid themselves. Given probabilities, they compute
    `sigmoid(sigmoid(x))`: every prediction is squeezed into (0.5, 0.73), the loss for a
    negative example can never go below 0.47, and the gradient is a fraction of what it should
    be. The model trains, slowly and badly; a discriminator stops telling real from fake.
    Nothing raises. This is usually what is left after switching from `BCELoss` to
    `BCEWithLogitsLoss` without removing the model's final `nn.Sigmoid`.

    ## Example
    ```python
    model = nn.Sequential(nn.Linear(64, 1), nn.Sigmoid())
    criterion = nn.BCEWithLogitsLoss()
    loss = criterion(model(x), y)
    ```

    ## Use instead
    ```python
    model = nn.Sequential(nn.Linear(64, 1))
    criterion = nn.BCEWithLogitsLoss()
    loss = criterion(model(x), y)
    probs = torch.sigmoid(model(x))  # only where probabilities are needed
    ```

    ## References
    - https://pytorch.org/docs/stable/generated/torch.nn.BCEWithLogitsLoss.html
    """

    code = "NN605"
    gate = ("with_logits", "WithLogits")
    functions = FUNCTIONS
    classes = CLASSES
    name = "sigmoid-before-bce-with-logits"
    severity = Severity.ERROR
    summary = "a sigmoid output fed to `nn.BCEWithLogitsLoss`, which applies the sigmoid itself"
    suggestion = "feed the raw logits: BCEWithLogitsLoss applies the sigmoid itself"
    runtime = Runtime(unobservable="training-loop code, outside the model")

    VALID = [
        Valid(dedent("""
            import torch
            import torch.nn.functional as F

            def dice_bce(pred, target):
                prob = torch.sigmoid(pred)
                dice = 1 - (2 * (prob * target).sum() + 1) / (prob.sum() + target.sum() + 1)
                return dice + F.binary_cross_entropy_with_logits(pred, target)
        """)),
    ]
    INVALID = [
        Invalid(dedent("""
            import torch
            from torch import nn

            netD = nn.Sequential(nn.Linear(784, 1), nn.Sigmoid())
            criterion = nn.BCEWithLogitsLoss()

            def d_loss(real):
                out = netD(real).view(-1)
                return criterion(out, torch.ones_like(out))
        """), line=9),
        Invalid(dedent("""
            import torch
            import torch.nn.functional as F

            def loss(logits, target):
                return F.binary_cross_entropy_with_logits(torch.sigmoid(logits), target)
        """), line=5),
    ]

    def check_input(self, node: cst.Call, loss_name: str, value: cst.BaseExpression, activation) -> None:
        if activation == "sigmoid":
            self.report(node, f"{describe(self.context, value, 'sigmoid')} is fed to {loss_name}, which applies "
                              "the sigmoid itself: the sigmoid runs twice and predictions are squeezed into (0.5, 0.73)")
