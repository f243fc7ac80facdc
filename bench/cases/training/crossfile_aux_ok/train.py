# source: https://github.com/clvrai/ACGAN-PyTorch/issues/8
# NLLLoss on log-probabilities.
import torch
import torch.nn as nn
from model import AuxClassifier

aux = AuxClassifier()
aux_criterion = nn.NLLLoss()
optimizer = torch.optim.Adam(aux.parameters(), lr=2e-4)
for features, label in loader:
    optimizer.zero_grad()
    loss = aux_criterion(aux(features), label)
    loss.backward()
    optimizer.step()
