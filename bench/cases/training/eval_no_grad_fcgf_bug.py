# source: https://github.com/chrischoy/FCGF/issues/15
# A test() function computing features and a matching score, graph and all.
import torch
import torch.nn.functional as F


def test(model, data_loader, device):
    model.eval()
    hits = 0
    for xyz0, xyz1, feats0, feats1, pairs in data_loader:
        F0 = model(feats0.to(device))  # expect: NN206
        F1 = model(feats1.to(device))
        nn_idx = torch.cdist(F0, F1).argmin(dim=1)
        hits += (nn_idx[pairs[:, 0]] == pairs[:, 1]).float().mean().item()
    return hits / len(data_loader)
