# source: https://runebook.dev/en/articles/pytorch/generated/torch.nn.softmax
# The classifier outputs logits; probabilities are computed only for reporting.
import torch
import torch.nn as nn


def train(model, loader, criterion, optimizer, epochs=10):
    for epoch in range(epochs):
        for x, y in loader:
            optimizer.zero_grad()
            logits = model(x)
            loss = criterion(logits, y)
            loss.backward()
            optimizer.step()
        print(epoch, torch.softmax(logits, dim=1).max(dim=1).values.mean().item())


classifier = nn.Sequential(
    nn.Linear(20, 64),
    nn.ReLU(),
    nn.Linear(64, 5),
)
train(classifier, train_loader, nn.CrossEntropyLoss(), torch.optim.Adam(classifier.parameters()))
