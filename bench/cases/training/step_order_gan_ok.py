# source: https://github.com/shoutOutYangJie/FaceID-GAN/issues/5
# Each network: zero_grad, backward, step.
import torch
import torch.nn.functional as F


def gan_epoch(G, D, loader, optimizer_G, optimizer_D, z_dim=128):
    for real in loader:
        fake = G(torch.randn(real.size(0), z_dim))

        optimizer_D.zero_grad()
        d_loss = F.relu(1.0 - D(real)).mean() + F.relu(1.0 + D(fake.detach())).mean()
        d_loss.backward()
        optimizer_D.step()

        optimizer_G.zero_grad()
        g_loss = -D(fake).mean()
        g_loss.backward()
        optimizer_G.step()


def main(G, D, loader):
    optimizer_G = torch.optim.Adam(G.parameters(), lr=1e-4, betas=(0.0, 0.9))
    optimizer_D = torch.optim.Adam(D.parameters(), lr=4e-4, betas=(0.0, 0.9))
    gan_epoch(G, D, loader, optimizer_G, optimizer_D)
