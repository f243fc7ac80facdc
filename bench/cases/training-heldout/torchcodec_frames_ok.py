# source: https://github.com/meta-pytorch/torchcodec/pull/1347
# Created on the device.
import torch


def allocate_frames(num_frames, height, width, device):
    frames = torch.empty(num_frames, 3, height, width, dtype=torch.uint8, device=device)
    pts = torch.zeros(num_frames, dtype=torch.float64, device=device)
    return frames, pts
