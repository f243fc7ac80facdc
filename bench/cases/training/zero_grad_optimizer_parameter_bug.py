# source: https://thecodeforge.io/ml-ai/pytorch-training-loop/
# A train function that gets its optimizer as a parameter and never clears the gradients:
# the training loss drops for a few batches, then the weights grow and validation stays random.
import torch
from torch import nn


def train_one_epoch(model, loader, optimizer, criterion):
    model.train()
    for inputs, targets in loader:
        outputs = model(inputs)
        loss = criterion(outputs, targets)
        loss.backward()  # expect: NN601
        optimizer.step()


model = nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Linear(64, 2))
optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
for epoch in range(10):
    train_one_epoch(model, train_loader, optimizer, nn.CrossEntropyLoss())
