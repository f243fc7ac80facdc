# source: https://jamesmccaffreyblog.com/2022/12/02/computing-log_softmax-for-pytorch-directly/
# softmax followed by an explicit log is what NLLLoss expects (less stable than log_softmax, but right).
import torch
import torch.nn.functional as F


def loss_from_probs(logits, target):
    probs = F.softmax(logits, dim=1)
    return F.nll_loss(torch.log(probs + 1e-8), target)
