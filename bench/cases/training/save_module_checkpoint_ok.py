# source: https://github.com/pytorch/pytorch/issues/7812
# The checkpoint holds the state_dicts of the model and the optimizer.
import os

import torch


def checkpoint(epoch, net_g, optimizer, out_dir="checkpoint/multi"):
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, f"netG_model_epoch_{epoch}.pth")
    torch.save({"epoch": epoch, "model": net_g.state_dict(), "optimizer": optimizer.state_dict()}, path)
    print(f"Checkpoint saved to {path}")


def train(net_g: torch.nn.Module, loader, optimizer, epochs):
    for epoch in range(1, epochs + 1):
        for data, target in loader:
            optimizer.zero_grad()
            torch.nn.functional.l1_loss(net_g(data), target).backward()
            optimizer.step()
        checkpoint(epoch, net_g, optimizer)
