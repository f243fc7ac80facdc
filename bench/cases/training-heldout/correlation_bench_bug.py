# source: https://github.com/ClementPinard/Pytorch-Correlation-extension/issues/69
# Forward and backward of a CUDA op timed with time.time() and no synchronisation.
import time

import torch


def benchmark(correlation, batch=4, channels=32, size=64, runs=100):
    device = torch.device("cuda")
    input1 = torch.randn(batch, channels, size, size, device=device, requires_grad=True)
    input2 = torch.randn(batch, channels, size, size, device=device, requires_grad=True)
    forward_time = backward_time = 0.0
    for _ in range(runs):
        start = time.time()
        output = correlation(input1, input2)
        forward_time += time.time() - start  # expect: NN506
        start = time.time()
        output.mean().backward()
        backward_time += time.time() - start  # expect: NN506
    return forward_time / runs, backward_time / runs
