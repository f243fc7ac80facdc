# source: https://github.com/NaJaeMin92/pytorch-DANN/issues/6
# A LightningModule-style class: the loss module lives on self, the softmax is applied in the step.
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
        probs = F.softmax(self(x), dim=1)
        loss = self.loss_fn(probs, y)  # expect: NN602
        return loss
