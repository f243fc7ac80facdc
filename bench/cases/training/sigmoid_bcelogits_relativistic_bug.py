# source: https://github.com/AlexiaJM/RelativisticGAN/issues/19
# Relativistic standard GAN: the discriminator still ends in Sigmoid although BCE_stable adds it.
import torch
import torch.nn as nn


class DCGAN_D(nn.Module):
    def __init__(self, nc=3, ndf=64):
        super().__init__()
        self.main = nn.Sequential(
            nn.Conv2d(nc, ndf, 4, 2, 1, bias=False),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf, 1, 32, 1, 0, bias=False),
            nn.Sigmoid(),
        )

    def forward(self, x):
        return self.main(x).view(-1)


D = DCGAN_D()
BCE_stable = torch.nn.BCEWithLogitsLoss()
optimizerD = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
for real, fake in batches:
    optimizerD.zero_grad()
    y_pred = D(real)
    y_pred_fake = D(fake.detach())
    y = torch.ones(real.size(0))
    errD = BCE_stable(y_pred - y_pred_fake, y)  # known-miss: NN605
    errD.backward()
    optimizerD.step()
