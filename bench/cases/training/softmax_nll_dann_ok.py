# source: https://github.com/NaJaeMin92/pytorch-DANN/issues/6
# The usual DANN domain classifier: LogSoftmax with NLLLoss.
import torch
import torch.nn as nn

domain_classifier = nn.Sequential(
    nn.Linear(768, 100),
    nn.BatchNorm1d(100),
    nn.ReLU(True),
    nn.Linear(100, 2),
    nn.LogSoftmax(dim=1),
)
loss_domain = torch.nn.NLLLoss()


def domain_loss(features, domain_label):
    domain_output = domain_classifier(features)
    return loss_domain(domain_output, domain_label)
