# source: https://jamesmccaffreyblog.com/2022/12/02/computing-log_softmax-for-pytorch-directly/
# A Softmax-terminated Sequential and NLLLoss, both passed into a train function.
import torch
import torch.nn as nn


def train(net, data_ldr, loss_func, optimizer, max_epochs):
    for epoch in range(max_epochs):
        for (X, Y) in data_ldr:
            optimizer.zero_grad()
            oupt = net(X)
            loss_val = loss_func(oupt, Y)  # expect: NN604
            loss_val.backward()
            optimizer.step()


net = nn.Sequential(nn.Linear(6, 10), nn.Tanh(), nn.Linear(10, 3), nn.Softmax(dim=1))
train(net, train_ldr, nn.NLLLoss(), torch.optim.SGD(net.parameters(), lr=0.01), max_epochs=100)
