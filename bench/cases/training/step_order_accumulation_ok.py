# source: https://github.com/openpifpaf/openpifpaf/issues/123
# Step with the accumulated gradients, then reset.
import torch


def train(model, loader, optimizer: torch.optim.Optimizer, accumulate=4):
    for i, (x, y) in enumerate(loader):
        loss = model(x, y) / accumulate
        loss.backward()
        if (i + 1) % accumulate == 0:
            optimizer.step()
            optimizer.zero_grad()
