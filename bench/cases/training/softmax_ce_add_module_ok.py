# source: https://sites.google.com/site/hellobenchen/home/wiki/math/negative-log-loss-and-cross-entropy-in-pytorch
# With a LogSoftmax last layer, the matching loss is NLLLoss.
import torch
import torch.nn as nn

net = nn.Sequential()
net.add_module("hidden", nn.Linear(4, 16))
net.add_module("relu", nn.ReLU())
net.add_module("out", nn.Linear(16, 3))
net.add_module("log_softmax", nn.LogSoftmax(dim=1))

loss_fn = nn.NLLLoss()
optimizer = torch.optim.SGD(net.parameters(), lr=0.05)
for epoch in range(200):
    optimizer.zero_grad()
    loss = loss_fn(net(X_train), y_train)
    loss.backward()
    optimizer.step()
