# source: https://github.com/soumith/ganhacks/issues/67
# The discriminator returns logits.
import torch.nn as nn


class Discriminator(nn.Module):
    def __init__(self, ndf=64):
        super().__init__()
        self.main = nn.Sequential(
            nn.Conv2d(3, ndf, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf, 1, 32, 1, 0, bias=False),
        )

    def forward(self, x):
        return self.main(x)
