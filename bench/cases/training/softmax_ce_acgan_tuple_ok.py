# source: https://github.com/eriklindernoren/PyTorch-GAN/pull/98
# The fixed ACGAN: both heads return logits, the losses are the logit forms.
import torch
import torch.nn as nn

adversarial_loss = torch.nn.BCEWithLogitsLoss()
auxiliary_loss = torch.nn.CrossEntropyLoss()


class Discriminator(nn.Module):
    def __init__(self, n_classes=10, img_size=32):
        super().__init__()
        self.conv_blocks = nn.Sequential(
            nn.Conv2d(1, 16, 3, 2, 1), nn.LeakyReLU(0.2, inplace=True), nn.Dropout2d(0.25),
            nn.Conv2d(16, 32, 3, 2, 1), nn.LeakyReLU(0.2, inplace=True), nn.Dropout2d(0.25),
        )
        ds_size = img_size // 2 ** 2
        self.adv_layer = nn.Linear(32 * ds_size ** 2, 1)
        self.aux_layer = nn.Linear(32 * ds_size ** 2, n_classes)

    def forward(self, img):
        out = self.conv_blocks(img)
        out = out.view(out.shape[0], -1)
        validity = self.adv_layer(out)
        label = self.aux_layer(out)
        return validity, label


discriminator = Discriminator()
optimizer_D = torch.optim.Adam(discriminator.parameters(), lr=2e-4, betas=(0.5, 0.999))

for imgs, labels in dataloader:
    valid = torch.ones(imgs.size(0), 1)
    optimizer_D.zero_grad()
    real_pred, real_aux = discriminator(imgs)
    d_real_loss = (adversarial_loss(real_pred, valid) + auxiliary_loss(real_aux, labels)) / 2
    d_real_loss.backward()
    optimizer_D.step()
