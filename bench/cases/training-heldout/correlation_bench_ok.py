# source: https://github.com/ClementPinard/Pytorch-Correlation-extension/issues/69
# torch.cuda.synchronize() before each clock read.
import time

import torch


def benchmark(correlation, batch=4, channels=32, size=64, runs=100):
    device = torch.device("cuda")
    input1 = torch.randn(batch, channels, size, size, device=device, requires_grad=True)
    input2 = torch.randn(batch, channels, size, size, device=device, requires_grad=True)
    forward_time = backward_time = 0.0
    for _ in range(runs):
        torch.cuda.synchronize()
        start = time.time()
        output = correlation(input1, input2)
        torch.cuda.synchronize()
        forward_time += time.time() - start
        start = time.time()
        output.mean().backward()
        torch.cuda.synchronize()
        backward_time += time.time() - start
    return forward_time / runs, backward_time / runs
