# source: https://github.com/linnaeushuang/pensieve-pytorch/issues/4
# An actor network's action distribution.
class Actor(nn.Module):
    def __init__(self, n_in, n_actions):
        super().__init__()
        self.fc = nn.Linear(n_in, 128)
        self.outputLayer = nn.Linear(128, n_actions)

    def forward(self, x):
        fc_out = F.relu(self.fc(x))
        return F.softmax(self.outputLayer(fc_out))  # expect: NN406
