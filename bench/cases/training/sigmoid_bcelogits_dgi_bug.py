# source: https://github.com/PetarV-/DGI/issues/6
# A bilinear discriminator that returns sigmoid scores, fed to BCEWithLogitsLoss.
import torch
import torch.nn as nn


class Discriminator(nn.Module):
    def __init__(self, n_h):
        super().__init__()
        self.f_k = nn.Bilinear(n_h, n_h, 1)

    def forward(self, c, h_pl, h_mi):
        c_x = c.expand_as(h_pl)
        sc_1 = self.f_k(h_pl, c_x).squeeze(-1)
        sc_2 = self.f_k(h_mi, c_x).squeeze(-1)
        return torch.sigmoid(torch.cat((sc_1, sc_2), 1))


disc = Discriminator(512)
b_xent = nn.BCEWithLogitsLoss()
optimiser = torch.optim.Adam(disc.parameters(), lr=0.001)
for c, h_pl, h_mi, lbl in batches:
    optimiser.zero_grad()
    logits = disc(c, h_pl, h_mi)
    loss = b_xent(logits, lbl)  # expect: NN605
    loss.backward()
    optimiser.step()
