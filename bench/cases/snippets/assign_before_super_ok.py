# source: https://github.com/pyg-team/pytorch_geometric/issues/381
# The fix: initialise the base class, then assign submodules.
class Discriminator(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.fc1 = nn.Linear(n, 2 * n)
        self.fc2 = nn.Linear(2 * n, 1)

    def forward(self, x):
        return self.fc2(F.relu(self.fc1(x)))
