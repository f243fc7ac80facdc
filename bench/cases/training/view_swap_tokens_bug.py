# source: https://github.com/danielhavir/capsule-network/issues/4
# Feature maps flattened to tokens with view(b, h * w, c): each "token" mixes channels and pixels.
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
        tokens = x.view(b, h * w, c)  # expect: NN409
        return self.norm(tokens)
