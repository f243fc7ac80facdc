# source: https://github.com/openpifpaf/openpifpaf/issues/123
# Gradient accumulation with the reset placed before the step inside the update block.
import torch


def train(model, loader, optimizer: torch.optim.Optimizer, accumulate=4):
    for i, (x, y) in enumerate(loader):
        loss = model(x, y) / accumulate
        loss.backward()
        if (i + 1) % accumulate == 0:
            optimizer.zero_grad()
            optimizer.step()  # expect: NN606
