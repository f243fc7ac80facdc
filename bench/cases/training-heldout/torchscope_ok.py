# source: https://github.com/Tramac/torchscope/issues/2
# Synchronised before the end time; the input made on the device.
import time

import torch


def scope(model, input_size, device="cuda"):
    model = model.to(device).eval()
    x = torch.rand(1, *input_size, device=device)
    with torch.no_grad():
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        model(x)
        torch.cuda.synchronize()
        elapsed = time.perf_counter() - t0
    print(f"forward: {elapsed * 1000:.2f} ms")
