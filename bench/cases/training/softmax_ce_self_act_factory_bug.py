# source: https://runebook.dev/en/docs/pytorch/generated/torch.nn.functional.sigmoid
# The model ends in `self.act = nn.Sigmoid()`, is built by a factory, and is trained against
# CrossEntropyLoss in a separate step function.
import torch
import torch.nn as nn


class TextClassifier(nn.Module):
    def __init__(self, vocab_size, num_classes):
        super().__init__()
        self.embedding = nn.EmbeddingBag(vocab_size, 64)
        self.fc = nn.Linear(64, num_classes)
        self.act = nn.Sigmoid()

    def forward(self, text, offsets):
        return self.act(self.fc(self.embedding(text, offsets)))


def build_model(vocab_size, num_classes=4):
    return TextClassifier(vocab_size, num_classes)


def train_step(model, criterion, optimizer, text, offsets, label):
    optimizer.zero_grad()
    loss = criterion(model(text, offsets), label)  # expect: NN602
    loss.backward()
    optimizer.step()
    return loss.item()


def main(batches, vocab_size):
    model = build_model(vocab_size)
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=5.0)
    for text, offsets, label in batches:
        train_step(model, criterion, optimizer, text, offsets, label)
