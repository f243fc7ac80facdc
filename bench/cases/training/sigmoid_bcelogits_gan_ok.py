# source: https://github.com/soumith/ganhacks/issues/67
# No Sigmoid layer: BCEWithLogitsLoss applies it, stably.
import torch
import torch.nn as nn

netD = nn.Sequential(
    nn.Conv2d(3, 64, 4, 2, 1, bias=False),
    nn.LeakyReLU(0.2, inplace=True),
    nn.Conv2d(64, 128, 4, 2, 1, bias=False),
    nn.BatchNorm2d(128),
    nn.LeakyReLU(0.2, inplace=True),
    nn.Conv2d(128, 1, 16, 1, 0, bias=False),
)
criterion = nn.BCEWithLogitsLoss()
optimizerD = torch.optim.Adam(netD.parameters(), lr=2e-4, betas=(0.5, 0.999))

for real, _ in dataloader:
    netD.zero_grad()
    output = netD(real).view(-1)
    errD_real = criterion(output, torch.ones_like(output))
    errD_real.backward()
    optimizerD.step()
