# source: https://github.com/soumith/ganhacks/issues/67
# The discriminator keeps its Sigmoid after switching the loss to BCEWithLogitsLoss.
import torch
import torch.nn as nn

netD = nn.Sequential(
    nn.Conv2d(3, 64, 4, 2, 1, bias=False),
    nn.LeakyReLU(0.2, inplace=True),
    nn.Conv2d(64, 128, 4, 2, 1, bias=False),
    nn.BatchNorm2d(128),
    nn.LeakyReLU(0.2, inplace=True),
    nn.Conv2d(128, 1, 16, 1, 0, bias=False),
    nn.Sigmoid(),
)
criterion = nn.BCEWithLogitsLoss()
optimizerD = torch.optim.Adam(netD.parameters(), lr=2e-4, betas=(0.5, 0.999))

for real, _ in dataloader:
    netD.zero_grad()
    output = netD(real).view(-1)
    errD_real = criterion(output, torch.ones_like(output))  # expect: NN605
    errD_real.backward()
    optimizerD.step()
