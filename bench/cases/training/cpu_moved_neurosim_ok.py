# source: https://github.com/neurosim/DNN_NeuroSim_V1.3/issues/8
# randn_like makes the noise where the output lives.
import torch


def add_variation(output, sigma):
    noise = torch.randn_like(output) * sigma
    return output + noise
