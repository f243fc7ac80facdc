# source: https://sunghogigio.com/blog/en/pytorch-transfer
# The head ends in a Linear; BCEWithLogitsLoss adds the sigmoid itself.
import torch
import torch.nn as nn
import torchvision

model = torchvision.models.vgg16(weights=torchvision.models.VGG16_Weights.DEFAULT)
model.classifier = nn.Sequential(
    nn.Linear(25088, 256),
    nn.ReLU(),
    nn.Dropout(0.5),
    nn.Linear(256, 1),
)
criterion = nn.BCEWithLogitsLoss()
optimizer = torch.optim.Adam(model.classifier.parameters(), lr=1e-4)

model.train()
for x, y in train_loader:
    optimizer.zero_grad()
    loss = criterion(model(x).squeeze(1), y.float())
    loss.backward()
    optimizer.step()
