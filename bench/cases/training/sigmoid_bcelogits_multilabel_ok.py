# source: https://discuss.pytorch.org/t/multi-label-classification-in-pytorch/905/29
# forward returns logits; the sigmoid is applied only to threshold predictions.
import torch
import torch.nn as nn
from torchvision import models


class ResNet50(nn.Module):
    def __init__(self, num_classes):
        super().__init__()
        original_model = models.resnet50(weights=None)
        self.features = nn.Sequential(*list(original_model.children())[:-1])
        self.classifier = nn.Linear(original_model.fc.in_features, num_classes)

    def forward(self, x):
        f = self.features(x)
        f = f.view(f.size(0), -1)
        return self.classifier(f)


model = ResNet50(num_classes=20)
criterion = nn.BCEWithLogitsLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
for images, targets in loader:
    optimizer.zero_grad()
    logits = model(images)
    loss = criterion(logits, targets.float())
    loss.backward()
    optimizer.step()
    predicted = torch.sigmoid(logits) > 0.5
