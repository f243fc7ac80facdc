# source: https://github.com/zhoudaxia233/EfficientUnet-PyTorch/issues/2
# A trainer that saves self.model whole at the end of training.
import torch
from torch import nn


class SegTrainer:
    def __init__(self, model: nn.Module, out_path="model.pt"):
        self.model = model
        self.out_path = out_path
        self.optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)

    def fit(self, loader, epochs):
        for epoch in range(epochs):
            for x, y in loader:
                self.optimizer.zero_grad()
                nn.functional.binary_cross_entropy_with_logits(self.model(x), y).backward()
                self.optimizer.step()
        torch.save(self.model, self.out_path)  # expect: NN505
