# source: https://github.com/yunjey/pytorch-tutorial/issues/238
# An unusual but working order: each step applies the previous batch's gradients, then resets.
import torch


def train(model, loader, criterion, optimizer: torch.optim.Optimizer):
    for images, labels in loader:
        optimizer.step()
        optimizer.zero_grad()
        loss = criterion(model(images), labels)
        loss.backward()
