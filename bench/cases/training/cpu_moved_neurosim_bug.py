# source: https://github.com/neurosim/DNN_NeuroSim_V1.3/issues/8
# Quantisation noise made on the CPU for a CUDA tensor.
import torch


def add_variation(output, sigma):
    noise = torch.normal(0.0, sigma, size=output.shape).to(output.device)  # expect: NN504
    return output + noise
