# source: https://github.com/ugent-korea/pytorch-unet-segmentation/issues/18
# Validation after each epoch, under no_grad only; this model has batch norm and dropout.
import torch
import torch.nn as nn

model = nn.Sequential(
    nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
    nn.Dropout2d(0.3),
    nn.Conv2d(32, 2, 1),
)
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.99)

for epoch in range(50):
    model.train()
    for images, masks in train_loader:
        optimizer.zero_grad()
        loss = criterion(model(images), masks)
        loss.backward()
        optimizer.step()
    val_loss = 0.0
    with torch.no_grad():
        for images, masks in val_loader:
            val_loss += criterion(model(images), masks).item()  # expect: NN305
    print(f"epoch {epoch}: val loss {val_loss / len(val_loader):.4f}")
