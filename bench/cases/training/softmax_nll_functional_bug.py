# source: https://runebook.dev/en/docs/pytorch/generated/torch.nn.nllloss/torch.nn.NLLLoss
# F.nll_loss on F.softmax output inside a training function.
import torch
import torch.nn.functional as F


def train(model, loader, optimizer, device="cpu"):
    model.train()
    for data, target in loader:
        data, target = data.to(device), target.to(device)
        optimizer.zero_grad()
        output = F.softmax(model(data), dim=1)
        loss = F.nll_loss(output, target)  # expect: NN604
        loss.backward()
        optimizer.step()
