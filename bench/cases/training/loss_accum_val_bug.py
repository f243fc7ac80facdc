# source: https://github.com/jokester-zzz/SSA-SC/issues/2
# Validation loss summed as tensors outside no_grad: each batch's graph lives until the sum is printed.
import torch
import torch.nn as nn

criterion = nn.CrossEntropyLoss(ignore_index=255)


def validation(model, val_loader):
    model.eval()
    val_loss = 0
    for voxels, labels in val_loader:
        scores = model(voxels)  # expect: NN206
        val_loss += criterion(scores, labels)  # expect: NN204
    print("val loss", val_loss / len(val_loader))
