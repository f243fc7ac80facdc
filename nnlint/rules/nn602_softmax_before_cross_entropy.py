import libcst as cst

from nnlint.finding import Severity
from nnlint.rules._losses import LossInputRule, describe
from nnlint.rules.base import Invalid, Runtime, Valid, dedent

FUNCTIONS = {"cross_entropy": "F.cross_entropy"}
CLASSES = {"CrossEntropyLoss": "nn.CrossEntropyLoss"}


class SoftmaxBeforeCrossEntropy(LossInputRule):
    """
    ## What it does
    Flags a softmax, log_softmax or sigmoid output fed to `nn.CrossEntropyLoss` or `F.cross_entropy`:
    `F.softmax(...)`, `torch.softmax(...)`, `x.softmax(...)`, an `nn.Softmax` layer, a local
    holding one of these, or a model whose last layer is `nn.Softmax` (an `nn.Sequential`
    ending in it, or a Module of the file whose `forward` returns a softmax).

    ## Why is this bad?
    `CrossEntropyLoss` expects raw logits: it applies `log_softmax` itself. Given
    probabilities, it computes the log-softmax of values squeezed into [0, 1], so the loss
    cannot go below `log(e + C - 1) - 1` (1.46 for 10 classes, however right the model is)
    and its gradients shrink by orders of magnitude: training stalls early at poor accuracy,
    with no error. A sigmoid output fails the same way (the seeds' `FullConnect` ends in
    `nn.Sigmoid` and trains against `CrossEntropyLoss`). (A `log_softmax` output is only
    redundant: `log_softmax` of log-probabilities gives them back, at the cost of a second
    pass; pair `log_softmax` with `nn.NLLLoss` or drop it.)

    ## Example
    ```python
    model = nn.Sequential(nn.Linear(784, 10), nn.Softmax(dim=1))
    criterion = nn.CrossEntropyLoss()
    loss = criterion(model(x), y)
    ```

    ## Use instead
    ```python
    model = nn.Sequential(nn.Linear(784, 10))
    criterion = nn.CrossEntropyLoss()
    loss = criterion(model(x), y)
    probs = model(x).softmax(dim=1)  # only where probabilities are needed
    ```

    ## References
    - https://pytorch.org/docs/stable/generated/torch.nn.CrossEntropyLoss.html
    - https://pytorch.org/docs/stable/generated/torch.nn.functional.cross_entropy.html
    """

    code = "NN602"
    gate = ("cross_entropy", "CrossEntropyLoss")
    functions = FUNCTIONS
    classes = CLASSES
    name = "softmax-before-cross-entropy"
    severity = Severity.ERROR
    summary = "a softmax (or sigmoid) output fed to `nn.CrossEntropyLoss` / `F.cross_entropy`, which expect logits"
    suggestion = "feed the raw logits: CrossEntropyLoss applies log_softmax itself"
    runtime = Runtime(unobservable="training-loop code, outside the model")

    VALID = [
        Valid(dedent("""
            import torch.nn.functional as F
            from torch import nn

            criterion = nn.CrossEntropyLoss()

            def step(model, x, y):
                logits = model(x)
                probs = F.softmax(logits, dim=1)
                loss = criterion(logits, y)
                nll = F.nll_loss(F.log_softmax(logits, dim=1), y)
                return loss + nll, probs.argmax(1)
        """)),
        Valid(dedent("""
            import torch.nn.functional as F

            def loss_fn(logits, y, soft):
                if soft:
                    logits = F.softmax(logits, dim=-1)
                return F.cross_entropy(logits, y)  # logits may or may not be probabilities here
        """)),
        Valid(dedent("""
            from torch import nn

            class Net(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.fc = nn.Linear(4, 3)
                    self.softmax = nn.Softmax(dim=1)

                def forward(self, x):
                    logits = self.fc(x)
                    if self.training:
                        return logits
                    return self.softmax(logits)

            model = Net()
            loss = nn.CrossEntropyLoss()(model(x), y)
        """)),
        Valid(dedent("""
            from torch import nn

            model = nn.Sequential(nn.Linear(8, 4), nn.Softmax(dim=1))
            model.add_module("logits", nn.Linear(4, 4))  # no longer ends in the softmax
            loss = nn.CrossEntropyLoss()(model(x), y)
        """)),
    ]
    INVALID = [
        Invalid(dedent("""
            import torch
            from torch import nn

            class Classifier(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.fc = nn.Linear(30, 10)
                    self.act = nn.Sigmoid()

                def forward(self, x):
                    return self.act(self.fc(x))

            def step(x, y):
                loss = nn.CrossEntropyLoss()(Classifier()(x), y)
        """), line=14),
        Invalid(dedent("""
            import torch
            from torch import nn

            model = nn.Sequential(nn.Linear(784, 10), nn.Softmax(dim=1))
            criterion = nn.CrossEntropyLoss()
            for x, y in loader:
                loss = criterion(model(x), y)
        """), line=7),
        Invalid(dedent("""
            import torch.nn.functional as F

            def train_step(model, x, y):
                out = model(x)
                out = F.softmax(out, dim=1)
                return F.cross_entropy(out, y)
        """), line=6),
        Invalid(dedent("""
            import torch
            from torch import nn

            class Classifier(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.fc = nn.Linear(16, 4)
                    self.criterion = nn.CrossEntropyLoss()

                def forward(self, x):
                    return torch.softmax(self.fc(x), dim=-1)

                def loss(self, x, y):
                    return self.criterion(self(x), y) + self.criterion(self.forward(x), y)

            net = Classifier()
            loss = net.criterion(net(x), y)
        """), line=(14, 14, 17)),
    ]

    def check_input(self, node: cst.Call, loss_name: str, value: cst.BaseExpression, activation) -> None:
        if activation == "softmax":
            self.report(node, f"{describe(self.context, value, activation)} is fed to {loss_name}, which "
                              "applies log_softmax itself: the loss sees softmax twice and training stalls")
        elif activation == "sigmoid":
            self.report(node, f"{describe(self.context, value, activation)} is fed to {loss_name}, which "
                              "expects logits: outputs squeezed into (0, 1) leave it almost nothing to learn from")
        elif activation == "log_softmax":
            self.report(node, f"{describe(self.context, value, activation)} is fed to {loss_name}, which "
                              "applies log_softmax again: redundant; use nn.NLLLoss or feed the logits")
