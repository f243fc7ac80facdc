# source: https://github.com/automl/DACBench/issues/95
# Train the batch with autograd on; only the reward is measured without it.
import torch
import torch.nn.functional as F


class SGDEnv:
    def __init__(self, model, optimizer, loader):
        self.model = model
        self.optimizer = optimizer
        self.loader = iter(loader)

    def get_default_reward(self):
        data, target = next(self.loader)
        loss = F.nll_loss(self.model(data), target, reduction="none")
        self.optimizer.zero_grad()
        loss.mean().backward()
        self.optimizer.step()
        with torch.inference_mode():
            return -F.nll_loss(self.model(data), target).item()
