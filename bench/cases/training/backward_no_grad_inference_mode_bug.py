# source: https://github.com/automl/DACBench/issues/95
# An environment's reward function trains one batch inside inference_mode.
import torch
import torch.nn.functional as F


class SGDEnv:
    def __init__(self, model, optimizer, loader):
        self.model = model
        self.optimizer = optimizer
        self.loader = iter(loader)

    def get_default_reward(self):
        with torch.inference_mode():
            data, target = next(self.loader)
            loss = F.nll_loss(self.model(data), target, reduction="none")
            self.optimizer.zero_grad()
            loss.mean().backward()  # expect: NN207
            self.optimizer.step()
        return -loss.mean().item()
