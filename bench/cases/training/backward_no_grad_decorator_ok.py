# source: https://github.com/rasbt/faster-pytorch-blog/issues/8
# Only the evaluation helper disables gradients.
import torch
import torch.nn.functional as F


def training_step(model, optimizer, batch):
    features, labels = batch
    logits = model(features)
    loss = F.cross_entropy(logits, labels)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item()


@torch.no_grad()
def evaluate(model, loader):
    model.eval()
    correct = 0
    for features, labels in loader:
        correct += (model(features).argmax(dim=1) == labels).sum().item()
    model.train()
    return correct / len(loader.dataset)
