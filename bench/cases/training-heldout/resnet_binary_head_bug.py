# source: https://whosebug.com/question/5794074/ResNet-family-classification-layer-activation-function
# ResNet18 for a binary task: a one-logit head, a sigmoid added in the training step, and
# CrossEntropyLoss.
import torch
import torch.nn as nn
from torchvision import models

model = models.resnet18(weights=models.ResNet18_Weights.DEFAULT)
model.fc = nn.Linear(model.fc.in_features, 2)
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)

model.train()
for inputs, labels in dataloader:
    optimizer.zero_grad()
    outputs = torch.sigmoid(model(inputs))
    loss = criterion(outputs, labels)  # expect: NN602
    loss.backward()
    optimizer.step()
