# source: https://theneuralbase.com/torchvision/learn/intermediate/replacing-the-classifier-head/
# The new head outputs logits.
import torch
import torch.nn as nn
from torchvision.models import resnet50, ResNet50_Weights

num_classes = 5
model = resnet50(weights=ResNet50_Weights.IMAGENET1K_V2)
for p in model.parameters():
    p.requires_grad = False
model.fc = nn.Linear(model.fc.in_features, num_classes)

criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.Adam(model.fc.parameters(), lr=1e-3)
model.train()
for images, labels in train_loader:
    optimizer.zero_grad()
    loss = criterion(model(images), labels)
    loss.backward()
    optimizer.step()
