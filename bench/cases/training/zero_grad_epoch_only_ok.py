# source: https://github.com/pytorch/tutorials/issues/2799
# The reset belongs in the batch loop, before backward.
import torch
import torch.nn as nn
import torch.nn.functional as F


def run(model, train_loader, optimizer, epochs):
    for epoch in range(epochs):
        for data, target in train_loader:
            optimizer.zero_grad()
            output = model(data)
            loss = F.nll_loss(output, target)
            loss.backward()
            optimizer.step()


net = nn.Sequential(nn.Flatten(), nn.Linear(784, 10), nn.LogSoftmax(dim=1))
run(net, train_loader, torch.optim.SGD(net.parameters(), lr=0.01), epochs=5)
