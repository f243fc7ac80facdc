# source: https://themissingmanual.dev/guides/pytorch-from-zero/6
# The canonical order: zero_grad, forward, loss, backward, step.
import torch
import torch.nn as nn


def make_model():
    return nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 1))


def make_optimizer(model, lr=1e-3):
    return torch.optim.Adam(model.parameters(), lr=lr)


def main(X, y, epochs=100):
    model = make_model()
    optimizer = make_optimizer(model)
    loss_fn = nn.MSELoss()
    for epoch in range(epochs):
        optimizer.zero_grad()
        pred = model(X)
        loss = loss_fn(pred, y)
        loss.backward()
        optimizer.step()
    return model
