# source: https://github.com/eriklindernoren/PyTorch-GAN/pull/186
# A model returning (features, class probabilities); the loss takes out[1].
import torch
import torch.nn as nn
import torch.nn.functional as F


class Encoder(nn.Module):
    def __init__(self, n_classes=10):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(784, 256), nn.ReLU())
        self.head = nn.Linear(256, n_classes)

    def forward(self, x):
        features = self.body(x)
        probs = F.softmax(self.head(features), dim=1)
        return features, probs


model = Encoder()
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for x, y in loader:
    optimizer.zero_grad()
    out = model(x)
    loss = criterion(out[1], y)  # expect: NN602
    loss.backward()
    optimizer.step()
