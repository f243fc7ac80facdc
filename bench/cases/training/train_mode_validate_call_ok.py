# source: https://github.com/fartashf/vsepp/issues/4
# validate() restores train mode before returning.
import torch
import torch.nn as nn


def validate(model, val_loader):
    model.eval()
    with torch.no_grad():
        total = sum(nn.functional.mse_loss(model(x), y).item() for x, y in val_loader)
    model.train()
    return total


def train(model, train_loader, val_loader, optimizer, epochs, val_step=500):
    model.train()
    step = 0
    for epoch in range(epochs):
        for x, y in train_loader:
            optimizer.zero_grad()
            loss = nn.functional.mse_loss(model(x), y)
            loss.backward()
            optimizer.step()
            step += 1
            if step % val_step == 0:
                validate(model, val_loader)


net = nn.Sequential(nn.Linear(64, 64), nn.Dropout(0.3), nn.Linear(64, 1))
train(net, train_loader, val_loader, torch.optim.SGD(net.parameters(), lr=0.1), epochs=5)
