# source: https://github.com/openpifpaf/openpifpaf/issues/123
# Gradient accumulation where the reset sits before the loop only: after the first update,
# every later update still carries all the earlier batches.
import torch
from torch import nn


def fit(model: nn.Module, loader, optimizer: torch.optim.Optimizer, accumulation_steps=8):
    criterion = nn.CrossEntropyLoss()
    optimizer.zero_grad()
    for i, (x, y) in enumerate(loader):
        loss = criterion(model(x), y) / accumulation_steps
        loss.backward()  # expect: NN601
        if (i + 1) % accumulation_steps == 0:
            optimizer.step()
