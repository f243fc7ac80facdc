# source: https://github.com/openpifpaf/openpifpaf/issues/123
# The reset goes with the step, inside the loop.
import torch
from torch import nn


def fit(model: nn.Module, loader, optimizer: torch.optim.Optimizer, accumulation_steps=8):
    criterion = nn.CrossEntropyLoss()
    optimizer.zero_grad()
    for i, (x, y) in enumerate(loader):
        loss = criterion(model(x), y) / accumulation_steps
        loss.backward()
        if (i + 1) % accumulation_steps == 0:
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
