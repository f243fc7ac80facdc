# source: https://github.com/cvg/glue-factory/issues/89
# A confidence head ending in nn.Sigmoid, trained with BCEWithLogitsLoss.
class TokenConfidence(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.token = nn.Sequential(nn.Linear(dim, 1), nn.Sigmoid())
        self.loss_fn = nn.BCEWithLogitsLoss(reduction="none")

    def forward(self, desc):
        return self.token(desc.detach()).squeeze(-1)

    def loss(self, desc, correct):
        return self.loss_fn(self.forward(desc), correct.float()).mean(-1)  # expect: NN605
