# source: https://github.com/eriklindernoren/PyTorch-GAN/issues/79
# A discriminator factory returning a Sigmoid-terminated model; the step uses BCELoss.
import torch
import torch.nn as nn


def get_discriminator(img_dim=784):
    return nn.Sequential(
        nn.Linear(img_dim, 512), nn.LeakyReLU(0.2, inplace=True),
        nn.Linear(512, 256), nn.LeakyReLU(0.2, inplace=True),
        nn.Linear(256, 1), nn.Sigmoid(),
    )


adversarial_loss = nn.BCELoss()


def train(dataloader, generator, optimizer_G, latent_dim=100):
    discriminator = get_discriminator()
    optimizer_D = torch.optim.Adam(discriminator.parameters(), lr=2e-4)
    for imgs, _ in dataloader:
        valid = torch.ones(imgs.size(0), 1)
        optimizer_D.zero_grad()
        real_loss = adversarial_loss(discriminator(imgs.view(imgs.size(0), -1)), valid)  # expect: NN603
        real_loss.backward()
        optimizer_D.step()
