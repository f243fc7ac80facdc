# source: https://github.com/jokester-zzz/SSA-SC/issues/2
# Under no_grad the sum holds no graph.
import torch
import torch.nn as nn

criterion = nn.CrossEntropyLoss(ignore_index=255)


def validation(model, val_loader):
    model.eval()
    val_loss = 0
    with torch.no_grad():
        for voxels, labels in val_loader:
            scores = model(voxels)
            val_loss += criterion(scores, labels)
    print("val loss", val_loss / len(val_loader))
