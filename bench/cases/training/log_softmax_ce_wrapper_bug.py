# source: https://runebook.dev/en/docs/pytorch/generated/torch.nn.nllloss/torch.nn.NLLLoss
# A LogSoftmax-terminated model whose output goes through a small loss helper that calls
# F.cross_entropy: the helper's only caller passes log-probabilities.
import torch
import torch.nn as nn
import torch.nn.functional as F

model = nn.Sequential(nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10), nn.LogSoftmax(dim=1))


def classification_loss(output, target):
    return F.cross_entropy(output, target, reduction="mean")  # expect: NN602


def fit(loader, optimizer):
    for x, y in loader:
        optimizer.zero_grad()
        loss = classification_loss(model(x), y)
        loss.backward()
        optimizer.step()
