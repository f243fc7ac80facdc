# source: https://github.com/pytorch/pytorch/issues/2762
# The whole model is pickled; loading it from another script fails with
# "Can't get attribute 'CNN4MNIST' on <module '__main__'>".
import torch
import torch.nn as nn


class CNN4MNIST(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 16, 5)
        self.fc = nn.Linear(16 * 24 * 24, 10)

    def forward(self, x):
        return self.fc(torch.relu(self.conv(x)).flatten(1))


cnn4mnist = CNN4MNIST()
optimizer = torch.optim.Adam(cnn4mnist.parameters())
for x, y in train_loader:
    optimizer.zero_grad()
    nn.functional.cross_entropy(cnn4mnist(x), y).backward()
    optimizer.step()
torch.save(cnn4mnist, "cnn4mnist.pt")  # expect: NN505
