# source: https://jamesmccaffreyblog.com/2025/01/13/explaining-why-pytorch-multi-class-classification-neural-networks-use-nllloss-negative-log-likelihood-loss
# An "early days" network with a softmax output, annotated parameters, and CrossEntropyLoss.
import torch as T


class Net(T.nn.Module):
    def __init__(self):
        super().__init__()
        self.hid1 = T.nn.Linear(3, 10)
        self.oupt = T.nn.Linear(10, 3)

    def forward(self, x):
        z = T.tanh(self.hid1(x))
        return T.softmax(self.oupt(z), dim=1)


def train_epoch(net: Net, loader, loss_func: T.nn.CrossEntropyLoss, opt: T.optim.Optimizer) -> float:
    epoch_loss = 0.0
    for X, y in loader:
        opt.zero_grad()
        loss_val = loss_func(net(X), y)  # expect: NN602
        epoch_loss += loss_val.item()
        loss_val.backward()
        opt.step()
    return epoch_loss
