# source: https://github.com/facebookresearch/vilbert-multi-task/pull/37
# backward before step; the scheduler after the optimizer.
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
            loss.backward()
            self.optimizer.step()
            self.scheduler.step()
            self.optimizer.zero_grad()
