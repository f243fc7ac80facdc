# source: https://github.com/torchsynth/torchsynth/issues/76
# Noise and envelopes created on the CPU and then copied to the GPU every call.
import torch
from torch import nn


class Noise(nn.Module):
    def __init__(self, batch_size, buffer_size):
        super().__init__()
        self.batch_size = batch_size
        self.buffer_size = buffer_size

    def forward(self, amplitude):
        noise = torch.rand(self.batch_size, self.buffer_size).cuda()  # expect: NN504
        return amplitude * (noise * 2 - 1)
