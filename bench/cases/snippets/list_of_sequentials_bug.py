# source: https://github.com/pytorch/pytorch/issues/4412
# Two conv stacks kept in a list literal on self.
class Region(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.stacks = [  # expect: NN101
            nn.Sequential(nn.Conv2d(channels, channels, 3, padding=1), nn.ReLU()),
            nn.Sequential(nn.Conv2d(channels, channels, 3, padding=1), nn.ReLU()),
        ]

    def forward(self, x):
        return self.stacks[1](self.stacks[0](x))
