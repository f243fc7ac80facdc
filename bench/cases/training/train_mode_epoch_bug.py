# source: https://github.com/fartashf/vsepp/issues/4
# train() once before the epochs, eval() for validation inside them: from the second epoch on,
# the model trains with dropout off and frozen batch-norm statistics.
import torch
import torch.nn as nn

model = nn.Sequential(nn.Linear(300, 128), nn.BatchNorm1d(128), nn.ReLU(), nn.Dropout(0.2), nn.Linear(128, 2))
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.Adam(model.parameters(), lr=2e-4)

model.train()
for epoch in range(30):
    for x, y in train_loader:
        optimizer.zero_grad()
        loss = criterion(model(x), y)  # expect: NN306
        loss.backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        acc = sum((model(x).argmax(1) == y).float().mean().item() for x, y in val_loader) / len(val_loader)
    print(epoch, acc)
