# source: https://github.com/kyegomez/Med-PaLM/issues/8
# A wrapper model whose __init__ sets its encoder without initialising nn.Module.
class MedModel(nn.Module):
    def __init__(self, dim=512, depth=6):  # expect: NN103
        self.encoder = nn.TransformerEncoder(nn.TransformerEncoderLayer(dim, 8, batch_first=True), depth)
        self.head = nn.Linear(dim, 1000)

    def forward(self, x):
        return self.head(self.encoder(x))
