# source: https://github.com/chrischoy/FCGF/issues/15
# @torch.no_grad() on the test function.
import torch
import torch.nn.functional as F


@torch.no_grad()
def test(model, data_loader, device):
    model.eval()
    hits = 0
    for xyz0, xyz1, feats0, feats1, pairs in data_loader:
        F0 = model(feats0.to(device))
        F1 = model(feats1.to(device))
        nn_idx = torch.cdist(F0, F1).argmin(dim=1)
        hits += (nn_idx[pairs[:, 0]] == pairs[:, 1]).float().mean().item()
    return hits / len(data_loader)
