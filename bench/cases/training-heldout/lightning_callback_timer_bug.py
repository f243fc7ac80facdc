# source: https://github.com/mmcdermott/MEDS_EIC_AR/issues/132
# Generation speed measured per batch with perf_counter, the model on the GPU.
import time

import torch


@torch.no_grad()
def generate_all(model, batches, device="cuda"):
    model = model.to(device)
    model.eval()
    times = []
    for batch in batches:
        batch = batch.to(device)
        start = time.perf_counter()
        out = model.generate(batch, max_new_tokens=64)
        times.append(time.perf_counter() - start)  # expect: NN506
    return times
