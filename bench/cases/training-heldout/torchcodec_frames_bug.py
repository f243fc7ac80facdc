# source: https://github.com/meta-pytorch/torchcodec/pull/1347
# Output buffers allocated on the CPU, then copied to the decoder's device.
import torch


def allocate_frames(num_frames, height, width, device):
    frames = torch.empty(num_frames, 3, height, width, dtype=torch.uint8).to(device)  # expect: NN504
    pts = torch.zeros(num_frames, dtype=torch.float64).to(device)  # expect: NN504
    return frames, pts
