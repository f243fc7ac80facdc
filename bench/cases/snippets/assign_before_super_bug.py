# source: https://github.com/pyg-team/pytorch_geometric/issues/681
# The discriminator is stored before the base class is initialised.
class AdversarialGAE(nn.Module):
    def __init__(self, encoder, discriminator):
        self.discriminator = discriminator  # known-miss: NN104
        super().__init__()
        self.encoder = encoder

    def forward(self, x):
        return self.encoder(x)


class Discriminator(nn.Module):
    def __init__(self, n):
        self.fc1 = nn.Linear(n, 2 * n)  # expect: NN104
        super(Discriminator, self).__init__()
        self.fc2 = nn.Linear(2 * n, 1)

    def forward(self, x):
        return self.fc2(F.relu(self.fc1(x)))
