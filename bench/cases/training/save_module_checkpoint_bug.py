# source: https://github.com/pytorch/pytorch/issues/7812
# A checkpoint helper that pickles the generator object itself.
import os

import torch


def checkpoint(epoch, net_g, out_dir="checkpoint/multi"):
    os.makedirs(out_dir, exist_ok=True)
    net_g_model_out_path = os.path.join(out_dir, f"netG_model_epoch_{epoch}.pth")
    torch.save(net_g, net_g_model_out_path)  # expect: NN505
    print(f"Checkpoint saved to {net_g_model_out_path}")


def train(net_g: torch.nn.Module, loader, optimizer, epochs):
    for epoch in range(1, epochs + 1):
        for data, target in loader:
            optimizer.zero_grad()
            torch.nn.functional.l1_loss(net_g(data), target).backward()
            optimizer.step()
        checkpoint(epoch, net_g)
