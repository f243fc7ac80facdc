# source: https://github.com/openpifpaf/openpifpaf/issues/123
# Gradient accumulation: backward every batch, step and reset every `accumulate` batches.
import torch
from torch import nn


class Trainer:
    def __init__(self, model, loss, optimizer, device, accumulate=4):
        self.model = model
        self.loss = loss
        self.optimizer = optimizer
        self.device = device
        self.accumulate = accumulate

    def loop(self, train_scenes, epochs):
        self.optimizer.zero_grad()
        for epoch in range(epochs):
            for i, (data, targets) in enumerate(train_scenes):
                data, targets = data.to(self.device), targets.to(self.device)
                loss = self.loss(self.model(data), targets) / self.accumulate
                loss.backward()
                if (i + 1) % self.accumulate == 0:
                    self.optimizer.step()
                    self.optimizer.zero_grad()


def main(train_loader):
    net = nn.Sequential(nn.Conv2d(3, 16, 3), nn.ReLU(), nn.Flatten(), nn.LazyLinear(17))
    optimizer = torch.optim.SGD(net.parameters(), lr=1e-3, momentum=0.9)
    trainer = Trainer(net, nn.SmoothL1Loss(), optimizer, torch.device("cpu"))
    trainer.loop(train_loader, epochs=10)
