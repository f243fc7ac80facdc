# source: https://www.debug.school/rakeshdevcotocus_468/different-ways-to-clearing-autograd-in-neural-network-3ogi
# model.zero_grad() every iteration works as well as optimizer.zero_grad().
import torch
import torch.nn as nn


class Regressor(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(13, 64), nn.ReLU(), nn.Linear(64, 1))

    def forward(self, x):
        return self.net(x)


model = Regressor()
opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
for features, target in loader:
    model.zero_grad()
    loss = nn.functional.mse_loss(model(features), target)
    loss.backward()
    opt.step()
