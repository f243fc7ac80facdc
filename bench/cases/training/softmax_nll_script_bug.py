# source: https://runebook.dev/en/docs/pytorch/generated/torch.nn.softmax
# Probabilities from an nn.Softmax layer passed straight to NLLLoss.
import torch
import torch.nn as nn

logits = model(features)
softmax_layer = nn.Softmax(dim=1)
probs = softmax_layer(logits)
loss_func = nn.NLLLoss()
loss = loss_func(probs, target)  # expect: NN604
loss.backward()
