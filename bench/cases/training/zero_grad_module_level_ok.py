# source: https://preproom.ai/learn/model-training-pytorch.html
# Same, with the gradients cleared every epoch.
import torch
import torch.nn as nn

model = nn.Linear(1, 1)
criterion = nn.MSELoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.03)


def train(x, y, epochs=200):
    model.train()
    for epoch in range(epochs):
        optimizer.zero_grad()
        pred = model(x)
        loss = criterion(pred, y)
        loss.backward()
        optimizer.step()
    return loss.item()
