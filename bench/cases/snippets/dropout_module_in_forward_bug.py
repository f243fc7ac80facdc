# source: https://github.com/yangze0930/NTS-Net/issues/14
# nn.Dropout built and called in forward: always in training mode, eval() cannot reach it.
class Head(nn.Module):
    def __init__(self, n_in, n_classes):
        super().__init__()
        self.fc = nn.Linear(n_in, n_classes)

    def forward(self, x):
        x = torch.flatten(x, 1)
        x = nn.Dropout(p=0.5)(x)  # known-miss: NN301
        return self.fc(x)
