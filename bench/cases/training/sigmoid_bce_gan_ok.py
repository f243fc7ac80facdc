# source: https://github.com/soumith/ganhacks/issues/36
# Logits and BCEWithLogitsLoss.
import torch
import torch.nn as nn


def discriminator_step(netD, optimizerD, real, fake):
    criterion = nn.BCEWithLogitsLoss()
    optimizerD.zero_grad()
    out_real = netD(real).view(-1)
    out_fake = netD(fake.detach()).view(-1)
    errD = criterion(out_real, torch.ones_like(out_real)) + criterion(out_fake, torch.zeros_like(out_fake))
    errD.backward()
    optimizerD.step()
    return errD.item()


netD = nn.Sequential(
    nn.Conv2d(3, 64, 4, 2, 1), nn.LeakyReLU(0.2, True),
    nn.Conv2d(64, 1, 32, 1, 0),
)
optimizerD = torch.optim.Adam(netD.parameters(), lr=2e-4, betas=(0.5, 0.999))
for real, fake in pairs:
    discriminator_step(netD, optimizerD, real, fake)
