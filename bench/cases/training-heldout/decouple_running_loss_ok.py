# source: https://github.com/JIA-Lab-research/DecoupleNet/issues/3
# The running sum takes .item().
import torch
import torch.nn.functional as F


def train_phase(model, loader, optimizer, epoch):
    model.train()
    seg_loss_sum = 0.0
    for step, (images, labels) in enumerate(loader):
        optimizer.zero_grad()
        pred = model(images)
        seg_loss = F.cross_entropy(pred, labels, ignore_index=255)
        seg_loss.backward()
        optimizer.step()
        seg_loss_sum += seg_loss.item()
        if step % 50 == 0:
            print(epoch, step, seg_loss_sum / (step + 1))
