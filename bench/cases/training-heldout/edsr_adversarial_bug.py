# source: https://github.com/sanghyun-son/EDSR-PyTorch/issues/55
# An adversarial loss module: the discriminator is built with a final Sigmoid and scored
# with F.binary_cross_entropy_with_logits.
import torch
import torch.nn as nn
import torch.nn.functional as F


def make_discriminator(n_colors=3, n_feats=64):
    return nn.Sequential(
        nn.Conv2d(n_colors, n_feats, 3, padding=1), nn.LeakyReLU(0.2, True),
        nn.Conv2d(n_feats, n_feats, 3, stride=2, padding=1), nn.BatchNorm2d(n_feats), nn.LeakyReLU(0.2, True),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(n_feats, 1), nn.Sigmoid(),
    )


class Adversarial(nn.Module):
    def __init__(self):
        super().__init__()
        self.dis = make_discriminator()
        self.optimizer = torch.optim.Adam(self.dis.parameters(), lr=1e-4)

    def forward(self, fake, real):
        self.optimizer.zero_grad()
        d_fake = self.dis(fake.detach())
        d_real = self.dis(real)
        loss_d = F.binary_cross_entropy_with_logits(d_real - d_fake, torch.ones_like(d_real))
        loss_d.backward()
        self.optimizer.step()
        d_fake_bp = self.dis(fake)
        return F.binary_cross_entropy_with_logits(d_fake_bp, torch.ones_like(d_fake_bp))  # expect: NN605
