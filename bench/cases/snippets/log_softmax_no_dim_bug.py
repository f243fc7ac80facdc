# source: https://github.com/suragnair/alpha-zero-general/issues/5
# Policy and value heads of a board-game network.
class GameNet(nn.Module):
    def __init__(self, n, action_size):
        super().__init__()
        self.fc = nn.Linear(n, 256)
        self.pi = nn.Linear(256, action_size)
        self.v = nn.Linear(256, 1)

    def forward(self, s):
        s = F.relu(self.fc(s))
        return F.log_softmax(self.pi(s)), torch.tanh(self.v(s))  # expect: NN406
