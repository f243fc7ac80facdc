# source: https://github.com/suragnair/alpha-zero-general/issues/5
# The value head squashed with the deprecated functional tanh.
class ValueHead(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.fc = nn.Linear(n, 1)

    def forward(self, s):
        return F.tanh(self.fc(s))  # expect: NN408
