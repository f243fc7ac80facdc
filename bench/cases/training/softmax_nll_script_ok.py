# source: https://runebook.dev/en/docs/pytorch/generated/torch.nn.softmax
# LogSoftmax with NLLLoss, as the NLLLoss docs ask.
import torch
import torch.nn as nn

logits = model(features)
log_softmax_layer = nn.LogSoftmax(dim=1)
log_probs = log_softmax_layer(logits)
loss_func = nn.NLLLoss()
loss = loss_func(log_probs, target)
loss.backward()
