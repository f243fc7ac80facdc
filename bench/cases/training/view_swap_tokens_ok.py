# source: https://github.com/danielhavir/capsule-network/issues/4
# flatten(2).transpose(1, 2): (b, c, h*w) -> (b, h*w, c).
import torch
import torch.nn as nn


class PatchTokens(nn.Module):
    def __init__(self, dim=256):
        super().__init__()
        self.proj = nn.Conv2d(3, dim, 16, stride=16)
        self.norm = nn.LayerNorm(dim)

    def forward(self, x):
        x = self.proj(x)
        b, c, h, w = x.shape
        tokens = x.view(b, c, h * w).transpose(1, 2)
        return self.norm(tokens)
