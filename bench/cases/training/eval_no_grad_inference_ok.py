# source: https://github.com/serend1p1ty/SeqNet/pull/14
# The merged fix: inference under torch.no_grad().
import torch


@torch.no_grad()
def inference(model, gallery_loader, device):
    model.eval()
    gallery_feats = []
    for images, targets in gallery_loader:
        images = [img.to(device) for img in images]
        outputs = model(images, targets)
        gallery_feats.append(torch.cat([o["embeddings"] for o in outputs]).cpu())
    return torch.cat(gallery_feats)
