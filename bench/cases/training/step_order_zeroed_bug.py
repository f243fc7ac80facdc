# source: https://github.com/pytorch/tutorials/pull/3909
# The three calls in the wrong order: the step sees the gradients zero_grad just erased,
# and the new ones are erased before the next step.
import torch
from torch import nn


def train(dataloader, model, loss_fn, optimizer):
    model.train()
    for X, y in dataloader:
        pred = model(X)
        loss = loss_fn(pred, y)
        optimizer.zero_grad()
        optimizer.step()  # expect: NN606
        loss.backward()


model = nn.Sequential(nn.Flatten(), nn.Linear(28 * 28, 512), nn.ReLU(), nn.Linear(512, 10))
train(train_dataloader, model, nn.CrossEntropyLoss(), torch.optim.SGD(model.parameters(), lr=1e-3))
