# source: https://github.com/skorch-dev/skorch/issues/218
# The fix that was merged: validation_step under torch.no_grad().
import torch
from torch import nn


class Net:
    def __init__(self, module: nn.Module, criterion: nn.Module, lr=0.01):
        self.module_ = module
        self.criterion_ = criterion
        self.optimizer_ = torch.optim.SGD(module.parameters(), lr=lr)

    def train_step(self, Xi, yi):
        self.module_.train()
        self.optimizer_.zero_grad()
        loss = self.criterion_(self.module_(Xi), yi)
        loss.backward()
        self.optimizer_.step()
        return loss.item()

    def validation_step(self, Xi, yi):
        self.module_.eval()
        with torch.no_grad():
            y_pred = self.module_(Xi)
            return self.criterion_(y_pred, yi).item()
