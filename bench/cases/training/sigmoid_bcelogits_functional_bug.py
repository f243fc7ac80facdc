# source: https://github.com/torchgan/torchgan/issues/116
# A minimax discriminator loss that applies torch.sigmoid before the *_with_logits functional.
import torch
import torch.nn.functional as F


def minimax_discriminator_loss(dx, dgz, label_smoothing=0.0):
    real = torch.sigmoid(dx)
    fake = torch.sigmoid(dgz)
    target_ones = torch.ones_like(real) * (1.0 - label_smoothing)
    target_zeros = torch.zeros_like(fake)
    loss = F.binary_cross_entropy_with_logits(real, target_ones)  # expect: NN605
    loss += F.binary_cross_entropy_with_logits(fake, target_zeros)  # expect: NN605
    return loss
