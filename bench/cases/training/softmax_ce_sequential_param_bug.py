# source: https://runebook.dev/en/articles/pytorch/generated/torch.nn.softmax
# A Sequential classifier ending in nn.Softmax, handed to a generic train() together with
# CrossEntropyLoss: the loss applies log_softmax to probabilities.
import torch
import torch.nn as nn


def train(model, loader, criterion, optimizer, epochs=10):
    for epoch in range(epochs):
        for x, y in loader:
            optimizer.zero_grad()
            loss = criterion(model(x), y)  # expect: NN602
            loss.backward()
            optimizer.step()


classifier = nn.Sequential(
    nn.Linear(20, 64),
    nn.ReLU(),
    nn.Linear(64, 5),
    nn.Softmax(dim=1),
)
train(classifier, train_loader, nn.CrossEntropyLoss(), torch.optim.Adam(classifier.parameters()))
