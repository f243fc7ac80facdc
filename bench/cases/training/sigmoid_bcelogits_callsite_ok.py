# source: https://androidkt.com/pytorch-bcewithlogitsloss-with-example/
# The model returns logits; the caller passes BCEWithLogitsLoss.
import torch
from torch import nn


class BCEModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.Sequential(nn.Linear(28 * 28 * 3, 64), nn.ReLU(), nn.Linear(64, 1))

    def forward(self, x):
        return self.layers(x.flatten(1))


def train(model, loader, loss_fn, optimizer):
    model.train()
    for inputs, targets in loader:
        optimizer.zero_grad()
        outputs = model(inputs)
        loss = loss_fn(outputs, targets.unsqueeze(1).float())
        loss.backward()
        optimizer.step()


model = BCEModel()
train(model, trainloader, nn.BCEWithLogitsLoss(), torch.optim.Adam(model.parameters(), lr=1e-4))
