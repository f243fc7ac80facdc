# source: https://github.com/Tramac/torchscope/issues/2
# A model summary tool that reports the forward time of a model moved to the GPU.
import time

import torch


def scope(model, input_size, device="cuda"):
    model = model.to(device).eval()
    x = torch.rand(1, *input_size).to(device)  # expect: NN504
    with torch.no_grad():
        t0 = time.perf_counter()
        model(x)
        elapsed = time.perf_counter() - t0  # expect: NN506
    print(f"forward: {elapsed * 1000:.2f} ms")
