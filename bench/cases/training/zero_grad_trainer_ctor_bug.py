# source: https://github.com/openpifpaf/openpifpaf/issues/123
# The optimizer reaches the Trainer through its constructor; the call site below builds it.
import torch
from torch import nn


class Trainer:
    def __init__(self, model, loss, optimizer, device):
        self.model = model
        self.loss = loss
        self.optimizer = optimizer
        self.device = device

    def loop(self, train_scenes, epochs):
        for epoch in range(epochs):
            for data, targets in train_scenes:
                data, targets = data.to(self.device), targets.to(self.device)
                outputs = self.model(data)
                loss = self.loss(outputs, targets)
                loss.backward()  # expect: NN601
                self.optimizer.step()


def main(train_loader):
    net = nn.Sequential(nn.Conv2d(3, 16, 3), nn.ReLU(), nn.Flatten(), nn.LazyLinear(17))
    optimizer = torch.optim.SGD(net.parameters(), lr=1e-3, momentum=0.9)
    trainer = Trainer(net, nn.SmoothL1Loss(), optimizer, torch.device("cpu"))
    trainer.loop(train_loader, epochs=10)
