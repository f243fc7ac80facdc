# source: https://github.com/pytorch/pytorch/issues/16417
# set_grad_enabled as a context manager restores the mode after validation.
import torch
import torch.nn.functional as F

for epoch in range(num_epochs):
    model.train()
    for x, y in train_loader:
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()

    model.eval()
    with torch.set_grad_enabled(False):
        val_loss = sum(F.cross_entropy(model(x), y).item() for x, y in val_loader)
    print(epoch, val_loss / len(val_loader))
