# source: https://discuss.pytorch.org/t/cross-entropy-loss-is-not-decreasing/43814/16
# An MLP classifier whose forward ends in softmax, trained with CrossEntropyLoss: the loss
# sits at log(10) = 2.30 and never moves.
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
        return F.softmax(self.fc2(x), dim=1)


model = MLP()
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

for epoch in range(5):
    for images, labels in train_loader:
        optimizer.zero_grad()
        loss = criterion(model(images), labels)  # expect: NN602
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch} loss = {loss.item()}")
