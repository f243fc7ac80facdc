# source: https://github.com/torchgan/torchgan/issues/116
# The logits go straight into the *_with_logits functional.
import torch
import torch.nn.functional as F


def minimax_discriminator_loss(dx, dgz, label_smoothing=0.0):
    target_ones = torch.ones_like(dx) * (1.0 - label_smoothing)
    target_zeros = torch.zeros_like(dgz)
    loss = F.binary_cross_entropy_with_logits(dx, target_ones)
    loss += F.binary_cross_entropy_with_logits(dgz, target_zeros)
    return loss
