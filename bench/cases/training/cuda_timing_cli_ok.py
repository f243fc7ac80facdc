# source: https://github.com/black-forest-labs/flux/pull/147
# The merged fix: synchronize before reading the clock.
import time

import torch


def generate(model, prompt_embeds, steps=28):
    device = torch.device("cuda")
    x = torch.randn(1, 16, 128, 96, device=device)
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    for t in torch.linspace(1, 0, steps, device=device):
        x = x - model(x, t, prompt_embeds) / steps
    torch.cuda.synchronize()
    t1 = time.perf_counter()
    print(f"Done in {t1 - t0:.1f}s")
    return x
