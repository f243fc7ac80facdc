# source: https://github.com/soumith/ganhacks/issues/67
# BCEWithLogitsLoss on the logits.
import torch
import torch.nn as nn
from networks import Discriminator

netD = Discriminator()
criterion = nn.BCEWithLogitsLoss()
optimizerD = torch.optim.Adam(netD.parameters(), lr=2e-4, betas=(0.5, 0.999))
for real, _ in dataloader:
    optimizerD.zero_grad()
    output = netD(real).view(-1)
    errD = criterion(output, torch.ones_like(output))
    errD.backward()
    optimizerD.step()
