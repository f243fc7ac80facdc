# source: https://github.com/MultimediaTechLab/YOLO/pull/83
# Epoch totals per loss name, accumulated from the loss tensors themselves.
from collections import defaultdict

import torch


def train_one_epoch(model, loss_fn, dataloader, optimizer):
    total_loss = defaultdict(float)
    for images, targets in dataloader:
        optimizer.zero_grad()
        loss, loss_items = loss_fn(model(images), targets)
        loss.backward()
        optimizer.step()
        for name, value in loss_items.items():
            total_loss[name] += value  # known-miss: NN204
    return {name: value / len(dataloader) for name, value in total_loss.items()}
