# source: https://github.com/serend1p1ty/SeqNet/pull/14
# An evaluation that needs gradients on purpose (input saliency): no no_grad here is right.
import torch


def saliency_maps(model, loader):
    model.eval()
    maps = []
    for images, labels in loader:
        images.requires_grad_(True)
        scores = model(images)
        scores.gather(1, labels[:, None]).sum().backward()
        maps.append(images.grad.abs().amax(dim=1))
    return maps
