import libcst as cst

from nnlint.finding import Severity
from nnlint.rules._losses import LossInputRule, describe
from nnlint.rules.base import Invalid, Runtime, Valid, dedent

FUNCTIONS = {"binary_cross_entropy": "F.binary_cross_entropy"}
CLASSES = {"BCELoss": "nn.BCELoss"}


class SigmoidBeforeBce(LossInputRule):
    """
    ## What it does
    Flags a sigmoid output (`torch.sigmoid(...)`, `F.sigmoid(...)`, `x.sigmoid()`, an
    `nn.Sigmoid` layer, or a model whose last layer is one) fed to `nn.BCELoss` /
    `F.binary_cross_entropy`. (Into `nn.BCEWithLogitsLoss`, which applies the sigmoid
    itself, it is a plain bug: NN605.)

    ## Why is this bad?
    `sigmoid` followed by `BCELoss` computes `log(sigmoid(x))` in two steps: for confident
    logits the sigmoid rounds to exactly 0 or 1, the log gives `-inf`, and BCELoss clamps it
    to -100, so the gradient vanishes or the loss turns into `nan`, most often under mixed
    precision, where `BCELoss` is refused outright (`torch.nn.functional.binary_cross_entropy
    and torch.nn.BCELoss are unsafe to autocast`). `BCEWithLogitsLoss` fuses both steps with
    the log-sum-exp trick and is stable. A warning, not an error: the pair computes the right
    loss wherever the sigmoid does not saturate.

    ## Example
    ```python
    criterion = nn.BCELoss()
    loss = criterion(torch.sigmoid(model(x)), y)
    ```

    ## Use instead
    ```python
    criterion = nn.BCEWithLogitsLoss()
    loss = criterion(model(x), y)
    ```

    ## References
    - https://pytorch.org/docs/stable/generated/torch.nn.BCEWithLogitsLoss.html
    - https://pytorch.org/docs/stable/amp.html#prefer-binary-cross-entropy-with-logits-over-binary-cross-entropy
    """

    code = "NN603"
    gate = ("binary_cross_entropy", "BCELoss")
    functions = FUNCTIONS
    classes = CLASSES
    name = "sigmoid-before-bce"
    severity = Severity.WARNING
    summary = "a sigmoid output fed to `nn.BCELoss` / `F.binary_cross_entropy`: unstable, use logits"
    suggestion = "use nn.BCEWithLogitsLoss (F.binary_cross_entropy_with_logits) on the raw logits"
    runtime = Runtime(unobservable="training-loop code, outside the model")

    VALID = [
        Valid(dedent("""
            import torch
            from torch import nn

            criterion = nn.BCEWithLogitsLoss()

            def step(model, x, y):
                logits = model(x)
                loss = criterion(logits, y)
                return loss, torch.sigmoid(logits) > 0.5
        """)),
        Valid(dedent("""
            import torch
            import torch.nn.functional as F

            def dice_bce(pred, target):
                prob = torch.sigmoid(pred)
                dice = 1 - (2 * (prob * target).sum() + 1) / (prob.sum() + target.sum() + 1)
                return dice + F.binary_cross_entropy_with_logits(pred, target)
        """)),
        Valid(dedent("""
            from torch import nn

            def mse(model, x, y):
                out = nn.Sigmoid()(model(x))
                return nn.MSELoss()(out, y)
        """)),
    ]
    INVALID = [
        Invalid(dedent("""
            import torch
            from torch import nn

            criterion = nn.BCELoss()

            def step(model, x, y):
                return criterion(torch.sigmoid(model(x)), y)
        """), line=7),
        Invalid(dedent("""
            import torch.nn.functional as F
            from torch import nn

            class Discriminator(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.net = nn.Sequential(nn.Linear(64, 1), nn.Sigmoid())
                    self.criterion = nn.BCELoss()

                def loss(self, x, real):
                    score = self.net(x)
                    return self.criterion(score, real) + F.binary_cross_entropy(score, real)
        """), line=(12, 12)),
    ]

    def check_input(self, node: cst.Call, loss_name: str, value: cst.BaseExpression, activation) -> None:
        if activation != "sigmoid":
            return
        self.report(node, f"{describe(self.context, value, 'sigmoid')} is fed to {loss_name}: the separate "
                          "sigmoid saturates to 0/1 and the loss loses its gradient; use BCEWithLogitsLoss "
                          "on the logits")
