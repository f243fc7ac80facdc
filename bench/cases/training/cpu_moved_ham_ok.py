# source: https://github.com/open-mmlab/mmsegmentation/issues/3231
# The suggested constructor form.
import torch
import torch.nn.functional as F


def build_bases(B, S, D, R, device):
    bases = torch.rand((B * S, D, R), device=device)
    return F.normalize(bases, dim=1)
