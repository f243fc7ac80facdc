# source: https://github.com/nianticlabs/monodepth2/issues/24
# A validation routine changed to also update the model: its backward runs under torch.no_grad().
import torch


class Trainer:
    def __init__(self, model, optimizer):
        self.model = model
        self.optimizer = optimizer

    def process_batch(self, inputs):
        outputs = self.model(inputs["color"])
        loss = (outputs - inputs["depth_gt"]).abs().mean()
        return outputs, {"loss": loss}

    def val(self, val_iter):
        self.model.eval()
        inputs = next(val_iter)
        with torch.no_grad():
            outputs, losses = self.process_batch(inputs)
            self.optimizer.zero_grad()
            losses["loss"].backward()  # expect: NN207
            self.optimizer.step()
        self.model.train()
