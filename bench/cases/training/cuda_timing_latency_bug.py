# source: https://github.com/microsoft/Olive/pull/492
# Per-batch latency of a model on the GPU, measured with perf_counter alone.
import time

import torch


def measure_latency(model, input_shape, warmup=10, repeat=100):
    model = model.cuda().eval()
    dummy = torch.randn(*input_shape, device="cuda")
    latencies = []
    with torch.no_grad():
        for _ in range(warmup):
            model(dummy)
        for _ in range(repeat):
            start = time.perf_counter()
            model(dummy)
            latencies.append(time.perf_counter() - start)  # expect: NN506
    return sum(latencies) / repeat
