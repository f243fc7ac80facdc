# source: https://github.com/pengsongyou/openscene/issues/20
# validate() switches to eval mode; train_epoch() switches back.
import torch
from torch import nn


class Distiller:
    def __init__(self, feat_dim=512):
        self.model = nn.Sequential(nn.Linear(3, 256), nn.ReLU(), nn.Dropout(0.1), nn.Linear(256, feat_dim))
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=1e-4)

    def train_epoch(self, loader):
        self.model.train()
        for points, target in loader:
            self.optimizer.zero_grad()
            loss = 1 - nn.functional.cosine_similarity(self.model(points), target).mean()
            loss.backward()
            self.optimizer.step()

    def validate(self, loader):
        self.model.eval()
        scores = []
        with torch.no_grad():
            for points, target in loader:
                pred = self.model(points)
                scores.append(nn.functional.cosine_similarity(pred, target).mean().item())
        return sum(scores) / len(scores)
