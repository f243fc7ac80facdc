# source: https://sites.google.com/site/hellobenchen/home/wiki/math/negative-log-loss-and-cross-entropy-in-pytorch
# forward returns log_softmax and the loss is CrossEntropyLoss: log_softmax is applied twice.
import torch
import torch.nn as nn
import torch.nn.functional as F


class ConvNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.fc = nn.Linear(9216, 10)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = torch.flatten(x, 1)
        return F.log_softmax(self.fc(x), dim=1)


def train(model, device, train_loader, optimizer, criterion):
    model.train()
    for data, target in train_loader:
        data, target = data.to(device), target.to(device)
        optimizer.zero_grad()
        loss = criterion(model(data), target)  # expect: NN602
        loss.backward()
        optimizer.step()


model = ConvNet()
train(model, torch.device("cpu"), train_loader, torch.optim.Adadelta(model.parameters()), nn.CrossEntropyLoss())
