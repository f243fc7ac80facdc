# source: https://github.com/BGU-CS-VIL/WTConv/issues/5
# Saving tensors and plain dicts of state is what torch.save is for.
import torch


def save_embeddings(model, loader, path):
    model.eval()
    with torch.no_grad():
        embeddings = torch.cat([model(x) for x, _ in loader])
    torch.save(embeddings, path)
    torch.save({"state_dict": model.state_dict(), "dim": embeddings.shape[1]}, path + ".ckpt")
