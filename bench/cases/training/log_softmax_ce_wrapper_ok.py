# source: https://runebook.dev/en/docs/pytorch/generated/torch.nn.nllloss/torch.nn.NLLLoss
# The helper matches the model's output: log-probabilities go to F.nll_loss.
import torch
import torch.nn as nn
import torch.nn.functional as F

model = nn.Sequential(nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10), nn.LogSoftmax(dim=1))


def classification_loss(output, target):
    return F.nll_loss(output, target, reduction="mean")


def fit(loader, optimizer):
    for x, y in loader:
        optimizer.zero_grad()
        loss = classification_loss(model(x), y)
        loss.backward()
        optimizer.step()
