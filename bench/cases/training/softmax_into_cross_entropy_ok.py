# source: https://discuss.pytorch.org/t/cross-entropy-loss-is-not-decreasing/43814/16
# The fix: forward returns the logits; softmax only where probabilities are shown.
import torch
import torch.nn as nn
import torch.nn.functional as F


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.relu(self.fc1(x.view(-1, 784)))
        return self.fc2(x)


model = MLP()
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

for epoch in range(5):
    for images, labels in train_loader:
        optimizer.zero_grad()
        logits = model(images)
        loss = criterion(logits, labels)
        loss.backward()
        optimizer.step()
    probs = F.softmax(logits, dim=1)
    print(f"epoch {epoch} loss = {loss.item()} confidence = {probs.max(dim=1).values.mean().item()}")
