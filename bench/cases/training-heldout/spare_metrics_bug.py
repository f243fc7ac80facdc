# source: https://github.com/microsoft/SpareNet/issues/12
# A runner that keeps the loss tensors for the epoch's visualisation.
import torch


class Runner:
    def __init__(self, model, optimizer):
        self.model = model
        self.optimizer = optimizer
        self.losses = []

    def train_epoch(self, loader):
        self.model.train()
        epoch_total = 0
        for partial, gt in loader:
            self.optimizer.zero_grad()
            coarse, refine = self.model(partial)
            loss = torch.nn.functional.l1_loss(coarse, gt) + torch.nn.functional.l1_loss(refine, gt)
            loss.backward()
            self.optimizer.step()
            epoch_total += loss  # expect: NN204
        print("epoch loss", float(epoch_total))
