# source: https://github.com/yunjey/pytorch-tutorial/issues/238
# A small Trainer whose optimizer is an Optional constructor argument kept on self.
from typing import Optional

import torch
import torch.nn as nn


class Trainer:
    def __init__(self, model: nn.Module, optimizer: Optional[torch.optim.Optimizer] = None):
        self.model = model
        self.criterion = nn.CrossEntropyLoss()
        self.optimizer = optimizer or torch.optim.SGD(model.parameters(), lr=0.01)

    def fit(self, train_loader, num_epochs):
        for epoch in range(num_epochs):
            for images, labels in train_loader:
                outputs = self.model(images)
                loss = self.criterion(outputs, labels)
                loss.backward()  # expect: NN601
                self.optimizer.step()
            print(f"Epoch [{epoch + 1}/{num_epochs}], Loss: {loss.item():.4f}")
