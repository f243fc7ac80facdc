# source: https://theneuralbase.com/torchvision/learn/intermediate/replacing-the-classifier-head/
# Transfer learning: the ResNet head is replaced by Linear + Softmax, trained with CrossEntropyLoss.
import torch
import torch.nn as nn
from torchvision.models import resnet50, ResNet50_Weights

num_classes = 5
model = resnet50(weights=ResNet50_Weights.IMAGENET1K_V2)
for p in model.parameters():
    p.requires_grad = False
model.fc = nn.Sequential(nn.Linear(model.fc.in_features, num_classes), nn.Softmax(dim=1))

criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.Adam(model.fc.parameters(), lr=1e-3)
model.train()
for images, labels in train_loader:
    optimizer.zero_grad()
    loss = criterion(model(images), labels)  # expect: NN602
    loss.backward()
    optimizer.step()
