# source: https://androidkt.com/pytorch-bcewithlogitsloss-with-example/
# A binary classifier with `self.sigmoid` in forward; train() receives BCEWithLogitsLoss from its caller.
import torch
from torch import nn


class BCEModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.Sequential(nn.Linear(28 * 28 * 3, 64), nn.ReLU(), nn.Linear(64, 1))
        self.sigmoid = nn.Sigmoid()

    def forward(self, x):
        return self.sigmoid(self.layers(x.flatten(1)))


def train(model, loader, loss_fn, optimizer):
    model.train()
    for inputs, targets in loader:
        optimizer.zero_grad()
        outputs = model(inputs)
        loss = loss_fn(outputs, targets.unsqueeze(1).float())  # expect: NN605
        loss.backward()
        optimizer.step()


model = BCEModel()
train(model, trainloader, nn.BCEWithLogitsLoss(), torch.optim.Adam(model.parameters(), lr=1e-4))
