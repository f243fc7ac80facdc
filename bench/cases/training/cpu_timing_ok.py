# source: https://github.com/LukasHedegaard/pytorch-benchmark/issues/11
# Timing on the CPU needs no synchronization.
import time

import torch


def cpu_latency(model, repeat=50):
    model = model.cpu().eval()
    x = torch.randn(8, 3, 224, 224)
    with torch.no_grad():
        start = time.perf_counter()
        for _ in range(repeat):
            model(x)
        return (time.perf_counter() - start) / repeat
