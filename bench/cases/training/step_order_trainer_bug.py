# source: https://github.com/facebookresearch/vilbert-multi-task/pull/37
# A trainer method that steps first and backpropagates afterwards; the reset at the end of
# the iteration means every step sees zero gradients.
import torch
from torch import nn


class Trainer:
    def __init__(self, model: nn.Module, lr=2e-5):
        self.model = model
        self.optimizer = torch.optim.AdamW(model.parameters(), lr=lr)
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(self.optimizer, lambda s: 1.0)

    def train_epoch(self, loader):
        self.model.train()
        for batch in loader:
            loss = self.model(**batch).mean()
            self.optimizer.step()  # expect: NN606
            self.scheduler.step()
            loss.backward()
            self.optimizer.zero_grad()
