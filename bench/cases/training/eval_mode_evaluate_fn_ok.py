# source: https://github.com/wolny/pytorch-3dunet/issues/53
# evaluate() switches to eval mode; each epoch switches back to train mode.
import torch
import torch.nn as nn


class UNetLite(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc = nn.Sequential(nn.Conv3d(1, 16, 3, padding=1), nn.BatchNorm3d(16), nn.ReLU())
        self.drop = nn.Dropout3d(0.2)
        self.dec = nn.Conv3d(16, 2, 1)

    def forward(self, x):
        return self.dec(self.drop(self.enc(x)))


def evaluate(model, loader, criterion):
    model.eval()
    total = 0.0
    with torch.no_grad():
        for x, y in loader:
            total += criterion(model(x), y).item()
    return total / len(loader)


def main(train_loader, val_loader, epochs=10):
    model = UNetLite()
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters())
    for epoch in range(epochs):
        model.train()
        for x, y in train_loader:
            optimizer.zero_grad()
            criterion(model(x), y).backward()
            optimizer.step()
        print(epoch, evaluate(model, val_loader, criterion))
