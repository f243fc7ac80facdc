# source: https://github.com/XPixelGroup/BasicSR/issues/23
# The discriminator returns logits; the sigmoid lives in BCEWithLogitsLoss.
import torch
import torch.nn as nn


class VGGStyleDiscriminator(nn.Module):
    def __init__(self, num_in_ch=3, num_feat=64):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(num_in_ch, num_feat, 3, 1, 1), nn.LeakyReLU(0.2, True),
            nn.Conv2d(num_feat, num_feat, 4, 2, 1, bias=False), nn.BatchNorm2d(num_feat), nn.LeakyReLU(0.2, True),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(),
        )
        self.linear = nn.Linear(num_feat, 1)

    def forward(self, x):
        return self.linear(self.body(x))


class GANLoss(nn.Module):
    def __init__(self):
        super().__init__()
        self.loss = nn.BCEWithLogitsLoss()

    def forward(self, pred, target_is_real):
        target = torch.ones_like(pred) if target_is_real else torch.zeros_like(pred)
        return self.loss(pred, target)


net_d = VGGStyleDiscriminator()
cri_gan = GANLoss()
optimizer_d = torch.optim.Adam(net_d.parameters(), lr=1e-4)
for gt, output in pairs:
    optimizer_d.zero_grad()
    l_d_real = cri_gan(net_d(gt), True)
    l_d_real.backward()
    optimizer_d.step()
