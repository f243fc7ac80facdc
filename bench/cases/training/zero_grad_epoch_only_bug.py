# source: https://github.com/pytorch/tutorials/issues/2799
# The reset sits in the epoch loop, so within an epoch the gradients pile up batch after batch.
import torch
import torch.nn as nn
import torch.nn.functional as F


def run(model, train_loader, optimizer, epochs):
    for epoch in range(epochs):
        optimizer.zero_grad()
        for data, target in train_loader:
            output = model(data)
            loss = F.nll_loss(output, target)
            loss.backward()  # expect: NN601
            optimizer.step()


net = nn.Sequential(nn.Flatten(), nn.Linear(784, 10), nn.LogSoftmax(dim=1))
run(net, train_loader, torch.optim.SGD(net.parameters(), lr=0.01), epochs=5)
