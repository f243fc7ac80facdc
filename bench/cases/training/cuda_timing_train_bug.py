# source: https://github.com/HorizonRobotics/alf/pull/1068
# Time per training iteration on the GPU, logged without a synchronization.
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
        toc = time.perf_counter()  # expect: NN506
        if step % 50 == 0:
            print(f"step {step}: {1000 * (toc - tic):.1f} ms")
