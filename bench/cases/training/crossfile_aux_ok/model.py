# source: https://github.com/clvrai/ACGAN-PyTorch/issues/8
# The classifier returns log-probabilities.
import torch.nn as nn
import torch.nn.functional as F


class AuxClassifier(nn.Module):
    def __init__(self, in_features=512, num_classes=10):
        super().__init__()
        self.fc = nn.Linear(in_features, num_classes)

    def forward(self, features):
        return F.log_softmax(self.fc(features), dim=1)
