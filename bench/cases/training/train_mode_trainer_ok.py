# source: https://github.com/wolny/pytorch-3dunet/issues/53
# fit() switches back to train mode after each validation.
import torch
from torch import nn


class UNetTrainer:
    def __init__(self, model: nn.Module, optimizer, loss_criterion, validate_after_iters=100):
        self.model = model
        self.optimizer = optimizer
        self.loss_criterion = loss_criterion
        self.validate_after_iters = validate_after_iters

    def fit(self, loaders, max_epochs):
        self.model.train()
        num_iterations = 0
        for epoch in range(max_epochs):
            for input, target in loaders["train"]:
                output = self.model(input)
                loss = self.loss_criterion(output, target)
                self.optimizer.zero_grad()
                loss.backward()
                self.optimizer.step()
                num_iterations += 1
                if num_iterations % self.validate_after_iters == 0:
                    self.validate(loaders["val"])
                    self.model.train()

    def validate(self, val_loader):
        self.model.eval()
        with torch.no_grad():
            return sum(self.loss_criterion(self.model(i), t).item() for i, t in val_loader)
