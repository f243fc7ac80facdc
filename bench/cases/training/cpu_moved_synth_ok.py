# source: https://github.com/torchsynth/torchsynth/issues/76
# Created directly on the input's device.
import torch
from torch import nn


class Noise(nn.Module):
    def __init__(self, batch_size, buffer_size):
        super().__init__()
        self.batch_size = batch_size
        self.buffer_size = buffer_size

    def forward(self, amplitude):
        noise = torch.rand(self.batch_size, self.buffer_size, device=amplitude.device)
        return amplitude * (noise * 2 - 1)
