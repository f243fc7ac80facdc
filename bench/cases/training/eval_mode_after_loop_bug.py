# source: https://github.com/layumi/Person_reID_baseline_pytorch/issues/218
# Accuracy measured right after the training loop, with the model still in train mode.
import torch
import torch.nn as nn

model = nn.Sequential(
    nn.Linear(2048, 512), nn.BatchNorm1d(512), nn.ReLU(), nn.Dropout(0.5), nn.Linear(512, 751),
)
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)

for epoch in range(60):
    for feats, ids in train_loader:
        optimizer.zero_grad()
        loss = criterion(model(feats), ids)
        loss.backward()
        optimizer.step()

correct = 0
with torch.no_grad():
    for feats, ids in query_loader:
        correct += (model(feats).argmax(dim=1) == ids).sum().item()  # expect: NN305
print("rank-1:", correct / len(query_loader.dataset))
