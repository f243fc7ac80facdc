# source: https://github.com/HorizonRobotics/alf/pull/1068
# The PR's fix: synchronize before recording the time.
import time

import torch


def train(model, loader, optimizer, device="cuda"):
    model.to(device).train()
    for step, (x, y) in enumerate(loader):
        x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
        tic = time.perf_counter()
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        torch.cuda.synchronize()
        toc = time.perf_counter()
        if step % 50 == 0:
            print(f"step {step}: {1000 * (toc - tic):.1f} ms")
