# source: https://github.com/microsoft/SpareNet/issues/12
# Detached numbers for the log.
import torch


class Runner:
    def __init__(self, model, optimizer):
        self.model = model
        self.optimizer = optimizer

    def train_epoch(self, loader):
        self.model.train()
        epoch_total = 0.0
        for partial, gt in loader:
            self.optimizer.zero_grad()
            coarse, refine = self.model(partial)
            loss = torch.nn.functional.l1_loss(coarse, gt) + torch.nn.functional.l1_loss(refine, gt)
            loss.backward()
            self.optimizer.step()
            epoch_total += loss.detach().item()
        print("epoch loss", epoch_total)
