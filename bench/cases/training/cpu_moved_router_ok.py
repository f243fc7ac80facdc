# source: https://github.com/huggingface/transformers/pull/26151
# The merged change: create it on the device.
import torch


def router_tuple(hidden_states):
    return (torch.tensor([0], device=hidden_states.device),)
