# source: https://github.com/rll/deepul/issues/12
# Two optimizers passed in; the discriminator's is reset, the generator's never is.
import torch
import torch.nn.functional as F


def train_gan(generator, discriminator, loader, opt_g, opt_d, latent_dim=100):
    for real in loader:
        z = torch.randn(real.size(0), latent_dim)
        fake = generator(z)

        opt_d.zero_grad()
        d_loss = F.softplus(-discriminator(real)).mean() + F.softplus(discriminator(fake.detach())).mean()
        d_loss.backward()
        opt_d.step()

        g_loss = F.softplus(-discriminator(fake)).mean()
        g_loss.backward()  # expect: NN601
        opt_g.step()


def main(generator, discriminator, loader):
    opt_g = torch.optim.Adam(generator.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(discriminator.parameters(), lr=2e-4, betas=(0.5, 0.999))
    train_gan(generator, discriminator, loader, opt_g, opt_d)
