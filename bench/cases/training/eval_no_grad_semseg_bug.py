# source: https://github.com/hszhao/semseg/issues/60
# validate() puts the model in eval mode but builds an autograd graph for every batch:
# memory climbs until "out of memory" at the end of the first epoch.
import time

import torch


def validate(val_loader, model, criterion):
    model.eval()
    end = time.time()
    loss_sum = 0.0
    for i, (input, target) in enumerate(val_loader):
        input = input.cuda(non_blocking=True)
        target = target.cuda(non_blocking=True)
        output = model(input)  # expect: NN206
        loss_sum += criterion(output, target).item()
        end = time.time()
    return loss_sum / len(val_loader)
