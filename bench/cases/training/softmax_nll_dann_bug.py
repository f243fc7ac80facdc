# source: https://github.com/NaJaeMin92/pytorch-DANN/issues/6
# DANN: the domain classifier ends with nn.Softmax but is trained with NLLLoss.
import torch
import torch.nn as nn

domain_classifier = nn.Sequential(
    nn.Linear(768, 100),
    nn.BatchNorm1d(100),
    nn.ReLU(True),
    nn.Linear(100, 2),
    nn.Softmax(dim=1),
)
loss_domain = torch.nn.NLLLoss()


def domain_loss(features, domain_label):
    domain_output = domain_classifier(features)
    return loss_domain(domain_output, domain_label)  # expect: NN604
