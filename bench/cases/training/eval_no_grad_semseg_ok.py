# source: https://github.com/hszhao/semseg/issues/60
# The forward passes of validation run under torch.no_grad().
import time

import torch


def validate(val_loader, model, criterion):
    model.eval()
    end = time.time()
    loss_sum = 0.0
    for i, (input, target) in enumerate(val_loader):
        input = input.cuda(non_blocking=True)
        target = target.cuda(non_blocking=True)
        with torch.no_grad():
            output = model(input)
        loss_sum += criterion(output, target).item()
        end = time.time()
    return loss_sum / len(val_loader)
