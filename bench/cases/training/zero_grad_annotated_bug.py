# source: https://github.com/pytorch/tutorials/issues/2693
# Quickstart-style train() with annotated parameters; the reset was dropped when the loop
# was refactored, so every step applies the sum of all gradients so far.
import torch
from torch import nn
from torch.utils.data import DataLoader


def train(dataloader: DataLoader, model: nn.Module, loss_fn: nn.Module, optimizer: torch.optim.Optimizer):
    size = len(dataloader.dataset)
    model.train()
    for batch, (X, y) in enumerate(dataloader):
        pred = model(X)
        loss = loss_fn(pred, y)
        loss.backward()  # expect: NN601
        optimizer.step()
        if batch % 100 == 0:
            print(f"loss: {loss.item():>7f}  [{(batch + 1) * len(X):>5d}/{size:>5d}]")
