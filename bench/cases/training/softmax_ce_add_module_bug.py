# source: https://sites.google.com/site/hellobenchen/home/wiki/math/negative-log-loss-and-cross-entropy-in-pytorch
# A network assembled with add_module; its last layer is a Softmax, and the loss is CrossEntropyLoss.
import torch
import torch.nn as nn

net = nn.Sequential()
net.add_module("hidden", nn.Linear(4, 16))
net.add_module("relu", nn.ReLU())
net.add_module("out", nn.Linear(16, 3))
net.add_module("softmax", nn.Softmax(dim=1))

loss_fn = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(net.parameters(), lr=0.05)
for epoch in range(200):
    optimizer.zero_grad()
    loss = loss_fn(net(X_train), y_train)  # expect: NN602
    loss.backward()
    optimizer.step()
