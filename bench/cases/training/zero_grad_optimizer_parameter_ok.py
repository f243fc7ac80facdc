# source: https://thecodeforge.io/ml-ai/pytorch-training-loop/
# The same train function with the gradients cleared at the start of every step.
import torch
from torch import nn


def train_one_epoch(model, loader, optimizer, criterion):
    model.train()
    for inputs, targets in loader:
        optimizer.zero_grad()
        outputs = model(inputs)
        loss = criterion(outputs, targets)
        loss.backward()
        optimizer.step()


model = nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Linear(64, 2))
optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
for epoch in range(10):
    train_one_epoch(model, train_loader, optimizer, nn.CrossEntropyLoss())
