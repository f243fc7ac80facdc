# source: https://github.com/NaJaeMin92/pytorch-DANN/issues/6
# The loss gets the logits; the probabilities only serve the accuracy metric.
import torch
import torch.nn as nn
import torch.nn.functional as F


class LitClassifier(nn.Module):
    def __init__(self, backbone, num_classes=31):
        super().__init__()
        self.backbone = backbone
        self.classifier = nn.Linear(2048, num_classes)
        self.loss_fn = nn.CrossEntropyLoss(label_smoothing=0.1)

    def forward(self, x):
        return self.classifier(self.backbone(x))

    def training_step(self, batch, batch_idx):
        x, y = batch
        logits = self(x)
        loss = self.loss_fn(logits, y)
        acc = (F.softmax(logits, dim=1).argmax(dim=1) == y).float().mean()
        return loss, acc
