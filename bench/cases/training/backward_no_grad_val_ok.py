# source: https://github.com/nianticlabs/monodepth2/issues/24
# Validation only measures, under no_grad; the update happens in the training step.
import torch


class Trainer:
    def __init__(self, model, optimizer):
        self.model = model
        self.optimizer = optimizer

    def process_batch(self, inputs):
        outputs = self.model(inputs["color"])
        loss = (outputs - inputs["depth_gt"]).abs().mean()
        return outputs, {"loss": loss}

    def run_step(self, inputs):
        self.model.train()
        outputs, losses = self.process_batch(inputs)
        self.optimizer.zero_grad()
        losses["loss"].backward()
        self.optimizer.step()

    def val(self, val_iter):
        self.model.eval()
        inputs = next(val_iter)
        with torch.no_grad():
            outputs, losses = self.process_batch(inputs)
        self.model.train()
        return losses["loss"].item()
