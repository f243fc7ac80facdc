# source: https://github.com/pytorch/tutorials/pull/3909
# zero_grad, backward, step.
import torch
from torch import nn


def train(dataloader, model, loss_fn, optimizer):
    model.train()
    for X, y in dataloader:
        optimizer.zero_grad()
        pred = model(X)
        loss = loss_fn(pred, y)
        loss.backward()
        optimizer.step()


model = nn.Sequential(nn.Flatten(), nn.Linear(28 * 28, 512), nn.ReLU(), nn.Linear(512, 10))
train(train_dataloader, model, nn.CrossEntropyLoss(), torch.optim.SGD(model.parameters(), lr=1e-3))
